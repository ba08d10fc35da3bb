//! The migrations pane's part of `App::update`: its requests become effects (or a confirmation first); its jobs'
//! results update it.
use super::dialog::{Confirm, ConfirmTarget, Tone};
use super::{App, Level};
use crate::core::profile::{Engine, Profile};
use crate::tui::action::MigrationsMsg;
use crate::tui::effect::Effect;
use crate::tui::panes::migrations::{Load, Request, RunKind, RunState};

impl App {
    pub(super) fn migrations_request(&mut self, req: Request) -> Vec<Effect> {
        let Some(p) = self.connected_profile() else {
            if req != Request::None {
                self.info(Level::Warn, "no connected profile: connect one in the Profiles pane first");
            }
            return vec![];
        };
        match req {
            Request::None => vec![],
            Request::Plan => {
                let job = self.job();
                self.migrations.load = Load::Loading(job);
                vec![Effect::PlanMigrations { job, profile: Box::new(p) }]
            }
            Request::Run(RunKind::DryRun) => self.start_migrations(p, RunKind::DryRun, None),
            Request::ChooseTransfer => self.transfer_choose(&p),
            Request::Transfer(t) => self.transfer_request(p, t),
            Request::ChooseDiff => {
                let names: Vec<String> =
                    self.all().iter().filter(|x| x.name != p.name).map(|x| x.name.clone()).collect();
                self.migrations.chooser = Some(crate::tui::widgets::chooser::Chooser::new(names));
                vec![]
            }
            Request::Diff(i) => self.diff(p, i),
            Request::Run(kind) => self.confirm_run(p, kind, None),
            Request::RunTo(version) => self.confirm_run(p, RunKind::Apply, Some(version)),
            Request::Cancel => match &self.migrations.run {
                RunState::Running { job, kind, .. } => {
                    let (job, kind) = (*job, *kind);
                    self.info(Level::Warn, format!("{}: cancelling…", kind.verb()));
                    self.migrations.run = RunState::Failed { kind, message: "cancelled".into() };
                    let mut effects = vec![Effect::Cancel { job }];
                    effects.extend(self.migrations_request(Request::Plan));
                    effects
                }
                _ => vec![],
            },
        }
    }

    fn diff(&mut self, p: Profile, i: usize) -> Vec<Effect> {
        let Some(chooser) = self.migrations.chooser.take() else { return vec![] };
        let Some(from) = chooser.name(i).and_then(|n| self.all().into_iter().find(|x| x.name == n)).cloned() else {
            return vec![];
        };
        let job = self.job();
        self.migrations.diffing = Some(job);
        self.info(Level::Info, format!("diff: reading the schemas of {} and {}…", from.name, p.name));
        let from_password = self.passwords.get(&from.name).cloned();
        vec![Effect::DiffMigrations { job, from: Box::new(from), from_password, to: Box::new(p) }]
    }

    fn confirm_run(&mut self, p: Profile, kind: RunKind, up_to: Option<i64>) -> Vec<Effect> {
        let versions = self.migrations.pending_up_to(up_to);
        let count = if kind == RunKind::Apply { versions.len() } else { 1 };
        if kind == RunKind::Apply && count == 0 {
            self.info(Level::Info, "nothing to apply: every migration is applied");
            return vec![];
        }
        let planned = self.migrations.planned.as_ref();
        let entries = planned.map(|x| x.plan.entries.as_slice()).unwrap_or_default();
        let what = match (kind, up_to) {
            (RunKind::Revert, _) => {
                let last = entries.iter().rev().find(|e| e.status == crate::core::migrate::Status::Applied);
                match last {
                    Some(e) => format!("Revert migration {} ({})", e.version, e.description),
                    None => "Revert the last applied migration".to_string(),
                }
            }
            (_, Some(v)) => format!("Apply {count} pending migration(s), up to {v},"),
            _ => format!("Apply {count} pending migration(s)"),
        };
        let question = format!("{what} on `{}` ({})?", p.name, p.target());
        let mysql = p.engine == Engine::Mysql;
        let target = ConfirmTarget::Migrations { profile: Box::new(p.clone()), kind, count, up_to };
        let mut c = Confirm::new("Migrations", question, "go", "cancel", target)
            .production(&p)
            .on_no(format!("{}: not started", kind.verb()));
        if kind == RunKind::Revert
            && let Some(e) = entries.iter().rev().find(|e| e.status == crate::core::migrate::Status::Applied)
            && !e.reversible
        {
            c = c.line(
                Tone::Danger,
                format!("{} has no .down.sql: it cannot be reverted; the revert will refuse.", e.version),
            );
        }
        if kind == RunKind::Apply {
            let dangers = planned
                .map(|x| {
                    x.findings
                        .iter()
                        .filter(|f| {
                            f.severity == crate::core::migrate::Severity::Danger && versions.contains(&f.version)
                        })
                        .count()
                })
                .unwrap_or(0);
            if dangers > 0 {
                c = c.line(Tone::Danger, format!("Lint: {dangers} danger-level finding(s) in them."));
            }
        }
        if mysql {
            c = c.line(Tone::Warn, "MySQL commits DDL implicitly: a failure part-way cannot be rolled back.");
        }
        self.ask(c);
        vec![]
    }

