//! Switchboard's build tool, run as `cargo xtask <command>` (see `.cargo/config.toml`).
//!
//! Why an xtask instead of cargo-leptos or Trunk: see `shared/BUILD.md` — neither installs on
//! the Rust toolchain these machines have, and Debian's wasm-opt breaks wasm-bindgen output.
//! Everything here uses only the toolchain, crates locked in `Cargo.lock`, Debian's Chromium and
//! the npm registry.

mod cmd;
mod e2e;
mod schemathesis;
mod site;

use std::env;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Errors are plain messages: every failure is reported to a person at a terminal.
pub type Result<T = ()> = std::result::Result<T, String>;

const HELP: &str = "\
Switchboard's build tool.

USAGE:
    cargo xtask <COMMAND> [OPTIONS] [-- <ARGS>]

COMMANDS:
    build [--dev]            Build the console's bundle (wasm32, profile wasm-release), run
                             wasm-bindgen, copy the bubble's scripts, CSS and assets into the site
                             directory, precompress (gzip + brotli), print a size table, then
                             build the server with that site built in (profile
                             `server`, or `dev` with --dev): one file to deploy.
    run [--dev] [-- ARGS]    Build, then start the server with the site configured. ARGS go to
                             the server, e.g. `cargo xtask run -- --bind 127.0.0.1:8080
                             --database-url sqlite://switchboard.db`.
    test [--no-e2e]          Run everything, failing fast: rustfmt check, clippy (native and
                             wasm32), cargo test, the bubble panel's rules under Node, the
                             PostgreSQL pass, then the Playwright end-to-end tests (installs
                             Debian's Chromium and the npm packages when missing) and
                             schemathesis against the live API (installed from PyPI).
    e2e [-- ARGS]            Only the end-to-end step of `test` (build site + dev server, then
                             `npx playwright test ARGS` in end2end/).
    help                     Show this text.

ENVIRONMENT:
    CARGO_TARGET_DIR         Where builds go (default: <workspace>/target). The site is written
                             to <target>/site.
";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nxtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(args: &[String]) -> Result {
    let Some((command, rest)) = args.split_first() else {
        print!("{HELP}");
        return Ok(());
    };
    let (own, passthrough) = split_at_double_dash(rest);
    match command.as_str() {
        "help" | "-h" | "--help" => {
            print!("{HELP}");
            Ok(())
        }
        "build" => {
            let flags = Flags::parse(own, &["--dev"])?;
            reject_passthrough("build", passthrough)?;
            let ws = Workspace::locate()?;
            let profile = if flags.has("--dev") {
                ServerProfile::Dev
            } else {
                ServerProfile::Server
            };
            build(&ws, profile).map(|_| ())
        }
        "run" => {
            // Anything that is not ours goes to the server too, so both
            // `cargo xtask run -- --bind ..` and `cargo xtask run --bind ..` work.
            let (dev, mut server_args): (Vec<&String>, Vec<&String>) =
                own.iter().partition(|a| a.as_str() == "--dev");
            server_args.extend(passthrough);
            let ws = Workspace::locate()?;
            let profile = if dev.is_empty() {
                ServerProfile::Server
            } else {
                ServerProfile::Dev
            };
            // PDFs need fonts; the rest of the server runs without them.
            if let Err(err) = ensure_pdf_fonts() {
                eprintln!("xtask run: {err}; PDF transcripts will be unavailable");
            }
            let server = build(&ws, profile)?;
            run_server(&server, &server_args)
        }
        "test" => {
            let flags = Flags::parse(own, &["--no-e2e"])?;
            reject_passthrough("test", passthrough)?;
            let ws = Workspace::locate()?;
            test(&ws, !flags.has("--no-e2e"))
        }
        "e2e" => {
            Flags::parse(own, &[])?;
            let ws = Workspace::locate()?;
            let started = Instant::now();
            e2e::run(&ws, passthrough)?;
            println!("\nxtask e2e: passed in {}", cmd::elapsed(started));
            Ok(())
        }
        other => Err(format!("unknown command `{other}`; run `cargo xtask help`")),
    }
}

fn split_at_double_dash(args: &[String]) -> (&[String], &[String]) {
    match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[]),
    }
}

fn reject_passthrough(command: &str, passthrough: &[String]) -> Result {
    if passthrough.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "`cargo xtask {command}` takes no arguments after `--`"
        ))
    }
}

struct Flags<'a>(Vec<&'a str>);

impl<'a> Flags<'a> {
    fn parse(args: &'a [String], allowed: &[&str]) -> Result<Self> {
        let mut seen = Vec::new();
        for arg in args {
            if allowed.contains(&arg.as_str()) {
                seen.push(arg.as_str());
            } else {
                return Err(format!(
                    "unexpected argument `{arg}`; run `cargo xtask help`"
                ));
            }
        }
        Ok(Flags(seen))
    }

