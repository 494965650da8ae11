//! The site directory: the console's WebAssembly through wasm-bindgen, the bubble's scripts,
//! CSS and static assets, and their gzip + brotli siblings.
//!
//! Layout (`<target>/site`):
//! ```text
//! pkg/switchboard.js, pkg/switchboard_bg.wasm, pkg/switchboard.css   the console (hydrate)
//! widget/panel.js, widget/widget.css                                 the bubble's panel
//! widget/loader.js                                                   the bubble's loader
//! widget/voice.js                                                    voice calls, fetched when one starts
//! <everything under assets/>                                         favicon etc.
//! ```
//! wasm-opt is never run: Debian's binaryen breaks wasm-bindgen 0.2.130 output (BUILD.md).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use wasm_bindgen_cli_support::Bindgen;

use crate::{Result, Workspace, cmd};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
pub const WASM_PROFILE: &str = "wasm-release";
/// The console bundle's name (`LEPTOS_OUTPUT_NAME`).
pub const OUTPUT_NAME: &str = "switchboard";

/// Files that get `.gz` and `.br` siblings.
const COMPRESSIBLE: &[&str] = &["js", "wasm", "css", "html", "svg"];

struct Bundle {
    package: &'static str,
    out_name: &'static str,
    /// Directory under the site root.
    dir: &'static str,
}

const BUNDLES: &[Bundle] = &[Bundle {
    package: "frontend",
    out_name: OUTPUT_NAME,
    dir: "pkg",
}];

/// Workspace file → site file.
const COPIES: &[(&str, &str)] = &[
    ("style/console.css", "pkg/switchboard.css"),
    ("style/widget.css", "widget/widget.css"),
    ("widget/assets/loader.js", "widget/loader.js"),
    // Fetched by the loader when the visitor first opens the bubble.
    ("widget/assets/panel.js", "widget/panel.js"),
    // Fetched by the bubble and the console only when a voice call starts.
    ("widget/assets/voice.js", "widget/voice.js"),
];

pub fn build(ws: &Workspace) -> Result {
    let started = Instant::now();
    let site = ws.site();
    ensure_wasm_target()?;

    for bundle in BUNDLES {
        cmd::step(&format!(
            "building {} for {WASM_TARGET} ({WASM_PROFILE})",
            bundle.package
        ));
        cmd::run(ws.cargo().args([
            "build",
            "--locked",
            "-p",
            bundle.package,
            "--lib",
            "--target",
            WASM_TARGET,
            "--profile",
            WASM_PROFILE,
        ]))?;
    }

    cmd::step("wasm-bindgen");
    for bundle in BUNDLES {
        bindgen(ws, bundle, &site.join(bundle.dir))?;
    }

    cmd::step("copying styles and assets");
    for (from, to) in COPIES {
        let from = ws.root.join(from);
        if !from.is_file() {
            return Err(format!(
                "{} is missing (it belongs in the site)",
                from.display()
            ));
        }
        copy_if_changed(&from, &site.join(to))?;
    }
    let assets = ws.root.join("assets");
    if assets.is_dir() {
        copy_dir(&assets, &site)?;
    }

    cmd::step("precompressing (gzip best, brotli 11)");
    let files = shipped_files(&site)?;
    for file in &files {
        if is_compressible(file) {
            compress(file)?;
        }
    }

    size_table(&site, &files)?;
    check_budgets(&site)?;
    println!("site built in {}", cmd::elapsed(started));
    Ok(())
}

/// Weight budgets: the brotli bytes a browser downloads for each part, and the build fails
/// over any of them. The loader's and the panel's are the product's goals: every page view of
/// every customer site pays the loader, and every visitor who opens the bubble the panel (plain
/// script since it left Leptos: 197 KiB of WebAssembly before, voice calls fetched apart).
/// The console's first load is its script, its WebAssembly less the pieces split off for
/// lazily loaded pages, the script that loads those pieces, and its styles: what the Dashboard
/// needs. It was 991.8 KiB in one piece; every page but the Dashboard loading apart took it to
/// 570 KiB, and the chat panel loading apart (My Chats, a chat's window, an expanded chip) to
/// 422 KiB; hydrating the frame and the pages synchronously off the router's path, reading
/// tagged JSON without serde's buffering, reading all JSON as bytes, and fetching the alert
/// pop-ups, the dock and the signed-off notice when first shown took it to about 341 KiB.
/// The budget is the product's goal.
const BUDGETS: [(&str, &[&str], u64); 3] = [
    ("bubble loader", &["widget/loader.js"], 4 * 1024),
    (
        "bubble panel",
        &["widget/panel.js", "widget/widget.css"],
        60 * 1024,
    ),
    (
        "console first load",
        &[
            "pkg/switchboard.js",
            "pkg/switchboard_bg.wasm",
            "pkg/__wasm_split.js",
            "pkg/switchboard.css",
        ],
        350 * 1024,
    ),
];

