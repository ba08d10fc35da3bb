//! The connection profiles pane: the list, the selected profile's details, and its last connection test.
pub mod fields;
pub mod form;
pub mod form_view;
pub mod view;

pub use view::render;

use std::collections::HashMap;

use crate::core::engine::{StepReport, TestReport};

/// A connection test in progress or finished.
#[derive(Debug, Clone)]
pub struct TestState {
    pub job: u64,
    pub steps: Vec<StepReport>,
    pub report: Option<TestReport>,
}

/// The pane's own widget state.
#[derive(Debug, Default)]
pub struct ProfilesPane {
    pub selected: usize,
    /// Where the list was drawn (inside its border) and its first visible row: for clicks.
    pub list_area: std::cell::Cell<ratatui::layout::Rect>,
    pub list_offset: std::cell::Cell<usize>,
    pub tests: HashMap<String, TestState>,
}
