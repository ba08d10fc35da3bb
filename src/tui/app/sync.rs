//! The sync pane in `App::update`: its requests become effects; its jobs' results update it. The pane reads the
//! status when it is entered and then every two seconds while it is on screen (a one-second tick runs only
//! then); a link run here redraws it as it applies, at most four times a second.
use std::time::{Duration, Instant};

use super::dialog::{Confirm, ConfirmTarget, Tone};
use super::{App, Level, PaneId};
use crate::tui::action::SyncMsg;
use crate::tui::effect::Effect;
use crate::tui::effect::sync::Reach;
use crate::tui::panes::sync::{Add, Request as S, preview_lines};
use crate::tui::widgets::chooser::Chooser;

/// How often the pane reads the status again while it is on screen.
pub const REFRESH_EVERY: Duration = Duration::from_secs(2);

impl App {
    fn reach(&self) -> Reach {
        Reach { profiles: self.all().into_iter().cloned().collect(), passwords: self.passwords.clone() }
    }

    /// Reads the status now (unless a read is under way).
    pub(super) fn sync_refresh(&mut self) -> Vec<Effect> {
        if self.sync.refreshing.is_some() {
            return vec![];
        }
        let job = self.job();
        self.sync.refreshing = Some(job);
        self.sync.last_refresh = Some(Instant::now());
        vec![Effect::SyncRefresh { job, reach: self.reach() }]
    }

    /// On a tick: read again when the pane is on screen and the last read is old enough.
    pub(super) fn sync_tick(&mut self) -> Vec<Effect> {
        if self.pane != PaneId::Sync || self.sync.last_refresh.is_some_and(|t| t.elapsed() < REFRESH_EVERY) {
            return vec![];
        }
        self.sync_refresh()
    }

    pub(super) fn sync_request(&mut self, req: S) -> Vec<Effect> {
        match req {
            S::None => vec![],
            S::Refresh => self.sync_refresh(),
            S::StartAdd => {
                let names: Vec<String> = self.all().iter().map(|p| p.name.clone()).collect();
                self.sync.add = Some(Add::Source(Chooser::new(names)));
                vec![]
            }
            S::ChooseTarget { from } => {
                let names: Vec<String> = self.all().iter().filter(|p| p.name != from).map(|p| p.name.clone()).collect();
                self.sync.add = Some(Add::Target { from, chooser: Chooser::new(names) });
                vec![]
            }
            S::Prepare { from, to, two_way, policy, tables, offered } => {
                let job = self.job();
                self.sync.add = Some(Add::Preparing { job, tables: offered });
                vec![Effect::SyncPrepare { job, from, to, two_way, policy, tables, reach: self.reach() }]
            }
            S::Create => {
                let Some(Add::Preview { setup, .. }) = self.sync.add.take() else { return vec![] };
                let job = self.job();
                self.sync.add = Some(Add::Creating { job });
                self.sync.busy = Some((job, format!("creating {}", setup.link.name)));
                vec![Effect::SyncCreate { job, setup, reach: self.reach() }]
            }
            S::Pause { name, pause } => {
                let job = self.job();
                vec![Effect::SyncPause { job, name, pause, reach: self.reach() }]
            }
            S::RunOnce { name } => {
                let job = self.job();
                self.sync.busy = Some((job, format!("running {name} once")));
                vec![Effect::SyncRunOnce { job, name, reach: self.reach() }]
            }
            S::Background { name, start } => {
                if start {
                    self.sync.background.insert(name.clone());
                    self.info(
                        Level::Info,
                        format!("{name}: running in the background while dbconsole is open (b stops)"),
                    );
                } else {
                    self.sync.background.remove(&name);
                    self.info(Level::Info, format!("{name}: stopping after its current batch"));
                }
                vec![Effect::SyncBackground { name, start, reach: self.reach() }]
            }
            S::Resolve { name, id, take_source } => {
                let job = self.job();
                self.sync.busy = Some((job, format!("resolving conflict {id}")));
                vec![Effect::SyncResolve { job, name, id, take_source, reach: self.reach() }]
            }
            S::Remove { name } => {
                if self.sync.background.contains(&name) {
                    self.info(Level::Warn, format!("{name} runs here in the background: b stops it, then remove"));
                    return vec![];
                }
                let c = Confirm::new(
                    "Remove sync link",
                    format!("Remove link {name}?"),
                    "remove",
                    "keep",
                    ConfirmTarget::SyncRemove { name },
                )
                .line(
                    Tone::Dim,
                    "Its triggers, change log and positions go from both sides (what other links use stays); the \
                     tables and their rows stay.",
                );
                self.ask(c);
                vec![]
            }
        }
    }

