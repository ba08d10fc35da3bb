//! PostgreSQL notices (RAISE NOTICE, WARNING…). sqlx hands them only to `tracing`, under the target
//! `sqlx::postgres::notice`; this layer routes each one to the query that is running in the same task, so the
//! editor can show it next to the result. Install it once in the process's subscriber (`logging::init` does).
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// `NOTICE`, `WARNING`, `INFO`, `DEBUG`, or MySQL's `Warning`/`Note`/`Error`.
    pub level: String,
    pub code: Option<String>,
    pub message: String,
}

pub type Collector = Arc<Mutex<Vec<Notice>>>;

tokio::task_local! {
    static SINK: Collector;
}

/// Runs `fut` with notices collected into `into`.
pub async fn collect<F: Future>(into: Collector, fut: F) -> F::Output {
    SINK.scope(into, fut).await
}

pub const TARGET: &str = "sqlx::postgres::notice";

/// The tracing layer; add it with a filter that passes `TARGET` at TRACE (see `filter`).
pub struct NoticeLayer;

pub fn filter() -> tracing_subscriber::filter::Targets {
    tracing_subscriber::filter::Targets::new().with_target(TARGET, tracing::Level::TRACE)
}

struct Msg(String);
impl Visit for Msg {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0 = value.to_string();
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" && self.0.is_empty() {
            self.0 = format!("{value:?}").trim_matches('"').to_string();
        }
    }
}

impl<S: Subscriber> Layer<S> for NoticeLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != TARGET {
            return;
        }
        let mut m = Msg(String::new());
        event.record(&mut m);
        let level = match *event.metadata().level() {
            tracing::Level::ERROR => "ERROR",
            tracing::Level::WARN => "WARNING",
            tracing::Level::INFO => "NOTICE",
            tracing::Level::DEBUG => "DEBUG",
            tracing::Level::TRACE => "INFO",
        };
        let _ = SINK.try_with(|s| {
            if let Ok(mut v) = s.lock() {
                v.push(Notice { level: level.into(), code: None, message: m.0 });
            }
        });
    }
}
