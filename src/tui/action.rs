//! Everything that changes the app's state arrives as one Action: keys, resizes, and results of background jobs.
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
    Resize,
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
    Connected {
        job: JobId,
        profile: String,
        result: Result<String, ConnectError>,
    },
    ProfilesLoaded(Box<ProfileSet>),
    Saved {
        result: Result<String, String>,
    },
    Discovered(Vec<Found>),
    CatalogStage {
        job: JobId,
        stage: String,
    },
    CatalogLoaded {
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
    MigrationsPlanned {
        job: JobId,
        profile: String,
        result: Result<Box<crate::tui::panes::migrations::Planned>, String>,
    },
    MigrationEvent {
        job: JobId,
        event: crate::core::migrate::Event,
    },
    MigrationsRan {
        job: JobId,
        result: Result<Box<crate::core::migrate::RunReport>, String>,
    },
    /// A diff wrote a migration file (None: the schemas are the same), with the script's notes.
    MigrationDiffWritten {
        job: JobId,
        result: Result<Option<(std::path::PathBuf, Vec<String>)>, String>,
    },
    TransferPlanned {
        job: JobId,
        result: Result<Box<crate::core::transfer::Plan>, String>,
    },
    TransferEvent {
        job: JobId,
        event: crate::core::transfer::Event,
    },
    TransferRan {
        job: JobId,
        result: Result<Box<crate::core::transfer::RunReport>, String>,
    },
    TransferVerified {
        job: JobId,
        result: Result<Vec<crate::core::transfer::verify::TableCheck>, String>,
    },
    /// A result begins: its columns and the store its rows stream into.
    QueryColumns {
        job: JobId,
        columns: Vec<crate::core::query::Column>,
        rows: std::sync::Arc<std::sync::RwLock<crate::core::query::Rows>>,
    },
    /// More rows arrived (throttled).
    QueryRows {
        job: JobId,
    },
    QueryPaused {
        job: JobId,
    },
    QueryResumed {
        job: JobId,
    },
    QueryStatement {
        job: JobId,
        index: usize,
        total: usize,
    },
    QueryStatementDone {
        job: JobId,
        done: Box<StatementDone>,
    },
    QueryFailed {
        job: JobId,
        index: usize,
        statement: Option<crate::core::sql::Statement>,
        error: crate::core::query::QueryError,
    },
    QueryFinished {
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

impl Action {
    /// Results of the query pane's jobs (handled in `app/query.rs`).
    pub fn is_query(&self) -> bool {
        matches!(
            self,
            Action::QueryColumns { .. }
                | Action::QueryRows { .. }
                | Action::QueryPaused { .. }
                | Action::QueryResumed { .. }
                | Action::QueryStatement { .. }
                | Action::QueryStatementDone { .. }
                | Action::QueryFailed { .. }
                | Action::QueryFinished { .. }
                | Action::HistoryLoaded(_)
                | Action::EditsApplied { .. }
                | Action::Exported(_)
                | Action::FileOpened { .. }
                | Action::FileSaved { .. }
        )
    }
}
