//! The `jigsync` binary: parse flags, set up logging, serve (or run a
//! subcommand: `mint-teacher-token`, `backup`).

use clap::Parser;
use jigsync_server::config::Config;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Flags first: they choose the log format (clap reports its own errors).
    let config = Config::parse();
    jigsync_server::logging::init(config.log_format);
    // A panic is caught where it can be (yrs calls, room actors), but it is
    // always worth a log line an operator sees with the others.
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map(ToString::to_string).unwrap_or_default();
        let message = jigsync_server::panics::message(info.payload());
        tracing::error!(%location, panic = %message, "panicked");
    }));
    if let Some(command) = &config.command {
        return match jigsync_server::commands::run(&config, command).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(err) => {
                tracing::error!(error = %err, "jigsync failed");
                std::process::ExitCode::FAILURE
            }
        };
    }
    match jigsync_server::server::serve(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "jigsync failed");
            std::process::ExitCode::FAILURE
        }
    }
}
