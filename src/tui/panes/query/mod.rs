//! The query pane: editor tabs (tui-textarea) over a results grid. Key handling here turns keys into `Request`s;
//! the app turns those into effects (run, cancel, export, files, history). Results stream into a shared row store
//! the grid reads while the query still runs.
pub mod complete;
pub mod editor;
pub mod grid;
pub mod view;

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_textarea::{CursorMove, TextArea};

use crate::core::profile::Engine;
use crate::core::query::export::Format;
use crate::core::query::notices::Notice;
use crate::core::query::{Column, QueryError, Rows, TxnState};
use crate::core::sql::Statement;
use crate::tui::action::JobId;
use crate::tui::keymap::{self, Command, Scope};

/// Rows read before the grid pauses and offers to fetch more.
pub const DEFAULT_ROW_CAP: usize = 10_000;

pub struct Buffer {
    pub area: TextArea<'static>,
    pub path: Option<PathBuf>,
    /// Text when last opened or saved (dirty when different).
    pub saved: String,
    /// First visible line and column of the editor view (kept in view of the cursor while drawing).
    pub top: std::cell::Cell<usize>,
    pub left: std::cell::Cell<usize>,
}

impl Buffer {
    pub fn new(text: &str, path: Option<PathBuf>) -> Buffer {
        let lines: Vec<String> =
            if text.is_empty() { vec![String::new()] } else { text.lines().map(str::to_string).collect() };
        let mut area = TextArea::new(lines);
        area.set_max_histories(200);
        Buffer { area, path, saved: text.to_string(), top: Default::default(), left: Default::default() }
    }
    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }
    pub fn dirty(&self) -> bool {
        self.text().trim_end() != self.saved.trim_end()
    }
    pub fn title(&self) -> String {
        let name = self
            .path
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "untitled".into());
        if self.dirty() { format!("{name}*") } else { name }
    }
    /// Byte offset in `text()` of the cursor.
    pub fn cursor_offset(&self) -> usize {
        let tui_textarea::DataCursor(row, col) = self.area.cursor();
        let lines = self.area.lines();
        let mut off = 0;
        for l in &lines[..row.min(lines.len())] {
            off += l.len() + 1;
        }
        let line = lines.get(row).map(String::as_str).unwrap_or("");
        off + line.char_indices().nth(col).map_or(line.len(), |(b, _)| b)
    }
    /// (row, char column) of a byte offset in `text()`.
    pub fn position_of(&self, offset: usize) -> (usize, usize) {
        let mut rest = offset;
        for (i, l) in self.area.lines().iter().enumerate() {
            if rest <= l.len() {
                return (i, l[..rest.min(l.len())].chars().count());
            }
            rest -= l.len() + 1;
        }
        (self.area.lines().len().saturating_sub(1), 0)
    }
    /// The selected text, with its byte offset.
    pub fn selection(&self) -> Option<(usize, String)> {
        let ((r1, c1), (r2, c2)) = self.area.selection_range()?;
        let lines = self.area.lines();
        let byte = |r: usize, c: usize| {
            let l = &lines[r];
            l.char_indices().nth(c).map_or(l.len(), |(b, _)| b)
        };
        let mut start = 0;
        for l in &lines[..r1] {
            start += l.len() + 1;
        }
        start += byte(r1, c1);
        let mut end = 0;
        for l in &lines[..r2] {
            end += l.len() + 1;
        }
        end += byte(r2, c2);
        let text = self.text();
        let sel = text.get(start..end)?.to_string();
        if sel.trim().is_empty() { None } else { Some((start, sel)) }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Editor,
    Grid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunScope {
    Statement,
    Buffer,
    Explain,
    ExplainAnalyze,
}

/// A one-line prompt over the pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    Open(String),
    SaveAs(String),
    Search(String),
    Export {
        format: Format,
        path: String,
    },
    History {
        filter: String,
        selected: usize,
    },
    /// A new value for the selected cell (Ctrl+N: NULL).
    EditCell(String),
    /// A new row, column by column: values so far, the column asked now, its input.
    Insert {
        values: Vec<(usize, Option<String>)>,
        col: usize,
        input: String,
    },
}

