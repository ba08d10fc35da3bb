//! The query pane's keys: editor, results grid, prompts (open, save, search, export, history, cell edits).
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Buffer, Focus, Prompt, QueryPane, Request, RunScope, RunState, grid};
use crate::core::query::export::Format;
use crate::tui::keymap::{self, Command, Scope};

impl QueryPane {
    pub fn handle_key(&mut self, key: &KeyEvent) -> Request {
        if self.prompt.is_some() {
            return self.prompt_key(key);
        }
        if self.inspector {
            if matches!(key.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q')) {
                self.inspector = false;
            }
            return Request::None;
        }
        if self.preview {
            self.preview = false;
            if keymap::lookup(Scope::QueryGrid, key) == Some(Command::ApplyEdits) {
                return Request::ApplyEdits;
            }
            return Request::None;
        }
        match self.focus {
            Focus::Editor => self.editor_key(key),
            Focus::Grid => self.grid_key(key),
        }
    }

    fn prompt_key(&mut self, key: &KeyEvent) -> Request {
        let Some(prompt) = self.prompt.as_mut() else { return Request::None };
        if let Prompt::History { selected, .. } = prompt {
            match key.code {
                KeyCode::Up => {
                    *selected = selected.saturating_sub(1);
                    return Request::None;
                }
                KeyCode::Down => {
                    *selected = (*selected + 1).min(self.history.len().saturating_sub(1));
                    return Request::None;
                }
                _ => {}
            }
        }
        if let Prompt::Export { format, .. } = prompt
            && key.code == KeyCode::Tab
        {
            *format = match format {
                Format::Csv => Format::Json,
                Format::Json => Format::Sql,
                _ => Format::Csv,
            };
            let f = *format;
            if let Prompt::Export { path, .. } = prompt
                && let Some(dot) = path.rfind('.')
            {
                path.truncate(dot + 1);
                path.push_str(f.extension());
            }
            return Request::None;
        }
        let ctrl_n = key.code == KeyCode::Char('n') && key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl_n || (key.code == KeyCode::Enter && matches!(prompt, Prompt::EditCell(_) | Prompt::Insert { .. })) {
            let value = if ctrl_n { None } else { Some(prompt.input().clone()) };
            self.edit_value(value);
            return Request::None;
        }
        match key.code {
            KeyCode::Esc => {
                self.prompt = None;
                Request::None
            }
            KeyCode::Enter => {
                let Some(p) = self.prompt.take() else { return Request::None };
                match p {
                    Prompt::Open(path) if !path.trim().is_empty() => Request::Open(path.trim().to_string()),
                    Prompt::SaveAs(path) if !path.trim().is_empty() => {
                        Request::Save { tab: self.tab, path: Some(path.trim().to_string()) }
                    }
                    Prompt::Search(s) => {
                        let found = if self.search_forward { self.search(&s) } else { self.search_back(&s) };
                        let said = if found || s.is_empty() { Request::None } else { not_found(&s) };
                        self.last_search = Some(s);
                        said
                    }
                    Prompt::BrowseFilter(s) => self.browse_filter(s),
                    Prompt::Find(s) => {
                        self.last_find = Some(s);
                        self.find(false)
                    }
                    Prompt::Export { format, path } if !path.trim().is_empty() => {
                        Request::Export { format, path: path.trim().to_string() }
                    }
                    Prompt::History { selected, .. } => {
                        if let Some(h) = self.history.get(selected) {
                            let sql = h.sql.clone();
                            self.open_text(&sql, None);
                        }
                        Request::None
                    }
                    _ => Request::None,
                }
            }
            KeyCode::Backspace => {
                prompt.input().pop();
                self.prompt_changed()
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                prompt.input().clear();
                self.prompt_changed()
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                prompt.input().push(c);
                self.prompt_changed()
            }
            _ => Request::None,
        }
    }

    fn prompt_changed(&mut self) -> Request {
        match &self.prompt {
            Some(Prompt::History { filter, .. }) => Request::History(filter.clone()),
            _ => Request::None,
        }
    }

