pub mod migrations;
pub mod placeholder;
pub mod profiles;
pub mod query;
pub mod schema;
pub mod schema_view;
pub mod transfer;
