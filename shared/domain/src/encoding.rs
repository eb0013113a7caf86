//! Text in a URL's query or a header's extended value (RFC 8187): every byte but RFC 3986's
//! unreserved characters percent-encoded.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

pub fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_unreserved_characters_are_kept() {
        assert_eq!(super::percent_encode("a-b.c_d~e f/ü&=%"), "a-b.c_d~e%20f%2F%C3%BC%26%3D%25");
    }
}
