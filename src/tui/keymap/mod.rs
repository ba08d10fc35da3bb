//! Key bindings: one table, scoped per pane. Help and hints are generated from it, so they never drift.
//! Every binding uses keys every terminal sends (no Ctrl+Enter, nothing tmux swallows by default).
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Profiles,
    Form,
    Dialog,
    Schema,
    Migrations,
    Sync,
    QueryEditor,
    QueryGrid,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Everywhere",
            Scope::Profiles => "Profiles pane",
            Scope::Form => "Profile form",
            Scope::Dialog => "Dialogs",
            Scope::Schema => "Schema pane",
            Scope::Migrations => "Migrations pane",
            Scope::Sync => "Sync pane",
            Scope::QueryEditor => "Query editor (typing goes to the editor)",
            Scope::QueryGrid => "Query results (after Esc)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Quit,
    /// The next built-in theme, live.
    NextTheme,
    Help,
    NextPane,
    PrevPane,
    GoPane(usize),
    Up,
    Down,
    Connect,
    Test,
    Add,
    Edit,
    Duplicate,
    Delete,
    Import,
    Reload,
    Save,
    Cancel,
    NextField,
    PrevField,
    CycleNext,
    CyclePrev,
    Confirm,
    Deny,
    Expand,
    Collapse,
    Filter,
    ShowColumns,
    ShowIndexes,
    ShowForeignKeys,
    ShowDdl,
    CountRows,
    CancelJob,
    Refresh,
    SelectQuery,
    PageUp,
    PageDown,
    Top,
    Bottom,
    DetailDown,
    DetailUp,
    Apply,
    ApplyTo,
    Messages,
    DryRun,
    Revert,
    Diff,
    Run,
    RunAll,
    Explain,
    ExplainAnalyze,
    Complete,
    SearchNext,
    Editor,
    Right,
    Left,
    FirstColumn,
    LastColumn,
    Inspect,
    Select,
    Pause,
    Background,
    Conflicts,
    TakeSource,
    TakeTarget,
    CopyCell,
    CopyRow,
    More,
    Export,
    NewTab,
    CloseTab,
    NextTab,
    PrevTab,
    OpenFile,
    SaveAs,
    History,
    ChangeCell,
    AddRow,
    DeleteRow,
    UndoEdit,
    PreviewEdits,
    ApplyEdits,
    Transfer,
    Verify,
    Find,
    FindNext,
    FindPrev,
    Sort,
    NextSet,
    PrevSet,
    Browse,
    BrowseFilter,
    /// The command palette.
    Palette,
    /// The query pane's editor/results split: results large, editor large, automatic.
    ToggleSplit,
    /// The query editor's vim mode on or off.
    ToggleVim,
}

#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub scope: Scope,
    pub code: KeyCode,
    pub mods: KeyModifiers,
    pub command: Command,
    pub desc: &'static str,
}

const fn b(scope: Scope, code: KeyCode, command: Command, desc: &'static str) -> Binding {
    Binding { scope, code, mods: KeyModifiers::NONE, command, desc }
}

const fn ctrl(scope: Scope, c: char, command: Command, desc: &'static str) -> Binding {
    Binding { scope, code: KeyCode::Char(c), mods: KeyModifiers::CONTROL, command, desc }
}

use Command as C;
use KeyCode as K;
use Scope as S;

