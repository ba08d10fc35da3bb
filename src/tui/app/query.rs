//! The query pane's part of `App::update`: requests from its keys become effects; results of its jobs update it.
use super::dialog::{Confirm, ConfirmTarget, Tone};
use super::{App, Level};
use crate::core::profile::{Engine, Profile};
use crate::core::query::TxnState;
use crate::core::sql::Statement;
use crate::core::sql::classify::analyse;
use crate::tui::action::QueryMsg;
use crate::tui::effect::Effect;
use crate::tui::panes::query::{self as q, ErrorView, Request, RunScope, RunState, Summary};

impl App {
    /// Quits, unless a transaction is open in the query pane (then asks: quitting rolls it back).
    pub(super) fn quit(&mut self) -> Vec<Effect> {
        let unsaved = self.query.unsaved_files();
        let txn = self.query.txn != TxnState::Idle;
        if !txn && unsaved.is_empty() {
            return vec![Effect::Quit];
        }
        let (title, question) = match (txn, unsaved.len()) {
            (true, _) => ("Transaction open", "A transaction is open in the query editor.".to_string()),
            (false, 1) => ("Unsaved changes", format!("{} has changes not saved to its file.", unsaved[0])),
            (false, n) => ("Unsaved changes", format!("{n} tabs have changes not saved to their files.")),
        };
        let mut c =
            Confirm::new(title, question, if txn { "quit (roll back)" } else { "quit" }, "stay", ConfirmTarget::Quit);
        if txn {
            c = c.line(Tone::Warn, "Quitting closes the connection: the server rolls the transaction back.");
        }
        if !unsaved.is_empty() {
            c = c.line(Tone::Warn, format!("Not saved: {}", unsaved.join(", "))).line(
                Tone::Dim,
                "The files are not written; the editor text comes back at the next start (Ctrl+S saves).",
            );
        }
        self.ask(c);
        vec![]
    }

    fn explain_wrap(&self, scope: RunScope, engine: Engine, sql: &str) -> (String, Option<&'static str>) {
        let mariadb =
            self.schema.catalog.as_ref().is_some_and(|c| c.server_version.to_ascii_lowercase().contains("mariadb"));
        match (scope, engine) {
            (RunScope::Explain, Engine::Postgres | Engine::Mysql | Engine::Duckdb) => (format!("EXPLAIN {sql}"), None),
            (RunScope::ExplainAnalyze, Engine::Duckdb) => (format!("EXPLAIN ANALYZE {sql}"), None),
            (RunScope::ExplainAnalyze, Engine::Postgres) => (format!("EXPLAIN (ANALYZE, BUFFERS) {sql}"), None),
            (RunScope::ExplainAnalyze, Engine::Mysql) if mariadb => (format!("ANALYZE {sql}"), None),
            (RunScope::ExplainAnalyze, Engine::Mysql) => (format!("EXPLAIN ANALYZE {sql}"), None),
            (RunScope::ExplainAnalyze, Engine::Sqlite) => (
                format!("EXPLAIN QUERY PLAN {sql}"),
                Some("SQLite has no EXPLAIN ANALYZE: this is the plan, not timings"),
            ),
            _ => (format!("EXPLAIN QUERY PLAN {sql}"), None),
        }
    }

