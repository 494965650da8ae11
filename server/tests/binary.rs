//! The `switchboard` binary as a deployment runs it (P1): started from an empty directory with
//! nothing beside it, its command-line tools, JSON logs, and a graceful stop on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");

fn run(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .env_remove("LEPTOS_SITE_ROOT")
        .env_remove("SWITCHBOARD_SITE_ROOT")
        .output()
        .expect("run switchboard")
}

#[test]
fn help_version_and_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    let version = run(dir.path(), &["--version"]);
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("switchboard {}", env!("CARGO_PKG_VERSION"))
    );
    let help = run(dir.path(), &["--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--bind",
        "--database-url",
        "--log-format",
        "create-token",
        "add-operator",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help:\n{help}");
    }
    let wrong = run(dir.path(), &["--frobnicate"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("--frobnicate"));
    // Nothing was created by asking.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn it_runs_from_an_empty_directory_with_json_logs_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/switchboard.db", dir.path().display());

    // The command-line tools, on the database the server will open.
    let added = run(
        dir.path(),
        &[
            "add-operator",
            "ann@example.com",
            "Ann",
            "--database-url",
            &database,
        ],
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let mut child = Command::new(BIN)
        .current_dir(dir.path())
        .args([
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            &database,
            "--log-format",
            "json",
        ])
        .env_remove("LEPTOS_SITE_ROOT")
        .env_remove("SWITCHBOARD_SITE_ROOT")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start switchboard");
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = Vec::new();
    let base = loop {
        let line = lines_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server printed its address");
        printed.push(line.clone());
        if let Some(rest) = line.strip_prefix("Switchboard is listening on ") {
            break rest.trim_end_matches('/').to_owned();
        }
    };
    // Log lines are JSON objects; the banner is for people.
    let logged: Vec<serde_json::Value> = printed
        .iter()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).expect("a log line is one JSON object"))
        .collect();
    assert!(
        logged
            .iter()
            .any(|l| l["fields"]["message"] == "listening" && l["level"] == "INFO"),
        "{printed:?}"
    );

    let client = reqwest::Client::new();
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    // Ann changes her first password (a token is for an account in use), then the tool makes
    // her a token on the database the server has open.
    let login = client
        .post(format!("{base}/api/login"))
        .form(&[
            ("input[email]", "ann@example.com"),
            ("input[password]", "password"),
        ])
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let changed = client
        .post(format!("{base}/api/change_password"))
        .header("cookie", &cookie)
        .header("origin", &base)
        .form(&[
            ("input[current]", "password"),
            ("input[new_password]", "a-better-one"),
            ("input[confirm]", "a-better-one"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), reqwest::StatusCode::OK);
    let made = run(
        dir.path(),
        &[
            "create-token",
            "ann@example.com",
            "--name",
            "Deploy check",
            "--database-url",
            &database,
        ],
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    // The secret alone on stdout, for scripts to capture.
    let secret = String::from_utf8_lossy(&made.stdout).trim().to_owned();
    assert!(
        secret.starts_with("sbp_") && secret.len() == 68,
        "{secret:?}"
    );
    let unknown = run(
        dir.path(),
        &[
            "create-token",
            "nobody@example.com",
            "--database-url",
            &database,
        ],
    );
    assert!(!unknown.status.success());

    let me = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), reqwest::StatusCode::OK);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["email"], "ann@example.com");
    let login = client.get(format!("{base}/login")).send().await.unwrap();
    assert_eq!(login.status(), reqwest::StatusCode::OK);
    assert!(login.text().await.unwrap().contains("switchboard"));

    // SIGTERM, as systemd and docker send it: a clean exit.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    // Only the database was written in the directory it ran from.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(
        names.iter().all(|n| n.starts_with("switchboard.db")),
        "{names:?}"
    );
}
