//! Clicks and the wheel: a click on the pane bar goes to that pane, a click in the profiles list or the schema tree
//! selects that row, the wheel scrolls whatever has the keys (as ↓/↑ would). Where the things were drawn is kept
//! by the drawing (the pane bar's ranges, the lists' areas and first rows).
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Position;

use super::{App, PaneId};
use crate::tui::effect::Effect;
use crate::tui::keymap::{self, Command, Scope};

impl App {
    pub(super) fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
        match m.kind {
            MouseEventKind::ScrollDown => self.on_key(key(KeyCode::Down)),
            MouseEventKind::ScrollUp => self.on_key(key(KeyCode::Up)),
            MouseEventKind::Down(MouseButton::Left) => self.on_click(m.column, m.row),
            _ => vec![],
        }
    }

    fn on_click(&mut self, column: u16, row: u16) -> Vec<Effect> {
        // Over a form, a dialog, the help, the log or the palette, clicks do nothing (keys close those).
        if self.form.is_some() || self.dialog.is_some() || self.help || self.log_open || self.palette.is_some() {
            return vec![];
        }
        if row == 0 {
            let hit = self.tab_ranges.borrow().iter().find(|(a, b, _)| (*a..*b).contains(&column)).map(|t| t.2);
            let Some(pane) = hit else { return vec![] };
            let i = PaneId::ALL.iter().position(|p| *p == pane).unwrap_or(0);
            // As its key would (entering a pane may read something: the sync status, the migrations plan).
            return match keymap::bindings().iter().find(|b| b.scope == Scope::Global && b.command == Command::GoPane(i))
            {
                Some(b) if !(self.pane == PaneId::Query && self.query.captures_keys()) => {
                    self.on_key(KeyEvent::new(b.code, b.mods))
                }
                _ => {
                    self.pane = pane;
                    vec![]
                }
            };
        }
        let at = Position { x: column, y: row };
        match self.pane {
            PaneId::Profiles => {
                let area = self.profiles.list_area.get();
                if area.contains(at) {
                    let i = self.profiles.list_offset.get() + usize::from(row - area.y);
                    if i < self.all().len() {
                        self.profiles.selected = i;
                    }
                }
            }
            PaneId::Schema => {
                let area = self.schema.tree_area.get();
                if area.contains(at) {
                    let i = self.schema.offset.get() + usize::from(row - area.y);
                    if i < self.schema.rows.len() {
                        self.schema.selected = i;
                    }
                }
            }
            _ => {}
        }
        vec![]
    }
}
