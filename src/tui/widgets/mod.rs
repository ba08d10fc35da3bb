pub mod form;
pub mod popup;
