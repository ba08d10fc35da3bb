//! A result held in memory: columns, and rows stored as text in chunks (one string and one offset table per
//! 1,024 rows), so a million rows cost their text plus four bytes a cell, not an allocation per cell.

/// What a column holds, for alignment, styling and export (JSON numbers, booleans, embedded JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Bool,
    Json,
    /// Shown as hex: `\x0a1b…`.
    Binary,
    /// MySQL BIT, shown as `b'0101'`.
    Bits,
    Temporal,
    Uuid,
    Array,
    Other,
}

impl Kind {
    pub fn right_aligned(self) -> bool {
        matches!(self, Kind::Number)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// The engine's type name, as the server describes it (`int4`, `VARCHAR`, `INTEGER`…).
    pub type_name: String,
    pub kind: Kind,
}

const NULL_BIT: u32 = 1 << 31;

/// One row being built: the cells' text end to end, and where each cell ends (the top bit marks NULL).
#[derive(Debug, Default, Clone)]
pub struct RowBuf {
    pub(crate) text: String,
    pub(crate) ends: Vec<u32>,
}

impl RowBuf {
    pub fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }
    pub fn push_null(&mut self) {
        self.ends.push(self.text.len() as u32 | NULL_BIT);
    }
    pub fn push_str(&mut self, s: &str) {
        self.text.push_str(s);
        self.end_cell();
    }
    /// The text being built for the current cell (write into it, then call `end_cell`).
    pub fn cell_text(&mut self) -> &mut String {
        &mut self.text
    }
    pub fn end_cell(&mut self) {
        self.ends.push(self.text.len() as u32);
    }
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
    /// Cell `i`: `None` is NULL.
    pub fn get(&self, i: usize) -> Option<&str> {
        cell(&self.text, &self.ends, 0, i)
    }
}

fn cell<'a>(text: &'a str, ends: &[u32], base: usize, i: usize) -> Option<&'a str> {
    let e = *ends.get(base + i)?;
    if e & NULL_BIT != 0 {
        return None;
    }
    let start = if base + i == 0 { 0 } else { (ends[base + i - 1] & !NULL_BIT) as usize };
    text.get(start..e as usize)
}

const CHUNK_ROWS: usize = 1024;

#[derive(Debug, Default)]
struct Chunk {
    text: String,
    ends: Vec<u32>,
    rows: usize,
}

/// Rows of one result, appended as they stream in.
#[derive(Debug, Default)]
pub struct Rows {
    width: usize,
    chunks: Vec<Chunk>,
    len: usize,
    bytes: usize,
}

impl Rows {
    pub fn new(width: usize) -> Rows {
        Rows { width, ..Rows::default() }
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn width(&self) -> usize {
        self.width
    }
    /// Bytes of cell text held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn push(&mut self, row: &RowBuf) {
        let needs_new = match self.chunks.last() {
            None => true,
            Some(c) => c.rows >= CHUNK_ROWS || c.text.len() + row.text.len() >= (NULL_BIT as usize - 1),
        };
        if needs_new {
            self.chunks.push(Chunk {
                text: String::with_capacity(row.text.len() * CHUNK_ROWS / 4),
                ends: Vec::with_capacity(self.width * CHUNK_ROWS),
                rows: 0,
            });
        }
        let Some(c) = self.chunks.last_mut() else { return };
        let base = c.text.len() as u32;
        c.text.push_str(&row.text);
        for (i, e) in row.ends.iter().enumerate() {
            if i >= self.width {
                break;
            }
            c.ends.push(if e & NULL_BIT != 0 { ((e & !NULL_BIT) + base) | NULL_BIT } else { e + base });
        }
        for _ in row.ends.len()..self.width {
            c.ends.push(c.text.len() as u32 | NULL_BIT);
        }
        c.rows += 1;
        self.len += 1;
        self.bytes += row.text.len();
        if c.rows == CHUNK_ROWS {
            c.text.shrink_to_fit();
        }
    }

    /// Cell (row, column): `None` when NULL or out of range.
    pub fn get(&self, row: usize, col: usize) -> Option<&str> {
        if col >= self.width {
            return None;
        }
        let c = self.chunks.get(row / CHUNK_ROWS)?;
        cell(&c.text, &c.ends, (row % CHUNK_ROWS) * self.width, col)
    }

    pub fn is_null(&self, row: usize, col: usize) -> bool {
        row < self.len && col < self.width && self.get(row, col).is_none()
    }

    /// Row `row` as owned cells.
    pub fn row(&self, row: usize) -> Vec<Option<String>> {
        (0..self.width).map(|c| self.get(row, c).map(str::to_string)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_nulls_and_empty_strings_survive_chunking() {
        let mut rows = Rows::new(3);
        let mut b = RowBuf::default();
        for i in 0..3000 {
            b.clear();
            b.push_str(&i.to_string());
            if i % 3 == 0 {
                b.push_null()
            } else {
                b.push_str("")
            }
            b.push_str("héllo");
            rows.push(&b);
        }
        assert_eq!(rows.len(), 3000);
        assert_eq!(rows.get(0, 0), Some("0"));
        assert_eq!(rows.get(0, 1), None);
        assert_eq!(rows.get(1, 1), Some(""));
        assert_eq!(rows.get(2999, 0), Some("2999"));
        assert_eq!(rows.get(2048, 2), Some("héllo"));
        assert!(rows.is_null(1500, 1));
        assert!(!rows.is_null(1501, 1));
        assert_eq!(rows.get(3000, 0), None);
        assert_eq!(rows.row(1), vec![Some("1".into()), Some("".into()), Some("héllo".into())]);
    }
}
