//! The server processes of a row — one, or two sharing one PostgreSQL database — and where
//! each of them listens right now.
//!
//! A node can be killed (SIGKILL, no chance to finish anything) and started again at once on
//! the same database with `--bind 127.0.0.1:0`, so it comes back on a new port. Clients never
//! keep an address: they ask [`Nodes::route`] before every request and every stream
//! (re)connection, which answers the node they prefer if it is up, else one that is.

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio::time::MissedTickBehavior;

use crate::child::{self, ServerProcess};
use crate::system;

/// Longest wait for a server to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// How to start a node.
#[derive(Clone, Debug)]
pub struct Launch {
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Its working directory.
    pub dir: Option<PathBuf>,
}

impl Launch {
    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args).env("RUST_LOG", "warn");
        if let Some(dir) = &self.dir {
            command.current_dir(dir);
        }
        command
    }
}

/// One node: its address and process while it is up.
#[derive(Debug, Default)]
struct Node {
    base: Option<String>,
    pid: Option<u32>,
    process: Option<ServerProcess>,
}

/// The nodes of a row.
#[derive(Debug)]
pub struct Nodes {
    /// None for a server given with `--url` (it is never restarted).
    launch: Option<Launch>,
    nodes: Vec<Mutex<Node>>,
}

impl Nodes {
    /// Starts `count` nodes, one after the other (the first creates the schema and the first
    /// admin; starting them together would race for the admin).
    pub async fn start(launch: Launch, count: usize) -> Result<Self, String> {
        let mut nodes = Vec::with_capacity(count);
        for _ in 0..count {
            let process = spawn(launch.clone()).await?;
            nodes.push(Mutex::new(Node {
                base: Some(process.base.clone()),
                pid: Some(process.pid),
                process: Some(process),
            }));
        }
        Ok(Self {
            launch: Some(launch),
            nodes,
        })
    }

    /// The one server already running at `base`.
    pub fn given(base: String, pid: Option<u32>) -> Self {
        Self {
            launch: None,
            nodes: vec![Mutex::new(Node {
                base: Some(base),
                pid,
                process: None,
            })],
        }
    }

    /// How many nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    fn node(&self, node: usize) -> Option<MutexGuard<'_, Node>> {
        self.nodes
            .get(node)
            .map(|node| node.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Where `node` listens, if it is up.
    pub fn base(&self, node: usize) -> Option<String> {
        self.node(node)?.base.clone()
    }

    /// Where to send a request that prefers `node`: that node if it is up, else another one
    /// that is; None while every node is down.
    pub fn route(&self, preferred: usize) -> Option<String> {
        self.base(preferred).or_else(|| {
            (0..self.len())
                .filter(|&node| node != preferred)
                .find_map(|node| self.base(node))
        })
    }

    /// The process id of `node`, if it is up (or given with `--server-pid`).
    pub fn pid(&self, node: usize) -> Option<u32> {
        self.node(node)?.pid
    }

    /// Resident memory of `node`.
    pub fn rss(&self, node: usize) -> Option<u64> {
        system::rss_bytes(self.pid(node)?)
    }

    /// CPU ticks of every node together (None if one is unknown).
    pub fn cpu_ticks(&self) -> Option<u64> {
        (0..self.len())
            .map(|node| self.pid(node).and_then(system::cpu_ticks))
            .sum()
    }

    /// Every node's address, for the progress lines.
    pub fn describe(&self) -> String {
        (0..self.len())
            .map(|node| self.base(node).unwrap_or_else(|| "(down)".into()))
            .collect::<Vec<_>>()
            .join(" and ")
    }

    /// Kills `node` (SIGKILL) and starts it again on the same database; answers how long it
    /// was down (from the kill until the new process listens). Clients see it as down from
    /// just before the kill.
    pub async fn restart(&self, node: usize) -> Result<Duration, String> {
        let launch = self
            .launch
            .clone()
            .ok_or("a server given with --url is never restarted")?;
        let process = {
            let mut state = self.node(node).ok_or("no such node")?;
            state.base = None;
            state.pid = None;
            state.process.take()
        };
        let killed = Instant::now();
        if let Some(process) = process {
            // Dropping kills (SIGKILL) and reaps it; off the async threads.
            tokio::task::spawn_blocking(move || drop(process))
                .await
                .map_err(|err| format!("killing a node: {err}"))?;
        }
        let process = spawn(launch).await?;
        let down = killed.elapsed();
        let mut state = self.node(node).ok_or("no such node")?;
        state.base = Some(process.base.clone());
        state.pid = Some(process.pid);
        state.process = Some(process);
        Ok(down)
    }
}

async fn spawn(launch: Launch) -> Result<ServerProcess, String> {
    tokio::task::spawn_blocking(move || child::spawn(launch.command(), START_TIMEOUT))
        .await
        .map_err(|err| format!("starting the server: {err}"))?
}

/// What the kills of a row did.
#[derive(Clone, Debug, Default)]
pub struct Kills {
    /// Kills done (each followed by a restart).
    pub done: u32,
    /// For each restart that succeeded: from the kill until the new process listened.
    pub downtimes: Vec<Duration>,
    /// Why killing stopped early, if it did.
    pub error: Option<String>,
}

/// Kills a node every `every`, alternately (node 0 first), restarting each at once, until
/// `stop` fires or its sender is dropped. A restart in progress is always finished, so every
/// node is up when this returns, unless a restart failed (then killing stops).
pub async fn kill_alternately(
    nodes: Arc<Nodes>,
    every: Duration,
    mut stop: oneshot::Receiver<()>,
) -> Kills {
    let mut kills = Kills::default();
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut next = 0;
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = &mut stop => break,
        }
        kills.done += 1;
        match nodes.restart(next).await {
            Ok(down) => kills.downtimes.push(down),
            Err(err) => {
                eprintln!("[kill] node {} did not come back: {err}", node_name(next));
                kills.error = Some(format!("node {} did not restart: {err}", node_name(next)));
                break;
            }
        }
        next = (next + 1) % nodes.len();
    }
    kills
}

