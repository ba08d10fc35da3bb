//! The query pane's results in `App`: exporting the shown result, whether it can be edited, and the table
//! browser's pages.
use super::{App, Level};
use crate::core::catalog::quote;
use crate::core::profile::Engine;
use crate::core::query::export::Format;
use crate::core::sql::Statement;
use crate::tui::effect::Effect;
use crate::tui::panes::query::RunScope;

impl App {
    /// Runs the table browser's current page (a SELECT built from quoted names and literals, never pasted text).
    pub(super) fn browse_page(&mut self) -> Vec<Effect> {
        let Some(b) = &self.query.browse else { return vec![] };
        let Some(p) = self.connected_profile() else {
            self.info(Level::Warn, "no connected profile: connect one in the Profiles pane first");
            return vec![];
        };
        if !self.query.staged.is_empty() {
            self.info(Level::Warn, "apply (W) or undo (u) the staged edits before another page");
            return vec![];
        }
        let st = Statement { text: b.sql(), line: 1, offset: 0 };
        self.start_query(&p, vec![st], RunScope::Statement)
    }

    /// Whether the shown result can be edited (one table with its primary key, from the loaded catalog), or why not.
    pub(super) fn edit_target(&self) -> Option<Result<crate::core::query::edit::Target, String>> {
        let r = self.query.result.as_ref().filter(|r| !r.explain)?;
        let st = r.statement.as_ref()?;
        let engine = self.connected_profile().map_or(Engine::Sqlite, |p| p.engine);
        let catalog = match (&self.schema.profile, self.connected_profile()) {
            (Some(a), Some(p)) if *a == p.name => self.schema.catalog.clone(),
            _ => None,
        };
        Some(crate::core::query::edit::target(st, engine, &r.columns, catalog.as_deref()))
    }

    /// Exports the shown result; over an existing file only once the user said yes (`overwrite`).
    pub(super) fn export(&mut self, format: Format, path: String, overwrite: bool) -> Vec<Effect> {
        let Some(r) = &self.query.result else { return vec![] };
        let engine = self.connected_profile().map_or(Engine::Sqlite, |p| p.engine);
        let table = match &self.query.source_table {
            Some((Some(s), t)) => quote::qualified(engine, s, t),
            Some((None, t)) => quote::ident(engine, t),
            None => "result".to_string(),
        };
        let (n, columns, rows) = (r.len(), r.columns.clone(), r.rows.clone());
        self.info(Level::Info, format!("exporting {n} rows to {path}…"));
        vec![Effect::Export {
            columns,
            rows,
            format,
            path: crate::core::profile::raw::expand_home(&path),
            engine,
            table,
            typed: path,
            overwrite,
        }]
    }
}
