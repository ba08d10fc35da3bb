//! Vim mode in the query pane: which keys it takes, and what its outcomes ask of the pane.
use crossterm::event::KeyEvent;

use super::super::{Focus, Prompt, QueryPane, Request, RunState};
use crate::tui::keymap::{self, Command, Scope};

impl QueryPane {
    /// Vim mode's share of an editor key: None when the key goes on as without vim mode (insert mode's text, and
    /// the keymap's editor keys such as F5 or Ctrl-G in any mode).
    pub(in crate::tui::panes::query) fn vim_key(&mut self, key: &KeyEvent) -> Option<Request> {
        use super::{Mode, Outcome};
        let vim = self.vim.as_mut()?;
        let cmd = keymap::lookup(Scope::QueryEditor, key);
        if cmd.is_some() && cmd != Some(Command::Cancel) {
            return None;
        }
        let b = self.tabs.get_mut(self.tab)?;
        // Another tab (or a buffer opened into this one): its own mode and undo history.
        vim.use_buffer(b.id, &mut b.area);
        let outcome = vim.key(&mut b.area, key);
        if vim.mode != Mode::Insert {
            self.completion = None;
        }
        Some(match outcome {
            Outcome::Insert => return None,
            Outcome::Handled => Request::None,
            Outcome::Esc if matches!(self.run, RunState::Running { .. }) => Request::Cancel,
            Outcome::Esc => Request::Say("vim: Ctrl-W j goes to the results (V there turns vim mode off)".into()),
            Outcome::Leave => {
                self.focus = Focus::Grid;
                Request::None
            }
            Outcome::Search(forward) => {
                self.search_forward = forward;
                self.prompt = Some(Prompt::Search(String::new()));
                Request::None
            }
            Outcome::SearchAgain(same) => {
                // n goes the way the last search went (`?`: back), N the other way.
                let forward = same == self.search_forward;
                match self.last_search.clone() {
                    Some(s) if !(if forward { self.search(&s) } else { self.search_back(&s) }) => {
                        super::super::keys::not_found(&s)
                    }
                    _ => Request::None,
                }
            }
            Outcome::Palette => Request::Ex,
        })
    }

    /// Vim mode on or off (the palette's "vim mode", `V` in the results).
    pub fn toggle_vim(&mut self) -> Request {
        self.vim = match self.vim {
            Some(_) => None,
            None => Some(super::Vim::default()),
        };
        Request::Say(format!("vim mode {}", if self.vim.is_some() { "on (Esc: normal mode)" } else { "off" }))
    }

    /// `:N`: the cursor to line N (1-based; past the end: the last), in the editor.
    pub fn goto_line(&mut self, n: usize) {
        self.focus = Focus::Editor;
        let b = self.buffer_mut();
        let row = n.saturating_sub(1).min(b.area.lines().len().saturating_sub(1));
        b.area.move_cursor(tui_textarea::CursorMove::Jump(u16::try_from(row).unwrap_or(u16::MAX), 0));
    }
}