    pub(super) fn start_migrations(&mut self, p: Profile, kind: RunKind, up_to: Option<i64>) -> Vec<Effect> {
        let job = self.job();
        self.migrations.log.clear();
        self.migrations.run =
            RunState::Running { job, kind, index: 0, total: 0, current: String::new(), statement: (0, 0) };
        vec![Effect::RunMigrations { job, profile: Box::new(p), kind, up_to }]
    }

    pub(super) fn on_migrations(&mut self, msg: MigrationsMsg) -> Vec<Effect> {
        match msg {
            MigrationsMsg::Planned { job, profile, result } => {
                if matches!(self.migrations.load, Load::Loading(j) if j == job) {
                    self.migrations.profile = Some(profile);
                    match result {
                        Ok(p) => self.migrations.set_planned(*p),
                        Err(e) => self.migrations.load = Load::Failed(e),
                    }
                }
                vec![]
            }
            MigrationsMsg::Event { job, event } => {
                self.migrations.on_event(job, event);
                vec![]
            }
            MigrationsMsg::Ran { job, result } => self.on_ran(job, result),
            MigrationsMsg::DiffWritten { job, result } => {
                if self.migrations.diffing != Some(job) {
                    return vec![];
                }
                self.migrations.diffing = None;
                match result {
                    Ok(None) => self.info(Level::Info, "diff: no differences — nothing written"),
                    Ok(Some((path, notes))) => {
                        let extra = notes.first().map(|n| format!(" (note: {n})")).unwrap_or_default();
                        let msg = format!("diff: wrote {} — review it, then apply{extra}", path.display());
                        self.info(Level::Info, msg);
                        return self.migrations_request(Request::Plan);
                    }
                    Err(e) => self.info(Level::Error, format!("diff: {e}")),
                }
                vec![]
            }
        }
    }

    fn on_ran(&mut self, job: u64, result: Result<Box<crate::core::migrate::RunReport>, String>) -> Vec<Effect> {
        let RunState::Running { job: j, kind, .. } = self.migrations.run else { return vec![] };
        if j != job {
            return vec![];
        }
        match result {
            Ok(report) => {
                let (level, msg) = match &report.failure {
                    Some(f) => (Level::Error, format!("migration {} failed: {}", f.version, f.message)),
                    None => (Level::Info, format!("{}: {} migration(s) done", kind.verb(), report.done.len())),
                };
                self.info(level, msg);
                let changed = kind != RunKind::DryRun && !report.done.is_empty();
                self.migrations.run = RunState::Finished { kind, report };
                if changed && let Some(p) = self.connected_profile() {
                    // The schema changed: the schema pane and completion read it again, and the plan too.
                    let mut effects = self.load_catalog(p);
                    effects.extend(self.migrations_request(Request::Plan));
                    return effects;
                }
            }
            Err(message) => {
                self.info(Level::Error, format!("{}: {message}", kind.verb()));
                self.migrations.run = RunState::Failed { kind, message };
            }
        }
        // The state changed: plan again (the run's result stays on screen).
        self.migrations_request(Request::Plan)
    }
}
