//! Staged edits on a result: the cell and row prompts' values, what the grid shows for staged cells and rows,
//! and whether the result can be edited at all.
use super::{Prompt, QueryPane};

impl QueryPane {
    /// The edit prompts' Enter (or Ctrl+N for NULL): stage the cell change, or take the insert's next column.
    pub(super) fn edit_value(&mut self, value: Option<String>) {
        use crate::core::query::edit::Change;
        let Some(p) = self.prompt.take() else { return };
        let Some(r) = &self.result else { return };
        let Some(Ok(t)) = &self.edit else { return };
        match p {
            Prompt::EditCell(_) => {
                let key = t.key.iter().map(|k| r.cell(r.row, *k)).collect();
                let (col, n) = (r.col, value.as_deref().map_or(4, |v| v.chars().count()) as u16);
                self.staged.push(Change::Update { key, column: col, value });
                if let Some(r) = &mut self.result
                    && let Some(w) = r.widths.get_mut(col)
                {
                    *w = (*w).max(n.min(40));
                }
            }
            Prompt::Insert { mut values, col, .. } => {
                // An empty entry leaves the column to its default.
                if value.as_deref() != Some("") {
                    values.push((col, value));
                }
                if col + 1 < r.columns.len() {
                    self.prompt = Some(Prompt::Insert { values, col: col + 1, input: String::new() });
                } else {
                    self.staged.push(Change::Insert { values });
                }
            }
            other => self.prompt = Some(other),
        }
    }

    /// The staged value of a cell, if an update is staged for it: Some(None) is NULL.
    pub fn staged_cell(&self, row: usize, col: usize) -> Option<Option<String>> {
        use crate::core::query::edit::Change;
        let (Some(r), Some(Ok(t))) = (&self.result, &self.edit) else { return None };
        if self.staged.is_empty() {
            return None;
        }
        let key: Vec<Option<String>> = t.key.iter().map(|k| r.cell(row, *k)).collect();
        self.staged.iter().rev().find_map(|c| match c {
            Change::Update { key: k, column, value } if *column == col && *k == key => Some(value.clone()),
            _ => None,
        })
    }

    pub fn staged_delete(&self, row: usize) -> bool {
        use crate::core::query::edit::Change;
        let (Some(r), Some(Ok(t))) = (&self.result, &self.edit) else { return false };
        if self.staged.is_empty() {
            return false;
        }
        let key: Vec<Option<String>> = t.key.iter().map(|k| r.cell(row, *k)).collect();
        self.staged.iter().any(|c| matches!(c, Change::Delete { key: k } if *k == key))
    }

    pub(super) fn editable(&mut self) -> bool {
        match &self.edit {
            Some(Ok(_)) if self.running().is_none() => true,
            Some(Err(why)) => {
                self.edit_refusal = Some(why.clone());
                false
            }
            _ => false,
        }
    }
}