/// `A`, `B`, … for node 0, 1, ….
fn node_name(node: usize) -> char {
    char::from(b'A' + (node % 26) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sleeper() -> Launch {
        Launch {
            program: PathBuf::from("sh"),
            args: vec![
                "-c".into(),
                "echo \"Demo is listening on http://127.0.0.1:$$/\"; sleep 30".into(),
            ],
            dir: None,
        }
    }

    #[tokio::test]
    async fn routes_around_a_node_that_is_down_and_restarts_it_elsewhere() {
        let nodes = Arc::new(Nodes::start(sleeper(), 2).await.unwrap());
        let (a, b) = (nodes.base(0).unwrap(), nodes.base(1).unwrap());
        assert_ne!(a, b);
        assert_eq!(nodes.route(1), Some(b.clone()));
        let old = nodes.pid(1).unwrap();
        nodes.nodes[1].lock().unwrap().base = None;
        assert_eq!(
            nodes.route(1),
            Some(a.clone()),
            "falls back to the node that is up"
        );
        nodes.restart(1).await.unwrap();
        let new = nodes.base(1).unwrap();
        assert_ne!(new, b, "a new process, a new address");
        assert!(!std::path::Path::new(&format!("/proc/{old}/cmdline")).exists());
        assert!(nodes.cpu_ticks().is_some());
    }

    #[tokio::test]
    async fn kills_alternately_until_told_to_stop() {
        let nodes = Arc::new(Nodes::start(sleeper(), 2).await.unwrap());
        let (stop, stopped) = oneshot::channel();
        let killer = tokio::spawn(kill_alternately(
            nodes.clone(),
            Duration::from_millis(150),
            stopped,
        ));
        tokio::time::sleep(Duration::from_millis(700)).await;
        let _ = stop.send(());
        let kills = killer.await.unwrap();
        assert!(kills.done >= 2, "{kills:?}");
        assert_eq!(kills.downtimes.len(), kills.done as usize);
        assert!(kills.error.is_none());
        assert!(nodes.base(0).is_some() && nodes.base(1).is_some());
        assert!(
            Nodes::given("http://x".into(), None)
                .restart(0)
                .await
                .is_err()
        );
    }
}
