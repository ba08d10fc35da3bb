pub mod chooser;
pub mod popup;