    /// Ctrl-C: stops the sync job that runs (run once, resolve, remove, planning or creating a link); None when
    /// none does. A stopped batch is rolled back by the server; a link stopped while being created stays in state
    /// error, for `x` to take away.
    pub(super) fn sync_interrupt(&mut self) -> Option<Vec<Effect>> {
        let job = match (&self.sync.busy, &self.sync.add) {
            (Some((job, _)), _) => *job,
            (None, Some(Add::Preparing { job, .. } | Add::Creating { job })) => *job,
            _ => return None,
        };
        let what = self.sync.busy.take().map(|(_, w)| w).unwrap_or_else(|| "planning the link".into());
        if matches!(self.sync.add, Some(Add::Creating { .. })) {
            self.info(Level::Warn, format!("{what}: stopped; the link stays in state error until x removes it"));
        } else {
            self.info(Level::Warn, format!("{what}: stopped"));
        }
        if matches!(self.sync.add, Some(Add::Preparing { .. } | Add::Creating { .. })) {
            self.sync.add = None;
        }
        Some(vec![Effect::Cancel { job }])
    }

    /// Confirmed: remove the link.
    pub(super) fn sync_remove(&mut self, name: String) -> Vec<Effect> {
        let job = self.job();
        self.sync.busy = Some((job, format!("removing {name}")));
        vec![Effect::SyncRemove { job, name, reach: self.reach() }]
    }

    pub(super) fn on_sync(&mut self, msg: SyncMsg) -> Vec<Effect> {
        match msg {
            SyncMsg::Status { job, result } => {
                if self.sync.refreshing != Some(job) {
                    return vec![];
                }
                self.sync.refreshing = None;
                match result {
                    Ok(links) => self.sync.set_links(links),
                    Err(e) => self.sync.error = Some(e),
                }
                vec![]
            }
            SyncMsg::Prepared { job, result } => {
                let offered = match &self.sync.add {
                    Some(Add::Preparing { job: j, tables }) if *j == job => tables.clone(),
                    _ => return vec![],
                };
                match result {
                    Ok(setup) => {
                        let text = preview_lines(&setup);
                        let tables =
                            offered.unwrap_or_else(|| setup.link.tables.iter().map(|t| (t.clone(), true)).collect());
                        self.sync.add = Some(Add::Preview { setup, text, scroll: 0, tables, at: 0 });
                    }
                    Err(e) => {
                        self.sync.add = None;
                        self.info(Level::Error, format!("new sync link: {e}"));
                    }
                }
                vec![]
            }
            SyncMsg::Done { job, result } => {
                if self.sync.busy.as_ref().is_some_and(|(j, _)| *j == job) {
                    self.sync.busy = None;
                }
                if matches!(self.sync.add, Some(Add::Creating { job: j }) if j == job) {
                    self.sync.add = None;
                }
                match result {
                    Ok(m) => self.info(Level::Info, m),
                    Err(e) => self.info(Level::Error, e),
                }
                self.sync.refreshing = None;
                self.sync_refresh()
            }
            SyncMsg::Progress { name: _, note } => {
                if let Some(n) = note {
                    self.info(Level::Warn, n);
                }
                if self.pane == PaneId::Sync
                    && self.sync.last_refresh.is_none_or(|t| t.elapsed() >= Duration::from_millis(500))
                {
                    return self.sync_refresh();
                }
                vec![]
            }
            SyncMsg::Stopped { name, error } => {
                self.sync.background.remove(&name);
                match error {
                    Some(e) => self.info(Level::Error, format!("{name} stopped: {e}")),
                    None => self.info(Level::Info, format!("{name} stopped")),
                }
                if self.pane == PaneId::Sync { self.sync_refresh() } else { vec![] }
            }
        }
    }
}
