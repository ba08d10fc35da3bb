//! The schema pane: a tree (schema → tables and views → columns, indexes, keys, triggers) with a fuzzy filter,
//! details of the selected object, exact row counts on demand, and DDL. State and key handling only here;
//! drawing is in `view.rs`.
pub mod view;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent};

use crate::core::catalog::Catalog;
use crate::tui::keymap::{self, Command, Scope};

#[derive(Debug, Clone, PartialEq)]
pub enum Load {
    /// Nothing asked yet (no connected profile).
    Idle,
    Loading {
        job: u64,
        stage: String,
    },
    Loaded {
        elapsed: Duration,
    },
    Failed {
        message: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    Columns,
    Indexes,
    ForeignKeys,
    Ddl,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Count {
    Running(u64),
    Done { rows: i64, ms: f64 },
    Failed(String),
}

/// One visible row of the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Schema(usize),
    Table(usize, usize),
    /// A child line of an expanded table: (schema, table, which child).
    Child(usize, usize, usize),
}

/// What the pane asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    None,
    Reload,
    Count {
        schema: String,
        table: String,
    },
    Cancel(u64),
    Query(String),
    /// Browse a table's rows in the query pane.
    Browse(Box<crate::core::query::browse::Browse>),
}

/// Rows per page of the table browser.
pub const BROWSE_PAGE: usize = 200;

#[derive(Debug)]
pub struct SchemaPane {
    pub load: Load,
    pub catalog: Option<Arc<Catalog>>,
    /// The profile the catalog belongs to.
    pub profile: Option<String>,
    pub expanded: HashSet<(usize, usize)>,
    pub collapsed_schemas: HashSet<usize>,
    pub filter: String,
    pub filtering: bool,
    pub detail: Detail,
    pub detail_scroll: u16,
    pub counts: HashMap<(String, String), Count>,
    pub selected: usize,
    /// First visible row; set while drawing (like ratatui's ListState), hence a Cell.
    pub offset: std::cell::Cell<usize>,
    /// Visible rows, recomputed when the catalog, the filter or an expansion changes.
    pub rows: Vec<Row>,
    /// Height of the tree area at the last draw (for paging).
    pub page: std::cell::Cell<usize>,
    /// Where the tree's rows were drawn at the last draw (for clicks).
    pub tree_area: std::cell::Cell<ratatui::layout::Rect>,
    /// Only the names are read so far: how many, and how long that took.
    pub names_only: Option<(usize, Duration)>,
}

impl Default for SchemaPane {
    fn default() -> Self {
        SchemaPane {
            load: Load::Idle,
            names_only: None,
            catalog: None,
            profile: None,
            expanded: HashSet::new(),
            collapsed_schemas: HashSet::new(),
            filter: String::new(),
            filtering: false,
            detail: Detail::Columns,
            detail_scroll: 0,
            counts: HashMap::new(),
            selected: 0,
            offset: std::cell::Cell::new(0),
            rows: Vec::new(),
            page: std::cell::Cell::new(20),
            tree_area: std::cell::Cell::new(ratatui::layout::Rect::default()),
        }
    }
}

/// Fuzzy matching on nucleo's matcher (the one helix uses): case-insensitive unless the query has capitals
/// ("smart case"), accents folded, higher scores for contiguous runs and word starts. One per filter pass: the
/// matcher keeps its buffers between candidates.
pub struct Fuzzy {
    matcher: nucleo_matcher::Matcher,
    pattern: nucleo_matcher::pattern::Pattern,
    buf: Vec<char>,
}

impl Fuzzy {
    pub fn new(needle: &str) -> Fuzzy {
        use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
        Fuzzy {
            matcher: nucleo_matcher::Matcher::new(nucleo_matcher::Config::DEFAULT),
            pattern: Pattern::parse(needle, CaseMatching::Smart, Normalization::Smart),
            buf: Vec::new(),
        }
    }

