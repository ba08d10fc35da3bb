//! Searching the editor's text (Ctrl-F and F3; vim's / n N).
use tui_textarea::CursorMove;

use super::QueryPane;

impl QueryPane {
    /// Moves the cursor to the previous match of `needle` (any case), wrapping around.
    pub fn search_back(&mut self, needle: &str) -> bool {
        if needle.is_empty() {
            return false;
        }
        let n = needle.to_lowercase();
        let b = self.buffer_mut();
        let tui_textarea::DataCursor(row, col) = b.area.cursor();
        let mut found: Vec<(usize, usize)> = Vec::new();
        for (r, line) in b.area.lines().iter().enumerate() {
            let line = line.to_lowercase();
            found.extend(line.match_indices(&n).map(|(i, _)| (r, line[..i].chars().count())));
        }
        let at = found.iter().rev().find(|p| **p < (row, col)).or_else(|| found.last()).copied();
        match at {
            Some((r, c)) => {
                b.area.move_cursor(CursorMove::Jump(r as u16, c as u16));
                true
            }
            None => false,
        }
    }

    /// Moves the cursor to the next match of `needle` (any case), wrapping around.
    pub fn search(&mut self, needle: &str) -> bool {
        if needle.is_empty() {
            return false;
        }
        let n = needle.to_lowercase();
        let b = self.buffer_mut();
        let tui_textarea::DataCursor(row, col) = b.area.cursor();
        let lines: Vec<String> = b.area.lines().iter().map(|l| l.to_lowercase()).collect();
        let total = lines.len();
        for k in 0..=total {
            let r = (row + k) % total.max(1);
            let line = &lines[r];
            let from = if k == 0 { line.char_indices().nth(col + 1).map_or(line.len(), |(i, _)| i) } else { 0 };
            if let Some(pos) = line.get(from..).and_then(|s| s.find(&n)) {
                let c = line[..from + pos].chars().count();
                b.area.move_cursor(CursorMove::Jump(r as u16, c as u16));
                return true;
            }
        }
        false
    }
}
