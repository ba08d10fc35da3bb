//! One result set: its columns, the rows the session streams in, column widths, the selected cell, the sort shown
//! and search in it.
use std::sync::{Arc, RwLock};

use crate::core::query::{Column, Rows};

/// The result of the last row-returning statement.
pub struct ResultView {
    pub columns: Vec<Column>,
    pub rows: Arc<RwLock<Rows>>,
    pub widths: Vec<u16>,
    /// Rows the widths were measured on.
    pub measured: usize,
    pub row: usize,
    pub col: usize,
    /// First row and column on screen (kept around the selected cell while drawing).
    pub top: std::cell::Cell<usize>,
    pub left: std::cell::Cell<usize>,
    /// Row selection anchor (`v`).
    pub anchor: Option<usize>,
    pub explain: bool,
    /// Rows in the order shown (sorted by `sort`); `None`: as the server sent them.
    pub order: Option<Vec<usize>>,
    /// The column sorted on, and whether descending.
    pub sort: Option<(usize, bool)>,
    /// The statement that made this result (for edits and the result-set tabs).
    pub statement: Option<String>,
}

impl ResultView {
    pub fn new(columns: Vec<Column>, rows: Arc<RwLock<Rows>>) -> ResultView {
        let widths = columns.iter().map(|c| (c.name.chars().count() as u16).clamp(4, 40)).collect();
        ResultView {
            columns,
            rows,
            widths,
            measured: 0,
            row: 0,
            col: 0,
            top: Default::default(),
            left: Default::default(),
            anchor: None,
            explain: false,
            order: None,
            sort: None,
            statement: None,
        }
    }
    pub fn len(&self) -> usize {
        self.rows.read().map(|r| r.len()).unwrap_or(0)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Widens columns to fit rows not measured yet (the first 1,000 rows decide; later ones scroll).
    pub fn measure(&mut self) {
        let Ok(rows) = self.rows.read() else { return };
        let upto = rows.len().min(1000);
        // Plans are read line by line: their column may be as wide as the screen.
        let cap = if self.explain { 400 } else { 40 };
        for r in self.measured..upto {
            for (c, w) in self.widths.iter_mut().enumerate() {
                let first_line = |s: &str| crate::core::text::one_line(s.lines().next().unwrap_or("")).chars().count();
                let n = rows.get(r, c).map_or(4, |s| first_line(s).min(400)) as u16;
                *w = (*w).max(n.min(cap));
            }
        }
        self.measured = upto;
    }
    /// The stored row shown at `row` on screen.
    pub fn phys(&self, row: usize) -> usize {
        self.order.as_ref().and_then(|o| o.get(row).copied()).unwrap_or(row)
    }
    /// The cell shown at (`row`, `col`).
    pub fn cell(&self, row: usize, col: usize) -> Option<String> {
        self.rows.read().ok().and_then(|r| r.get(self.phys(row), col).map(str::to_string))
    }

    /// Sorts the rows held by `col`: ascending, then descending, then back to the server's order. Numbers compare
    /// as numbers, text as text; NULLs go last. The view goes to the first row.
    pub fn sort_by(&mut self, col: usize) {
        let next = match self.sort {
            Some((c, false)) if c == col => Some((col, true)),
            Some((c, true)) if c == col => None,
            _ => Some((col, false)),
        };
        self.sort = next;
        self.order = None;
        if let Some((col, desc)) = next
            && let Ok(rows) = self.rows.read()
        {
            let numeric = self.columns.get(col).is_some_and(|c| c.kind == crate::core::query::Kind::Number);
            let mut order: Vec<usize> = (0..rows.len()).collect();
            order.sort_by(|&a, &b| {
                use std::cmp::Ordering;
                match (rows.get(a, col), rows.get(b, col)) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Greater,
                    (Some(_), None) => Ordering::Less,
                    (Some(x), Some(y)) => {
                        let o = match (numeric, x.trim().parse::<f64>(), y.trim().parse::<f64>()) {
                            (true, Ok(x), Ok(y)) => x.total_cmp(&y),
                            _ => x.cmp(y),
                        };
                        if desc { o.reverse() } else { o }
                    }
                }
            });
            self.order = Some(order);
        }
        // The first row of the new order is shown (what a sort is for); the column stays.
        self.row = 0;
    }

    /// The next cell (after the selected one, row by row; `back`: before it) whose text contains `needle`, ignoring
    /// case; wraps around.
    pub fn find(&self, needle: &str, back: bool) -> Option<(usize, usize)> {
        let needle = needle.to_lowercase();
        if needle.is_empty() {
            return None;
        }
        let rows = self.rows.read().ok()?;
        let (n, w) = (rows.len(), self.columns.len());
        let total = n * w;
        if total == 0 {
            return None;
        }
        let here = self.row * w + self.col;
        for step in 1..=total {
            let i = if back { (here + total - step % total) % total } else { (here + step) % total };
            let (r, c) = (i / w, i % w);
            if rows.get(self.phys(r), c).is_some_and(|v| v.to_lowercase().contains(&needle)) {
                return Some((r, c));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::query::{Kind, RowBuf};

    fn view(values: &[Option<&str>], kind: Kind) -> ResultView {
        let mut rows = Rows::new(2);
        let mut b = RowBuf::default();
        for (i, v) in values.iter().enumerate() {
            b.clear();
            match v {
                Some(s) => b.push_str(s),
                None => b.push_null(),
            }
            b.push_str(&format!("é{i}\u{0}"));
            rows.push(&b);
        }
        let cols = vec![
            Column { name: "v".into(), type_name: String::new(), kind },
            Column { name: "w".into(), type_name: String::new(), kind: Kind::Text },
        ];
        ResultView::new(cols, Arc::new(RwLock::new(rows)))
    }

    fn shown(v: &ResultView) -> Vec<Option<String>> {
        (0..v.len()).map(|r| v.cell(r, 0)).collect()
    }

    #[test]
    fn numbers_sort_as_numbers_nulls_last_and_a_third_press_restores() {
        let mut v = view(&[Some("10"), None, Some("9"), Some("-1.5")], Kind::Number);
        v.sort_by(0);
        assert_eq!(shown(&v), [Some("-1.5".into()), Some("9".into()), Some("10".into()), None]);
        v.sort_by(0);
        assert_eq!(shown(&v), [Some("10".into()), Some("9".into()), Some("-1.5".into()), None]);
        assert_eq!(v.cell(0, 1).as_deref(), Some("é0\u{0}"), "rows move whole");
        v.sort_by(0);
        assert_eq!(v.sort, None);
        assert_eq!(shown(&v)[1], None);
        let mut t = view(&[Some("10"), Some("9")], Kind::Text);
        t.sort_by(0);
        assert_eq!(shown(&t), [Some("10".into()), Some("9".into())], "text compares as text");
    }

    #[test]
    fn find_ignores_case_wraps_and_goes_back() {
        let mut v = view(&[Some("Apple"), Some("banana"), Some("APPLE pie")], Kind::Text);
        assert_eq!(v.find("apple", false), Some((2, 0)));
        v.row = 2;
        assert_eq!(v.find("apple", false), Some((0, 0)), "wraps");
        assert_eq!(v.find("apple", true), Some((0, 0)));
        assert_eq!(v.find("é1\u{0}", false), Some((1, 1)), "non-ASCII and NUL");
        assert_eq!(v.find("kiwi", false), None);
        assert_eq!(v.find("", false), None);
    }
}