    /// The score of `hay`; None: no match.
    pub fn score(&mut self, hay: &str) -> Option<i64> {
        let h = nucleo_matcher::Utf32Str::new(hay, &mut self.buf);
        self.pattern.score(h, &mut self.matcher).map(i64::from)
    }
}

/// One-off score of `needle` in `hay` (see [`Fuzzy`]).
pub fn fuzzy_score(needle: &str, hay: &str) -> Option<i64> {
    Fuzzy::new(needle).score(hay)
}

/// The child lines of an expanded table: columns, then keys, indexes, foreign keys and triggers.
pub fn child_count(c: &Catalog, si: usize, ti: usize) -> usize {
    let t = &c.schemas[si].tables[ti];
    t.columns.len()
        + usize::from(t.primary_key.is_some())
        + t.unique_constraints.len()
        + t.indexes.iter().filter(|i| !i.constraint).count()
        + t.foreign_keys.len()
        + t.checks.len()
        + t.triggers.len()
}

impl SchemaPane {
    pub fn set_catalog(&mut self, profile: &str, catalog: Catalog, elapsed: Duration) {
        let same = self.profile.as_deref() == Some(profile);
        // Keep the selection on the same table across a refresh of the same profile's catalog, by name.
        let keep = self.selected_table_name().filter(|_| same);
        if !same {
            self.expanded.clear();
            self.collapsed_schemas.clear();
            self.counts.clear();
            self.filter.clear();
        } else {
            // Expansion is by position; drop entries that no longer exist.
            let c = &catalog;
            self.expanded.retain(|(s, t)| c.schemas.get(*s).is_some_and(|x| *t < x.tables.len()));
        }
        self.catalog = Some(Arc::new(catalog));
        self.names_only = None;
        self.profile = Some(profile.to_string());
        self.load = Load::Loaded { elapsed };
        self.rebuild();
        self.selected = keep
            .and_then(|(s, t)| {
                self.rows.iter().position(|r| self.row_table_name(*r).as_ref() == Some(&(s.clone(), t.clone())))
            })
            .unwrap_or(if same { self.selected.min(self.rows.len().saturating_sub(1)) } else { 0 });
        if !same {
            self.detail_scroll = 0;
        }
    }

    fn row_table_name(&self, r: Row) -> Option<(String, String)> {
        let c = self.catalog.as_ref()?;
        match r {
            Row::Table(s, t) => Some((c.schemas[s].name.clone(), c.schemas[s].tables[t].name.clone())),
            _ => None,
        }
    }

    pub fn selected_table_name(&self) -> Option<(String, String)> {
        let (s, t) = self.selected_table()?;
        let c = self.catalog.as_ref()?;
        Some((c.schemas[s].name.clone(), c.schemas[s].tables[t].name.clone()))
    }

    /// The table of the selected row (a child row belongs to its table).
    pub fn selected_table(&self) -> Option<(usize, usize)> {
        match self.rows.get(self.selected)? {
            Row::Table(s, t) | Row::Child(s, t, _) => Some((*s, *t)),
            Row::Schema(_) => None,
        }
    }

