//! Where things go at the terminal's size. Up to 139 columns one pane shows at a time under the pane bar; from
//! 140 columns the schema pane stays on the left beside the query, migrations or sync pane (the one used last),
//! so a table's columns are in view while a query is written. The border between the two is dragged with the
//! mouse; the query pane's editor/results split is dragged the same way (or toggled with a key).
use ratatui::layout::{Constraint, Layout, Rect};

use super::app::PaneId;

/// The narrowest terminal that shows two panes side by side.
pub const WIDE: u16 = 140;
/// The narrowest the left (schema) pane gets by dragging, and the least the right one keeps.
const SIDE_MIN: u16 = 30;
const RIGHT_MIN: u16 = 70;

/// What the user changed about the layout (kept while dbconsole runs).
#[derive(Debug, Clone, Copy)]
pub struct LayoutState {
    /// The pane shown beside the schema pane when the schema pane has the keys.
    pub work: PaneId,
    /// The schema pane's width when two show, set by dragging (None: 30% of the width).
    pub side_width: Option<u16>,
    /// A border being dragged.
    pub drag: Option<Drag>,
}

impl Default for LayoutState {
    fn default() -> Self {
        LayoutState { work: PaneId::Query, side_width: None, drag: None }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drag {
    /// The border between the schema pane and the pane beside it.
    Side,
    /// The line between the query editor and its results.
    Editor,
}

/// The screen's parts: the pane bar, the panes (one, or the schema pane and the one beside it, left to right),
/// the status bar; `body` is the panes' whole area (overlays are drawn over it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    pub tabs: Rect,
    pub body: Rect,
    pub status: Rect,
    pub panes: Vec<(PaneId, Rect)>,
}

impl Screen {
    /// The pane drawn at a cell, if any.
    pub fn pane_at(&self, x: u16, y: u16) -> Option<PaneId> {
        let at = ratatui::layout::Position { x, y };
        self.panes.iter().find(|(_, r)| r.contains(at)).map(|(p, _)| *p)
    }

    /// The columns of the border between two panes (the left one's right edge, the right one's left edge).
    pub fn divider(&self) -> Option<(u16, u16)> {
        match self.panes.as_slice() {
            [(_, l), (_, r)] => Some((l.right().saturating_sub(1), r.x)),
            _ => None,
        }
    }
}

/// Panes that show beside the schema pane on a wide terminal.
fn pairs(p: PaneId) -> bool {
    matches!(p, PaneId::Query | PaneId::Migrations | PaneId::Sync)
}

pub fn screen(full: Rect, pane: PaneId, state: &LayoutState) -> Screen {
    let [tabs, body, status] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)]).areas(full);
    let right = if pane == PaneId::Schema && pairs(state.work) { Some(state.work) } else { Some(pane) };
    let panes = match right.filter(|r| pairs(*r) && body.width >= WIDE) {
        Some(right) => {
            let w = side_width(body.width, state.side_width);
            let [l, r] = Layout::horizontal([Constraint::Length(w), Constraint::Min(1)]).areas(body);
            vec![(PaneId::Schema, l), (right, r)]
        }
        None => vec![(pane, body)],
    };
    Screen { tabs, body, status, panes }
}

/// The schema pane's width beside another in `total` columns: the dragged width or 30%, kept within bounds.
pub fn side_width(total: u16, dragged: Option<u16>) -> u16 {
    let max = total.saturating_sub(RIGHT_MIN).max(SIDE_MIN);
    dragged.unwrap_or((u32::from(total) * 3 / 10) as u16).clamp(SIDE_MIN, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pane_up_to_139_columns_two_from_140() {
        let s = LayoutState::default();
        for w in [60, 80, 120, 139] {
            let sc = screen(Rect::new(0, 0, w, 30), PaneId::Query, &s);
            assert_eq!(sc.panes.len(), 1, "{w}");
            assert_eq!(sc.divider(), None);
        }
        let sc = screen(Rect::new(0, 0, 200, 60), PaneId::Query, &s);
        assert_eq!(sc.panes.iter().map(|p| p.0).collect::<Vec<_>>(), [PaneId::Schema, PaneId::Query]);
        assert_eq!(sc.panes[0].1.width + sc.panes[1].1.width, 200);
        assert_eq!(sc.divider(), Some((59, 60)));
        assert_eq!(sc.pane_at(10, 5), Some(PaneId::Schema));
        assert_eq!(sc.pane_at(100, 5), Some(PaneId::Query));
        assert_eq!(sc.pane_at(100, 0), None, "the pane bar");
        // The schema pane with the keys keeps the last work pane beside it; profiles show alone.
        let s = LayoutState { work: PaneId::Sync, ..LayoutState::default() };
        let sc = screen(Rect::new(0, 0, 200, 60), PaneId::Schema, &s);
        assert_eq!(sc.panes.iter().map(|p| p.0).collect::<Vec<_>>(), [PaneId::Schema, PaneId::Sync]);
        assert_eq!(screen(Rect::new(0, 0, 300, 100), PaneId::Profiles, &s).panes.len(), 1);
    }

    #[test]
    fn a_dragged_width_stays_within_bounds() {
        assert_eq!(side_width(200, Some(5)), SIDE_MIN);
        assert_eq!(side_width(200, Some(190)), 200 - RIGHT_MIN);
        assert_eq!(side_width(200, Some(80)), 80);
        assert_eq!(side_width(140, None), 42);
        // Never below the minimum, even when the right one would get less than its share.
        assert_eq!(side_width(90, Some(80)), SIDE_MIN);
    }
}
