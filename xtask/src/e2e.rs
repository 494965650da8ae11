//! The end-to-end step: site + dev server, Debian's Chromium, npm packages, Playwright.

use std::path::Path;
use std::process::Command;

use crate::{Result, ServerProfile, Workspace, cmd};

const CHROMIUM: &str = "/usr/bin/chromium";

pub fn run(ws: &Workspace, playwright_args: &[String]) -> Result {
    let server = crate::build(ws, ServerProfile::Dev)?;
    ensure_chromium()?;
    crate::ensure_smtp_server()?;
    crate::ensure_pdf_tools()?;
    let dir = ws.root.join("end2end");
    ensure_node_modules(&dir)?;

    cmd::step("playwright");
    let mut playwright = Command::new("npx");
    playwright
        .current_dir(&dir)
        .args(["--no", "--", "playwright", "test"])
        .args(playwright_args)
        .env("SWITCHBOARD_BIN", &server);
    cmd::run(&mut playwright)
}

/// Installs Debian's Chromium when `/usr/bin/chromium` is missing (Playwright's own browser
/// download does not work on these machines).
fn ensure_chromium() -> Result {
    cmd::ensure_debian_package("chromium", Path::new(CHROMIUM))
}

/// `npm ci` when `node_modules` is missing or older than `package-lock.json`.
fn ensure_node_modules(dir: &Path) -> Result {
    let lock = dir.join("package-lock.json");
    let lock_time = cmd::mtime(&lock).ok_or_else(|| format!("{} is missing", lock.display()))?;
    // npm rewrites its hidden lockfile on every install; the directory's own mtime is a
    // fallback.
    let installed = cmd::mtime(&dir.join("node_modules/.package-lock.json"))
        .or_else(|| cmd::mtime(&dir.join("node_modules")));
    if installed.is_some_and(|t| t >= lock_time) {
        return Ok(());
    }
    cmd::step("installing end2end's npm packages");
    if !cmd::on_path("npm") {
        return Err("npm is not on PATH (install Node.js and npm)".to_string());
    }
    cmd::run(
        Command::new("npm")
            .current_dir(dir)
            .args(["ci", "--no-audit", "--no-fund"])
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"),
    )
}
