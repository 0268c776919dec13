//! Keyset paging: a list page asks for one row more than it shows, and
//! that extra row says whether there is a next page; the cursor of the
//! next page is taken from the last row shown. No OFFSET, no COUNT.

/// How many rows a list page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(pub i64);

impl PageSize {
    /// The limit to ask the database for: one more than is shown.
    pub const fn fetch(self) -> i64 {
        self.0 + 1
    }

    /// Cuts `rows` (fetched with [`fetch`](Self::fetch)) to the page and,
    /// when there were more, gives the next page's cursor from its last row.
    pub fn next<T, C>(self, rows: &mut Vec<T>, cursor: impl FnOnce(&T) -> C) -> Option<C> {
        let shown = usize::try_from(self.0).unwrap_or(0);
        if rows.len() <= shown {
            return None;
        }
        rows.truncate(shown);
        rows.last().map(cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::PageSize;

    #[test]
    fn a_next_cursor_only_when_a_row_was_left_over() {
        let page = PageSize(3);
        assert_eq!(page.fetch(), 4);
        let mut full = vec![1, 2, 3, 4];
        assert_eq!(page.next(&mut full, |r| r * 10), Some(30));
        assert_eq!(full, vec![1, 2, 3]);
        let mut last = vec![1, 2, 3];
        assert_eq!(page.next(&mut last, |r| r * 10), None);
        assert_eq!(last, vec![1, 2, 3]);
        let mut empty: Vec<i32> = Vec::new();
        assert_eq!(page.next(&mut empty, |r| *r), None);
    }
}