/// Fails the build when a part weighs more than its budget.
fn check_budgets(site: &Path) -> Result {
    let mut over = Vec::new();
    println!();
    for (part, files, budget) in BUDGETS {
        let mut total = 0;
        for file in files {
            let path = site.join(file);
            let raw = size(&path).ok_or_else(|| format!("cannot read {}", path.display()))?;
            total += size(&with_suffix(&path, ".br")).unwrap_or(raw);
        }
        println!(
            "budget {part}: {} of {} brotli",
            human(total),
            human(budget)
        );
        if total > budget {
            over.push(format!(
                "{part} weighs {} brotli, over its budget of {}",
                human(total),
                human(budget)
            ));
        }
    }
    if over.is_empty() {
        Ok(())
    } else {
        Err(over.join("; "))
    }
}

/// Installs the wasm32 target through rustup when it is missing.
pub fn ensure_wasm_target() -> Result {
    if !cmd::on_path("rustup") {
        // Not a rustup toolchain: the target is there if the sysroot has it.
        let sysroot = cmd::output(Command::new("rustc").args(["--print", "sysroot"]))?;
        let lib = Path::new(sysroot.trim())
            .join("lib/rustlib")
            .join(WASM_TARGET);
        return if lib.is_dir() {
            Ok(())
        } else {
            Err(format!(
                "the {WASM_TARGET} target is not installed and rustup is not available"
            ))
        };
    }
    let installed = cmd::output(Command::new("rustup").args(["target", "list", "--installed"]))?;
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        return Ok(());
    }
    cmd::step(&format!("installing the {WASM_TARGET} target"));
    cmd::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

fn bindgen(ws: &Workspace, bundle: &Bundle, out_dir: &Path) -> Result {
    let input = ws
        .target
        .join(WASM_TARGET)
        .join(WASM_PROFILE)
        .join(format!("{}.wasm", bundle.package));
    let input_time = cmd::mtime(&input)
        .ok_or_else(|| format!("{} is missing after the wasm build", input.display()))?;
    let outputs = [
        out_dir.join(format!("{}.js", bundle.out_name)),
        out_dir.join(format!("{}_bg.wasm", bundle.out_name)),
        out_dir.join(SPLIT_LINK),
    ];
    let up_to_date = outputs
        .iter()
        .all(|out| cmd::mtime(out).is_some_and(|t| t >= input_time));
    if up_to_date {
        println!("{}: up to date", bundle.package);
        return Ok(());
    }
    let started = Instant::now();
    fs::create_dir_all(out_dir).map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let main = split(ws, bundle, &input, out_dir)?;
    Bindgen::new()
        .input_path(&main)
        .out_name(bundle.out_name)
        .typescript(false)
        .remove_name_section(true)
        .remove_producers_section(true)
        .web(true)
        .and_then(|b| b.generate(out_dir))
        .map_err(|e| format!("wasm-bindgen failed on {}: {e:#}", main.display()))?;
    println!(
        "{} -> {} ({})",
        bundle.package,
        out_dir.join(bundle.out_name).display(),
        cmd::elapsed(started)
    );
    Ok(())
}

/// The script that loads a bundle's pieces, beside its own script.
const SPLIT_LINK: &str = "__wasm_split.js";