    pub(super) fn query_request(&mut self, req: Request) -> Vec<Effect> {
        match req {
            Request::Say(text) => {
                self.info(Level::Info, text);
                vec![]
            }
            Request::BrowseRun => self.browse_page(),
            Request::Palette => self.open_palette(),
            Request::Ex => self.open_ex(),
            Request::ResultSet => {
                self.query.edit = self.edit_target();
                vec![]
            }
            Request::None | Request::Pane(_) => {
                if let Some(why) = self.query.edit_refusal.take() {
                    self.info(Level::Warn, format!("this result cannot be edited: {why}"));
                }
                vec![]
            }
            Request::ApplyEdits => {
                let (Some(p), Some(Ok(t))) = (self.connected_profile(), &self.query.edit) else { return vec![] };
                let plans: Vec<_> = self.query.staged.iter().map(|c| t.plan(c)).collect();
                let question = format!("Apply {} edit(s) on `{}` in one transaction?", plans.len(), p.name);
                let shown: Vec<String> = plans.iter().take(12).map(|x| x.shown.clone()).collect();
                let more = plans.len().saturating_sub(12);
                let target = ConfirmTarget::Edits { profile: Box::new(p.clone()), plans };
                let mut c = Confirm::new("Apply edits", question, "apply", "cancel", target).production(&p);
                for line in shown {
                    c = c.line(Tone::Warn, line);
                }
                if more > 0 {
                    c = c.line(Tone::Dim, format!("… and {more} more"));
                }
                self.ask(c);
                vec![]
            }
            Request::Run(scope) => {
                let Some(p) = self.connected_profile() else {
                    self.info(Level::Warn, "no connected profile: connect one in the Profiles pane first");
                    return vec![];
                };
                if self.query.running().is_some() {
                    self.info(Level::Warn, "a query is running: Esc cancels it");
                    return vec![];
                }
                let mut statements = self.query.statements(scope, p.engine);
                if statements.is_empty() {
                    self.info(Level::Warn, "nothing to run: the editor has no statement");
                    return vec![];
                }
                // What the editor runs replaces the table being browsed.
                self.query.browse = None;
                self.query.explain_prefix = 0;
                if matches!(scope, RunScope::Explain | RunScope::ExplainAnalyze) {
                    statements.truncate(1);
                    let st = &mut statements[0];
                    let (text, note) = self.explain_wrap(scope, p.engine, &st.text);
                    self.query.explain_prefix = text.chars().count() - st.text.chars().count();
                    st.text = text;
                    if let Some(n) = note {
                        self.info(Level::Info, n);
                    }
                }
                let dangers: Vec<(usize, String)> = statements
                    .iter()
                    .filter_map(|s| analyse(&s.text, p.engine).danger.map(|d| (s.line, d.describe().to_string())))
                    .collect();
                if !dangers.is_empty() {
                    let question = format!("Run {} statement(s) on `{}` ({})?", statements.len(), p.name, p.target());
                    let lines: Vec<String> = dangers.iter().map(|(l, what)| format!("line {l}: {what}")).collect();
                    let target = ConfirmTarget::Query { profile: Box::new(p.clone()), statements, scope, dangers };
                    let mut c = Confirm::new("Destructive statement", question, "run", "cancel", target)
                        .production(&p)
                        .on_no("not run");
                    for l in lines {
                        c = c.line(Tone::Warn, l);
                    }
                    self.ask(c);
                    return vec![];
                }
                self.start_query(&p, statements, scope)
            }
            Request::Cancel => {
                self.info(Level::Info, "cancel sent to the server");
                vec![Effect::CancelQuery]
            }
            Request::More(more) => vec![Effect::QueryMore(more)],
            Request::Export { format, path } => self.export(format, path, false),
            Request::Copy(text) => {
                self.info(Level::Info, format!("copied {} characters to the clipboard (OSC 52)", text.chars().count()));
                vec![Effect::Copy(text)]
            }
            Request::Open(path) => vec![Effect::ReadFile(crate::core::profile::raw::expand_home(&path))],
            Request::Save { tab, path } => {
                let Some(b) = self.query.tabs.get(tab) else { return vec![] };
                let Some(path) = path.map(|p| crate::core::profile::raw::expand_home(&p)).or_else(|| b.path.clone())
                else {
                    return vec![];
                };
                vec![Effect::WriteFile { tab, path, text: b.text() }]
            }
            Request::History(filter) => match self.connected_profile() {
                Some(p) => vec![Effect::LoadHistory { profile: p.name, filter }],
                None => {
                    self.info(Level::Warn, "no connected profile: history is kept per profile");
                    vec![]
                }
            },
            Request::Complete => {
                let engine = self.connected_profile().map_or(Engine::Sqlite, |p| p.engine);
                let catalog = match (&self.schema.profile, self.connected_profile()) {
                    (Some(a), Some(p)) if *a == p.name => self.schema.catalog.clone(),
                    _ => None,
                };
                let b = self.query.buffer();
                let text = b.text();
                let cursor = b.cursor_offset();
                // Complete within the statement under the cursor (its aliases), not the whole buffer.
                let st = crate::core::sql::split(&text, engine)
                    .into_iter()
                    .rev()
                    .find(|s| s.offset <= cursor)
                    .map(|s| s.offset)
                    .unwrap_or(0);
                let (typed, items) = q::complete::complete(&text[st..], cursor - st, engine, catalog.as_deref());
                match items.len() {
                    0 => self.info(Level::Info, "no completion"),
                    1 => {
                        let b = self.query.buffer_mut();
                        for _ in 0..typed {
                            b.area.delete_char();
                        }
                        b.area.insert_str(&items[0].text);
                    }
                    _ => self.query.completion = Some(q::Completion { items, selected: 0, typed }),
                }
                vec![]
            }
        }
    }