pub const BINDINGS: &[Binding] = &[
    b(S::Global, K::Char('q'), C::Quit, "quit"),
    ctrl(S::Global, 'c', C::Quit, "quit (also inside forms)"),
    b(S::Global, K::Char('?'), C::Help, "show or hide this help"),
    b(S::Global, K::Char('L'), C::Messages, "the last messages, with their time"),
    ctrl(S::Global, 't', C::NextTheme, "switch theme: dark, light, high-contrast, mono"),
    ctrl(S::Global, 'p', C::Palette, "command palette: actions, profiles, tables, recent SQL"),
    b(S::Global, K::Char(':'), C::Palette, "command palette"),
    b(S::Global, K::F(1), C::Help, "help (also inside the query editor)"),
    b(S::Global, K::Tab, C::NextPane, "next pane"),
    b(S::Global, K::BackTab, C::PrevPane, "previous pane"),
    b(S::Global, K::Char('1'), C::GoPane(0), "profiles pane"),
    b(S::Global, K::Char('2'), C::GoPane(1), "schema pane"),
    b(S::Global, K::Char('3'), C::GoPane(2), "migrations pane"),
    b(S::Global, K::Char('4'), C::GoPane(3), "sync pane"),
    b(S::Global, K::Char('5'), C::GoPane(4), "query pane"),
    b(S::Profiles, K::Down, C::Down, "next profile"),
    b(S::Profiles, K::Char('j'), C::Down, "next profile"),
    b(S::Profiles, K::Up, C::Up, "previous profile"),
    b(S::Profiles, K::Char('k'), C::Up, "previous profile"),
    b(S::Profiles, K::Enter, C::Connect, "connect: make it the active profile"),
    b(S::Profiles, K::Char('t'), C::Test, "test the connection, step by step"),
    b(S::Profiles, K::Char('a'), C::Add, "add a profile"),
    b(S::Profiles, K::Char('e'), C::Edit, "edit the profile"),
    b(S::Profiles, K::Char('c'), C::Duplicate, "duplicate (copy) the profile"),
    b(S::Profiles, K::Char('d'), C::Delete, "delete the profile (asks first)"),
    b(S::Profiles, K::Delete, C::Delete, "delete the profile (asks first)"),
    b(S::Profiles, K::Char('i'), C::Import, "import from DATABASE_URL, PG*, pg_service.conf, ~/.my.cnf"),
    b(S::Profiles, K::Char('r'), C::Reload, "reload the profiles file"),
    b(S::Form, K::Tab, C::NextField, "next field"),
    b(S::Form, K::Down, C::NextField, "next field"),
    b(S::Form, K::BackTab, C::PrevField, "previous field"),
    b(S::Form, K::Up, C::PrevField, "previous field"),
    b(S::Form, K::Right, C::CycleNext, "next choice (engine, environment, …)"),
    b(S::Form, K::Left, C::CyclePrev, "previous choice"),
    b(S::Form, K::F(2), C::Save, "save the profile"),
    ctrl(S::Form, 's', C::Save, "save the profile"),
    b(S::Form, K::Enter, C::Save, "save (on the last field; elsewhere: next field)"),
    b(S::Form, K::Esc, C::Cancel, "close the form without saving"),
    b(S::Schema, K::Down, C::Down, "next row"),
    b(S::Schema, K::Char('j'), C::Down, "next row"),
    b(S::Schema, K::Up, C::Up, "previous row"),
    b(S::Schema, K::Char('k'), C::Up, "previous row"),
    b(S::Schema, K::Right, C::Expand, "expand"),
    b(S::Schema, K::Char('l'), C::Expand, "expand"),
    b(S::Schema, K::Enter, C::Browse, "browse the table's rows (on a schema: expand or collapse)"),
    b(S::Schema, K::Char('b'), C::Browse, "browse the table's rows: pages by primary key, f filter, O sort, editable"),
    b(S::Schema, K::Left, C::Collapse, "collapse / go to parent"),
    b(S::Schema, K::Char('h'), C::Collapse, "collapse / go to parent"),
    b(S::Schema, K::PageDown, C::PageDown, "page down"),
    b(S::Schema, K::PageUp, C::PageUp, "page up"),
    b(S::Schema, K::Char('g'), C::Top, "first row"),
    b(S::Schema, K::Char('G'), C::Bottom, "last row"),
    b(S::Schema, K::Char(']'), C::DetailDown, "scroll the details down"),
    b(S::Schema, K::Char('['), C::DetailUp, "scroll the details up"),
    b(S::Schema, K::Char('/'), C::Filter, "filter tables (fuzzy); Enter keeps, Esc clears"),
    b(S::Schema, K::Char('c'), C::ShowColumns, "details: columns"),
    b(S::Schema, K::Char('i'), C::ShowIndexes, "details: keys, indexes, checks, triggers"),
    b(S::Schema, K::Char('f'), C::ShowForeignKeys, "details: foreign keys, both directions"),
    b(S::Schema, K::Char('d'), C::ShowDdl, "details: generated DDL"),
    b(S::Schema, K::Char('n'), C::CountRows, "exact row count (Esc cancels)"),
    b(S::Schema, K::Esc, C::CancelJob, "cancel the row count"),
    b(S::Schema, K::Char('r'), C::Refresh, "reload the catalog"),
    b(S::Schema, K::Char('s'), C::SelectQuery, "open the query editor on SELECT … LIMIT 100"),
    b(S::Migrations, K::Down, C::Down, "next migration"),
    b(S::Migrations, K::Char('j'), C::Down, "next migration"),
    b(S::Migrations, K::Up, C::Up, "previous migration"),
    b(S::Migrations, K::Char('k'), C::Up, "previous migration"),
    b(S::Migrations, K::Char('g'), C::Top, "first migration"),
    b(S::Migrations, K::Char('G'), C::Bottom, "last migration"),
    b(S::Migrations, K::Char(']'), C::DetailDown, "scroll the SQL down"),
    b(S::Migrations, K::Char('['), C::DetailUp, "scroll the SQL up"),
    b(S::Migrations, K::Char('r'), C::Refresh, "plan: read the folder, the applied state, and lint"),
    b(S::Migrations, K::Char('d'), C::DryRun, "dry run (rolled back; MySQL: statements prepared)"),
    b(S::Migrations, K::Char('a'), C::Apply, "apply the pending migrations (asks first)"),
    b(S::Migrations, K::Char('A'), C::ApplyTo, "apply the pending migrations up to the selected one (asks first)"),
    b(S::Migrations, K::Char('u'), C::Revert, "revert the last applied migration (asks first)"),
    b(
        S::Migrations,
        K::Char('D'),
        C::Diff,
        "diff: write the migration that gives this database another profile's schema",
    ),
    b(S::Migrations, K::Char('T'), C::Transfer, "transfer: move this database's tables and data to another profile"),
    b(S::Migrations, K::Char('v'), C::Verify, "transfer: verify counts and checksums on both sides"),
    b(S::Migrations, K::Enter, C::Confirm, "in a chooser: use this profile"),
    b(S::Sync, K::Down, C::Down, "next link (in the conflict queue: next conflict)"),
    b(S::Sync, K::Char('j'), C::Down, "next link"),
    b(S::Sync, K::Up, C::Up, "previous link"),
    b(S::Sync, K::Char('k'), C::Up, "previous link"),
    b(S::Sync, K::Char('a'), C::Add, "add a link: profiles, direction, policy; shows what it creates, then asks"),
    b(S::Sync, K::Char('p'), C::Pause, "pause or resume the link (resume also restarts paused tables)"),
    b(S::Sync, K::Char('o'), C::Run, "run once: catch up now"),
    b(S::Sync, K::Char('b'), C::Background, "run the link in the background while dbconsole is open (again: stop)"),
    b(S::Sync, K::Char('c'), C::Conflicts, "the conflict queue: both versions and the base, side by side"),
    b(S::Sync, K::Char('s'), C::TakeSource, "in the conflict queue: take the source's row"),
    b(S::Sync, K::Char('t'), C::TakeTarget, "in the conflict queue: take the target's row"),
    b(S::Sync, K::Char('x'), C::Delete, "remove the link: triggers, change log, positions (asks first)"),
    b(S::Sync, K::Char('r'), C::Refresh, "read the status again"),
    b(S::Sync, K::Char(' '), C::Select, "adding a link: one-way / two-way; in what it creates: take a table or not"),
    b(S::Sync, K::PageDown, C::PageDown, "adding a link: scroll what it creates"),
    b(S::Sync, K::PageUp, C::PageUp, "adding a link: scroll back"),
    b(S::Sync, K::Right, C::CycleNext, "adding a link: next conflict policy"),
    b(S::Sync, K::Left, C::CyclePrev, "adding a link: previous conflict policy"),
    b(S::Sync, K::Enter, C::Confirm, "choose; go on; create the link shown (or plan again for the tables chosen)"),
    b(S::Sync, K::Esc, C::Cancel, "close the conflict queue or the new link"),
    b(S::Migrations, K::Esc, C::Cancel, "close the chooser or the transfer view; stop a running migration or transfer"),
    b(S::QueryEditor, K::F(5), C::Run, "run the statement under the cursor (or the selection)"),
    ctrl(S::QueryEditor, 'g', C::Run, "run the statement under the cursor (or the selection)"),
    b(S::QueryEditor, K::F(6), C::RunAll, "run the whole buffer, statement by statement"),
    b(S::QueryEditor, K::F(7), C::Explain, "EXPLAIN the statement"),
    b(S::QueryEditor, K::F(8), C::ExplainAnalyze, "EXPLAIN ANALYZE the statement (runs it)"),
    ctrl(S::QueryEditor, ' ', C::Complete, "complete keyword, table, column or alias (also Tab after a word)"),
    ctrl(S::QueryEditor, 's', C::Save, "save the buffer to its file"),
    ctrl(S::QueryEditor, 'f', C::Filter, "search the editor (F3: next match)"),
    b(S::QueryEditor, K::F(3), C::SearchNext, "next match of the last search"),
    ctrl(S::QueryEditor, 'p', C::Palette, "command palette (the editor keeps the other global keys as text)"),
    ctrl(S::QueryEditor, 'o', C::ToggleSplit, "editor/results: results large, editor large, automatic"),
    b(S::QueryEditor, K::Esc, C::Cancel, "cancel the running query; else go to the results (pane keys work there)"),
    b(S::QueryGrid, K::Char('i'), C::Editor, "back to the editor"),
    b(S::QueryGrid, K::Char('V'), C::ToggleVim, "vim mode in the editor on or off (settings.toml: vim = true)"),
    b(S::QueryGrid, K::Char('z'), C::ToggleSplit, "editor/results: results large, editor large, automatic"),
    b(S::QueryGrid, K::F(5), C::Run, "run the statement under the cursor"),
    b(S::QueryGrid, K::F(6), C::RunAll, "run the whole buffer"),
    b(S::QueryGrid, K::F(7), C::Explain, "EXPLAIN the statement"),
    b(S::QueryGrid, K::F(8), C::ExplainAnalyze, "EXPLAIN ANALYZE the statement"),
    // The same without function keys (laptops without fn, mobile SSH clients): Esc, then a letter.
    b(S::QueryGrid, K::Char('r'), C::Run, "run the statement under the cursor (as F5)"),
    b(S::QueryGrid, K::Char('R'), C::RunAll, "run the whole buffer (as F6)"),
    b(S::QueryGrid, K::Char('e'), C::Explain, "EXPLAIN the statement (as F7)"),
    b(S::QueryGrid, K::Char('E'), C::ExplainAnalyze, "EXPLAIN ANALYZE the statement (as F8)"),
    b(S::QueryGrid, K::Esc, C::Cancel, "cancel the running query / clear the selection"),
    b(S::QueryGrid, K::Down, C::Down, "next row"),
    b(S::QueryGrid, K::Char('j'), C::Down, "next row"),
    b(S::QueryGrid, K::Up, C::Up, "previous row"),
    b(S::QueryGrid, K::Char('k'), C::Up, "previous row"),
    b(S::QueryGrid, K::Right, C::Right, "next column"),
    b(S::QueryGrid, K::Char('l'), C::Right, "next column"),
    b(S::QueryGrid, K::Left, C::Left, "previous column"),
    b(S::QueryGrid, K::Char('h'), C::Left, "previous column"),
    b(S::QueryGrid, K::PageDown, C::PageDown, "page down"),
    b(S::QueryGrid, K::PageUp, C::PageUp, "page up"),
    b(S::QueryGrid, K::Char('g'), C::Top, "first row"),
    b(S::QueryGrid, K::Char('G'), C::Bottom, "last row"),
    b(S::QueryGrid, K::Char('0'), C::FirstColumn, "first column"),
    b(S::QueryGrid, K::Char('$'), C::LastColumn, "last column"),
    b(S::QueryGrid, K::Enter, C::Inspect, "inspect the cell (long text, pretty JSON)"),
    b(S::QueryGrid, K::Char('v'), C::Select, "start/stop selecting rows"),
    b(S::QueryGrid, K::Char('y'), C::CopyCell, "copy the cell (OSC 52: works over SSH)"),
    b(S::QueryGrid, K::Char('Y'), C::CopyRow, "copy the row or selected rows as TSV"),
    b(S::QueryGrid, K::Char('m'), C::More, "fetch more rows (past the row cap)"),
    b(S::QueryGrid, K::Char('x'), C::Export, "export the result: CSV, JSON or SQL INSERTs (Tab: format)"),
    b(S::QueryGrid, K::Char('t'), C::NewTab, "new editor tab"),
    b(S::QueryGrid, K::Char('w'), C::CloseTab, "close the tab (twice if unsaved)"),
    b(S::QueryGrid, K::Char(']'), C::NextTab, "next tab"),
    b(S::QueryGrid, K::Char('['), C::PrevTab, "previous tab"),
    b(S::QueryGrid, K::Char('o'), C::OpenFile, "open a .sql file in a new tab"),
    b(S::QueryGrid, K::Char('s'), C::Save, "save the tab"),
    b(S::QueryGrid, K::Char('S'), C::SaveAs, "save the tab as…"),
    b(S::QueryGrid, K::Char('/'), C::Find, "search the results (any cell, ignoring case)"),
    b(S::QueryGrid, K::Char('n'), C::FindNext, "next match of the search"),
    b(S::QueryGrid, K::Char('N'), C::FindPrev, "previous match of the search"),
    b(S::QueryGrid, K::Char('O'), C::Sort, "sort by this column (again: descending, again: as read)"),
    b(S::QueryGrid, K::Char('>'), C::NextSet, "next result set of the run (browsing a table: next page)"),
    b(S::QueryGrid, K::Char('<'), C::PrevSet, "previous result set of the run (browsing: previous page)"),
    b(S::QueryGrid, K::Char('f'), C::BrowseFilter, "browsing a table: filter its rows (a WHERE condition)"),
    b(S::QueryGrid, K::Char('c'), C::ChangeCell, "edit the cell (one-table results with a primary key)"),
    b(S::QueryGrid, K::Char('a'), C::AddRow, "add a row, column by column (empty: default; C-n: NULL)"),
    b(S::QueryGrid, K::Char('d'), C::DeleteRow, "delete the row (again: take it back)"),
    b(S::QueryGrid, K::Char('u'), C::UndoEdit, "undo the last staged edit"),
    b(S::QueryGrid, K::Char('p'), C::PreviewEdits, "show the SQL the staged edits will run"),
    b(S::QueryGrid, K::Char('W'), C::ApplyEdits, "apply the staged edits in one transaction (asks first)"),
    b(S::QueryGrid, K::Char('H'), C::History, "history of this profile (type to filter, Enter opens)"),
    b(S::Dialog, K::Char('y'), C::Confirm, "yes"),
    b(S::Dialog, K::Char('n'), C::Deny, "no"),
    b(S::Dialog, K::Esc, C::Deny, "cancel"),
];

