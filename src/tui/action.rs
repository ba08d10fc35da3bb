//! Everything that changes the app's state arrives as one Action: keys, ticks, and results of background jobs,
//! nested by the pane they belong to (`App::update` routes each to its pane).
use crossterm::event::KeyEvent;

use crate::core::catalog::Catalog;
use crate::core::engine::{ConnectError, StepReport, TestReport};
use crate::core::profile::ProfileSet;
use crate::core::profile::import::Found;

/// Identifies a background job; results of superseded jobs are dropped by id.
pub type JobId = u64;

/// Why a password was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Test,
    Connect,
}

/// A statement of a query run that finished.
#[derive(Debug)]
pub struct StatementDone {
    pub index: usize,
    pub verb: String,
    pub outcome: crate::core::query::Outcome,
}

#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    /// Text the terminal pasted (bracketed paste): text, never keys.
    Paste(String),
    /// A click or the wheel (when mouse reporting is on).
    Mouse(crossterm::event::MouseEvent),
    /// Redraw: the terminal changed size, or time passed while something runs.
    Tick,
    Profiles(ProfilesMsg),
    Schema(SchemaMsg),
    Migrations(MigrationsMsg),
    Transfer(TransferMsg),
    Query(QueryMsg),
    Sync(SyncMsg),
}

#[derive(Debug)]
pub enum ProfilesMsg {
    TestStep {
        job: JobId,
        profile: String,
        step: StepReport,
    },
    TestFinished {
        job: JobId,
        profile: String,
        report: Box<TestReport>,
    },
    NeedPassword {
        profile: String,
        purpose: Purpose,
        reason: String,
    },
    /// A hop of the profile's SSH route needs an answer: an unknown host key, a key's passphrase, a password.
    NeedSsh {
        profile: String,
        purpose: Purpose,
        ask: crate::core::ssh::SshAsk,
    },
    Connected {
        job: JobId,
        profile: String,
        result: Result<String, ConnectError>,
    },
    Loaded(Box<ProfileSet>),
    Saved {
        result: Result<String, String>,
    },
    Discovered(Vec<Found>),
}

#[derive(Debug)]
pub enum SchemaMsg {
    Stage {
        job: JobId,
        stage: String,
    },
    /// The names of the tables and views, read before the rest (a large catalog lists at once).
    Names {
        job: JobId,
        profile: String,
        catalog: Box<Catalog>,
        elapsed: std::time::Duration,
    },
    Loaded {
        job: JobId,
        profile: String,
        result: Result<Box<Catalog>, String>,
        elapsed: std::time::Duration,
    },
    RowCount {
        job: JobId,
        schema: String,
        table: String,
        result: Result<(i64, f64), String>,
    },
}

#[derive(Debug)]
pub enum MigrationsMsg {
    Planned {
        job: JobId,
        profile: String,
        result: Result<Box<crate::core::migrate::Review>, String>,
    },
    Event {
        job: JobId,
        event: crate::core::migrate::Event,
    },
    Ran {
        job: JobId,
        result: Result<Box<crate::core::migrate::RunReport>, String>,
    },
    /// A diff wrote a migration file (None: the schemas are the same), with the script's notes.
    DiffWritten {
        job: JobId,
        result: Result<Option<(std::path::PathBuf, Vec<String>)>, String>,
    },
}

#[derive(Debug)]
pub enum TransferMsg {
    Planned { job: JobId, result: Result<Box<crate::core::transfer::Plan>, String> },
    Event { job: JobId, event: crate::core::transfer::Event },
    Ran { job: JobId, result: Result<Box<crate::core::transfer::RunReport>, String> },
    Verified { job: JobId, result: Result<Vec<crate::core::transfer::verify::TableCheck>, String> },
}

#[derive(Debug)]
pub enum QueryMsg {
    /// A result begins: its columns and the store its rows stream into.
    Columns {
        job: JobId,
        columns: Vec<crate::core::query::Column>,
        rows: std::sync::Arc<std::sync::RwLock<crate::core::query::Rows>>,
    },
    /// More rows arrived (throttled).
    Rows {
        job: JobId,
    },
    Paused {
        job: JobId,
    },
    Resumed {
        job: JobId,
    },
    Statement {
        job: JobId,
        index: usize,
        total: usize,
    },
    StatementDone {
        job: JobId,
        done: Box<StatementDone>,
    },
    Failed {
        job: JobId,
        index: usize,
        statement: Option<crate::core::sql::Statement>,
        error: crate::core::query::QueryError,
    },
    Finished {
        job: JobId,
        txn: crate::core::query::TxnState,
    },
    HistoryLoaded(Result<Vec<crate::core::store::HistoryEntry>, String>),
    /// Staged edits applied (rows changed), or the failing edit and why (nothing applied).
    EditsApplied {
        job: JobId,
        result: Result<u64, (usize, crate::core::query::QueryError)>,
    },
    Exported(Result<(std::path::PathBuf, u64), String>),
    /// The export's file is there already: the app asks before writing over it.
    ExportExists {
        path: std::path::PathBuf,
        typed: String,
        format: crate::core::query::export::Format,
    },
    FileOpened {
        path: std::path::PathBuf,
        result: Result<String, String>,
    },
    FileSaved {
        tab: usize,
        path: std::path::PathBuf,
        text: String,
        result: Result<(), String>,
    },
}

#[derive(Debug)]
pub enum SyncMsg {
    /// Every link's status (the state store, both sides read).
    Status { job: JobId, result: Result<Vec<crate::tui::panes::sync::LinkView>, String> },
    /// What a new link will create.
    Prepared { job: JobId, result: Result<Box<crate::core::sync::setup::Setup>, String> },
    /// A job on a link ended: what it was, and what came of it.
    Done { job: JobId, result: Result<String, String> },
    /// A link run here applied something or changed state (at most a few a second).
    Progress { name: String, note: Option<String> },
    /// A link run here stopped (the reason when it failed).
    Stopped { name: String, error: Option<String> },
}
