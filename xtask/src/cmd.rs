//! Running child processes with readable progress and failure messages.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Instant, SystemTime};

use crate::Result;

/// Announces a step.
pub fn step(name: &str) {
    println!("\n==> {name}");
}

/// The command as a person would type it (environment set on it first).
pub fn display(command: &Command) -> String {
    let mut parts: Vec<String> = command
        .get_envs()
        .filter(|(key, _)| *key != "CARGO_TARGET_DIR")
        .filter_map(|(key, value)| {
            value.map(|v| format!("{}={}", key.to_string_lossy(), v.to_string_lossy()))
        })
        .collect();
    let program = command.get_program().to_string_lossy();
    // `$CARGO` is a full path to the toolchain's cargo; `cargo` reads better.
    let program = match Path::new(program.as_ref()).file_stem() {
        Some(stem) if stem == "cargo" => "cargo".to_string(),
        _ => program.into_owned(),
    };
    parts.push(program);
    parts.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

/// Runs a command with inherited stdio; an error unless it exits successfully.
pub fn run(command: &mut Command) -> Result {
    let shown = display(command);
    println!("$ {shown}");
    let status = command
        .status()
        .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        let code = status.code().map_or_else(
            || "killed by a signal".to_string(),
            |c| format!("exit code {c}"),
        );
        Err(format!("`{shown}` failed ({code})"))
    }
}

/// Runs a command and returns its stdout; an error (with its stderr) unless it succeeds.
pub fn output(command: &mut Command) -> Result<String> {
    let shown = display(command);
    let out = command
        .output()
        .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "`{shown}` failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        ))
    }
}

/// Whether `program` can be found on `PATH` (or is a path to an existing file).
pub fn on_path(program: &str) -> bool {
    if program.contains('/') {
        return Path::new(program).is_file();
    }
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

/// Modification time, or `None` when the file is missing or unreadable.
pub fn mtime(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// "1m 23s" or "4.2s".
pub fn elapsed(since: Instant) -> String {
    let secs = since.elapsed().as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        let whole = secs.round() as u64;
        format!("{}m {:02}s", whole / 60, whole % 60)
    }
}

/// Installs a Debian package with apt-get when `provides` (a file it installs) is missing.
pub fn ensure_debian_package(package: &str, provides: &Path) -> Result {
    if provides.is_file() {
        return Ok(());
    }
    step(&format!("installing Debian's {package}"));
    if !on_path("apt-get") {
        return Err(format!(
            "{} is missing and there is no apt-get to install {package}",
            provides.display()
        ));
    }
    let hint =
        format!("installing {package} needs root (run `apt-get install -y {package}` as root)");
    for args in [&["update"][..], &["install", "-y", package][..]] {
        run(Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive"))
        .map_err(|e| format!("{e}\n{hint}"))?;
    }
    if provides.is_file() {
        Ok(())
    } else {
        Err(format!(
            "{package} was installed but {} does not exist",
            provides.display()
        ))
    }
}
