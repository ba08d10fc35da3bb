//! The table browser in the query pane: a table's rows a page at a time (by primary key; `>`/`<`), a filter
//! (`f`, a WHERE condition checked before it runs) and a sort by the selected column (`O`, on the server). The
//! pages are ordinary results: the grid, search, copy, export and staged edits work on them as on any result.
use super::{Prompt, QueryPane, Request};
use crate::core::query::browse::{Bound, Browse, check_filter};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowseState {
    pub spec: Browse,
    /// Where each page visited so far starts (the last one is shown).
    pub starts: Vec<Bound>,
}

impl BrowseState {
    pub fn new(spec: Browse) -> BrowseState {
        BrowseState { spec, starts: vec![Bound::Start] }
    }
    /// 0-based page shown.
    pub fn page(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }
    pub fn bound(&self) -> Bound {
        self.starts.last().cloned().unwrap_or(Bound::Start)
    }
    pub fn sql(&self) -> String {
        self.spec.sql(&self.bound())
    }
    /// The 0-based number of the page's first row.
    pub fn first_row(&self) -> usize {
        self.page() * self.spec.page_size
    }
}

impl QueryPane {
    fn staged_refusal(&self) -> Option<Request> {
        (!self.staged.is_empty())
            .then(|| Request::Say("apply (W) or undo (u) the staged edits before another page".into()))
    }

    /// `>`: the page after the shown one, starting after its last key.
    pub(super) fn browse_next(&mut self) -> Request {
        if let Some(r) = self.staged_refusal() {
            return r;
        }
        let (Some(b), Some(r)) = (&self.browse, &self.result) else { return Request::None };
        let n = r.len();
        if n < b.spec.page_size {
            return Request::Say("this is the last page".into());
        }
        let last: Vec<_> = b
            .spec
            .key
            .iter()
            .map(|k| {
                let i = r.columns.iter().position(|c| &c.name == k);
                (i.and_then(|i| r.cell(n - 1, i)), i.map_or(crate::core::query::Kind::Other, |i| r.columns[i].kind))
            })
            .collect();
        let next = b.spec.next_bound(&last, ((b.page() + 1) * b.spec.page_size) as u64);
        if let Some(b) = &mut self.browse {
            b.starts.push(next);
        }
        Request::BrowseRun
    }

    /// `<`: the page before (its start was kept on the way).
    pub(super) fn browse_prev(&mut self) -> Request {
        if let Some(r) = self.staged_refusal() {
            return r;
        }
        match &mut self.browse {
            Some(b) if b.starts.len() > 1 => {
                b.starts.pop();
                Request::BrowseRun
            }
            Some(_) => Request::Say("this is the first page".into()),
            None => Request::None,
        }
    }

    /// `O` while browsing: sort on the server by the selected column (again: descending, again: key order), from
    /// the first page.
    pub(super) fn browse_sort(&mut self) -> Request {
        if let Some(r) = self.staged_refusal() {
            return r;
        }
        let Some(col) = self.result.as_ref().and_then(|r| r.columns.get(r.col)).map(|c| c.name.clone()) else {
            return Request::None;
        };
        let Some(b) = &mut self.browse else { return Request::None };
        b.spec.order = match b.spec.order.take() {
            Some((c, false)) if c == col => Some((col, true)),
            Some((c, true)) if c == col => None,
            _ => Some((col, false)),
        };
        b.starts = vec![Bound::Start];
        Request::BrowseRun
    }

    /// Enter on the filter prompt: checked, then the first page with it (empty: no filter).
    pub(super) fn browse_filter(&mut self, text: String) -> Request {
        let Some(b) = &mut self.browse else { return Request::None };
        let text = text.trim().to_string();
        if let Err(why) = check_filter(&text, b.spec.engine) {
            self.prompt = Some(Prompt::BrowseFilter(text));
            return Request::Say(format!("filter not run: {why}"));
        }
        b.spec.filter = if text.is_empty() { None } else { Some(text) };
        b.starts = vec![Bound::Start];
        Request::BrowseRun
    }
}
