//! The query pane: editor tabs (tui-textarea) over a results grid. Key handling here turns keys into `Request`s;
//! the app turns those into effects (run, cancel, export, files, history). Results stream into a shared row store
//! the grid reads while the query still runs.
pub use crate::core::sql::complete;
mod browse;
pub mod editor;
mod edits;
pub mod grid;
mod keys;
mod mouse;
pub mod result;
mod search;
pub mod split;
pub mod vim;
pub use mouse::Click;
pub mod view;

use std::path::PathBuf;
use std::time::{Duration, Instant};

#[cfg(test)]
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_textarea::CursorMove;

use crate::core::profile::Engine;
use crate::core::query::export::Format;
use crate::core::query::notices::Notice;
use crate::core::query::{QueryError, TxnState};
use crate::core::sql::Statement;
use crate::tui::action::JobId;
pub use browse::BrowseState;
pub use editor::Buffer;
pub use result::ResultView;

/// Rows read before the grid pauses and offers to fetch more.
pub const DEFAULT_ROW_CAP: usize = 10_000;

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
    /// Search in the result grid.
    Find(String),
    /// The table browser's filter (a WHERE condition).
    BrowseFilter(String),
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
            Prompt::Search(_) => "search the editor",
            Prompt::Find(_) => "find in the results",
            Prompt::BrowseFilter(_) => "filter rows where (empty: all)",
            Prompt::Export { .. } => "export to",
            Prompt::History { .. } => "history filter",
            Prompt::EditCell(_) => "new value (Ctrl+N: NULL)",
            Prompt::Insert { .. } => "new row",
        }
    }
    fn input(&mut self) -> &mut String {
        match self {
            Prompt::Open(s)
            | Prompt::SaveAs(s)
            | Prompt::Search(s)
            | Prompt::Find(s)
            | Prompt::BrowseFilter(s)
            | Prompt::EditCell(s) => s,
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
    /// Another result set is shown (the app works out whether it can be edited).
    ResultSet,
    /// A message for the status line.
    Say(String),
    /// Run the table browser's current page.
    BrowseRun,
    /// Open the command palette (Ctrl-P in the editor).
    Palette,
    /// Vim's `:`: the palette, reading `:w`, `:q`, `:N` as vim's commands.
    Ex,
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
    /// A statement of the current run changed the schema (the catalog is read again when the run ends).
    pub schema_changed: bool,
    /// The run's other result sets (the shown one is `result`, at `set_index` among them all).
    pub sets: Vec<ResultView>,
    pub set_index: usize,
    /// This dbconsole keeps the editor tabs for the next start (false: another one open at the same time does, so
    /// quitting asks about untitled text too).
    pub drafts_kept: bool,
    /// The table being browsed, when the result is its page.
    pub browse: Option<BrowseState>,
    /// The last search in the grid (`n`/`N` repeat it).
    pub last_find: Option<String>,
    /// The status message a failed statement left (cleared when a later one runs or succeeds).
    pub failed_message: Option<String>,
    /// How the editor and the results share the height; where they were drawn (for clicks and drags).
    pub split: split::Split,
    pub editor_area: std::cell::Cell<ratatui::layout::Rect>,
    pub grid_area: std::cell::Cell<ratatui::layout::Rect>,
    /// Vim mode (None: off) and the editor's last search (`/`, Ctrl-F; n, N, F3 repeat it).
    pub vim: Option<vim::Vim>,
    pub last_search: Option<String>,
    /// The last search went forward (`/`, Ctrl-F) or back (vim's `?`).
    pub search_forward: bool,
}

impl QueryPane {
    /// Inserts pasted text into the editor as it is (a tab stays a tab; no completion, no commands).
    pub fn paste(&mut self, text: &str) {
        self.focus = Focus::Editor;
        self.completion = None;
        if let Some(b) = self.tabs.get_mut(self.tab) {
            b.area.insert_str(text.replace("\r\n", "\n").replace('\r', "\n"));
        }
    }

    /// Forgets what belongs to the previous profile (results, errors, edits, the transaction badge, history);
    /// the editor tabs stay.
    pub fn reset_for_profile(&mut self) {
        let tabs = std::mem::take(&mut self.tabs);
        let (tab, cap, drafts_kept, split) = (self.tab, self.cap, self.drafts_kept, self.split);
        let vim = self.vim.take().map(|_| vim::Vim::default());
        *self = QueryPane { tabs, tab, cap, drafts_kept, split, vim, ..QueryPane::default() };
    }
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
            schema_changed: false,
            edit_refusal: None,
            applying: None,
            run_statements: Vec::new(),
            explain_prefix: 0,
            explain: false,
            edit: None,
            staged: Vec::new(),
            preview: false,
            source_table: None,
            failed_message: None,
            sets: Vec::new(),
            set_index: 0,
            last_find: None,
            browse: None,
            drafts_kept: true,
            split: split::Split::Auto,
            editor_area: Default::default(),
            grid_area: Default::default(),
            vim: None,
            last_search: None,
            search_forward: true,
        }
    }
}