    /// Recomputes the visible rows from the catalog, the filter and the expansions.
    pub fn rebuild(&mut self) {
        self.rows.clear();
        let Some(c) = self.catalog.clone() else { return };
        let filtering = !self.filter.is_empty();
        let mut fuzzy = Fuzzy::new(&self.filter);
        for (si, s) in c.schemas.iter().enumerate() {
            let mut tables: Vec<(i64, usize)> = Vec::new();
            for (ti, t) in s.tables.iter().enumerate() {
                if filtering {
                    let score =
                        fuzzy.score(&t.name).or_else(|| fuzzy.score(&format!("{}.{}", s.name, t.name)).map(|x| x - 50));
                    if let Some(score) = score {
                        tables.push((score, ti));
                    }
                } else {
                    tables.push((0, ti));
                }
            }
            if filtering && tables.is_empty() {
                continue;
            }
            if filtering {
                tables.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            }
            self.rows.push(Row::Schema(si));
            if self.collapsed_schemas.contains(&si) && !filtering {
                continue;
            }
            for (_, ti) in tables {
                self.rows.push(Row::Table(si, ti));
                if self.expanded.contains(&(si, ti)) {
                    for k in 0..child_count(&c, si, ti) {
                        self.rows.push(Row::Child(si, ti, k));
                    }
                }
            }
        }
        if filtering {
            // Put the selection on the best match.
            self.selected = self.rows.iter().position(|r| matches!(r, Row::Table(..))).unwrap_or(0);
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    /// Keeps the selected row inside the window of `height` rows.
    pub fn scroll_into_view(&self, height: usize) -> usize {
        let page = height.max(1);
        self.page.set(page);
        let mut offset = self.offset.get().min(self.rows.len().saturating_sub(1));
        if self.selected < offset {
            offset = self.selected;
        } else if self.selected >= offset + page {
            offset = self.selected + 1 - page;
        }
        self.offset.set(offset);
        offset
    }

    /// Handles a key; the details start at their top whenever the selected table changes.
    pub fn handle_key(&mut self, key: &KeyEvent) -> Request {
        let before = self.selected_table();
        let req = self.handle_key_inner(key);
        if self.selected_table() != before {
            self.detail_scroll = 0;
        }
        req
    }

    fn handle_key_inner(&mut self, key: &KeyEvent) -> Request {
        if self.filtering {
            match key.code {
                KeyCode::Esc => {
                    self.filtering = false;
                    self.filter.clear();
                    self.rebuild();
                }
                KeyCode::Enter => self.filtering = false,
                KeyCode::Backspace => {
                    self.filter.pop();
                    self.rebuild();
                }
                KeyCode::Down => self.move_by(1),
                KeyCode::Up => self.move_by(-1),
                KeyCode::Char(c) => {
                    self.filter.push(c);
                    self.rebuild();
                }
                _ => {}
            }
            return Request::None;
        }
        let n = self.rows.len();
        match keymap::lookup(Scope::Schema, key) {
            Some(Command::Down) => self.move_by(1),
            Some(Command::Up) => self.move_by(-1),
            Some(Command::PageDown) => self.move_by(self.page.get() as i64),
            Some(Command::PageUp) => self.move_by(-(self.page.get() as i64)),
            Some(Command::Top) => self.selected = 0,
            Some(Command::Bottom) => self.selected = n.saturating_sub(1),
            Some(Command::Browse) => match self.rows.get(self.selected).copied() {
                Some(Row::Table(si, ti)) => {
                    if let Some(c) = &self.catalog {
                        let (s, t) = (&c.schemas[si], &c.schemas[si].tables[ti]);
                        return Request::Browse(Box::new(crate::core::query::browse::Browse {
                            engine: c.engine,
                            schema: s.name.clone(),
                            table: t.name.clone(),
                            key: t.primary_key.as_ref().map(|k| k.columns.clone()).unwrap_or_default(),
                            filter: None,
                            order: None,
                            page_size: BROWSE_PAGE,
                        }));
                    }
                }
                Some(Row::Schema(si)) => {
                    if !self.collapsed_schemas.remove(&si) {
                        self.collapsed_schemas.insert(si);
                    }
                    self.rebuild();
                }
                _ => {}
            },
            Some(Command::Expand) => match self.rows.get(self.selected).copied() {
                Some(Row::Schema(si)) => {
                    if !self.collapsed_schemas.remove(&si) && key.code == KeyCode::Enter {
                        self.collapsed_schemas.insert(si);
                    }
                    self.rebuild();
                }
                Some(Row::Table(si, ti)) => {
                    if !self.expanded.insert((si, ti)) && key.code == KeyCode::Enter {
                        self.expanded.remove(&(si, ti));
                    }
                    self.rebuild();
                }
                _ => {}
            },
            Some(Command::Collapse) => match self.rows.get(self.selected).copied() {
                Some(Row::Table(si, ti)) if self.expanded.remove(&(si, ti)) => self.rebuild(),
                Some(Row::Table(si, _)) => {
                    self.selected = self.rows.iter().position(|r| *r == Row::Schema(si)).unwrap_or(0);
                }
                Some(Row::Child(si, ti, _)) => {
                    self.expanded.remove(&(si, ti));
                    self.rebuild();
                    self.selected = self.rows.iter().position(|r| *r == Row::Table(si, ti)).unwrap_or(0);
                }
                Some(Row::Schema(si)) => {
                    self.collapsed_schemas.insert(si);
                    self.rebuild();
                }
                None => {}
            },
            Some(Command::Filter) => self.filtering = true,
            Some(Command::DetailDown) => self.detail_scroll = self.detail_scroll.saturating_add(5),
            Some(Command::DetailUp) => self.detail_scroll = self.detail_scroll.saturating_sub(5),
            Some(Command::ShowColumns) => self.show(Detail::Columns),
            Some(Command::ShowIndexes) => self.show(Detail::Indexes),
            Some(Command::ShowForeignKeys) => self.show(Detail::ForeignKeys),
            Some(Command::ShowDdl) => self.show(Detail::Ddl),
            Some(Command::Refresh) => return Request::Reload,
            Some(Command::CountRows) => {
                if let Some((schema, table)) = self.selected_table_name() {
                    return Request::Count { schema, table };
                }
            }
            Some(Command::CancelJob) => {
                if let Some(key) = self.selected_table_name()
                    && let Some(Count::Running(job)) = self.counts.get(&key)
                {
                    let job = *job;
                    self.counts.remove(&key);
                    return Request::Cancel(job);
                }
                if !self.filter.is_empty() {
                    self.filter.clear();
                    self.rebuild();
                }
            }
            Some(Command::SelectQuery) => {
                if let (Some((si, ti)), Some(c)) = (self.selected_table(), &self.catalog) {
                    let s = &c.schemas[si];
                    let t = &s.tables[ti];
                    let cols: Vec<String> =
                        t.columns.iter().map(|col| crate::core::catalog::quote::ident(c.engine, &col.name)).collect();
                    let sql = format!(
                        "SELECT {}\nFROM {}\nLIMIT 100;",
                        if cols.is_empty() { "*".to_string() } else { cols.join(", ") },
                        crate::core::catalog::quote::qualified(c.engine, &s.name, &t.name)
                    );
                    return Request::Query(sql);
                }
            }
            _ => {}
        }
        Request::None
    }

    fn show(&mut self, d: Detail) {
        self.detail = d;
        self.detail_scroll = 0;
    }

    fn move_by(&mut self, delta: i64) {
        let n = self.rows.len() as i64;
        if n == 0 {
            return;
        }
        let next = (self.selected as i64 + delta).clamp(0, n - 1);
        if next as usize != self.selected {
            self.selected = next as usize;
            self.detail_scroll = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy() {
        assert!(fuzzy_score("oi", "order_items").is_some());
        assert!(fuzzy_score("xyz", "order_items").is_none());
        assert!(fuzzy_score("ord", "orders").unwrap() > fuzzy_score("ord", "other_records_d").unwrap());
        assert!(fuzzy_score("et", "été").is_some(), "accents folded");
        assert!(fuzzy_score("oi", "ORDER_ITEMS").is_some(), "lower case matches any case");
        assert!(fuzzy_score("OI", "order_items").is_none(), "capitals ask for capitals (smart case)");
        assert!(fuzzy_score("items", "order_items").unwrap() > fuzzy_score("items", "i_t_e_m_s").unwrap());
    }

    proptest::proptest! {
        #[test]
        fn fuzzy_never_panics(n in "(?s).{0,20}", h in "(?s).{0,80}") {
            let _ = fuzzy_score(&n, &h);
        }
    }
}