impl Prompt {
    pub fn label(&self) -> &'static str {
        match self {
            Prompt::Open(_) => "open file",
            Prompt::SaveAs(_) => "save as",
            Prompt::Search(_) => "search",
            Prompt::Export { .. } => "export to",
            Prompt::History { .. } => "history filter",
            Prompt::EditCell(_) => "new value (Ctrl+N: NULL)",
            Prompt::Insert { .. } => "new row",
        }
    }
    fn input(&mut self) -> &mut String {
        match self {
            Prompt::Open(s) | Prompt::SaveAs(s) | Prompt::Search(s) | Prompt::EditCell(s) => s,
            Prompt::Insert { input, .. } => input,
            Prompt::Export { path, .. } => path,
            Prompt::History { filter, .. } => filter,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum RunState {
    Idle,
    Running {
        job: JobId,
        started: Instant,
        index: usize,
        total: usize,
    },
    /// The row cap was reached; the server waits.
    Paused {
        job: JobId,
    },
}

/// The result of the last row-returning statement.
pub struct ResultView {
    pub columns: Vec<Column>,
    pub rows: Arc<RwLock<Rows>>,
    pub widths: Vec<u16>,
    /// Rows the widths were measured on.
    pub measured: usize,
    pub row: usize,
    pub col: usize,
    /// First row and column on screen (kept around the selected cell while drawing).
    pub top: std::cell::Cell<usize>,
    pub left: std::cell::Cell<usize>,
    /// Row selection anchor (`v`).
    pub anchor: Option<usize>,
    pub explain: bool,
}

impl ResultView {
    pub fn new(columns: Vec<Column>, rows: Arc<RwLock<Rows>>) -> ResultView {
        let widths = columns.iter().map(|c| (c.name.chars().count() as u16).clamp(4, 40)).collect();
        ResultView {
            columns,
            rows,
            widths,
            measured: 0,
            row: 0,
            col: 0,
            top: Default::default(),
            left: Default::default(),
            anchor: None,
            explain: false,
        }
    }
    pub fn len(&self) -> usize {
        self.rows.read().map(|r| r.len()).unwrap_or(0)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Widens columns to fit rows not measured yet (the first 1,000 rows decide; later ones scroll).
    pub fn measure(&mut self) {
        let Ok(rows) = self.rows.read() else { return };
        let upto = rows.len().min(1000);
        // Plans are read line by line: their column may be as wide as the screen.
        let cap = if self.explain { 400 } else { 40 };
        for r in self.measured..upto {
            for (c, w) in self.widths.iter_mut().enumerate() {
                let n = rows.get(r, c).map_or(4, |s| s.lines().next().unwrap_or("").chars().count().min(400)) as u16;
                *w = (*w).max(n.min(cap));
            }
        }
        self.measured = upto;
    }
    pub fn cell(&self, row: usize, col: usize) -> Option<String> {
        self.rows.read().ok().and_then(|r| r.get(row, col).map(str::to_string))
    }
}

/// What the last run reported, for the status line.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub verb: String,
    pub rows: u64,
    pub affected: u64,
    pub elapsed: Duration,
    pub statements: usize,
    pub stopped: bool,
}

#[derive(Debug, Clone)]
pub struct ErrorView {
    pub error: QueryError,
    /// Where in the editor (tab, row, char column) the server says the error is.
    pub at: Option<(usize, usize, usize)>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub items: Vec<complete::Item>,
    pub selected: usize,
    /// Characters of the word already typed.
    pub typed: usize,
}

/// What a key asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    None,
    Run(RunScope),
    Cancel,
    More(bool),
    Export {
        format: Format,
        path: String,
    },
    Copy(String),
    Open(String),
    Save {
        tab: usize,
        path: Option<String>,
    },
    History(String),
    Complete,
    Pane(usize),
    /// Apply the staged edits (asks first).
    ApplyEdits,
}

pub struct QueryPane {
    pub tabs: Vec<Buffer>,
    pub tab: usize,
    pub focus: Focus,
    pub run: RunState,
    pub result: Option<ResultView>,
    pub summary: Option<Summary>,
    pub notices: Vec<Notice>,
    pub error: Option<ErrorView>,
    pub txn: TxnState,
    pub completion: Option<Completion>,
    pub inspector: bool,
    pub prompt: Option<Prompt>,
    pub history: Vec<crate::core::store::HistoryEntry>,
    pub cap: usize,
    /// Set when `w` on a dirty tab was pressed once.
    close_armed: bool,
    /// The job applying staged edits.
    pub applying: Option<JobId>,
    /// Why the last edit key was refused (shown once).
    pub edit_refusal: Option<String>,
    /// The running statements (for error positions).
    pub run_statements: Vec<Statement>,
    /// Characters an EXPLAIN prefix added before the user's statement.
    pub explain_prefix: usize,
    pub explain: bool,
    /// Whether (and where) the result can be edited, or why not.
    pub edit: Option<Result<crate::core::query::edit::Target, String>>,
    /// Edits staged on the result, in order.
    pub staged: Vec<crate::core::query::edit::Change>,
    /// The staged edits' SQL is shown.
    pub preview: bool,
    /// The table the last statement reads (schema, name): the target of SQL INSERT exports.
    pub source_table: Option<(Option<String>, String)>,
}

impl Default for QueryPane {
    fn default() -> Self {
        QueryPane {
            tabs: vec![Buffer::new("", None)],
            tab: 0,
            focus: Focus::Editor,
            run: RunState::Idle,
            result: None,
            summary: None,
            notices: Vec::new(),
            error: None,
            txn: TxnState::Idle,
            completion: None,
            inspector: false,
            prompt: None,
            history: Vec::new(),
            cap: DEFAULT_ROW_CAP,
            close_armed: false,
            edit_refusal: None,
            applying: None,
            run_statements: Vec::new(),
            explain_prefix: 0,
            explain: false,
            edit: None,
            staged: Vec::new(),
            preview: false,
            source_table: None,
        }
    }
}

impl QueryPane {
    pub fn buffer(&self) -> &Buffer {
        &self.tabs[self.tab]
    }
    pub fn buffer_mut(&mut self) -> &mut Buffer {
        &mut self.tabs[self.tab]
    }

    /// Keys go to the pane before the global bindings (typing `q` or `1` in the editor is text).
    pub fn captures_keys(&self) -> bool {
        self.focus == Focus::Editor || self.prompt.is_some() || self.inspector || self.preview
    }

    pub fn running(&self) -> Option<JobId> {
        match self.run {
            RunState::Running { job, .. } | RunState::Paused { job } => Some(job),
            RunState::Idle => None,
        }
    }

    /// Puts `sql` in the editor: into the current tab when it is empty, else into a new tab.
    pub fn open_text(&mut self, sql: &str, path: Option<PathBuf>) {
        if self.buffer().text().trim().is_empty() && self.buffer().path.is_none() {
            self.tabs[self.tab] = Buffer::new(sql, path);
        } else {
            self.tabs.push(Buffer::new(sql, path));
            self.tab = self.tabs.len() - 1;
        }
        if let Some(b) = self.tabs.get_mut(self.tab) {
            b.saved = if b.path.is_some() { sql.to_string() } else { String::new() };
            b.area.move_cursor(CursorMove::Bottom);
            b.area.move_cursor(CursorMove::End);
        }
        self.focus = Focus::Editor;
    }

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
                        self.search(&s);
                        Request::None
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

    /// The edit prompts' Enter (or Ctrl+N for NULL): stage the cell change, or take the insert's next column.
    fn edit_value(&mut self, value: Option<String>) {
        use crate::core::query::edit::Change;
        let Some(p) = self.prompt.take() else { return };
        let Some(r) = &self.result else { return };
        let Some(Ok(t)) = &self.edit else { return };
        match p {
            Prompt::EditCell(_) => {
                let key = t.key.iter().map(|k| r.cell(r.row, *k)).collect();
                let (col, n) = (r.col, value.as_deref().map_or(4, |v| v.chars().count()) as u16);
                self.staged.push(Change::Update { key, column: col, value });
                if let Some(r) = &mut self.result
                    && let Some(w) = r.widths.get_mut(col)
                {
                    *w = (*w).max(n.min(40));
                }
            }
            Prompt::Insert { mut values, col, .. } => {
                // An empty entry leaves the column to its default.
                if value.as_deref() != Some("") {
                    values.push((col, value));
                }
                if col + 1 < r.columns.len() {
                    self.prompt = Some(Prompt::Insert { values, col: col + 1, input: String::new() });
                } else {
                    self.staged.push(Change::Insert { values });
                }
            }
            other => self.prompt = Some(other),
        }
    }

    /// The staged value of a cell, if an update is staged for it: Some(None) is NULL.
    pub fn staged_cell(&self, row: usize, col: usize) -> Option<Option<String>> {
        use crate::core::query::edit::Change;
        let (Some(r), Some(Ok(t))) = (&self.result, &self.edit) else { return None };
        if self.staged.is_empty() {
            return None;
        }
        let key: Vec<Option<String>> = t.key.iter().map(|k| r.cell(row, *k)).collect();
        self.staged.iter().rev().find_map(|c| match c {
            Change::Update { key: k, column, value } if *column == col && *k == key => Some(value.clone()),
            _ => None,
        })
    }

    pub fn staged_delete(&self, row: usize) -> bool {
        use crate::core::query::edit::Change;
        let (Some(r), Some(Ok(t))) = (&self.result, &self.edit) else { return false };
        if self.staged.is_empty() {
            return false;
        }
        let key: Vec<Option<String>> = t.key.iter().map(|k| r.cell(row, *k)).collect();
        self.staged.iter().any(|c| matches!(c, Change::Delete { key: k } if *k == key))
    }

    fn editable(&mut self) -> bool {
        match &self.edit {
            Some(Ok(_)) if self.running().is_none() => true,
            Some(Err(why)) => {
                self.edit_refusal = Some(why.clone());
                false
            }
            _ => false,
        }
    }

    fn prompt_changed(&mut self) -> Request {
        match &self.prompt {
            Some(Prompt::History { filter, .. }) => Request::History(filter.clone()),
            _ => Request::None,
        }
    }

    /// Moves the cursor to the next match of `needle` (any case), wrapping around.
    pub fn search(&mut self, needle: &str) -> bool {
        if needle.is_empty() {
            return false;
        }
        let n = needle.to_lowercase();
        let b = self.buffer_mut();
        let tui_textarea::DataCursor(row, col) = b.area.cursor();
        let lines: Vec<String> = b.area.lines().iter().map(|l| l.to_lowercase()).collect();
        let total = lines.len();
        for k in 0..=total {
            let r = (row + k) % total.max(1);
            let line = &lines[r];
            let from = if k == 0 { line.char_indices().nth(col + 1).map_or(line.len(), |(i, _)| i) } else { 0 };
            if let Some(pos) = line.get(from..).and_then(|s| s.find(&n)) {
                let c = line[..from + pos].chars().count();
                b.area.move_cursor(CursorMove::Jump(r as u16, c as u16));
                return true;
            }
        }
        false
    }

    fn editor_key(&mut self, key: &KeyEvent) -> Request {
        if let Some(c) = &mut self.completion {
            match key.code {
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
        match keymap::lookup(Scope::QueryEditor, key) {
            Some(Command::Run) => return Request::Run(RunScope::Statement),
            Some(Command::RunAll) => return Request::Run(RunScope::Buffer),
            Some(Command::Explain) => return Request::Run(RunScope::Explain),
            Some(Command::ExplainAnalyze) => return Request::Run(RunScope::ExplainAnalyze),
            Some(Command::Complete) => return Request::Complete,
            Some(Command::Save) => return self.save_request(),
            Some(Command::SearchNext) => {
                if let Some(Prompt::Search(s)) = &self.prompt {
                    let s = s.clone();
                    self.search(&s);
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
            Some(Command::Filter) => self.prompt = Some(Prompt::Search(String::new())),
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

    /// The statements a run covers: the selection, the statement under the cursor, or the whole buffer; each
    /// with its offset in the buffer text.
    pub fn statements(&self, scope: RunScope, engine: Engine) -> Vec<Statement> {
        let b = self.buffer();
        let text = b.text();
        if let Some((start, sel)) = b.selection() {
            return crate::core::sql::split(&sel, engine)
                .into_iter()
                .map(|mut s| {
                    s.offset += start;
                    s.line += text[..start].matches('\n').count();
                    s
                })
                .collect();
        }
        let all = crate::core::sql::split(&text, engine);
        if scope == RunScope::Buffer {
            return all;
        }
        let cur = b.cursor_offset();
        // The statement the cursor is in, or the last one that starts before it.
        let pick = all.iter().rev().find(|s| s.offset <= cur).or_else(|| all.first()).cloned();
        pick.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn statement_under_the_cursor_and_selection() {
        let mut p = QueryPane::default();
        p.open_text("select 1;\nselect 'a;b'\n  from t;\nselect 3", None);
        p.buffer_mut().area.move_cursor(CursorMove::Jump(2, 3));
        let s = p.statements(RunScope::Statement, Engine::Postgres);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].text, "select 'a;b'\n  from t");
        assert_eq!(s[0].line, 2);
        assert_eq!(p.statements(RunScope::Buffer, Engine::Postgres).len(), 3);
        assert_eq!(p.buffer().position_of(s[0].offset), (1, 0));
        // Typing `q` in the editor is text, not quit.
        p.buffer_mut().area.move_cursor(CursorMove::Bottom);
        p.buffer_mut().area.move_cursor(CursorMove::End);
        p.handle_key(&key(KeyCode::Char('q')));
        assert!(p.buffer().text().ends_with("select 3q"));
        assert!(p.captures_keys());
        p.handle_key(&key(KeyCode::Esc));
        assert_eq!(p.focus, Focus::Grid);
        assert!(!p.captures_keys());
    }

    #[test]
    fn search_wraps() {
        let mut p = QueryPane::default();
        p.open_text("select a\nfrom T\nwhere t.x", None);
        p.buffer_mut().area.move_cursor(CursorMove::Jump(0, 0));
        assert!(p.search("t"));
        assert_eq!(p.buffer().area.cursor(), (0, 5));
        assert!(p.search("from t"));
        assert_eq!(p.buffer().area.cursor(), (1, 0));
        assert!(!p.search("nothing"));
    }
}
