//! The command palette on the app: its items gathered from the live keymap, the profiles, the catalog and the
//! history; a chosen action runs as its key would (so it does exactly what the key does, wherever it is handled).
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, PaneId};
use crate::tui::effect::Effect;
use crate::tui::keymap::{self, Command, Scope};
use crate::tui::widgets::palette::{Item, Palette, Target};

/// Items used recently, most recent first (ranked first in the palette).
const RECENT: usize = 50;

impl App {
    /// The scopes whose actions make sense now: the global ones and the pane's (the query pane's editor or grid,
    /// whichever has the keys).
    fn palette_scopes(&self) -> Vec<Scope> {
        let pane = match self.pane {
            PaneId::Profiles => Scope::Profiles,
            PaneId::Schema => Scope::Schema,
            PaneId::Migrations => Scope::Migrations,
            PaneId::Sync => Scope::Sync,
            PaneId::Query if self.query.captures_keys() => Scope::QueryEditor,
            PaneId::Query => Scope::QueryGrid,
        };
        vec![pane, Scope::Global]
    }

    pub(super) fn palette_items(&self) -> Vec<Item> {
        let mut items = Vec::new();
        for scope in self.palette_scopes() {
            let mut seen: Vec<Command> = Vec::new();
            for b in keymap::bindings().iter().filter(|b| b.scope == scope) {
                if seen.contains(&b.command) || b.command == Command::Palette {
                    continue;
                }
                seen.push(b.command);
                items.push(Item {
                    id: format!("action:{}:{}", scope.name(), b.command.name()),
                    kind: "action",
                    label: b.command.name().replace('_', " "),
                    key: keymap::hint(scope, b.command),
                    detail: b.desc.to_string(),
                    target: Target::Action { scope, command: b.command, code: b.code, mods: b.mods },
                });
            }
        }
        for (i, p) in self.all().iter().enumerate() {
            items.push(Item {
                id: format!("profile:{}", p.name),
                kind: "profile",
                label: p.name.clone(),
                key: String::new(),
                detail: format!("{} {}", p.engine, p.shown_target()),
                target: Target::Profile(i),
            });
        }
        if let Some(c) = &self.schema.catalog {
            for (si, s) in c.schemas.iter().enumerate() {
                for (ti, t) in s.tables.iter().enumerate() {
                    items.push(Item {
                        id: format!("table:{}.{}", s.name, t.name),
                        kind: if t.kind.is_view() { "view" } else { "table" },
                        label: t.name.clone(),
                        key: String::new(),
                        detail: s.name.clone(),
                        target: Target::Table { schema: si, table: ti },
                    });
                }
            }
        }
        for h in self.query.history.iter().take(200) {
            let first = h.sql.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
            items.push(Item {
                // By a hash: the recent list kept on disk holds no statement text (it may hold a password).
                id: format!("sql:{:016x}", {
                    use std::hash::{Hash, Hasher};
                    let mut hasher = std::collections::hash_map::DefaultHasher::new();
                    h.sql.hash(&mut hasher);
                    hasher.finish()
                }),
                kind: "sql",
                label: first.chars().take(120).collect(),
                key: String::new(),
                detail: h.executed_at.clone(),
                target: Target::Statement(h.sql.clone()),
            });
        }
        items
    }

    /// Opens the palette, and reads the profile's recent statements for it (they join the list when read).
    pub(super) fn open_palette(&mut self) -> Vec<Effect> {
        self.palette = Some(Palette::new(self.palette_items(), &self.recent));
        match self.connected_profile() {
            Some(p) => vec![Effect::LoadHistory { profile: p.name, filter: String::new() }],
            None => vec![],
        }
    }

    /// Vim's `:` in the editor: the palette, reading `:w`, `:q`, `:N` as vim does.
    pub(super) fn open_ex(&mut self) -> Vec<Effect> {
        let effects = self.open_palette();
        if let Some(p) = &mut self.palette {
            p.ex = true;
        }
        effects
    }

