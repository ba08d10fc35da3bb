//! Clicks, drags and the wheel: a click on the pane bar goes to that pane; a click in a pane gives it the keys (two
//! show on a wide terminal) and selects the row there (profiles list, schema tree, results grid) or puts the
//! editor's cursor there; the border between two panes and the line between the editor and the results are
//! dragged; the wheel scrolls whatever has the keys (as ↓/↑ would). Where the things were drawn is kept by the
//! drawing (the screen's layout, the pane bar's ranges, the lists' areas and first rows).
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Position;

use super::{App, PaneId};
use crate::tui::effect::Effect;
use crate::tui::keymap::{self, Command, Scope};
use crate::tui::layout::Drag;
use crate::tui::panes::query::Click;

impl App {
    pub(super) fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
        match m.kind {
            MouseEventKind::ScrollDown => self.on_key(self.wheel_key(Command::Down).unwrap_or(key(KeyCode::Down))),
            MouseEventKind::ScrollUp => self.on_key(self.wheel_key(Command::Up).unwrap_or(key(KeyCode::Up))),
            MouseEventKind::Down(MouseButton::Left) => self.on_click(m.column, m.row),
            MouseEventKind::Drag(MouseButton::Left) => {
                self.on_drag(m.column, m.row);
                vec![]
            }
            MouseEventKind::Up(_) => {
                self.layout.drag = None;
                vec![]
            }
            _ => vec![],
        }
    }

    /// The key the keymap gives ↓/↑ where the keys go now (the wheel follows a rebinding); None: the arrow.
    fn wheel_key(&self, command: Command) -> Option<KeyEvent> {
        let scope = match self.pane {
            PaneId::Profiles => Scope::Profiles,
            PaneId::Schema => Scope::Schema,
            PaneId::Migrations => Scope::Migrations,
            PaneId::Sync => Scope::Sync,
            PaneId::Query if self.query.captures_keys() => return None,
            PaneId::Query => Scope::QueryGrid,
        };
        keymap::bindings()
            .iter()
            .find(|b| b.scope == scope && b.command == command)
            .map(|b| KeyEvent::new(b.code, b.mods))
    }

    fn on_click(&mut self, column: u16, row: u16) -> Vec<Effect> {
        // A press ends any drag whose release never came (released outside the window).
        self.layout.drag = None;
        // Over a form, a dialog, the help, the log or the palette, clicks do nothing (keys close those).
        if self.form.is_some() || self.dialog.is_some() || self.help || self.log_open || self.palette.is_some() {
            return vec![];
        }
        if row == self.screen.borrow().tabs.y {
            let hit = self.tab_ranges.borrow().iter().find(|(a, b, _)| (*a..*b).contains(&column)).map(|t| t.2);
            let Some(pane) = hit else { return vec![] };
            // A filter being typed ends as Enter would end it (kept); then the pane, read as on entering it.
            self.schema.filtering = false;
            self.pane = pane;
            return self.entered_pane();
        }
        let at = Position { x: column, y: row };
        let screen = self.screen.borrow().clone();
        if screen.divider().is_some_and(|(a, b)| column == a || column == b) && screen.body.contains(at) {
            self.layout.drag = Some(Drag::Side);
            return vec![];
        }
        let Some(pane) = screen.pane_at(column, row) else { return vec![] };
        let mut effects = vec![];
        if pane != self.pane {
            self.schema.filtering = false;
            self.pane = pane;
            effects = self.entered_pane();
        }
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
            PaneId::Query if self.query.click(column, row) == Click::Divider => self.layout.drag = Some(Drag::Editor),
            _ => {}
        }
        effects
    }

    fn on_drag(&mut self, column: u16, row: u16) {
        match self.layout.drag {
            Some(Drag::Side) => {
                let body = self.screen.borrow().body;
                self.layout.side_width = Some(column.saturating_sub(body.x).saturating_add(1));
            }
            Some(Drag::Editor) => self.query.drag_divider(row),
            None => {}
        }
    }
}