    fn has(&self, flag: &str) -> bool {
        self.0.contains(&flag)
    }
}

/// Paths every command needs.
pub struct Workspace {
    /// The workspace root (the directory holding the workspace `Cargo.toml`).
    pub root: PathBuf,
    /// `$CARGO_TARGET_DIR` (made absolute) or `<root>/target`.
    pub target: PathBuf,
}

impl Workspace {
    fn locate() -> Result<Self> {
        // `cargo run` says where xtask's manifest is now; the path compiled in is only a
        // fallback, since a binary reused from a shared target dir may come from another clone.
        let manifest_dir = env::var_os("CARGO_MANIFEST_DIR")
            .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
        let root = manifest_dir
            .parent()
            .ok_or_else(|| {
                format!(
                    "xtask manifest dir {} has no parent",
                    manifest_dir.display()
                )
            })?
            .to_path_buf();
        let target = match env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
            Some(dir) => {
                let dir = PathBuf::from(dir);
                if dir.is_absolute() {
                    dir
                } else {
                    // Cargo resolves a relative CARGO_TARGET_DIR against the current directory.
                    env::current_dir()
                        .map_err(|e| format!("cannot read the current directory: {e}"))?
                        .join(dir)
                }
            }
            None => root.join("target"),
        };
        Ok(Workspace { root, target })
    }

    pub fn site(&self) -> PathBuf {
        self.target.join("site")
    }

    /// A `cargo` command run at the workspace root with the resolved target directory.
    pub fn cargo(&self) -> std::process::Command {
        let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = std::process::Command::new(cargo);
        command
            .current_dir(&self.root)
            .env("CARGO_TARGET_DIR", &self.target);
        command
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ServerProfile {
    /// `[profile.server]`: optimised, no LTO (the default for `build` and `run`).
    Server,
    /// Cargo's dev profile: quickest to build (tests).
    Dev,
}

impl ServerProfile {
    fn dir(self) -> &'static str {
        match self {
            ServerProfile::Server => "server",
            ServerProfile::Dev => "debug",
        }
    }
}

/// `cargo xtask build`: the site, then the server. Returns the server binary's path.
pub fn build(ws: &Workspace, profile: ServerProfile) -> Result<PathBuf> {
    let started = Instant::now();
    site::build(ws)?;

    cmd::step("building the server");
    let mut cargo = ws.cargo();
    cargo.args(["build", "--locked", "-p", "server", "--bin", "switchboard"]);
    // The site goes into the binary (server/build.rs): it runs from any directory alone.
    cargo.env("SWITCHBOARD_EMBED_SITE", ws.site());
    if profile == ServerProfile::Server {
        cargo.args(["--profile", "server"]);
    }
    cmd::run(&mut cargo)?;
    let binary = ws
        .target
        .join(profile.dir())
        .join(format!("switchboard{}", env::consts::EXE_SUFFIX));
    if !binary.is_file() {
        return Err(format!(
            "the server build succeeded but {} does not exist",
            binary.display()
        ));
    }
    println!(
        "\nxtask build: done in {} — site {}, server {}",
        cmd::elapsed(started),
        ws.site().display(),
        binary.display()
    );
    Ok(binary)
}

fn run_server(binary: &Path, args: &[&String]) -> Result {
    cmd::step("starting the server (Ctrl-C stops it)");
    let mut server = std::process::Command::new(binary);
    // The demo site shows the bubble on a customer's page at once; a deployment runs the
    // binary itself, without it.
    server.arg("--demo").args(args);
    println!("$ {}", cmd::display(&server));
    exec(server, binary)
}

/// Replaces this process with the server, so Ctrl-C reaches the server alone and its exit code
/// is ours (`cargo run` itself execs on Unix, so no parent is left to die of the signal).
#[cfg(unix)]
fn exec(mut server: std::process::Command, binary: &Path) -> Result {
    use std::os::unix::process::CommandExt;
    let error = server.exec();
    Err(format!("cannot start {}: {error}", binary.display()))
}

#[cfg(not(unix))]
fn exec(mut server: std::process::Command, binary: &Path) -> Result {
    let status = server
        .status()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    std::process::exit(status.code().unwrap_or(1));
}

/// Where Debian keeps PostgreSQL 15's server programs (`initdb`, `pg_ctl`).
const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// The SMTP server the mail tests run on loopback: Debian's aiosmtpd, for its own Python.
pub(crate) fn ensure_smtp_server() -> Result {
    cmd::ensure_debian_package(
        "python3-aiosmtpd",
        std::path::Path::new("/usr/lib/python3/dist-packages/aiosmtpd/__init__.py"),
    )
}

