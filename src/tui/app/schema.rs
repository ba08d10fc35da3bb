//! The schema pane's part of `App::update`: its requests become effects; its jobs' results update it.
use super::{App, ConnState, Level, PaneId};
use crate::core::profile::Profile;
use crate::tui::action::SchemaMsg;
use crate::tui::effect::Effect;
use crate::tui::panes::schema::{Count, Load, Request};

impl App {
    /// Starts reading the catalog of `p` (already connected) in the background; a read still running stops.
    pub(super) fn load_catalog(&mut self, p: Profile) -> Vec<Effect> {
        let job = self.job();
        let old = match self.schema.load {
            Load::Loading { job: old, .. } => Some(old),
            _ => None,
        };
        self.schema.load = Load::Loading { job, stage: "starting".into() };
        let load = Effect::LoadCatalog { job, profile: Box::new(p) };
        match old {
            Some(old) => vec![Effect::Cancel { job: old }, load],
            None => vec![load],
        }
    }

    pub(super) fn on_schema(&mut self, msg: SchemaMsg) -> Vec<Effect> {
        match msg {
            SchemaMsg::Stage { job, stage } => {
                if let Load::Loading { job: j, stage: st } = &mut self.schema.load
                    && *j == job
                {
                    *st = stage;
                }
            }
            SchemaMsg::Names { job, profile, catalog, elapsed } => {
                // Only while this read runs, and not over a full catalog of the same profile (a refresh keeps
                // showing the complete one until the new one is read).
                let fresh = self.schema.profile.as_deref() != Some(profile.as_str()) || self.schema.catalog.is_none();
                if matches!(self.schema.load, Load::Loading { job: j, .. } if j == job) && fresh {
                    let n = catalog.table_count();
                    self.schema.set_catalog(&profile, *catalog, elapsed);
                    self.schema.names_only = Some((n, elapsed));
                    self.schema.load = Load::Loading { job, stage: "columns, keys and indexes".into() };
                }
            }
            SchemaMsg::Loaded { job, profile, result, elapsed } => {
                if matches!(self.schema.load, Load::Loading { job: j, .. } if j == job) {
                    match result {
                        Ok(c) => self.schema.set_catalog(&profile, *c, elapsed),
                        Err(e) => {
                            self.schema.load = Load::Failed { message: e };
                            self.schema.names_only = None;
                        }
                    }
                }
            }
            SchemaMsg::RowCount { job, schema, table, result } => {
                let key = (schema, table);
                if matches!(self.schema.counts.get(&key), Some(Count::Running(j)) if *j == job) {
                    let v = match result {
                        Ok((rows, ms)) => Count::Done { rows, ms },
                        Err(e) => Count::Failed(e),
                    };
                    self.schema.counts.insert(key, v);
                }
            }
        }
        vec![]
    }

    pub(super) fn schema_request(&mut self, req: Request) -> Vec<Effect> {
        match req {
            Request::None => vec![],
            Request::Reload => match &self.session {
                Some(s) if matches!(s.state, ConnState::Connected(_)) => {
                    let p = s.profile.clone();
                    self.load_catalog(p)
                }
                Some(s) => {
                    // Not connected (or the connection failed): connect again; the catalog follows.
                    let p = s.profile.clone();
                    self.connect(p)
                }
                None => {
                    self.info(Level::Warn, "no active profile: connect one in the Profiles pane");
                    vec![]
                }
            },
            Request::Count { schema, table } => {
                let Some(profile) = self.schema.profile.clone() else { return vec![] };
                let job = self.job();
                self.schema.counts.insert((schema.clone(), table.clone()), Count::Running(job));
                vec![Effect::CountRows { job, profile, schema, table }]
            }
            Request::Cancel(job) => {
                self.info(Level::Info, "row count cancelled");
                vec![Effect::Cancel { job }]
            }
            Request::Query(sql) => {
                self.query.open_text(&sql, None);
                self.pane = PaneId::Query;
                vec![]
            }
            Request::Browse(_) if self.schema.names_only.is_some() => {
                self.info(Level::Info, "the table's primary key is still being read: Enter again in a moment");
                vec![]
            }
            Request::Browse(spec) => {
                if !self.query.staged.is_empty() {
                    self.info(Level::Warn, "apply (W) or undo (u) the staged edits in the query pane first");
                    return vec![];
                }
                if self.query.running().is_some() {
                    self.info(Level::Warn, "a query is running in the query pane: Esc there cancels it");
                    return vec![];
                }
                self.pane = PaneId::Query;
                self.query.focus = crate::tui::panes::query::Focus::Grid;
                self.query.browse = Some(crate::tui::panes::query::BrowseState::new(*spec));
                self.browse_page()
            }
        }
    }
}