    /// An earlier statement's failure leaves the status line (and its editor marker) once a later run starts or a
    /// statement succeeds; it stays in the message log.
    fn clear_failed_message(&mut self) {
        if let Some(m) = self.query.failed_message.take()
            && self.message.as_ref().is_some_and(|(_, t)| *t == m)
        {
            self.message = None;
        }
    }

    pub(super) fn start_query(&mut self, p: &Profile, statements: Vec<Statement>, scope: RunScope) -> Vec<Effect> {
        let job = self.job();
        let mut effects = Vec::new();
        if matches!(self.query.run, RunState::Paused { .. }) {
            effects.push(Effect::QueryMore(false));
        }
        self.query.source_table = statements
            .last()
            .and_then(|s| crate::core::sql::refs::references(&s.text, p.engine).into_iter().next())
            .map(|(_, s, t)| (s, t));
        self.query.run_statements = statements.clone();
        self.query.run =
            RunState::Running { job, started: std::time::Instant::now(), index: 0, total: statements.len() };
        self.query.result = None;
        self.query.sets.clear();
        self.query.set_index = 0;
        self.query.error = None;
        self.clear_failed_message();
        self.query.notices.clear();
        self.query.summary = Some(Summary::default());
        self.query.explain = matches!(scope, RunScope::Explain | RunScope::ExplainAnalyze);
        effects.push(Effect::RunQuery { job, profile: p.name.clone(), statements, cap: self.query.cap });
        effects
    }