/// The fonts PDF transcripts are set in (O22): DejaVu for Latin, Cyrillic, Greek, Arabic and
/// Hebrew, Droid Sans Fallback for Chinese, Japanese and Korean.
pub(crate) fn ensure_pdf_fonts() -> Result {
    cmd::ensure_debian_package(
        "fonts-dejavu-core",
        std::path::Path::new("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    )?;
    cmd::ensure_debian_package(
        "fonts-droid-fallback",
        std::path::Path::new("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
    )
}

/// What the PDF tests read PDFs back with: `pdftotext` and `pdffonts` from poppler.
pub(crate) fn ensure_pdf_tools() -> Result {
    ensure_pdf_fonts()?;
    cmd::ensure_debian_package("poppler-utils", std::path::Path::new("/usr/bin/pdftotext"))
}

/// `cargo xtask test`: every check, in order, stopping at the first failure.
fn test(ws: &Workspace, with_e2e: bool) -> Result {
    let started = Instant::now();
    let mut passed: Vec<String> = Vec::new();
    let result = test_steps(ws, with_e2e, &mut passed);
    let summary = passed.join(", ");
    match result {
        Ok(()) => {
            let skipped = if with_e2e {
                ""
            } else {
                " (end-to-end skipped: --no-e2e)"
            };
            println!(
                "\nxtask test: PASSED — {} steps in {}{skipped}: {summary}",
                passed.len(),
                cmd::elapsed(started)
            );
            Ok(())
        }
        Err(message) => {
            let before = if passed.is_empty() {
                String::new()
            } else {
                format!(" (passed before it: {summary})")
            };
            Err(format!(
                "`cargo xtask test` FAILED after {}{before}:\n{message}",
                cmd::elapsed(started)
            ))
        }
    }
}

fn test_steps(ws: &Workspace, with_e2e: bool, passed: &mut Vec<String>) -> Result {
    let mut step = |name: &str, f: &mut dyn FnMut() -> Result| -> Result {
        cmd::step(name);
        let started = Instant::now();
        f().map_err(|e| format!("step `{name}` failed: {e}"))?;
        println!("--- {name}: ok ({})", cmd::elapsed(started));
        passed.push(name.to_string());
        Ok(())
    };

    step("rustfmt", &mut || {
        cmd::run(ws.cargo().args(["fmt", "--all", "--", "--check"]))
    })?;
    step("clippy", &mut || {
        cmd::run(ws.cargo().args([
            "clippy",
            "--locked",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step("clippy wasm32", &mut || {
        site::ensure_wasm_target()?;
        cmd::run(ws.cargo().args([
            "clippy",
            "--locked",
            "-p",
            "frontend",
            "--target",
            site::WASM_TARGET,
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step("cargo test", &mut || {
        ensure_smtp_server()?;
        ensure_pdf_tools()?;
        cmd::run(ws.cargo().args(["test", "--locked", "--workspace"]))
    })?;
    // The panel's rules (the conversation fold, stream frames, typing reports) under Node.
    step("bubble panel (node --test)", &mut || {
        if !cmd::on_path("node") {
            cmd::ensure_debian_package("nodejs", std::path::Path::new("/usr/bin/node"))?;
        }
        cmd::run(
            std::process::Command::new("node")
                .args(["--test"])
                .arg(ws.root.join("widget/assets")),
        )
    })?;
    // The store's contract: the engine and HTTP suites again, on a throwaway PostgreSQL
    // cluster the tests start themselves.
    step("cargo test (PostgreSQL)", &mut || {
        cmd::ensure_debian_package("postgresql", &std::path::Path::new(PG_BIN).join("initdb"))?;
        cmd::run(
            ws.cargo()
                // The whole workspace, as the step before: the same features, so nothing is
                // built twice (the suites that do not touch a store pass again quickly).
                .args(["test", "--locked", "--workspace"])
                .env("SWITCHBOARD_TEST_BACKEND", "postgres"),
        )
    })?;
    if with_e2e {
        step("end-to-end", &mut || e2e::run(ws, &[]))?;
        // The server the end-to-end step just built, fuzzed through its published schema.
        step("schemathesis", &mut || {
            let built = ws
                .target
                .join(ServerProfile::Dev.dir())
                .join(format!("switchboard{}", env::consts::EXE_SUFFIX));
            let server = if built.is_file() {
                built
            } else {
                build(ws, ServerProfile::Dev)?
            };
            schemathesis::run(ws, &server)
        })?;
    }
    Ok(())
}