/// The live bindings: the defaults, or what `keymap.toml` made of them (installed once at start).
static LIVE: std::sync::OnceLock<Vec<Binding>> = std::sync::OnceLock::new();

pub fn bindings() -> &'static [Binding] {
    LIVE.get().map_or(BINDINGS, Vec::as_slice)
}

/// Makes `b` the live keymap (the first call wins; tests and a run without keymap.toml keep the defaults).
pub fn install(b: Vec<Binding>) {
    let _ = LIVE.set(b);
}

/// Whether keymap.toml bound Alt with this key somewhere (else Alt+key is read as Esc, then the key).
pub fn binds_alt(code: KeyCode) -> bool {
    bindings().iter().any(|b| b.mods.contains(KeyModifiers::ALT) && b.code == code)
}

/// The command bound to `key` in `scope`.
pub fn lookup(scope: Scope, key: &KeyEvent) -> Option<Command> {
    let mods = key.modifiers - KeyModifiers::SHIFT;
    bindings()
        .iter()
        .find(|b| {
            b.scope == scope
                && b.mods == mods
                && match (b.code, key.code) {
                    (K::Char(x), K::Char(y)) => x == y,
                    (K::BackTab, K::BackTab) => true,
                    (x, y) => x == y,
                }
        })
        .map(|b| b.command)
}

