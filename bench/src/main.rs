//! `switchboard-bench`: a load client that measures how fast Switchboard delivers a visitor's
//! message back to that visitor's own Server-Sent Events stream — on SQLite, on PostgreSQL,
//! across two server processes sharing one PostgreSQL database, and while those processes are
//! killed and restarted — what an idle stream costs the server in memory, and the same figures
//! for a bare axum SSE server and for a bare SQLite and PostgreSQL commit, all in one run on one
//! machine.
//!
//! It is not a test: it prints a Markdown report (stdout, and `--out FILE`) with the machine,
//! the exact command line and tables of figures. Run it optimised, next to an optimised server:
//!
//! ```sh
//! export CARGO_TARGET_DIR=$HOME/.cache/switchboard/target
//! cargo build --locked --profile server -p server
//! cargo run --locked --profile server -p bench -- --quick            # smoke run, ~1 min
//! cargo run --locked --profile server -p bench -- --preset issue --out report.md
//! ```
//!
//! What one run does (see `--help` for every flag):
//!
//! 1. Raises its own `RLIMIT_NOFILE` soft limit to the hard limit; the servers it starts inherit
//!    it.
//! 2. For each target — Switchboard (`--server-bin`, started per row with
//!    `--bind 127.0.0.1:0 --database-url URL --visitor-name-optional --no-rate-limits` and
//!    `RUST_LOG=warn`, where
//!    URL is `sqlite://<tmp>/row-N/bench.db` or, with `--backend postgres`, a fresh database in
//!    a throwaway *durable* PostgreSQL 15 cluster the bench starts once per run (see [`pg`]); or
//!    `--url` for a running one) and the `bare-sse` baseline (this binary re-run with that
//!    hidden subcommand, see [`bare`]) — and each row (backend × idle-stream count × active
//!    load, plus the two-node and kill rows):
//!    - creates the idle visitors (`POST /api/v1/visitors {}`), reads the server's VmRSS, opens
//!      one stream per idle visitor (`GET /api/v1/visitor/events`, bearer token), waits for
//!      each stream's first frame, settles, reads VmRSS again: bytes per idle stream;
//!    - lets each active visitor start a chat (`POST /api/v1/visitor/chats`), open its own
//!      stream resuming after the chat's events, then post
//!      (`POST /api/v1/visitor/chats/{id}/messages {body, client_id}`) on an open-loop schedule
//!      at the offered total rate, with at most `--in-flight` POSTs outstanding per visitor;
//!    - times every message from the start of its POST until the `message_posted` frame carrying
//!      its `client_id` is read on that visitor's stream, and its POST until the answer;
//!      counts lost (acknowledged, not read back within `--drain`) and duplicated deliveries;
//!    - parses every frame (`retry:`, `id:`, `event:`, `data:`, heartbeat comments; see
//!      [`sse`]), counts the unreadable ones and reopens ended streams from their last id;
//!    - with two nodes ([`nodes`]: two server processes on one PostgreSQL database), creates
//!      the visitors and posts on node A and reads every stream on node B, so each delivery
//!      crosses nodes; with kills, SIGKILLs and restarts node A, then B, … every N ms while the
//!      visitors retry failed POSTs with the same `client_id` and reopen their streams with
//!      `Last-Event-ID` on whichever node is up, and counts what was lost or duplicated.
//! 3. The commit baselines: one INSERT per transaction on a WAL SQLite file with
//!    `synchronous=FULL` (and `NORMAL` for comparison), and, when a row ran on PostgreSQL, on
//!    the durable cluster with `synchronous_commit=on` (and `off`), for `--commit-seconds`
//!    each (see [`commit`]).
//! 4. With `--targets visitors` (not in the default set): the Visitors page with `--online`
//!    visitors on the site, each with a page view and an open live channel — the list, a search
//!    and the badge's count timed from an operator's session next to `/healthz`, and the
//!    `visitors_changed` signals a console receives while they browse (see [`visitors`]).
//!
//! Only loopback addresses are used, every loop is bounded in count and time, the server
//! processes are killed when their row ends and the PostgreSQL cluster is stopped and deleted
//! by a watcher process once the bench exits.

