//! The `jigsync` binary: parse flags, set up logging, serve.

use clap::Parser;
use jigsync_server::config::Config;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let filter = EnvFilter::try_from_env("JIGSYNC_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).init();
    // A panic is caught where it can be (yrs calls, room actors), but it is
    // always worth a log line an operator sees with the others.
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map(ToString::to_string).unwrap_or_default();
        let message = jigsync_server::panics::message(info.payload());
        tracing::error!(%location, panic = %message, "panicked");
    }));
    let config = Config::parse();
    match jigsync_server::server::serve(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "jigsync failed");
            std::process::ExitCode::FAILURE
        }
    }
}
