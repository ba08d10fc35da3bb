//! The command palette (Ctrl-P, `:`): every action of the pane in view and the global ones (with their keys, from
//! the live keymap), the profiles, the catalog's tables and the profile's recent statements, in one list searched
//! with nucleo's fuzzy matcher; items used recently rank first.
use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::popup::{centered, clear_around};
use crate::tui::keymap::{Command, Scope};
use crate::tui::theme::Theme;

/// What choosing an item does.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// The action, as if its key were pressed in `scope`.
    Action { scope: Scope, command: Command, code: KeyCode, mods: KeyModifiers },
    /// Connect to the profile (its index in the profiles list).
    Profile(usize),
    /// Show the table in the schema pane.
    Table { schema: usize, table: usize },
    /// Put the statement in the editor.
    Statement(String),
}

#[derive(Debug, Clone)]
pub struct Item {
    /// Stable across openings (for the recent-use ranking): `action:run`, `table:public.orders`…
    pub id: String,
    pub kind: &'static str,
    pub label: String,
    /// The key (actions), or more about it.
    pub key: String,
    pub detail: String,
    pub target: Target,
}

/// Items shown at most (the best matches).
const SHOWN: usize = 200;

#[derive(Debug, Default)]
pub struct Palette {
    pub query: String,
    pub items: Vec<Item>,
    /// Indexes into `items`, best first.
    pub shown: Vec<usize>,
    pub selected: usize,
    /// Opened by vim's `:`: `:w`, `:q`, `:N` are read as vim's commands before the fuzzy match.
    pub ex: bool,
}

impl Palette {
    pub fn new(items: Vec<Item>, recent: &[String]) -> Palette {
        let mut p = Palette { items, ..Default::default() };
        p.refilter(recent);
        p
    }

    /// Ranks the items for the query: fuzzy score (label and detail), plus a bonus for recent use; without a
    /// query, recent items first, then the rest in order.
    pub fn refilter(&mut self, recent: &[String]) {
        let bonus = |id: &str| recent.iter().position(|r| r == id).map_or(0, |i| (50 - i.min(50)) as i64 * 4);
        let mut scored: Vec<(i64, usize)> = if self.query.trim().is_empty() {
            self.items.iter().enumerate().map(|(i, it)| (bonus(&it.id) * 1000 - i as i64, i)).collect()
        } else {
            let mut fuzzy = crate::tui::panes::schema::Fuzzy::new(self.query.trim());
            let mut hay = String::new();
            self.items
                .iter()
                .enumerate()
                .filter_map(|(i, it)| {
                    hay.clear();
                    hay.push_str(&it.label);
                    hay.push(' ');
                    hay.push_str(it.kind);
                    hay.push(' ');
                    hay.push_str(&it.detail);
                    fuzzy.score(&hay).map(|s| (s + bonus(&it.id), i))
                })
                .collect()
        };
        // Best first; among equals, the list's order.
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(SHOWN);
        self.shown = scored.into_iter().map(|(_, i)| i).collect();
        self.selected = 0;
    }

    pub fn chosen(&self) -> Option<&Item> {
        self.shown.get(self.selected).and_then(|&i| self.items.get(i))
    }

    pub fn down(&mut self) {
        if self.selected + 1 < self.shown.len() {
            self.selected += 1;
        }
    }

    pub fn up(&mut self) {
        self.selected = self.selected.saturating_sub(1);
    }
}

pub fn render(frame: &mut Frame, area: Rect, theme: &Theme, p: &Palette) {
    let width = 90.min(area.width.saturating_sub(2)).max(20.min(area.width));
    let height = (area.height.saturating_sub(2)).min(22).max(3.min(area.height));
    let popup = centered(area, width, height);
    clear_around(frame, popup, area);
    let inner_w = popup.width.saturating_sub(2) as usize;
    let rows = popup.height.saturating_sub(3) as usize;
    let mut lines = vec![Line::from(vec![
        Span::styled("> ", theme.key()),
        Span::styled(format!("{}▏", crate::core::text::one_line(&p.query)), theme.text()),
    ])];
    // The window of the list that holds the selection.
    let first = p.selected.saturating_sub(rows.saturating_sub(1));
    for (n, &i) in p.shown.iter().enumerate().skip(first).take(rows) {
        let it = &p.items[i];
        let marker = if n == p.selected { "▶ " } else { "  " };
        let kind = format!("{:<8}", it.kind);
        let key = format!(" {}", it.key);
        let room = inner_w.saturating_sub(2 + kind.chars().count() + key.chars().count() + 1);
        let mut label = crate::core::text::one_line(&it.label).into_owned();
        if !it.detail.is_empty() {
            label.push_str(" — ");
            label.push_str(&crate::core::text::one_line(&it.detail));
        }
        let label = super::fit_str(&label, room);
        let pad = room.saturating_sub(label.chars().count());
        let style = if n == p.selected { theme.selected() } else { theme.text() };
        lines.push(Line::from(vec![
            Span::styled(marker, style),
            Span::styled(kind, theme.dim()),
            Span::styled(format!("{label}{}", " ".repeat(pad)), style),
            Span::styled(key, theme.key()),
        ]));
    }
    if p.shown.is_empty() {
        lines.push(Line::styled("  nothing matches", theme.dim()));
    }
    let title = if p.ex {
        format!(" :{} — :w save · :q quit · :N line · or choose ({} of {}) ", p.query, p.shown.len(), p.items.len())
    } else {
        format!(" Palette — {} of {} · ↑↓ choose · Enter run · Esc close ", p.shown.len(), p.items.len())
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Line::styled(super::fit_str(&title, inner_w), theme.title()));
    frame.render_widget(Paragraph::new(super::fit(lines, popup.width.saturating_sub(2))).block(block), popup);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, label: &str) -> Item {
        Item {
            id: id.into(),
            kind: "table",
            label: label.into(),
            key: String::new(),
            detail: String::new(),
            target: Target::Statement(String::new()),
        }
    }

    #[test]
    fn fuzzy_then_recent_first() {
        let items = vec![item("a", "orders"), item("b", "order_items"), item("c", "customers")];
        let mut p = Palette::new(items, &["c".to_string()]);
        assert_eq!(p.chosen().unwrap().id, "c", "recent first without a query");
        p.query = "ordit".into();
        p.refilter(&[]);
        assert_eq!(p.shown.len(), 1);
        assert_eq!(p.chosen().unwrap().label, "order_items");
        p.query = "zzz".into();
        p.refilter(&[]);
        assert!(p.chosen().is_none());
        p.down();
        p.up();
        assert_eq!(p.selected, 0);
    }

    #[test]
    fn cut_marks_what_it_drops() {
        assert_eq!(super::super::fit_str("abcdef", 4), "abc…");
        assert_eq!(super::super::fit_str("ab", 4), "ab");
        assert_eq!(super::super::fit_str("ünïcödé", 3), "ün…");
    }
}