    /// Results of the query pane's jobs; results of superseded jobs are dropped.
    pub(super) fn on_query(&mut self, msg: QueryMsg) -> Vec<Effect> {
        let current = self.query.running();
        let ours = |job: u64| current == Some(job);
        match msg {
            QueryMsg::Columns { job, columns, rows } if ours(job) => {
                let mut v = q::ResultView::new(columns, rows);
                v.explain = self.query.explain;
                let index = match self.query.run {
                    RunState::Running { index, .. } => index,
                    _ => 1,
                };
                v.statement = self.query.run_statements.get(index.saturating_sub(1)).map(|s| s.text.clone());
                v.measure();
                // Browsing, the next page keeps the selected column (a second `O` sorts it the other way).
                if self.query.browse.is_some()
                    && let Some(prev) = &self.query.result
                {
                    v.col = prev.col.min(v.columns.len().saturating_sub(1));
                    v.left.set(prev.left.get());
                }
                self.query.push_result(v);
            }
            QueryMsg::Rows { job } if ours(job) => {
                if let Some(r) = &mut self.query.result {
                    r.measure();
                }
            }
            QueryMsg::Paused { job } if ours(job) => {
                self.query.run = RunState::Paused { job };
                if let Some(r) = &mut self.query.result {
                    r.measure();
                }
            }
            QueryMsg::Resumed { job } if ours(job) => {
                self.query.run = RunState::Running { job, started: std::time::Instant::now(), index: 1, total: 1 };
            }
            QueryMsg::Statement { job, index, total } if ours(job) => {
                if let RunState::Running { index: i, total: t, .. } = &mut self.query.run {
                    *i = index;
                    *t = total;
                }
            }
            QueryMsg::StatementDone { job, done } if ours(job) => {
                self.clear_failed_message();
                let o = &done.outcome;
                let s = self.query.summary.get_or_insert_with(Summary::default);
                s.verb = done.verb.clone();
                if o.returned_rows {
                    s.rows = o.rows;
                }
                s.affected += o.affected;
                s.elapsed += o.elapsed;
                s.statements = done.index;
                s.stopped |= o.stopped;
                self.query.notices.extend(o.notices.iter().cloned());
                let ddl = matches!(done.verb.as_str(), "CREATE" | "ALTER" | "DROP" | "RENAME" | "TRUNCATE" | "COMMENT");
                self.query.schema_changed |= ddl;
            }
            QueryMsg::Failed { job, index, statement, error } if ours(job) => {
                let tab = self.query.tab;
                let (at, line) = match &statement {
                    // The browser's SQL is not in the editor: no place to mark.
                    Some(_) if self.query.browse.is_some() => (None, 0),
                    Some(st) => {
                        let pos = error.position.map(|p| p.saturating_sub(self.query.explain_prefix).max(1));
                        let line = pos.map_or(st.line, |p| st.line_of_char(p));
                        let at = pos.map(|p| {
                            let byte = st.text.char_indices().nth(p - 1).map_or(st.text.len(), |(b, _)| b);
                            let (r, c) = self.query.buffer().position_of(st.offset + byte);
                            (tab, r, c)
                        });
                        (at, line)
                    }
                    None => (None, 0),
                };
                let what = if index > 0 { format!("statement {index} failed: ") } else { String::new() };
                let lvl = if error.cancelled { Level::Warn } else { Level::Error };
                let msg = if error.cancelled {
                    "query cancelled on the server".to_string()
                } else {
                    format!("{what}{error}")
                };
                let first = msg.lines().next().unwrap_or("").to_string();
                self.info(lvl, first.clone());
                self.query.failed_message = Some(first);
                self.query.error = Some(ErrorView { error, at, line });
                if self.query.summary.as_ref().is_some_and(|s| s.statements == 0) {
                    self.query.summary = None;
                }
            }
            QueryMsg::Finished { job, txn } if ours(job) => {
                self.query.run = RunState::Idle;
                self.query.txn = txn;
                // A full page was the last one: the page after it is empty; go back to it and say so.
                if let Some(b) = &mut self.query.browse
                    && b.page() > 0
                    && self.query.error.is_none()
                    && self.query.result.as_ref().is_none_or(|r| r.is_empty())
                {
                    b.starts.pop();
                    self.info(Level::Info, "that was the last page");
                    return self.browse_page();
                }
                self.query.staged.clear();
                self.query.edit = None;
                let engine = self.connected_profile().map_or(Engine::Sqlite, |p| p.engine);
                if engine == Engine::Sqlite
                    && let Some(r) = &self.query.result
                    && r.explain
                    && let Some(tree) = sqlite_plan_tree(r)
                {
                    self.query.result = Some(tree);
                }
                if let Some(r) = &mut self.query.result {
                    r.measure();
                }
                for r in &mut self.query.sets {
                    r.measure();
                }
                self.query.edit = self.edit_target();
                // DDL ran: the schema pane and completion read the catalog again.
                if std::mem::take(&mut self.query.schema_changed)
                    && let Some(p) = self.connected_profile()
                {
                    return self.load_catalog(p);
                }
            }
            QueryMsg::EditsApplied { job, result } => {
                if self.query.applying != Some(job) {
                    return vec![];
                }
                self.query.applying = None;
                match result {
                    Ok(n) => {
                        self.info(Level::Info, format!("applied: {n} row(s) changed; reading the result again"));
                        self.query.staged.clear();
                        let statements = self.query.run_statements.clone();
                        if let Some(p) = self.connected_profile()
                            && !statements.is_empty()
                        {
                            return self.start_query(&p, statements, RunScope::Statement);
                        }
                    }
                    Err((i, e)) => {
                        self.info(Level::Error, format!("edit {} failed, nothing applied: {e}", i + 1));
                    }
                }
            }
            QueryMsg::HistoryLoaded(result) => match result {
                Ok(h) => {
                    self.query.history = h;
                    if let Some(q::Prompt::History { selected, .. }) = &mut self.query.prompt {
                        *selected = (*selected).min(self.query.history.len().saturating_sub(1));
                    }
                    self.refresh_palette();
                }
                Err(e) => self.info(Level::Error, format!("history: {e}")),
            },
            QueryMsg::ExportExists { path, typed, format } => {
                let c = Confirm::new(
                    "File exists",
                    format!("{} is there already.", path.display()),
                    "overwrite",
                    "keep it",
                    ConfirmTarget::Export { format, path: typed },
                )
                .line(Tone::Warn, "Overwriting replaces the whole file.")
                .on_no("not exported: the file was kept (x exports again to another name)");
                self.ask(c);
            }
            QueryMsg::Exported(result) => match result {
                Ok((path, n)) => self.info(Level::Info, format!("exported {n} rows to {}", path.display())),
                Err(e) => self.info(Level::Error, format!("export failed: {e}")),
            },
            QueryMsg::FileOpened { path, result } => match result {
                Ok(text) => {
                    self.query.open_text(&text, Some(path.clone()));
                    self.info(Level::Info, format!("opened {}", path.display()));
                }
                Err(e) => self.info(Level::Error, format!("cannot open {}: {e}", path.display())),
            },
            QueryMsg::FileSaved { tab, path, text, result } => match result {
                Ok(()) => {
                    if let Some(b) = self.query.tabs.get_mut(tab) {
                        b.path = Some(path.clone());
                        b.saved = text;
                    }
                    self.info(Level::Info, format!("saved {}", path.display()));
                }
                Err(e) => self.info(Level::Error, format!("cannot save {}: {e}", path.display())),
            },
            // A superseded job's result.
            _ => {}
        }
        vec![]
    }
}