    fn editor_key(&mut self, key: &KeyEvent) -> Request {
        if let Some(c) = &mut self.completion {
            // Ctrl-P / Ctrl-N choose too, as in vim and Emacs.
            let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
            let code = match key.code {
                KeyCode::Char('p') if ctrl => KeyCode::Up,
                KeyCode::Char('n') if ctrl => KeyCode::Down,
                code => code,
            };
            match code {
                KeyCode::Up => {
                    c.selected = c.selected.saturating_sub(1);
                    return Request::None;
                }
                KeyCode::Down => {
                    c.selected = (c.selected + 1).min(c.items.len().saturating_sub(1));
                    return Request::None;
                }
                KeyCode::Enter | KeyCode::Tab => {
                    let c = self.completion.take();
                    if let Some(c) = c
                        && let Some(item) = c.items.get(c.selected)
                    {
                        let b = self.buffer_mut();
                        for _ in 0..c.typed {
                            b.area.delete_char();
                        }
                        b.area.insert_str(&item.text);
                    }
                    return Request::None;
                }
                KeyCode::Esc => {
                    self.completion = None;
                    return Request::None;
                }
                _ => self.completion = None,
            }
        }
        if let Some(req) = self.vim_key(key) {
            return req;
        }
        match keymap::lookup(Scope::QueryEditor, key) {
            Some(Command::Run) => return Request::Run(RunScope::Statement),
            Some(Command::RunAll) => return Request::Run(RunScope::Buffer),
            Some(Command::Explain) => return Request::Run(RunScope::Explain),
            Some(Command::ExplainAnalyze) => return Request::Run(RunScope::ExplainAnalyze),
            Some(Command::Complete) => return Request::Complete,
            Some(Command::ToggleSplit) => return self.toggle_split(),
            Some(Command::Palette) => return Request::Palette,
            Some(Command::Save) => return self.save_request(),
            Some(Command::Filter) => {
                self.search_forward = true;
                self.prompt = Some(Prompt::Search(String::new()));
                return Request::None;
            }
            Some(Command::SearchNext) => {
                if let Some(s) = self.last_search.clone()
                    && !self.search(&s)
                {
                    return not_found(&s);
                }
                return Request::None;
            }
            Some(Command::Cancel) => {
                // A paused result waits for the grid's keys (m: more, Esc: stop).
                if matches!(self.run, RunState::Running { .. }) {
                    return Request::Cancel;
                }
                self.focus = Focus::Grid;
                return Request::None;
            }
            _ => {}
        }
        if key.code == KeyCode::Tab {
            // Tab completes after a word character, otherwise indents.
            let b = self.buffer();
            let tui_textarea::DataCursor(row, col) = b.area.cursor();
            let line = b.area.lines().get(row).cloned().unwrap_or_default();
            let prev = line.chars().nth(col.wrapping_sub(1)).filter(|_| col > 0);
            if prev.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                return Request::Complete;
            }
            self.buffer_mut().area.insert_str("  ");
            return Request::None;
        }
        self.buffer_mut().area.input(*key);
        Request::None
    }

    fn toggle_split(&mut self) -> Request {
        self.split = self.split.next();
        Request::Say(self.split.label().to_string())
    }

    fn save_request(&mut self) -> Request {
        if self.buffer().path.is_some() {
            Request::Save { tab: self.tab, path: None }
        } else {
            self.prompt = Some(Prompt::SaveAs(String::from("query.sql")));
            Request::None
        }
    }

    fn grid_key(&mut self, key: &KeyEvent) -> Request {
        let cmd = keymap::lookup(Scope::QueryGrid, key);
        let len = self.result.as_ref().map_or(0, |r| r.len());
        let width = self.result.as_ref().map_or(0, |r| r.columns.len());
        if cmd != Some(Command::CloseTab) {
            self.close_armed = false;
        }
        match cmd {
            Some(Command::Editor) => self.focus = Focus::Editor,
            Some(Command::ToggleSplit) => return self.toggle_split(),
            Some(Command::ToggleVim) => return self.toggle_vim(),
            Some(Command::Run) => return Request::Run(RunScope::Statement),
            Some(Command::RunAll) => return Request::Run(RunScope::Buffer),
            Some(Command::Explain) => return Request::Run(RunScope::Explain),
            Some(Command::ExplainAnalyze) => return Request::Run(RunScope::ExplainAnalyze),
            Some(Command::Cancel) => {
                if self.running().is_some() {
                    return Request::Cancel;
                }
                if let Some(r) = &mut self.result {
                    r.anchor = None;
                }
            }
            Some(Command::Down) if len > 0 => self.move_row(1),
            Some(Command::Up) => self.move_row(-1),
            Some(Command::PageDown) => self.move_row(20),
            Some(Command::PageUp) => self.move_row(-20),
            Some(Command::Top) => self.move_row(-(len as i64)),
            Some(Command::Bottom) => self.move_row(len as i64),
            Some(Command::Right) if width > 0 => {
                if let Some(r) = &mut self.result {
                    r.col = (r.col + 1).min(width - 1);
                }
            }
            Some(Command::Left) => {
                if let Some(r) = &mut self.result {
                    r.col = r.col.saturating_sub(1);
                }
            }
            Some(Command::FirstColumn) => {
                if let Some(r) = &mut self.result {
                    r.col = 0;
                }
            }
            Some(Command::LastColumn) => {
                if let Some(r) = &mut self.result {
                    r.col = width.saturating_sub(1);
                }
            }
            Some(Command::Inspect) if len > 0 => self.inspector = true,
            Some(Command::Select) => {
                if let Some(r) = &mut self.result {
                    r.anchor = if r.anchor.is_some() { None } else { Some(r.row) };
                }
            }
            Some(Command::CopyCell) => {
                if let Some(r) = &self.result
                    && len > 0
                {
                    return Request::Copy(r.cell(r.row, r.col).unwrap_or_default());
                }
            }
            Some(Command::CopyRow) => {
                if let Some(r) = &self.result
                    && len > 0
                {
                    let (a, b) = match r.anchor {
                        Some(a) => (a.min(r.row), a.max(r.row)),
                        None => (r.row, r.row),
                    };
                    return Request::Copy(grid::tsv(r, a, b));
                }
            }
            Some(Command::More) => {
                if matches!(self.run, RunState::Paused { .. }) {
                    return Request::More(true);
                }
            }
            Some(Command::Export) if self.result.is_some() => {
                self.prompt = Some(Prompt::Export { format: Format::Csv, path: "result.csv".into() });
            }
            Some(Command::NewTab) => {
                self.tabs.push(Buffer::new("", None));
                self.tab = self.tabs.len() - 1;
                self.focus = Focus::Editor;
            }
            Some(Command::CloseTab) => {
                if self.buffer().dirty() && !self.close_armed {
                    self.close_armed = true;
                } else {
                    self.close_armed = false;
                    self.tabs.remove(self.tab);
                    if self.tabs.is_empty() {
                        self.tabs.push(Buffer::new("", None));
                    }
                    self.tab = self.tab.min(self.tabs.len() - 1);
                }
            }
            Some(Command::NextTab) => self.tab = (self.tab + 1) % self.tabs.len(),
            Some(Command::PrevTab) => self.tab = (self.tab + self.tabs.len() - 1) % self.tabs.len(),
            Some(Command::OpenFile) => self.prompt = Some(Prompt::Open(String::new())),
            Some(Command::Save) => return self.save_request(),
            Some(Command::SaveAs) => {
                let current = self.buffer().path.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
                self.prompt = Some(Prompt::SaveAs(current));
            }
            Some(Command::Find) if len > 0 => self.prompt = Some(Prompt::Find(String::new())),
            Some(Command::FindNext) => return self.find(false),
            Some(Command::FindPrev) => return self.find(true),
            Some(Command::NextSet | Command::PrevSet | Command::Sort)
                if self.browse.is_some() && self.running().is_some() =>
            {
                return Request::Say("a page is being read: wait for it, or Esc cancels".into());
            }
            Some(Command::NextSet) if self.browse.is_some() && self.running().is_none() => return self.browse_next(),
            Some(Command::PrevSet) if self.browse.is_some() && self.running().is_none() => return self.browse_prev(),
            Some(Command::Sort) if self.browse.is_some() && self.running().is_none() => return self.browse_sort(),
            Some(Command::BrowseFilter) if self.browse.is_some() => {
                let current = self.browse.as_ref().and_then(|b| b.spec.filter.clone()).unwrap_or_default();
                self.prompt = Some(Prompt::BrowseFilter(current));
            }
            Some(Command::Sort) if len > 0 => {
                if self.running().is_some() {
                    return Request::Say("sorting waits for the last row: m reads on, Esc stops".into());
                }
                if let Some(r) = &mut self.result {
                    let col = r.col;
                    r.sort_by(col);
                }
            }
            Some(Command::NextSet | Command::PrevSet) if self.set_count() > 1 => {
                let n = self.set_count();
                let i =
                    if cmd == Some(Command::NextSet) { (self.set_index + 1) % n } else { (self.set_index + n - 1) % n };
                if !self.staged.is_empty() {
                    return Request::Say("apply (W) or undo (u) the staged edits before showing another result".into());
                }
                if self.show_set(i) {
                    return Request::ResultSet;
                }
            }
            Some(Command::ChangeCell) if len > 0 && self.editable() => {
                let current = self.result.as_ref().and_then(|r| r.cell(r.row, r.col)).unwrap_or_default();
                self.prompt = Some(Prompt::EditCell(current));
            }
            Some(Command::AddRow) if self.editable() => {
                self.prompt = Some(Prompt::Insert { values: Vec::new(), col: 0, input: String::new() });
            }
            Some(Command::DeleteRow) if len > 0 && self.editable() => {
                if let (Some(r), Some(Ok(t))) = (&self.result, &self.edit) {
                    let key: Vec<Option<String>> = t.key.iter().map(|k| r.cell(r.row, *k)).collect();
                    let change = crate::core::query::edit::Change::Delete { key };
                    // d again on a row staged for deletion takes it back.
                    match self.staged.iter().position(|c| *c == change) {
                        Some(i) => {
                            self.staged.remove(i);
                        }
                        None => self.staged.push(change),
                    }
                }
            }
            Some(Command::UndoEdit) => {
                self.staged.pop();
            }
            Some(Command::PreviewEdits) if !self.staged.is_empty() => self.preview = true,
            Some(Command::ApplyEdits) if !self.staged.is_empty() => return Request::ApplyEdits,
            Some(Command::History) => {
                self.prompt = Some(Prompt::History { filter: String::new(), selected: 0 });
                return Request::History(String::new());
            }
            _ => {}
        }
        Request::None
    }

    /// Moves to the next (or previous) cell matching the last search.
    fn find(&mut self, back: bool) -> Request {
        let Some(needle) = self.last_find.clone().filter(|s| !s.is_empty()) else {
            return Request::Say("no search yet: / searches the results".into());
        };
        match self.result.as_ref().and_then(|r| r.find(&needle, back)) {
            Some((row, col)) => {
                if let Some(r) = &mut self.result {
                    r.row = row;
                    r.col = col;
                }
                Request::None
            }
            None => Request::Say(format!("`{needle}` is not in the results")),
        }
    }

    /// Whether closing the current tab is waiting for a second press.
    pub fn close_armed(&self) -> bool {
        self.close_armed
    }

    fn move_row(&mut self, delta: i64) {
        if let Some(r) = &mut self.result {
            let len = r.len();
            if len == 0 {
                return;
            }
            r.row = (r.row as i64 + delta).clamp(0, len as i64 - 1) as usize;
        }
    }
}

/// The status line's word for a search of the editor that found nothing.
pub(super) fn not_found(needle: &str) -> Request {
    Request::Say(format!("not found in the editor: {}", crate::core::text::one_line(needle)))
}
