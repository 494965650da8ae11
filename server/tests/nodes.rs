//! Two `switchboard` processes on one PostgreSQL database, killed with SIGKILL again and again
//! while a visitor posts to one and reads from the other: nothing acknowledged is lost and
//! nothing is delivered twice.
//!
//! Needs PostgreSQL (`SWITCHBOARD_TEST_BACKEND=postgres`); on SQLite it says so and passes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use test_support::{Backend, PgCluster};

/// How many SIGKILLs, alternating between the two nodes.
const KILLS: usize = 6;

/// One server process.
struct Node {
    child: Child,
    base: String,
}

impl Node {
    fn start(database_url: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(["--bind", "127.0.0.1:0", "--database-url", database_url])
            .arg("--visitor-name-optional")
            // One visitor posts far faster than a person could, on purpose.
            .arg("--no-rate-limits")
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start switchboard");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("the server printed its address")
                .unwrap();
            if let Some(rest) = line.strip_prefix("Switchboard is listening on ") {
                break rest.trim_end_matches('/').to_owned();
            }
        };
        // Keep reading so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self { child, base }
    }

    /// SIGKILL: no shutdown, no flush.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The nodes, restartable by index, shared with the killer.
type Nodes = Arc<Mutex<Vec<Option<String>>>>;

fn base_of(nodes: &Nodes, index: usize) -> Option<String> {
    nodes.lock().unwrap()[index].clone()
}

/// Reads the visitor's stream from node `prefer` (or the other while it is down), resuming
/// from the last id after every cut, until `expected` messages arrived or time runs out.
async fn read_all(
    client: reqwest::Client,
    nodes: Nodes,
    prefer: usize,
    token: String,
    expected: Arc<Mutex<Option<usize>>>,
) -> HashMap<String, usize> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut last = 0_i64;
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if expected.lock().unwrap().is_some_and(|n| seen.len() >= n) {
            break;
        }
        let Some(base) = base_of(&nodes, prefer).or_else(|| base_of(&nodes, 1 - prefer)) else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let response = client
            .get(format!("{base}/api/v1/visitor/events"))
            .bearer_auth(&token)
            .header("last-event-id", last.to_string())
            .send()
            .await;
        let Ok(mut response) = response else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        if !response.status().is_success() {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        let mut buffer = String::new();
        loop {
            let chunk = tokio::time::timeout(Duration::from_secs(2), response.chunk()).await;
            let Ok(Ok(Some(chunk))) = chunk else {
                break;
            };
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                let mut id = None;
                let mut data = None;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        id = Some(v.parse::<i64>().expect("numeric id"));
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data = Some(serde_json::from_str::<Value>(v).expect("JSON data"));
                    }
                }
                if let (Some(id), Some(data)) = (id, data) {
                    assert!(
                        id > last,
                        "ids only grow on a resumed stream: {id} after {last}"
                    );
                    last = id;
                    if let Some(key) = data["client_id"].as_str() {
                        *seen.entry(key.to_owned()).or_default() += 1;
                    }
                }
            }
            if expected.lock().unwrap().is_some_and(|n| seen.len() >= n) {
                return seen;
            }
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_either_node_loses_and_duplicates_nothing() {
    if Backend::from_env() != Backend::Postgres {
        eprintln!("two nodes need PostgreSQL: set SWITCHBOARD_TEST_BACKEND=postgres");
        return;
    }
    let url = PgCluster::shared().new_database().await;
    let mut processes = vec![Node::start(&url), Node::start(&url)];
    let nodes: Nodes = Arc::new(Mutex::new(
        processes.iter().map(|n| Some(n.base.clone())).collect(),
    ));
    let client = reqwest::Client::new();
    let a = base_of(&nodes, 0).unwrap();
    let created: Value = client
        .post(format!("{a}/api/v1/visitors"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    let chat: Value = client
        .post(format!("{a}/api/v1/visitor/chats"))
        .bearer_auth(&token)
        .json(&json!({"message": "start", "client_id": "start"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let chat = chat["id"].as_str().unwrap().to_owned();

    let expected = Arc::new(Mutex::new(None));
    let reader = tokio::spawn(read_all(
        client.clone(),
        Arc::clone(&nodes),
        1,
        token.clone(),
        Arc::clone(&expected),
    ));

    // The killer: SIGKILL a node, bring it back, the other, and so on, while posts go on.
    let killing = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let kills = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let killer = {
        let nodes = Arc::clone(&nodes);
        let killing = Arc::clone(&killing);
        let killed = Arc::clone(&kills);
        let url = url.clone();
        std::thread::spawn(move || {
            let mut kills = 0;
            let mut victim = 1;
            while killing.load(std::sync::atomic::Ordering::Relaxed) && kills < KILLS {
                std::thread::sleep(Duration::from_millis(400));
                nodes.lock().unwrap()[victim] = None;
                processes[victim].kill();
                std::thread::sleep(Duration::from_millis(200));
                processes[victim] = Node::start(&url);
                nodes.lock().unwrap()[victim] = Some(processes[victim].base.clone());
                kills += 1;
                killed.store(kills, std::sync::atomic::Ordering::Relaxed);
                victim = 1 - victim;
            }
            (kills, processes)
        })
    };

    // Post to node A (or B while A is down); retry with the same key until acknowledged.
    let mut acknowledged = vec!["start".to_owned()];
    let mut i = 0;
    // Posting goes on until every kill has happened, so that kills land mid-stream.
    while i < 100 || kills.load(std::sync::atomic::Ordering::Relaxed) < KILLS {
        assert!(i < 5_000, "the killer stalled");
        i += 1;
        let key = format!("m-{i}");
        let started = Instant::now();
        loop {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{key} never acknowledged"
            );
            let Some(base) = base_of(&nodes, 0).or_else(|| base_of(&nodes, 1)) else {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            };
            let answer = client
                .post(format!("{base}/api/v1/visitor/chats/{chat}/messages"))
                .bearer_auth(&token)
                .json(&json!({"body": key, "client_id": key}))
                .timeout(Duration::from_secs(5))
                .send()
                .await;
            match answer {
                Ok(response) if response.status().is_success() => break,
                Ok(response) if response.status().is_client_error() => {
                    panic!("{key} refused: {}", response.status())
                }
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        acknowledged.push(key);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    *expected.lock().unwrap() = Some(acknowledged.len());
    killing.store(false, std::sync::atomic::Ordering::Relaxed);
    let (kills, _processes) = killer.join().unwrap();
    assert_eq!(
        kills,
        KILLS,
        "each node was killed and restarted {} times",
        KILLS / 2
    );
    let seen = reader.await.unwrap();

    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|k| !seen.contains_key(*k))
        .collect();
    let twice: Vec<(&String, &usize)> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        lost.is_empty(),
        "lost {} acknowledged messages: {lost:?}",
        lost.len()
    );
    assert!(twice.is_empty(), "delivered twice: {twice:?}");
    assert_eq!(seen.len(), acknowledged.len());
}
