//! The `scoutly` binary: parse the command line, set up logging, run, and
//! turn errors into a message and an exit code. Everything else is in the
//! library.

use std::process::ExitCode;

use clap::Parser;
use scoutly::cli::{self, Cli, ConfigProblem};
use scoutly::config::ProcessEnv;

fn main() -> ExitCode {
    scoutly::memory::limit_arenas();
    let cli = Cli::parse();
    let default_level = if cli.is_run() { "info" } else { "warn" };
    // chromiumoxide warns of every DevTools event newer than its protocol
    // bindings (several a page): noise that would fill the journal.
    let filter = tracing_subscriber::EnvFilter::try_from_env("SCOUTLY_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("{default_level},chromiumoxide::handler=error"))
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match cli::run(cli, &ProcessEnv) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<ConfigProblem>().is_some() {
                ExitCode::from(cli::EXIT_CONFIG)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
