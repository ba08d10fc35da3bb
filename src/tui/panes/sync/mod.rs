//! The sync pane: every link with its state, what waits each way, lag, throughput, conflicts and errors; the
//! selected link's tables, sides and sparklines; the conflict queue; adding a link step by step. Keys become a
//! `Request` that `App` turns into effects.
pub mod view;

use std::collections::BTreeSet;
use std::time::Instant;

use crossterm::event::KeyEvent;

use crate::core::sync::Policy;
use crate::core::sync::state::Conflict;
use crate::core::sync::status::LinkStatus;
use crate::tui::action::JobId;
use crate::tui::keymap::{self, Command, Scope};
use crate::tui::widgets::chooser::{Choice, Chooser};

/// A link as the pane shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkView {
    pub status: LinkStatus,
    /// (at ms, applied, lag ms) samples of the last ten minutes, oldest first.
    pub samples: Vec<(i64, i64, i64)>,
    /// Conflicts waiting (manual policy).
    pub conflicts: Vec<Conflict>,
}

/// Adding a link, step by step.
#[derive(Debug, Clone)]
pub enum Add {
    Source(Chooser),
    Target {
        from: String,
        chooser: Chooser,
    },
    Options {
        from: String,
        to: String,
        two_way: bool,
        policy: usize,
    },
    Preparing {
        job: JobId,
        /// The tables offered and chosen so far (a second plan for fewer tables keeps the list whole).
        tables: Option<Vec<(String, bool)>>,
    },
    /// What the link will create, to read before it is created; its tables, each chosen or not.
    Preview {
        setup: Box<crate::core::sync::setup::Setup>,
        text: Vec<String>,
        scroll: u16,
        tables: Vec<(String, bool)>,
        at: usize,
    },
    Creating {
        job: JobId,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    None,
    Refresh,
    /// Open the source chooser (the app fills in the profiles).
    StartAdd,
    /// The target chooser for a chosen source.
    ChooseTarget {
        from: String,
    },
    Prepare {
        from: String,
        to: String,
        two_way: bool,
        policy: Policy,
        /// Only these tables (empty: all), and the whole list with what was chosen.
        tables: Vec<String>,
        offered: Option<Vec<(String, bool)>>,
    },
    Create,
    Pause {
        name: String,
        pause: bool,
    },
    RunOnce {
        name: String,
    },
    Background {
        name: String,
        start: bool,
    },
    Resolve {
        name: String,
        id: i64,
        take_source: bool,
    },
    Remove {
        name: String,
    },
}

#[derive(Debug, Default)]
pub struct SyncPane {
    pub links: Vec<LinkView>,
    pub selected: usize,
    /// The first status read came back.
    pub loaded: bool,
    /// Reading the status failed (the state store).
    pub error: Option<String>,
    pub refreshing: Option<JobId>,
    pub last_refresh: Option<Instant>,
    pub conflicts_open: bool,
    pub conflict_at: usize,
    pub add: Option<Add>,
    /// A job on one link (run once, resolve, remove, create) and what it is.
    pub busy: Option<(JobId, String)>,
    /// Links this dbconsole runs in the background.
    pub background: BTreeSet<String>,
    /// Per (link, table): applied total at the last read, and when; the rate between two reads.
    pub seen: std::collections::HashMap<(String, String), (i64, Instant)>,
    pub rates: std::collections::HashMap<(String, String), f64>,
}

impl SyncPane {
    pub fn current(&self) -> Option<&LinkView> {
        self.links.get(self.selected)
    }

    /// New statuses: the selection stays on the same link by name.
    pub fn set_links(&mut self, links: Vec<LinkView>) {
        let name = self.current().map(|l| l.status.name.clone());
        // Each table's changes per second since the last read.
        let now = Instant::now();
        for l in &links {
            for t in &l.status.tables {
                let k = (l.status.name.clone(), t.table.clone());
                if let Some((before, at)) = self.seen.get(&k) {
                    let dt = now.duration_since(*at).as_secs_f64();
                    if dt >= 0.5 {
                        self.rates.insert(k.clone(), (t.applied_total - before).max(0) as f64 / dt);
                        self.seen.insert(k, (t.applied_total, now));
                    }
                } else {
                    self.seen.insert(k, (t.applied_total, now));
                }
            }
        }
        self.links = links;
        self.loaded = true;
        self.error = None;
        self.selected = name
            .and_then(|n| self.links.iter().position(|l| l.status.name == n))
            .unwrap_or(0)
            .min(self.links.len().saturating_sub(1));
        let waiting = self.current().map_or(0, |l| l.conflicts.len());
        self.conflict_at = self.conflict_at.min(waiting.saturating_sub(1));
        if waiting == 0 {
            self.conflicts_open = false;
        }
    }