impl QueryPane {
    /// The tabs as drafts to keep until the next start.
    pub fn drafts(&self) -> crate::core::drafts::Drafts {
        let tabs = self
            .tabs
            .iter()
            .map(|b| {
                let tui_textarea::DataCursor(row, col) = b.area.cursor();
                crate::core::drafts::Draft { path: b.path.clone(), text: b.text(), row, col }
            })
            .collect();
        crate::core::drafts::Drafts { active: self.tab, tabs }
    }

    /// Puts back the tabs of the last run. A tab with a file compares its text with the file as it is now, so a
    /// change not saved then still shows as unsaved.
    pub fn restore(&mut self, drafts: crate::core::drafts::Drafts) {
        let tabs: Vec<Buffer> = drafts
            .tabs
            .into_iter()
            .map(|d| {
                let mut b = Buffer::new(&d.text, d.path.clone());
                b.saved = d.path.as_deref().and_then(|p| crate::core::fsutil::read_regular(p).ok()).unwrap_or_default();
                b.area.move_cursor(CursorMove::Jump(
                    u16::try_from(d.row).unwrap_or(u16::MAX),
                    u16::try_from(d.col).unwrap_or(u16::MAX),
                ));
                b
            })
            .collect();
        if !tabs.is_empty() {
            self.tab = drafts.active.min(tabs.len() - 1);
            self.tabs = tabs;
        }
    }

    /// Tabs whose text differs from their file; untitled tabs with text too when the drafts are not kept.
    pub fn unsaved_files(&self) -> Vec<String> {
        self.tabs
            .iter()
            .filter(|b| b.dirty() && (b.path.is_some() || !self.drafts_kept))
            .map(|b| b.title().trim_end_matches('*').to_string())
            .collect()
    }

    /// How many result sets the last run returned.
    pub fn set_count(&self) -> usize {
        self.sets.len() + usize::from(self.result.is_some())
    }

    /// A new result set of the running statement: shown at once; the one shown before joins the others.
    pub fn push_result(&mut self, v: ResultView) {
        if let Some(prev) = self.result.take() {
            let at = self.set_index.min(self.sets.len());
            self.sets.insert(at, prev);
        }
        self.set_index = self.sets.len();
        self.result = Some(v);
    }

    /// Shows result set `i` (0-based). Refused (false) while edits are staged on the shown one.
    pub fn show_set(&mut self, i: usize) -> bool {
        if !self.staged.is_empty() || i >= self.set_count() || i == self.set_index {
            return false;
        }
        if let Some(cur) = self.result.take() {
            let at = self.set_index.min(self.sets.len());
            self.sets.insert(at, cur);
        }
        self.result = Some(self.sets.remove(i));
        self.set_index = i;
        self.edit = None;
        true
    }

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

    /// The statements a run covers: the selection, the statement under the cursor, or the whole buffer; each
    /// with its offset in the buffer text.
    pub fn statements(&self, scope: RunScope, engine: Engine) -> Vec<Statement> {
        let b = self.buffer();
        let text = b.text();
        if let Some((start, sel)) = b.selection(self.vim.as_ref()) {
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
