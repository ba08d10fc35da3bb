pub mod placeholder;
pub mod profiles;
