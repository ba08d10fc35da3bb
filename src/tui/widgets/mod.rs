pub mod chooser;
pub mod palette;
pub mod popup;
pub mod text;

pub use text::{fit, fit_str};
