//! Builds the site into the binary (P1): when `SWITCHBOARD_EMBED_SITE` names a built site
//! folder (`cargo xtask build` sets it), every file under its `pkg/` and `widget/` is included
//! with `include_bytes!`, so `switchboard` runs from any directory with nothing beside it.
//! Without it (plain `cargo build`, the test suites) nothing is embedded and the server serves
//! the site from `--site-root`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const DIRS: [&str; 2] = ["pkg", "widget"];

fn main() {
    println!("cargo:rerun-if-env-changed=SWITCHBOARD_EMBED_SITE");
    let mut table = String::from("pub static FILES: &[(&str, &[u8])] = &[\n");
    if let Some(site) = std::env::var_os("SWITCHBOARD_EMBED_SITE").filter(|s| !s.is_empty()) {
        let site = PathBuf::from(site);
        let mut files = Vec::new();
        for dir in DIRS {
            let root = site.join(dir);
            println!("cargo:rerun-if-changed={}", root.display());
            collect(&root, &mut files);
        }
        if files.is_empty() {
            panic!(
                "SWITCHBOARD_EMBED_SITE={} holds no built site (no pkg/ or widget/ files)",
                site.display()
            );
        }
        files.sort();
        for file in files {
            println!("cargo:rerun-if-changed={}", file.display());
            let name = file
                .strip_prefix(&site)
                .unwrap_or(&file)
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let _ = writeln!(
                table,
                "    ({name:?}, include_bytes!({:?})),",
                file.display().to_string()
            );
        }
    }
    table.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    if let Err(err) = std::fs::write(out.join("embedded_site.rs"), table) {
        panic!("cannot write the embedded site table: {err}");
    }
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}