mod bare;
mod child;
mod cli;
mod commit;
mod load;
mod nodes;
mod pg;
mod report;
mod sse;
mod stats;
mod system;
mod visitors;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cli::{Command, Options};
use load::{Context, Kind};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match cli::parse(&args) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("switchboard-bench: {message}");
            return ExitCode::from(2);
        }
    };
    let threads = match &command {
        Command::Help => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Command::Run(options) => options.client_threads,
        Command::BareSse => None,
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = threads {
        runtime.worker_threads(threads);
    }
    let runtime = match runtime.enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("switchboard-bench: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = match command {
        Command::Run(options) => runtime.block_on(run(*options)),
        Command::BareSse => runtime.block_on(bare::serve()),
        Command::Help => Ok(()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("switchboard-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: Options) -> Result<(), String> {
    let date = system::command_output("date", &["-u", "+%Y-%m-%d %H:%M:%S UTC"])
        .unwrap_or_else(|| "unknown".into());
    let load_at_start = system::load_average();
    let open_files = match system::raise_open_files_limit() {
        Ok(limits) => Some(limits),
        Err(err) => {
            eprintln!("switchboard-bench: warning: {err}");
            None
        }
    };
    let mut plan = Vec::new();
    if options.targets.switchboard {
        plan.extend(
            options
                .rows()
                .into_iter()
                .map(|row| (Kind::Switchboard, row)),
        );
    }
    if options.targets.bare {
        plan.extend(options.bare_rows().into_iter().map(|row| (Kind::Bare, row)));
    }
    let rows: Vec<cli::Row> = plan.iter().map(|(_, row)| *row).collect();
    let most_idle = rows.iter().map(|row| row.idle).max().unwrap_or(0);
    let most_active = rows.iter().map(|row| row.load.visitors).max().unwrap_or(0);
    let needed = (most_idle + most_active * (options.in_flight + 1) + 1000) as u64;
    if let Some((soft, _)) = open_files
        && soft < needed
    {
        eprintln!(
            "switchboard-bench: warning: the open-files limit ({soft}) is below the ~{needed} \
             descriptors this run needs; streams may fail to open"
        );
    }
    let server_bin = server_bin(&options)?;
    let exe = std::env::current_exe().map_err(|err| format!("cannot find this program: {err}"))?;
    let tmp_parent = options.tmp_dir.clone().unwrap_or_else(std::env::temp_dir);
    let tmp = tempfile::Builder::new()
        .prefix("switchboard-bench-")
        .tempdir_in(&tmp_parent)
        .map_err(|err| {
            format!(
                "cannot create a directory in {}: {err}",
                tmp_parent.display()
            )
        })?;
    let filesystem = system::filesystem_of(tmp.path()).unwrap_or_else(|| "unknown".into());
    let context = Context {
        options: &options,
        server_bin: server_bin.clone(),
        exe,
        tmp: tmp.path().to_path_buf(),
        ticks_per_second: system::clock_ticks_per_second(),
        postgres: pg::Postgres::default(),
    };

    let mut results = Vec::new();
    for (number, (kind, row)) in plan.into_iter().enumerate() {
        let result = load::run_row(&context, kind, row, number).await;
        if let Some(err) = &result.error {
            eprintln!("{} stopped: {err}", load::label(kind, row));
        }
        results.push(result);
    }

    let mut commits = Vec::new();
    if options.targets.commit {
        for full in [true, false] {
            eprintln!(
                "[commit] SQLite synchronous={} for {} s",
                if full { "FULL" } else { "NORMAL" },
                options.commit_duration.as_secs_f64()
            );
            commits.push(commit::run(tmp.path(), full, options.commit_duration).await);
        }
        if options.uses_postgres() {
            for durable in [true, false] {
                eprintln!(
                    "[commit] PostgreSQL synchronous_commit={} for {} s",
                    if durable { "on" } else { "off" },
                    options.commit_duration.as_secs_f64()
                );
                let url = context.postgres.new_database().await;
                commits.push(match url {
                    Ok(url) => commit::run_postgres(&url, durable, options.commit_duration).await,
                    Err(err) => Err(err),
                });
            }
        }
    }
    let visitors = if options.targets.visitors {
        Some(visitors::run(&context).await)
    } else {
        None
    };
    let postgres = context.postgres.describe().await.map(|cluster| {
        format!(
            "a throwaway cluster started by the bench on 127.0.0.1:{}, data in {} ({}); {}",
            cluster.port,
            cluster.data.display(),
            cluster.filesystem,
            cluster.settings
        )
    });

    let server = match (&options.url, &server_bin) {
        (Some(url), _) => format!(
            "already running at {url}{}",
            options.server_pid.map_or_else(
                || " (no pid: no memory or CPU figures)".into(),
                |pid| format!(" (pid {pid})")
            )
        ),
        (None, Some(bin)) => format!(
            "`{}`{}, started per row (two processes for two-node rows) on a fresh database: \
             a SQLite file in {} ({filesystem}), or a PostgreSQL database in the cluster below",
            bin.display(),
            built(bin),
            tmp_parent.display()
        ),
        (None, None) => format!(
            "not measured; databases in {} ({filesystem})",
            tmp_parent.display()
        ),
    };
    let header = report::Header {
        load_average: (load_at_start, system::load_average()),
        date,
        command: command_line(),
        machine: system::Machine::read(),
        open_files,
        server,
        postgres,
        client: format!(
            "{}{} worker threads, at most {} POSTs in flight per visitor, {} s drain, \
             {} s sending per row (kill rows: their own)",
            options
                .preset
                .map_or_else(String::new, |preset| format!("preset {preset}; ")),
            options
                .client_threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
            options.in_flight,
            options.drain.as_secs_f64(),
            options.duration.as_secs_f64()
        ),
    };
    let mut report = report::render(&header, &results, &commits);
    if let Some(outcome) = &visitors {
        if let Some(err) = &outcome.error {
            eprintln!("[visitors] stopped: {err}");
        }
        report.push_str(&visitors::render(outcome, &options));
    }
    print!("{report}");
    if let Some(out) = &options.out {
        std::fs::write(out, &report)
            .map_err(|err| format!("cannot write {}: {err}", out.display()))?;
        eprintln!("report written to {}", out.display());
    }
    Ok(())
}

/// The switchboard binary to start, if Switchboard is measured and no `--url` is given.
fn server_bin(options: &Options) -> Result<Option<PathBuf>, String> {
    if !(options.targets.switchboard || options.targets.visitors) || options.url.is_some() {
        return Ok(None);
    }
    let candidates: Vec<PathBuf> = match &options.server_bin {
        Some(path) => vec![path.clone()],
        None => std::env::var_os("CARGO_TARGET_DIR")
            .map(|dir| Path::new(&dir).join("server/switchboard"))
            .into_iter()
            .chain([PathBuf::from("target/server/switchboard")])
            .collect(),
    };
    candidates
        .iter()
        .find(|path| path.is_file())
        .map(|path| Some(path.canonicalize().unwrap_or_else(|_| path.clone())))
        .ok_or_else(|| {
            let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
            format!(
                "no switchboard binary at {}; build it with \
                 `cargo build --locked --profile server -p server` or pass --server-bin",
                tried.join(" or ")
            )
        })
}

/// ", built N minutes ago" from the binary's modification time.
fn built(bin: &Path) -> String {
    std::fs::metadata(bin)
        .and_then(|meta| meta.modified())
        .ok()
        .and_then(|modified| modified.elapsed().ok())
        .map_or_else(String::new, |age| {
            format!(", built {} min ago", age.as_secs() / 60)
        })
}

/// This process's command line, quoted for a POSIX shell.
fn command_line() -> String {
    std::env::args()
        .map(|arg| shell_quote(&arg))
        .collect::<Vec<_>>()
        .join(" ")
}

fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./=:,@%+-".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_for_the_shell() {
        assert_eq!(shell_quote("--idle"), "--idle");
        assert_eq!(shell_quote("0,1000"), "0,1000");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