pub fn key_label(code: KeyCode, mods: KeyModifiers) -> String {
    let base = match code {
        K::Char(' ') => "Space".into(),
        K::Char(c) => c.to_string(),
        K::Tab => "Tab".into(),
        K::BackTab => "S-Tab".into(),
        K::Enter => "Enter".into(),
        K::Esc => "Esc".into(),
        K::Up => "↑".into(),
        K::Down => "↓".into(),
        K::Left => "←".into(),
        K::Right => "→".into(),
        K::Delete => "Del".into(),
        K::F(n) => format!("F{n}"),
        K::PageUp => "PgUp".into(),
        K::PageDown => "PgDn".into(),
        K::Home => "Home".into(),
        K::End => "End".into(),
        K::Backspace => "Backspace".into(),
        K::Insert => "Ins".into(),
        other => format!("{other:?}"),
    };
    let alt = if mods.contains(KeyModifiers::ALT) { "M-" } else { "" };
    if mods.contains(KeyModifiers::CONTROL) { format!("C-{alt}{base}") } else { format!("{alt}{base}") }
}

/// The keys for `command` in `scope`, as shown in hints: `t` or `↓/j`.
pub fn hint(scope: Scope, command: Command) -> String {
    let keys: Vec<String> = bindings()
        .iter()
        .filter(|b| b.scope == scope && b.command == command)
        .map(|b| key_label(b.code, b.mods))
        .collect();
    keys.join("/")
}

