//! Choosing one profile from a list (the diff source, the transfer target): its state, keys and lines, one place.
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph};

use crate::tui::keymap::Command;
use crate::tui::theme::Theme;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chooser {
    pub names: Vec<String>,
    pub at: usize,
}

/// What a key did to a chooser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Moved, or nothing.
    Stay,
    Chosen(usize),
    Closed,
}

impl Chooser {
    pub fn new(names: Vec<String>) -> Chooser {
        Chooser { names, at: 0 }
    }

    /// Down/Up move, Confirm chooses (when there is something to choose), Cancel closes.
    pub fn handle(&mut self, cmd: Option<Command>) -> Choice {
        match cmd {
            Some(Command::Down) => self.at = (self.at + 1).min(self.names.len().saturating_sub(1)),
            Some(Command::Up) => self.at = self.at.saturating_sub(1),
            Some(Command::Confirm) if !self.names.is_empty() => return Choice::Chosen(self.at),
            Some(Command::Cancel) => return Choice::Closed,
            _ => {}
        }
        Choice::Stay
    }

    pub fn name(&self, i: usize) -> Option<&str> {
        self.names.get(i).map(String::as_str)
    }

    /// The names as lines, the selected one marked.
    pub fn lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        self.names
            .iter()
            .enumerate()
            .map(|(i, n)| Line::styled(format!("  {n}"), if i == self.at { theme.selected() } else { theme.text() }))
            .collect()
    }

    /// As a popup over `area`, titled; `empty` says why there is nothing to choose.
    pub fn render_popup(&self, frame: &mut Frame, area: Rect, theme: &Theme, title: &str, empty: &str) {
        let h = (self.names.len() as u16 + 4).min(area.height);
        let w = 60.min(area.width);
        let r = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
        frame.render_widget(Clear, r);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border(true))
            .title(Line::styled(format!(" {title} "), theme.title()));
        let inner = block.inner(r);
        frame.render_widget(block, r);
        if self.names.is_empty() {
            frame.render_widget(Paragraph::new(Line::styled(empty.to_string(), theme.dim())), inner);
            return;
        }
        let items: Vec<ListItem> =
            self.names.iter().map(|n| ListItem::new(Line::styled(n.clone(), theme.text()))).collect();
        let mut state = ListState::default().with_selected(Some(self.at));
        frame.render_stateful_widget(List::new(items).highlight_style(theme.selected()), inner, &mut state);
    }
}