    /// Keys for the add steps, the conflict queue or the list.
    pub fn handle_key(&mut self, key: &KeyEvent) -> Request {
        let cmd = keymap::lookup(Scope::Sync, key);
        if let Some(add) = &mut self.add {
            return match add {
                Add::Source(ch) => match ch.handle(cmd) {
                    Choice::Chosen(i) => Request::ChooseTarget { from: ch.name(i).unwrap_or_default().to_string() },
                    Choice::Closed => {
                        self.add = None;
                        Request::None
                    }
                    Choice::Stay => Request::None,
                },
                Add::Target { from, chooser } => match chooser.handle(cmd) {
                    Choice::Chosen(i) => {
                        let to = chooser.name(i).unwrap_or_default().to_string();
                        self.add = Some(Add::Options { from: from.clone(), to, two_way: false, policy: 0 });
                        Request::None
                    }
                    Choice::Closed => {
                        self.add = None;
                        Request::None
                    }
                    Choice::Stay => Request::None,
                },
                Add::Options { from, to, two_way, policy } => match cmd {
                    Some(Command::Select) => {
                        *two_way = !*two_way;
                        Request::None
                    }
                    Some(Command::CycleNext) if *two_way => {
                        *policy = (*policy + 1) % Policy::ALL.len();
                        Request::None
                    }
                    Some(Command::CyclePrev) if *two_way => {
                        *policy = (*policy + Policy::ALL.len() - 1) % Policy::ALL.len();
                        Request::None
                    }
                    Some(Command::Confirm) => Request::Prepare {
                        from: from.clone(),
                        to: to.clone(),
                        two_way: *two_way,
                        policy: if *two_way { Policy::ALL[*policy] } else { Policy::SourceWins },
                        tables: Vec::new(),
                        offered: None,
                    },
                    Some(Command::Cancel) => {
                        self.add = None;
                        Request::None
                    }
                    _ => Request::None,
                },
                Add::Preview { setup, scroll, text, tables, at } => match cmd {
                    // The tables as chosen are the ones planned: create. Otherwise plan again for the choice.
                    Some(Command::Confirm) => {
                        let chosen: Vec<String> = tables.iter().filter(|t| t.1).map(|t| t.0.clone()).collect();
                        if chosen == setup.link.tables {
                            Request::Create
                        } else if chosen.is_empty() {
                            Request::None
                        } else {
                            let l = &setup.link;
                            Request::Prepare {
                                from: l.source.clone(),
                                to: l.target.clone(),
                                two_way: l.two_way,
                                policy: l.policy,
                                tables: chosen,
                                offered: Some(tables.clone()),
                            }
                        }
                    }
                    Some(Command::Down) => {
                        *at = (*at + 1).min(tables.len().saturating_sub(1));
                        Request::None
                    }
                    Some(Command::Up) => {
                        *at = at.saturating_sub(1);
                        Request::None
                    }
                    Some(Command::Select) => {
                        if let Some(t) = tables.get_mut(*at) {
                            t.1 = !t.1;
                        }
                        Request::None
                    }
                    Some(Command::PageDown) => {
                        *scroll = (*scroll + 5).min(text.len().saturating_sub(1) as u16);
                        Request::None
                    }
                    Some(Command::PageUp) => {
                        *scroll = scroll.saturating_sub(5);
                        Request::None
                    }
                    Some(Command::Cancel) => {
                        self.add = None;
                        Request::None
                    }
                    _ => Request::None,
                },
                // Preparing or creating: Esc only hides the step (the job finishes and says so).
                Add::Preparing { .. } | Add::Creating { .. } => {
                    if cmd == Some(Command::Cancel) {
                        self.add = None;
                    }
                    Request::None
                }
            };
        }
        if self.conflicts_open {
            let Some(link) = self.current() else {
                self.conflicts_open = false;
                return Request::None;
            };
            let n = link.conflicts.len();
            let name = link.status.name.clone();
            let id = link.conflicts.get(self.conflict_at).map(|c| c.id);
            return match cmd {
                Some(Command::Down) => {
                    self.conflict_at = (self.conflict_at + 1).min(n.saturating_sub(1));
                    Request::None
                }
                Some(Command::Up) => {
                    self.conflict_at = self.conflict_at.saturating_sub(1);
                    Request::None
                }
                Some(Command::TakeSource) | Some(Command::TakeTarget) if self.busy.is_none() => match id {
                    Some(id) => Request::Resolve { name, id, take_source: cmd == Some(Command::TakeSource) },
                    None => Request::None,
                },
                Some(Command::Cancel) | Some(Command::Conflicts) => {
                    self.conflicts_open = false;
                    Request::None
                }
                Some(Command::Refresh) => Request::Refresh,
                _ => Request::None,
            };
        }
        let name = self.current().map(|l| l.status.name.clone());
        match (cmd, name) {
            (Some(Command::Down), _) => {
                self.selected = (self.selected + 1).min(self.links.len().saturating_sub(1));
                Request::None
            }
            (Some(Command::Up), _) => {
                self.selected = self.selected.saturating_sub(1);
                Request::None
            }
            (Some(Command::Refresh), _) => Request::Refresh,
            (Some(Command::Add), _) => Request::StartAdd,
            (Some(Command::Pause), Some(name)) => {
                let paused = self.current().is_some_and(|l| l.status.state == "paused");
                Request::Pause { name, pause: !paused }
            }
            (Some(Command::Run), Some(name)) if self.busy.is_none() => Request::RunOnce { name },
            (Some(Command::Background), Some(name)) => {
                let start = !self.background.contains(&name);
                Request::Background { name, start }
            }
            (Some(Command::Conflicts), Some(_)) => {
                if self.current().is_some_and(|l| !l.conflicts.is_empty()) {
                    self.conflicts_open = true;
                    self.conflict_at = 0;
                }
                Request::None
            }
            (Some(Command::Delete), Some(name)) if self.busy.is_none() => Request::Remove { name },
            _ => Request::None,
        }
    }

