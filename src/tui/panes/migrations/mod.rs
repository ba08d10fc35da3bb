//! Migrations pane: the guided flow for versioned migrations of the active profile — plan (statuses and lint
//! findings) → preview each step's SQL → dry run or apply (asks first) → live progress → result; revert the last.
pub mod transfer;
pub mod transfer_view;
pub mod view;

pub use view::render;

use crossterm::event::KeyEvent;

use crate::core::migrate::{Event, RunReport, Status};
use crate::tui::action::JobId;
use crate::tui::keymap::{self, Command, Scope};
use crate::tui::widgets::chooser::{Choice, Chooser};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    Apply,
    DryRun,
    Revert,
}

impl RunKind {
    pub fn verb(self) -> &'static str {
        match self {
            RunKind::Apply => "apply",
            RunKind::DryRun => "dry run",
            RunKind::Revert => "revert",
        }
    }
}

#[derive(Debug, Default)]
pub enum Load {
    #[default]
    Idle,
    Loading(JobId),
    Ready,
    Failed(String),
}

#[derive(Debug, Default)]
pub enum RunState {
    #[default]
    Idle,
    Running {
        job: JobId,
        kind: RunKind,
        index: usize,
        total: usize,
        current: String,
        statement: (usize, usize),
    },
    Finished {
        kind: RunKind,
        report: Box<RunReport>,
    },
    Failed {
        kind: RunKind,
        message: String,
    },
}

/// What the pane asks the app to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    None,
    Plan,
    Run(RunKind),
    /// Open the chooser of the profile whose schema to diff against.
    ChooseDiff,
    /// Diff against the chooser's entry `usize`.
    Diff(usize),
    /// Open the transfer view's target chooser.
    ChooseTransfer,
    Transfer(crate::tui::panes::migrations::transfer::Request),
    /// Apply the pending migrations up to (and with) this version.
    RunTo(i64),
    /// Stop the running apply, dry run or revert (its connection closes: the server rolls back the migration in
    /// progress, as after a kill).
    Cancel,
}

/// What a plan load brings back: the core's review of the folder.
pub type Planned = crate::core::migrate::Review;

#[derive(Debug, Default)]
pub struct MigrationsPane {
    pub profile: Option<String>,
    pub load: Load,
    pub planned: Option<Planned>,
    pub selected: usize,
    pub scroll: u16,
    pub run: RunState,
    /// Progress lines of the current or last run.
    pub log: Vec<String>,
    /// The diff chooser: profile names (not the active one) and the cursor.
    pub chooser: Option<Chooser>,
    /// A diff being written.
    pub diffing: Option<JobId>,
    /// The transfer view (`T`).
    pub transfer: crate::tui::panes::migrations::transfer::TransferView,
}

impl MigrationsPane {
    pub fn running(&self) -> bool {
        matches!(self.run, RunState::Running { .. })
    }

    pub fn pending(&self) -> usize {
        self.pending_up_to(None).len()
    }

    /// The pending (or out-of-order) versions an apply would run, up to `to`.
    pub fn pending_up_to(&self, to: Option<i64>) -> Vec<i64> {
        self.planned
            .as_ref()
            .map(|p| {
                p.plan
                    .entries
                    .iter()
                    .filter(|e| matches!(e.status, Status::Pending | Status::OutOfOrder))
                    .filter(|e| to.is_none_or(|t| e.version <= t))
                    .map(|e| e.version)
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn handle_key(&mut self, key: &KeyEvent) -> Request {
        if self.transfer.active() {
            return match self.transfer.handle_key(key) {
                crate::tui::panes::migrations::transfer::Request::None => Request::None,
                r => Request::Transfer(r),
            };
        }
        if let Some(chooser) = &mut self.chooser {
            match chooser.handle(keymap::lookup(Scope::Migrations, key)) {
                Choice::Chosen(i) => return Request::Diff(i),
                Choice::Closed => self.chooser = None,
                Choice::Stay => {}
            }
            return Request::None;
        }
        let n = self.planned.as_ref().map(|p| p.plan.entries.len()).unwrap_or(0);
        match keymap::lookup(Scope::Migrations, key) {
            Some(Command::Down) if n > 0 => {
                self.selected = (self.selected + 1).min(n - 1);
                self.scroll = 0;
            }
            Some(Command::Up) => {
                self.selected = self.selected.saturating_sub(1);
                self.scroll = 0;
            }
            Some(Command::Top) => self.selected = 0,
            Some(Command::Bottom) => self.selected = n.saturating_sub(1),
            Some(Command::DetailDown) => self.scroll = self.scroll.saturating_add(5),
            Some(Command::DetailUp) => self.scroll = self.scroll.saturating_sub(5),
            Some(Command::Refresh) if !self.running() => return Request::Plan,
            Some(Command::DryRun) if !self.running() => return Request::Run(RunKind::DryRun),
            Some(Command::Apply) if !self.running() => return Request::Run(RunKind::Apply),
            Some(Command::ApplyTo) if !self.running() => {
                let entry = self.planned.as_ref().and_then(|p| p.plan.entries.get(self.selected));
                if let Some(e) = entry.filter(|e| matches!(e.status, Status::Pending | Status::OutOfOrder)) {
                    return Request::RunTo(e.version);
                }
            }
            Some(Command::Revert) if !self.running() => return Request::Run(RunKind::Revert),
            Some(Command::Diff) if !self.running() && self.diffing.is_none() => return Request::ChooseDiff,
            Some(Command::Transfer) if !self.running() => return Request::ChooseTransfer,
            Some(Command::Cancel) if self.running() => return Request::Cancel,
            _ => {}
        }
        Request::None
    }

    pub fn set_planned(&mut self, p: Planned) {
        self.selected = p
            .plan
            .entries
            .iter()
            .position(|e| e.status != Status::Applied)
            .unwrap_or(p.plan.entries.len().saturating_sub(1));
        self.planned = Some(p);
        self.load = Load::Ready;
        self.scroll = 0;
    }

    pub fn on_event(&mut self, job: JobId, e: Event) {
        let RunState::Running { job: j, index, total, current, statement, .. } = &mut self.run else { return };
        if *j != job {
            return;
        }
        match e {
            Event::LockWaiting { holder } => self.log.push(format!("waiting for the migration lock: {holder}")),
            Event::Locked => self.log.push("lock taken".into()),
            Event::Start { version, description, index: i, total: t, statements } => {
                (*index, *total, *current) = (i, t, format!("{version} {description}"));
                *statement = (0, statements);
                self.log.push(format!("[{i}/{t}] {version} {description} …"));
            }
            Event::Statement { index: i, total: t, .. } => *statement = (i, t),
            Event::Done { version, ms } => self.log.push(format!("      {version} done in {ms:.1} ms")),
            Event::Note { message } => self.log.push(message),
        }
    }
}
