//! Keyset pagination: a page of at most `limit` items after a key, and whether more follow.
//! How a page is asked for and linked over HTTP (query, cursor, `Link`) is the edge's.

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

/// One page's worth: at most `limit` items after the item whose key is `after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<String>,
}

impl PageRequest {
    pub fn first(limit: usize) -> Self {
        Self { limit, after: None }
    }
}

/// Items in order, and the key of the last one when more follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

impl<T> Page<T> {
    pub fn empty() -> Self {
        Self { items: Vec::new(), next: None }
    }

    /// Builds a page from up to `limit + 1` items fetched in order: the extra one only
    /// tells that another page exists.
    pub fn from_overfetch(mut items: Vec<T>, limit: usize, key: impl Fn(&T) -> String) -> Self {
        let more = items.len() > limit;
        items.truncate(limit);
        let next = if more { items.last().map(key) } else { None };
        Self { items, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_knows_whether_another_follows() {
        let page = Page::from_overfetch(vec![5, 4, 3], 2, |n| n.to_string());
        assert_eq!((page.items, page.next), (vec![5, 4], Some("4".to_owned())));
        let last = Page::from_overfetch(vec![2, 1], 2, |n| n.to_string());
        assert_eq!((last.items, last.next), (vec![2, 1], None));
    }
}
