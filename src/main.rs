//! Start-up only: parse the command line, start logging, and hand over to the TUI or a subcommand.
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use dbconsole::cli::{self, Cli, Commands};
use dbconsole::core::paths::Paths;

fn main() -> ExitCode {
    let started = Instant::now();
    let cli = Cli::parse();
    let paths = Paths::resolve();
    let _log = match dbconsole::logging::init(&paths.log_dir(), &cli.log_level) {
        Ok(g) => Some(g),
        Err(e) => {
            eprintln!("warning: cannot write logs to {}: {e}", paths.log_dir().display());
            dbconsole::logging::init_notices_only();
            None
        }
    };
    paths.tighten_existing();
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    if let Err(e) = cli::set_url_route(&cli.ssh, cli.ssh_identity.as_deref()) {
        eprintln!("error: {e}");
        return ExitCode::from(cli::EXIT_USAGE as u8);
    }
    let code = rt.block_on(async move {
        match cli.command {
            Some(Commands::Profile { command }) => cli::profile::run(&paths, command).await,
            Some(Commands::Schema(args)) => cli::schema::run(&paths, args).await,
            Some(Commands::Migrate { command }) => cli::migrate::run(&paths, command).await,
            Some(Commands::Query(args)) => cli::query::run(&paths, args).await,
            Some(Commands::Transfer { command }) => cli::transfer::run(&paths, command).await,
            Some(Commands::Dump(args)) => cli::dump::dump(&paths, args).await,
            Some(Commands::Completions { shell }) => cli::completions(shell),
            Some(Commands::Man) => cli::man(),
            Some(Commands::Sync { command }) => cli::sync::run(&paths, command).await,
            None => {
                let set = cli::load_profiles(&paths);
                let (adhoc, profile) = match cli.target {
                    Some(t) if dbconsole::core::profile::looks_like_url(&t) => match cli::resolve_target(&set, &t) {
                        Ok(p) => (Some(p), None),
                        Err(e) => {
                            eprintln!("error: {e}");
                            return cli::EXIT_USAGE;
                        }
                    },
                    Some(name) if set.get(&name).is_none() && cli::bare_sqlite_path(&name).is_some() => {
                        (cli::bare_sqlite_path(&name), None)
                    }
                    Some(name) => {
                        if set.get(&name).is_none()
                            && let Err(e) = cli::resolve_target(&set, &name)
                        {
                            eprintln!("error: {e}");
                            return cli::EXIT_USAGE;
                        }
                        (None, Some(name))
                    }
                    None => (None, None),
                };
                let opts = dbconsole::tui::Options {
                    paths,
                    set,
                    adhoc,
                    profile,
                    first_frame_exit: cli.first_frame_exit,
                    row_cap: cli.row_cap,
                    started,
                };
                match dbconsole::tui::run(opts).await {
                    Ok(()) => 0,
                    Err(e) => {
                        eprintln!("error: {e:#}");
                        1
                    }
                }
            }
        }
    });
    dbconsole::core::ssh::tunnel::shutdown();
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    ExitCode::from(code.clamp(0, 255) as u8)
}
