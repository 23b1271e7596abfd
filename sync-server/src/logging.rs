//! The process's log output: text for a person at a terminal, or one JSON
//! object per line for a log collector, where each field a line carries
//! (`room`, `user`, the request's `method`, `route` and redacted `uri`) is a
//! field of the object, so it can be filtered on without parsing prose.
//! Both go to stderr, filtered by `JIGSYNC_LOG` (default `info`).

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Installs the global subscriber; call once, before anything logs.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_env("JIGSYNC_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => {
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
            builder.with_ansi(ansi).init();
        }
        // The event's fields at the top level beside `message`; the request
        // it happened in as `span`.
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).with_span_list(false).init(),
    }
}
