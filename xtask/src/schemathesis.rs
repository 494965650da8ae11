//! The API contract step: schemathesis (from PyPI, pinned, in a virtual environment of its
//! own) fuzzes every call of the live server's `/api/v1/openapi.json` and fails on any server
//! error or answer that breaks the schema. The driver is `end2end/schemathesis/run.py`.

use std::path::Path;
use std::process::Command;

use crate::{Result, Workspace, cmd};

/// The schemathesis release the contract is checked with.
const VERSION: &str = "4.32.5";

pub fn run(ws: &Workspace, server: &Path) -> Result {
    let venv = ws.target.join("schemathesis-venv");
    let st = venv.join("bin").join("st");
    let marker = venv.join(format!("installed-{VERSION}"));
    if !marker.is_file() {
        cmd::step(&format!("installing schemathesis {VERSION} from PyPI"));
        let python = if cmd::on_path("python3") {
            "python3"
        } else {
            "python"
        };
        if cmd::run(Command::new(python).args(["-m", "venv"]).arg(&venv)).is_err() {
            // Debian's own Python keeps venv in a package of its own.
            cmd::ensure_debian_package(
                "python3-venv",
                Path::new("/usr/share/doc/python3-venv/copyright"),
            )?;
            cmd::run(Command::new(python).args(["-m", "venv"]).arg(&venv))?;
        }
        cmd::run(
            Command::new(venv.join("bin").join("pip"))
                .args(["install", "--quiet", "--disable-pip-version-check"])
                .arg(format!("schemathesis=={VERSION}")),
        )?;
        std::fs::write(&marker, VERSION)
            .map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    }
    cmd::run(
        Command::new(venv.join("bin").join("python"))
            .arg(ws.root.join("end2end/schemathesis/run.py"))
            .env("SWITCHBOARD_BIN", server)
            .env("ST", &st),
    )
}
