//! Clicks in the query pane: in the editor, the cursor goes there; in the results, that cell is selected; on the
//! status line between them, the line is taken to be dragged.
use ratatui::layout::Position;

use super::{Focus, QueryPane, split::Split};

/// What a click in the query pane did.
#[derive(Debug, PartialEq, Eq)]
pub enum Click {
    Nothing,
    /// On the line between the editor and the results: a drag of it starts.
    Divider,
    Editor,
    Grid,
}

impl QueryPane {
    pub fn click(&mut self, x: u16, y: u16) -> Click {
        let at = Position { x, y };
        let editor = self.editor_area.get();
        let grid = self.grid_area.get();
        if self.prompt.is_some() || self.inspector {
            return Click::Nothing;
        }
        if y == editor.bottom() && x >= editor.x && x < editor.right() {
            return Click::Divider;
        }
        if editor.contains(at) {
            self.focus = Focus::Editor;
            self.completion = None;
            let tab = self.tab;
            if let (Some(v), Some(b)) = (self.vim.as_mut(), self.tabs.get_mut(tab)) {
                v.clicked(&mut b.area);
            }
            let b = self.buffer_mut();
            let gutter = (b.area.lines().len().to_string().len() + 1) as u16;
            let row = b.top.get() + usize::from(y - editor.y);
            let col = b.left.get() + usize::from(x.saturating_sub(editor.x + gutter));
            let row = row.min(b.area.lines().len().saturating_sub(1));
            let col = col.min(b.area.lines().get(row).map_or(0, |l| l.chars().count()));
            b.area.cancel_selection();
            b.area.move_cursor(tui_textarea::CursorMove::Jump(
                u16::try_from(row).unwrap_or(u16::MAX),
                u16::try_from(col).unwrap_or(u16::MAX),
            ));
            return Click::Editor;
        }
        if grid.contains(at) {
            let Some(r) = self.result.as_mut() else { return Click::Nothing };
            self.focus = Focus::Grid;
            if y > grid.y {
                let row = r.top.get() + usize::from(y - grid.y - 1);
                if row < r.len() {
                    r.row = row;
                }
            }
            // The column under the click: widths from the first one drawn, one column between.
            let mut cx = grid.x;
            for c in r.left.get()..r.columns.len() {
                let w = r.widths.get(c).copied().unwrap_or(4);
                if x >= cx && x < cx.saturating_add(w) {
                    r.col = c;
                    break;
                }
                cx = cx.saturating_add(w + 1);
            }
            return Click::Grid;
        }
        Click::Nothing
    }

    /// The line between the editor and the results dragged to row `y`.
    pub fn drag_divider(&mut self, y: u16) {
        // Above the editor's first row: as small as it gets (the layout keeps three rows).
        let editor = self.editor_area.get();
        self.split = Split::Rows(y.saturating_sub(editor.y).max(1));
    }
}