/// Help rows for a scope: (keys, description), one row per command.
pub fn help_rows(scope: Scope) -> Vec<(String, &'static str)> {
    let mut rows: Vec<(Command, String, &'static str)> = Vec::new();
    for b in bindings().iter().filter(|b| b.scope == scope) {
        if let Some(r) = rows.iter_mut().find(|r| r.0 == b.command) {
            r.1.push('/');
            r.1.push_str(&key_label(b.code, b.mods));
        } else {
            rows.push((b.command, key_label(b.code, b.mods), b.desc));
        }
    }
    rows.into_iter().map(|(_, k, d)| (k, d)).collect()
}

pub mod file;
pub use file::{apply, load, parse_key};

impl Scope {
    pub const ALL: [Scope; 9] = [
        Scope::Global,
        Scope::Profiles,
        Scope::Form,
        Scope::Dialog,
        Scope::Schema,
        Scope::Migrations,
        Scope::Sync,
        Scope::QueryEditor,
        Scope::QueryGrid,
    ];

    /// The section name in keymap.toml: `global`, `query_grid`, …
    pub fn name(self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::Profiles => "profiles",
            Scope::Form => "form",
            Scope::Dialog => "dialog",
            Scope::Schema => "schema",
            Scope::Migrations => "migrations",
            Scope::Sync => "sync",
            Scope::QueryEditor => "query_editor",
            Scope::QueryGrid => "query_grid",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice_in_one_scope() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                assert!(!(a.scope == b.scope && a.code == b.code && a.mods == b.mods), "{a:?} and {b:?}");
            }
        }
    }

    #[test]
    fn action_names_are_unique_and_round_trip() {
        let mut seen = std::collections::HashMap::new();
        for b in BINDINGS {
            let n = b.command.name();
            if let Some(other) = seen.insert(n.clone(), b.command) {
                assert_eq!(other, b.command, "{n}");
            }
        }
        assert_eq!(Command::ExplainAnalyze.name(), "explain_analyze");
        assert_eq!(Command::GoPane(2).name(), "pane_3");
    }

    #[test]
    fn lookup_and_hint_agree() {
        let k = KeyEvent::new(K::Char('t'), KeyModifiers::NONE);
        assert_eq!(lookup(S::Profiles, &k), Some(C::Test));
        assert_eq!(hint(S::Profiles, C::Down), "↓/j");
        let bt = KeyEvent::new(K::BackTab, KeyModifiers::SHIFT);
        assert_eq!(lookup(S::Global, &bt), Some(C::PrevPane));
        assert_eq!(lookup(S::Global, &KeyEvent::new(K::Char('c'), KeyModifiers::CONTROL)), Some(C::Quit));
    }
}
