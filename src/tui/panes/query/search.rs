//! Searching the editor's text (Ctrl-F and F3; vim's / ? n N).
use tui_textarea::CursorMove;

use super::QueryPane;

impl QueryPane {
    /// Moves the cursor to the next match of `needle` (any case), wrapping around.
    pub fn search(&mut self, needle: &str) -> bool {
        self.find_in_editor(needle, true)
    }

    /// Moves the cursor to the previous match of `needle` (any case), wrapping around.
    pub fn search_back(&mut self, needle: &str) -> bool {
        self.find_in_editor(needle, false)
    }

    /// The match after (or before) the cursor, else the first (or last) one: where the cursor goes.
    fn find_in_editor(&mut self, needle: &str, forward: bool) -> bool {
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
        let at = if forward {
            found.iter().find(|p| **p > (row, col)).or_else(|| found.first())
        } else {
            found.iter().rev().find(|p| **p < (row, col)).or_else(|| found.last())
        };
        match at.copied() {
            Some((r, c)) => {
                let (r, c) = (u16::try_from(r).unwrap_or(u16::MAX), u16::try_from(c).unwrap_or(u16::MAX));
                b.area.move_cursor(CursorMove::Jump(r, c));
                true
            }
            None => false,
        }
    }
}
