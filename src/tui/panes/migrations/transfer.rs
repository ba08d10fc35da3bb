//! The transfer view inside the migrations pane (`T`): choose the target profile, review the plan's compatibility
//! report, run it with a gauge per table, then verify. The work is `core::transfer`; this is its front.

use crate::core::transfer::verify::TableCheck;
use crate::core::transfer::{Event, Plan, RunReport};
use crate::tui::action::JobId;
use crate::tui::keymap::{self, Command, Scope};
use crate::tui::widgets::chooser::Choice;

#[derive(Debug, Default)]
pub enum Stage {
    #[default]
    Idle,
    /// The target chooser: profile names and the cursor.
    Choosing(crate::tui::widgets::chooser::Chooser),
    Planning(JobId),
    Planned,
    Running(JobId),
    Ran(Result<RunReport, String>),
    Verifying(JobId),
    Verified(Result<Vec<TableCheck>, String>),
}

#[derive(Debug, Default)]
pub struct TransferView {
    pub stage: Stage,
    pub plan: Option<Plan>,
    pub report: String,
    pub scroll: u16,
    /// Per table: rows done, rows in all, done.
    pub tables: Vec<(String, u64, u64, bool)>,
    pub phase: String,
    pub errors: Vec<String>,
    /// Bytes read from the source so far, and when the load began (for the overall rate and ETA).
    pub bytes: u64,
    pub started: Option<std::time::Instant>,
    /// Seconds the load took, once it is over (the rate stops moving).
    pub load_secs: Option<f64>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    None,
    Plan(usize),
    Run,
    Verify,
    /// Stop the running plan, load or verify (a load resumes where it stopped when run again).
    Cancel(JobId),
}

impl TransferView {
    pub fn active(&self) -> bool {
        !matches!(self.stage, Stage::Idle)
    }

    pub fn busy(&self) -> bool {
        matches!(self.stage, Stage::Planning(_) | Stage::Running(_) | Stage::Verifying(_))
    }

    pub fn handle_key(&mut self, key: &crossterm::event::KeyEvent) -> Request {
        let cmd = keymap::lookup(Scope::Migrations, key);
        if let Stage::Choosing(chooser) = &mut self.stage {
            match chooser.handle(cmd) {
                Choice::Chosen(i) => return Request::Plan(i),
                Choice::Closed => self.stage = Stage::Idle,
                Choice::Stay => {}
            }
            return Request::None;
        }
        match cmd {
            Some(Command::DetailDown) | Some(Command::Down) => self.scroll = self.scroll.saturating_add(5),
            Some(Command::DetailUp) | Some(Command::Up) => self.scroll = self.scroll.saturating_sub(5),
            Some(Command::Apply) if matches!(self.stage, Stage::Planned | Stage::Ran(Err(_))) => return Request::Run,
            Some(Command::Verify) if !self.busy() && self.plan.is_some() && !matches!(self.stage, Stage::Planned) => {
                return Request::Verify;
            }
            Some(Command::Cancel) if !self.busy() => *self = TransferView::default(),
            Some(Command::Cancel) => {
                if let Stage::Planning(j) | Stage::Running(j) | Stage::Verifying(j) = self.stage {
                    return Request::Cancel(j);
                }
            }
            _ => {}
        }
        Request::None
    }

    pub fn set_plan(&mut self, plan: Plan) {
        self.report = crate::core::transfer::plan::report(&plan);
        self.tables = plan.tables.iter().map(|t| (t.source.clone(), 0, t.rows.max(0) as u64, false)).collect();
        self.plan = Some(plan);
        self.stage = Stage::Planned;
        self.scroll = 0;
    }

    pub fn on_event(&mut self, e: Event) {
        match e {
            Event::Stage { stage } => {
                if stage == "load" {
                    self.started = Some(std::time::Instant::now());
                } else if let Some(s) = self.started
                    && self.load_secs.is_none()
                {
                    self.load_secs = Some(s.elapsed().as_secs_f64());
                }
                self.phase = stage
            }
            Event::TableStart { table, total } => {
                if let Some(t) = self.tables.iter_mut().find(|t| t.0 == table) {
                    t.2 = total;
                }
            }
            Event::Progress { table, rows, bytes, .. } => {
                self.bytes += bytes;
                if let Some(t) = self.tables.iter_mut().find(|t| t.0 == table) {
                    t.1 = rows;
                }
            }
            Event::TableDone { table, rows, .. } => {
                if let Some(t) = self.tables.iter_mut().find(|t| t.0 == table) {
                    t.1 = t.1.max(rows);
                    t.3 = true;
                }
            }
            Event::Step { what, error: Some(e) } => self.errors.push(format!("{what}: {e}")),
            Event::Step { .. } => {}
        }
    }
}