/// SQLite's EXPLAIN QUERY PLAN rows (id, parent, notused, detail) as the indented tree the sqlite3 shell prints.
fn sqlite_plan_tree(r: &q::ResultView) -> Option<q::ResultView> {
    use crate::core::query::{Column, Kind, RowBuf, Rows};
    let idx = |n: &str| r.columns.iter().position(|c| c.name == n);
    let (id, parent, detail) = (idx("id")?, idx("parent")?, idx("detail")?);
    let rows = r.rows.read().ok()?;
    let nodes: Vec<(String, String, String)> = (0..rows.len())
        .map(|i| {
            let get = |c: usize| rows.get(i, c).unwrap_or("").to_string();
            (get(id), get(parent), get(detail))
        })
        .collect();
    let mut out = Rows::new(1);
    let mut b = RowBuf::default();
    fn walk(nodes: &[(String, String, String)], parent: &str, depth: usize, out: &mut Rows, b: &mut RowBuf) {
        let children: Vec<_> = nodes.iter().filter(|n| n.1 == parent).collect();
        for (k, n) in children.iter().enumerate() {
            let last = k + 1 == children.len();
            b.clear();
            b.push_str(&format!("{}{}{}", "   ".repeat(depth), if last { "`--" } else { "|--" }, n.2));
            out.push(b);
            walk(nodes, &n.0, depth + 1, out, b);
        }
    }
    walk(&nodes, "0", 0, &mut out, &mut b);
    let mut v = q::ResultView::new(
        vec![Column { name: "QUERY PLAN".into(), type_name: String::new(), kind: Kind::Text }],
        std::sync::Arc::new(std::sync::RwLock::new(out)),
    );
    v.explain = true;
    Some(v)
}
