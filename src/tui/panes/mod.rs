pub mod migrations;
pub mod placeholder;
pub mod profiles;
pub mod schema;
pub mod schema_view;
