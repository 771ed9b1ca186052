//! The `rnnc` binary: parses the command line and hands over to [`rnnc::cli`].

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    rnnc::cli::run(rnnc::cli::Cli::parse())
}
