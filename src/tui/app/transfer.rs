//! The migrations pane's transfer view in `App::update`: its requests become effects; its jobs' results update it.
use super::dialog::{Confirm, ConfirmTarget, Tone};
use super::{App, Level};
use crate::core::profile::Profile;
use crate::tui::action::TransferMsg;
use crate::tui::effect::Effect;
use crate::tui::panes::migrations::transfer::{Request as T, Stage};

impl App {
    pub(super) fn transfer_choose(&mut self, p: &Profile) -> Vec<Effect> {
        let names: Vec<String> = self.all().iter().filter(|x| x.name != p.name).map(|x| x.name.clone()).collect();
        self.migrations.transfer = Default::default();
        self.migrations.transfer.stage = Stage::Choosing(crate::tui::widgets::chooser::Chooser::new(names));
        vec![]
    }

    pub(super) fn transfer_request(&mut self, p: Profile, t: T) -> Vec<Effect> {
        let target = |app: &App| {
            app.migrations
                .transfer
                .plan
                .as_ref()
                .and_then(|pl| app.all().into_iter().find(|x| x.name == pl.to).cloned())
        };
        match t {
            T::None => vec![],
            T::Plan(i) => {
                let Stage::Choosing(chooser) = &self.migrations.transfer.stage else { return vec![] };
                let Some(to) = chooser.name(i).and_then(|n| self.all().into_iter().find(|x| x.name == n)).cloned()
                else {
                    return vec![];
                };
                let job = self.job();
                self.migrations.transfer.stage = Stage::Planning(job);
                let to_password = self.passwords.get(&to.name).cloned();
                vec![Effect::PlanTransfer { job, from: Box::new(p), to: Box::new(to), to_password }]
            }
            T::Run => match target(self) {
                Some(to) => {
                    let question = format!("Create tables and load data into `{}` ({})?", to.name, to.target());
                    let c = Confirm::new(
                        "Transfer",
                        question,
                        "run",
                        "cancel",
                        ConfirmTarget::Transfer { to: Box::new(to.clone()) },
                    )
                    .production(&to)
                    .line(Tone::Dim, "Nothing is written if a target table is refused by the plan's `existing` rule.");
                    self.ask(c);
                    vec![]
                }
                None => vec![],
            },
            T::Cancel(job) => {
                let stage = std::mem::take(&mut self.migrations.transfer.stage);
                self.migrations.transfer.stage = match stage {
                    Stage::Running(_) => {
                        Stage::Ran(Err("cancelled: run the plan again (a) to resume where it stopped".into()))
                    }
                    Stage::Verifying(_) => Stage::Verified(Err("cancelled".into())),
                    _ => Stage::Idle,
                };
                self.info(Level::Warn, "transfer: cancelled");
                vec![Effect::Cancel { job }]
            }
            T::Verify => {
                let (Some(to), Some(plan)) = (target(self), self.migrations.transfer.plan.clone()) else {
                    return vec![];
                };
                let job = self.job();
                self.migrations.transfer.stage = Stage::Verifying(job);
                let to_password = self.passwords.get(&to.name).cloned();
                vec![Effect::VerifyTransfer {
                    job,
                    plan: Box::new(plan),
                    from: Box::new(p),
                    to: Box::new(to),
                    to_password,
                }]
            }
        }
    }

    /// Confirmed: run the plan into `to`.
    pub(super) fn transfer_run(&mut self, to: Box<Profile>) -> Vec<Effect> {
        let Some(from) = self.connected_profile() else { return vec![] };
        let Some(plan) = self.migrations.transfer.plan.clone() else { return vec![] };
        let job = self.job();
        self.migrations.transfer.stage = Stage::Running(job);
        let to_password = self.passwords.get(&to.name).cloned();
        vec![Effect::RunTransfer { job, plan: Box::new(plan), from: Box::new(from), to, to_password }]
    }

    pub(super) fn on_transfer(&mut self, msg: TransferMsg) -> Vec<Effect> {
        match msg {
            TransferMsg::Planned { job, result } => {
                if !matches!(self.migrations.transfer.stage, Stage::Planning(j) if j == job) {
                    return vec![];
                }
                match result {
                    Ok(plan) => self.migrations.transfer.set_plan(*plan),
                    Err(e) => {
                        self.info(Level::Error, format!("transfer plan: {e}"));
                        self.migrations.transfer.stage = Stage::Idle;
                    }
                }
                vec![]
            }
            TransferMsg::Event { job, event } => {
                if matches!(self.migrations.transfer.stage, Stage::Running(j) if j == job) {
                    self.migrations.transfer.on_event(event);
                }
                vec![]
            }
            TransferMsg::Ran { job, result } => {
                if !matches!(self.migrations.transfer.stage, Stage::Running(j) if j == job) {
                    return vec![];
                }
                match &result {
                    Ok(r) => self.info(
                        Level::Info,
                        format!("transfer: {} rows done", r.tables.iter().map(|t| t.rows).sum::<u64>()),
                    ),
                    Err(e) => self.info(Level::Error, format!("transfer: {e}")),
                }
                self.migrations.transfer.phase = if result.is_ok() { "done".into() } else { "stopped".into() };
                self.migrations.transfer.stage = Stage::Ran(result.map(|b| *b));
                vec![]
            }
            TransferMsg::Verified { job, result } => {
                if !matches!(self.migrations.transfer.stage, Stage::Verifying(j) if j == job) {
                    return vec![];
                }
                if let Ok(checks) = &result {
                    let ok = checks.iter().all(|c| c.ok);
                    self.info(
                        if ok { Level::Info } else { Level::Error },
                        if ok { "verify: every table matches" } else { "verify: differences found" },
                    );
                }
                self.migrations.transfer.stage = Stage::Verified(result);
                vec![]
            }
        }
    }
}
