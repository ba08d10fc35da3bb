pub mod chooser;
pub mod palette;
pub mod popup;