    /// Whether the pane takes Esc itself (the conflict queue, the add steps).
    pub fn has_overlay(&self) -> bool {
        self.add.is_some() || self.conflicts_open
    }
}

/// Lines of a setup's description, for the preview.
pub fn preview_lines(setup: &crate::core::sync::setup::Setup) -> Vec<String> {
    setup.describe().lines().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn k(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn adding_a_link_goes_through_its_steps() {
        let mut p =
            SyncPane { add: Some(Add::Source(Chooser::new(vec!["lite".into(), "pg".into()]))), ..Default::default() };
        assert_eq!(p.handle_key(&k(KeyCode::Enter)), Request::ChooseTarget { from: "lite".into() });
        p.add = Some(Add::Target { from: "lite".into(), chooser: Chooser::new(vec!["pg".into()]) });
        assert_eq!(p.handle_key(&k(KeyCode::Enter)), Request::None);
        // One-way: the policy does not move.
        assert_eq!(p.handle_key(&k(KeyCode::Right)), Request::None);
        p.handle_key(&k(KeyCode::Char(' ')));
        p.handle_key(&k(KeyCode::Right));
        p.handle_key(&k(KeyCode::Right));
        p.handle_key(&k(KeyCode::Right));
        assert_eq!(
            p.handle_key(&k(KeyCode::Enter)),
            Request::Prepare {
                from: "lite".into(),
                to: "pg".into(),
                two_way: true,
                policy: Policy::Manual,
                tables: vec![],
                offered: None
            }
        );
        assert_eq!(p.handle_key(&k(KeyCode::Esc)), Request::None);
        assert!(p.add.is_none());
    }
}
