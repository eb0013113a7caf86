//! Bytes as text: percent-encoded for a URL's query or a header's extended value (RFC 8187;
//! every byte but RFC 3986's unreserved characters encoded), and hexadecimal (signatures).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

pub fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// `bytes` in lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The bytes `text` writes in hexadecimal; `None` for anything else.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hexadecimal_goes_there_and_back() {
        assert_eq!(super::hex(&[0x00, 0x9f, 0xff]), "009fff");
        assert_eq!(super::unhex("009fFF"), Some(vec![0x00, 0x9f, 0xff]));
        for bad in ["0", "zz", "0ü", "é0"] {
            assert_eq!(super::unhex(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_unreserved_characters_are_kept() {
        assert_eq!(super::percent_encode("a-b.c_d~e f/ü&=%"), "a-b.c_d~e%20f%2F%C3%BC%26%3D%25");
    }
}