/// Cuts a bundle at its lazy routes and functions (`#[lazy]`, `#[lazy_route]`): the pieces
/// (`split_<name>.wasm`, and `chunk_<n>.wasm` for code several of them share) and the script
/// that fetches them go to `out_dir`, replacing the last build's; the main module, still to go
/// through wasm-bindgen, is returned.
fn split(ws: &Workspace, bundle: &Bundle, input: &Path, out_dir: &Path) -> Result<PathBuf> {
    let work = ws.target.join("wasm-split").join(bundle.package);
    match fs::remove_dir_all(&work) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot clear {}: {e}", work.display())),
    }
    fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let raw = fs::read(input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let main = work.join("main.wasm");
    let link = format!("./{SPLIT_LINK}");
    let main_module = format!("./{}.js", bundle.out_name);
    let mut options = wasm_split_cli_support::Options::new(&raw);
    options.output_dir = &work;
    options.main_out_path = &main;
    options.link_name = &link;
    options.main_module = &main_module;
    let pieces = wasm_split_cli_support::transform(options)
        .map_err(|e| format!("wasm-split failed on {}: {e:#}", input.display()))?;

    let entries =
        fs::read_dir(out_dir).map_err(|e| format!("cannot list {}: {e}", out_dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_split_piece(&name) {
            let path = entry.path();
            fs::remove_file(&path).map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
        }
    }
    for piece in &pieces.split_modules {
        let name = piece
            .file_name()
            .ok_or_else(|| format!("wasm-split wrote {} (no file name)", piece.display()))?;
        let bytes = fs::read(piece).map_err(|e| format!("cannot read {}: {e}", piece.display()))?;
        let to = out_dir.join(name);
        fs::write(&to, without_custom_sections(&bytes)?)
            .map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    }
    // wasm-bindgen drops the function table's export (it is the linker's, and unused by its
    // own script), but the pieces are linked to the main module through it: it leaves under a
    // name of ours, and the loading script asks for it by that name.
    let module = fs::read(&main).map_err(|e| format!("cannot read {}: {e}", main.display()))?;
    let module = with_export_renamed(&module, FUNCTION_TABLE, SHARED_TABLE)?;
    fs::write(&main, module).map_err(|e| format!("cannot write {}: {e}", main.display()))?;
    let script = fs::read_to_string(work.join(SPLIT_LINK))
        .map_err(|e| format!("cannot read {}: {e}", work.join(SPLIT_LINK).display()))?;
    let from_main = format!("const {{ {FUNCTION_TABLE},");
    if !script.contains(&from_main) {
        return Err(format!(
            "wasm-split's {SPLIT_LINK} no longer takes the function table as expected"
        ));
    }
    let script = script.replacen(
        &from_main,
        &format!("const {{ {SHARED_TABLE}: {FUNCTION_TABLE},"),
        1,
    );
    let to = out_dir.join(SPLIT_LINK);
    fs::write(&to, script).map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    println!(
        "{}: cut into the main module and {} pieces",
        bundle.package,
        pieces.split_modules.len()
    );
    Ok(main)
}

/// The linker's name for the function table, which wasm-bindgen removes from the exports.
const FUNCTION_TABLE: &str = "__indirect_function_table";
/// The name the table is exported under for the pieces instead.
const SHARED_TABLE: &str = "__wasm_split_table";

/// A WebAssembly module with one export renamed; an error when there is no such export.
fn with_export_renamed(module: &[u8], from: &str, to: &str) -> Result<Vec<u8>> {
    const HEADER: usize = 8;
    const EXPORTS: u8 = 7;
    let mut out = module[..HEADER.min(module.len())].to_vec();
    let mut at = HEADER;
    let mut renamed = false;
    while at < module.len() {
        let id = module[at];
        let (size, leb) = read_u32(&module[at + 1..])?;
        let start = at + 1 + leb;
        let end = start + size as usize;
        if end > module.len() {
            return Err("a section runs past the module's end".into());
        }
        if id != EXPORTS {
            out.extend_from_slice(&module[at..end]);
            at = end;
            continue;
        }
        let body = &module[start..end];
        let (count, mut i) = read_u32(body)?;
        let mut section = Vec::new();
        write_u32(&mut section, count);
        for _ in 0..count {
            let (len, n) = read_u32(&body[i..])?;
            i += n;
            let name = body
                .get(i..i + len as usize)
                .ok_or("an export name runs past its section")?;
            i += len as usize;
            let name = if name == from.as_bytes() {
                renamed = true;
                to.as_bytes()
            } else {
                name
            };
            write_u32(&mut section, name.len() as u32);
            section.extend_from_slice(name);
            // The kind byte, then the index.
            if i >= body.len() {
                return Err("an export runs past its section".into());
            }
            let (_, n) = read_u32(&body[i + 1..])?;
            section.extend_from_slice(&body[i..i + 1 + n]);
            i += 1 + n;
        }
        out.push(EXPORTS);
        write_u32(&mut out, section.len() as u32);
        out.extend_from_slice(&section);
        at = end;
    }
    if renamed {
        Ok(out)
    } else {
        Err(format!("the module exports no {from}"))
    }
}

fn write_u32(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Whether a file in a bundle's folder is one of the pieces `split` writes.
fn is_split_piece(name: &str) -> bool {
    name.starts_with("__wasm_split")
        || ((name.starts_with("split_") || name.starts_with("chunk_")) && name.contains(".wasm"))
}

/// A WebAssembly module without its custom sections (names, producers): what a browser never
/// reads. wasm-bindgen does this for the main module; the pieces come straight from the split.
fn without_custom_sections(module: &[u8]) -> Result<Vec<u8>> {
    const HEADER: usize = 8;
    if module.len() < HEADER || &module[..4] != b"\0asm" {
        return Err("not a WebAssembly module".into());
    }
    let mut out = module[..HEADER].to_vec();
    let mut at = HEADER;
    while at < module.len() {
        let id = module[at];
        let (size, leb) = read_u32(&module[at + 1..])?;
        let end = at + 1 + leb + size as usize;
        if end > module.len() {
            return Err("a section runs past the module's end".into());
        }
        if id != 0 {
            out.extend_from_slice(&module[at..end]);
        }
        at = end;
    }
    Ok(out)
}

/// An unsigned LEB128 number and how many bytes it took.
fn read_u32(bytes: &[u8]) -> Result<(u32, usize)> {
    let mut value: u32 = 0;
    for (i, byte) in bytes.iter().take(5).enumerate() {
        value |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err("a malformed section size".into())
}

/// Copies a file unless the destination already has the same bytes, so that unchanged files
/// keep their mtime and their compressed siblings are not redone.
/// A hand-written script without what only its readers need: whole-line comments (`//` and
/// `/* … */` starting a line), indentation and blank lines. Code is left exactly as written,
/// so nothing inside strings or after code on a line is touched.
fn strip_script(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut in_comment = false;
    for line in source.lines() {
        let line = line.trim();
        if in_comment {
            in_comment = !line.contains("*/");
            continue;
        }
        if line.starts_with("/*") {
            in_comment = !line.contains("*/");
            continue;
        }
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn copy_if_changed(from: &Path, to: &Path) -> Result {
    let bytes = fs::read(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    let bytes = if from.extension().is_some_and(|e| e == "js") {
        strip_script(&String::from_utf8_lossy(&bytes)).into_bytes()
    } else {
        bytes
    };
    if fs::read(to).is_ok_and(|existing| existing == bytes) {
        return Ok(());
    }
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    fs::write(to, bytes).map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    println!("{} -> {}", from.display(), to.display());
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result {
    let entries = fs::read_dir(from).map_err(|e| format!("cannot list {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", from.display()))?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target)?;
        } else {
            copy_if_changed(&path, &target)?;
        }
    }
    Ok(())
}

fn is_sibling(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("gz" | "br"))
}

fn is_compressible(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| COMPRESSIBLE.contains(&e))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Every file in the site except compressed siblings, sorted.
fn shipped_files(site: &Path) -> Result<Vec<PathBuf>> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result {
        let entries =
            fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
                .path();
            if path.is_dir() {
                walk(&path, files)?;
            } else if !is_sibling(&path) {
                files.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(site, &mut files)?;
    files.sort();
    Ok(files)
}

/// Writes `<file>.gz` and `<file>.br` unless both are newer than the file.
fn compress(file: &Path) -> Result {
    let source_time = cmd::mtime(file);
    let gz = with_suffix(file, ".gz");
    let br = with_suffix(file, ".br");
    let fresh = |p: &Path| matches!((cmd::mtime(p), source_time), (Some(s), Some(f)) if s >= f);
    if fresh(&gz) && fresh(&br) {
        return Ok(());
    }
    let data = fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;

    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(&data)
        .and_then(|()| encoder.finish())
        .and_then(|bytes| fs::write(&gz, bytes))
        .map_err(|e| format!("cannot write {}: {e}", gz.display()))?;

    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        size_hint: data.len(),
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut data.as_slice(), &mut out, &params)
        .and_then(|_| fs::write(&br, out))
        .map_err(|e| format!("cannot write {}: {e}", br.display()))?;
    Ok(())
}

fn size(path: &Path) -> Option<u64> {
    fs::metadata(path).ok().map(|m| m.len())
}

fn human(bytes: u64) -> String {
    format!("{bytes} ({:.1} KiB)", bytes as f64 / 1024.0)
}

/// Raw, gzip and brotli size of every shipped file. Totals count a file without a compressed
/// sibling at its raw size (that is what a browser downloads).
fn size_table(site: &Path, files: &[PathBuf]) -> Result {
    let mut rows = Vec::new();
    let (mut raw_total, mut gz_total, mut br_total) = (0, 0, 0);
    for file in files {
        let raw = size(file).ok_or_else(|| format!("cannot read {}", file.display()))?;
        let gz = size(&with_suffix(file, ".gz"));
        let br = size(&with_suffix(file, ".br"));
        raw_total += raw;
        gz_total += gz.unwrap_or(raw);
        br_total += br.unwrap_or(raw);
        let name = file
            .strip_prefix(site)
            .unwrap_or(file)
            .display()
            .to_string();
        let cell = |v: Option<u64>| v.map_or_else(|| "-".to_string(), human);
        rows.push([name, human(raw), cell(gz), cell(br)]);
    }
    let total = [
        format!("total ({} files)", files.len()),
        human(raw_total),
        human(gz_total),
        human(br_total),
    ];
    let header = [
        "asset".to_string(),
        "raw".into(),
        "gzip".into(),
        "brotli".into(),
    ];
    let mut widths = [0; 4];
    for row in std::iter::once(&header)
        .chain(&rows)
        .chain(std::iter::once(&total))
    {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |row: &[String; 4]| {
        format!(
            "{:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        )
    };
    let rule = "-".repeat(widths.iter().sum::<usize>() + 6);
    println!("\nshipped assets in {} (bytes):", site.display());
    println!("{}", line(&header));
    println!("{rule}");
    for row in &rows {
        println!("{}", line(row));
    }
    println!("{rule}");
    println!("{}", line(&total));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A site whose every budgeted file weighs `bytes`, in brotli form too.
    fn site_of(name: &str, bytes: usize) -> PathBuf {
        let site = std::env::temp_dir().join(format!("xtask-budget-{name}-{}", std::process::id()));
        for (_, files, _) in BUDGETS {
            for file in files {
                let path = site.join(file);
                fs::create_dir_all(path.parent().unwrap()).unwrap();
                fs::write(&path, vec![b'x'; bytes * 2]).unwrap();
                fs::write(with_suffix(&path, ".br"), vec![b'x'; bytes]).unwrap();
            }
        }
        site
    }

    #[test]
    fn scripts_lose_comments_and_indentation_but_no_code() {
        let source = "/* Header\n * more */\n(function () {\n  // why\n  var a = \"//x /* y */\"; // kept\n\n  /* one line */\n  return a;\n})();\n";
        assert_eq!(
            strip_script(source),
            "(function () {\nvar a = \"//x /* y */\"; // kept\nreturn a;\n})();\n"
        );
    }

    #[test]
    fn a_part_over_its_budget_fails_the_build() {
        let light = site_of("light", 1000);
        assert!(check_budgets(&light).is_ok());
        let heavy = site_of("heavy", 5000);
        let err = check_budgets(&heavy).unwrap_err();
        assert!(err.contains("bubble loader weighs 5000"), "{err}");
        let _ = fs::remove_dir_all(light);
        let _ = fs::remove_dir_all(heavy);
    }

    /// A module: header, a type section, a custom `name` section, an export section exporting
    /// a table and a function.
    fn module(exports: &[(&str, u8, u8)]) -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]);
        m.extend_from_slice(&[0, 5, 4, b'n', b'a', b'm', b'e']);
        let mut body = vec![exports.len() as u8];
        for (name, kind, index) in exports {
            body.push(name.len() as u8);
            body.extend_from_slice(name.as_bytes());
            body.extend_from_slice(&[*kind, *index]);
        }
        m.push(7);
        write_u32(&mut m, body.len() as u32);
        m.extend_from_slice(&body);
        m
    }

    #[test]
    fn pieces_ship_without_custom_sections() {
        let with = module(&[("f", 0, 0)]);
        let without = without_custom_sections(&with).unwrap();
        assert_eq!(without.len(), with.len() - 7);
        assert!(!without.windows(4).any(|w| w == b"name"));
        assert!(without_custom_sections(b"not wasm").is_err());
    }

    #[test]
    fn the_function_table_is_exported_under_the_pieces_name() {
        let before = module(&[("f", 0, 0), (FUNCTION_TABLE, 1, 0)]);
        let after = with_export_renamed(&before, FUNCTION_TABLE, SHARED_TABLE).unwrap();
        assert_eq!(after, module(&[("f", 0, 0), (SHARED_TABLE, 1, 0)]));
        let err = with_export_renamed(&module(&[("f", 0, 0)]), FUNCTION_TABLE, SHARED_TABLE);
        assert!(err.is_err(), "a module without the table is refused");
    }

    #[test]
    fn only_the_splits_own_files_are_replaced() {
        for piece in [
            "__wasm_split.js",
            "chunk_12.wasm",
            "chunk_12.wasm.br",
            "split___login_view_1.wasm.gz",
        ] {
            assert!(is_split_piece(piece), "{piece}");
        }
        for kept in [
            "switchboard.js",
            "switchboard_bg.wasm",
            "switchboard.css",
            "split.css",
        ] {
            assert!(!is_split_piece(kept), "{kept}");
        }
    }
}