    fn run_ex(&mut self, cmd: Ex) -> Vec<Effect> {
        match cmd {
            Ex::Line(n) => {
                self.query.goto_line(n);
                vec![]
            }
            Ex::Write => {
                let save = keymap::bindings()
                    .iter()
                    .find(|b| b.scope == Scope::QueryEditor && b.command == Command::Save)
                    .map(|b| KeyEvent::new(b.code, b.mods));
                self.pane = PaneId::Query;
                self.query.focus = crate::tui::panes::query::Focus::Editor;
                save.map_or_else(Vec::new, |k| self.on_key(k))
            }
            Ex::Quit => self.global(Command::Quit),
        }
    }

    /// The palette's items again (the history arrived), keeping what was typed.
    pub(super) fn refresh_palette(&mut self) {
        let Some(query) = self.palette.as_ref().map(|p| p.query.clone()) else { return };
        let mut p = Palette::new(self.palette_items(), &self.recent);
        p.query = query;
        p.refilter(&self.recent);
        self.palette = Some(p);
    }

    /// A key while the palette is open: typing filters, ↑/↓ (C-p/C-n) choose, Enter runs, Esc closes.
    pub(super) fn on_palette_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(p) = &mut self.palette else { return vec![] };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => self.palette = None,
            KeyCode::Char('c') if ctrl => self.palette = None,
            KeyCode::Down | KeyCode::Tab => p.down(),
            KeyCode::Char('n') if ctrl => p.down(),
            KeyCode::Up | KeyCode::BackTab => p.up(),
            KeyCode::Char('p') if ctrl => p.up(),
            KeyCode::PageDown => (0..10).for_each(|_| p.down()),
            KeyCode::PageUp => (0..10).for_each(|_| p.up()),
            KeyCode::Backspace => {
                p.query.pop();
                p.refilter(&self.recent);
            }
            KeyCode::Char('u') if ctrl => {
                p.query.clear();
                p.refilter(&self.recent);
            }
            KeyCode::Char(c) if !ctrl && !c.is_control() => {
                p.query.push(c);
                p.refilter(&self.recent);
            }
            KeyCode::Enter if p.ex && ex_command(p.query.trim()).is_some() => {
                let cmd = ex_command(p.query.trim());
                self.palette = None;
                return cmd.map_or_else(Vec::new, |c| self.run_ex(c));
            }
            KeyCode::Enter => {
                let Some(item) = p.chosen().cloned() else { return vec![] };
                self.palette = None;
                self.recent.retain(|r| r != &item.id);
                self.recent.insert(0, item.id.clone());
                self.recent.truncate(RECENT);
                let mut effects = vec![Effect::SaveRecent(self.recent.clone())];
                effects.extend(self.run_palette_item(item.target));
                return effects;
            }
            _ => {}
        }
        vec![]
    }

    fn run_palette_item(&mut self, target: Target) -> Vec<Effect> {
        match target {
            // A global action runs as such: its key would be text in the editor.
            Target::Action { scope: Scope::Global, command, .. } => self.global(command),
            Target::Action { code, mods, .. } => self.on_key(KeyEvent::new(code, mods)),
            Target::Profile(i) => {
                self.pane = PaneId::Profiles;
                self.profiles.selected = i.min(self.all().len().saturating_sub(1));
                self.connect_selected()
            }
            Target::Table { schema, table } => {
                self.pane = PaneId::Schema;
                let s = &mut self.schema;
                s.filter.clear();
                s.filtering = false;
                s.collapsed_schemas.remove(&schema);
                s.rebuild();
                if let Some(i) = s.rows.iter().position(|r| *r == crate::tui::panes::schema::Row::Table(schema, table))
                {
                    s.selected = i;
                }
                vec![]
            }
            Target::Statement(sql) => {
                self.pane = PaneId::Query;
                self.query.open_text(&sql, None);
                vec![]
            }
        }
    }
}

/// Vim commands the `:` palette reads before its fuzzy match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ex {
    Line(usize),
    Write,
    Quit,
}

fn ex_command(text: &str) -> Option<Ex> {
    match text {
        "w" | "write" | "wq" | "x" | "wq!" | "x!" => Some(Ex::Write),
        "q" | "q!" | "qa" | "qa!" | "quit" => Some(Ex::Quit),
        t if !t.is_empty() && t.len() <= 9 && t.bytes().all(|b| b.is_ascii_digit()) => t.parse().ok().map(Ex::Line),
        _ => None,
    }
}
