//! What Switchboard's test suites share, so that every suite runs on both databases.
//!
//! [`TestApp`] builds an engine on a fresh database of the backend the environment picks —
//! `SWITCHBOARD_TEST_BACKEND=postgres` for PostgreSQL, SQLite otherwise — with the operators
//! a test asks for already logged in. The engine suites are therefore the store's contract
//! suite: `cargo xtask test` runs them once per backend.
//!
//! PostgreSQL tests need no server of their own: the first one in a test process starts a
//! throwaway cluster with Debian's `initdb` and `pg_ctl` (as the `postgres` user when run as
//! root, since `initdb` refuses root), each [`TestApp`] gets a database of its own in it, and a
//! watcher process stops the cluster and deletes its files when the test process exits.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support: failing loudly is the point"
)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use domain::api::{NewVisitor, StartChat, VisitorChat};
use domain::console::Role;
use domain::{ChatEvent, EventId};
use engine::store::{Database, Store, VisitorRecord};
use engine::stream::{EventStream, StreamItem};
use engine::{Engine, EngineConfig, NewOperator, Session};

/// The environment variable that picks the backend.
pub const BACKEND_VAR: &str = "SWITCHBOARD_TEST_BACKEND";
/// Where Debian keeps PostgreSQL's server programs.
pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// The database a suite runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// One SQLite file per test.
    Sqlite,
    /// One database per test in a throwaway cluster.
    Postgres,
}

impl Backend {
    /// The backend `SWITCHBOARD_TEST_BACKEND` names (`postgres`), else SQLite.
    pub fn from_env() -> Self {
        match std::env::var(BACKEND_VAR).as_deref() {
            Ok("postgres" | "postgresql" | "pg") => Self::Postgres,
            _ => Self::Sqlite,
        }
    }
}

/// A store of either backend.
pub type AnyStore = Database;

/// Opens the database at `url`, failing the test if it cannot.
pub async fn connect(url: &str) -> Database {
    Database::connect(url)
        .await
        .expect("open the test database")
}

/// A throwaway PostgreSQL cluster on 127.0.0.1, one per test process.
#[derive(Debug)]
pub struct PgCluster {
    /// The port it listens on.
    pub port: u16,
    /// Its data folder.
    pub data: PathBuf,
}

impl PgCluster {
    /// The process's cluster, started on first use.
    pub fn shared() -> &'static PgCluster {
        static CLUSTER: OnceLock<PgCluster> = OnceLock::new();
        CLUSTER.get_or_init(|| PgCluster::start(false))
    }

    /// The URL of one of its databases.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// A new, empty database in the cluster; answers its URL.
    pub async fn new_database(&self) -> String {
        use sqlx::Connection;
        let name = format!("sb_{}", uuid::Uuid::now_v7().simple());
        let mut admin = sqlx::PgConnection::connect(&self.url("postgres"))
            .await
            .expect("connect to the test cluster");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create a test database");
        admin.close().await.expect("close");
        self.url(&name)
    }

    /// A new cluster of its own (never the shared one) with PostgreSQL's default durability:
    /// `fsync`, `synchronous_commit` and `full_page_writes` stay on and `initdb` syncs its
    /// files, so a commit costs what it costs in production on this disk. For benchmarks.
    /// Otherwise like [`PgCluster::shared`]'s. Blocking; panics if PostgreSQL 15 is missing or
    /// does not start.
    pub fn start_durable() -> Self {
        Self::start(true)
    }

    /// Starts a cluster on 127.0.0.1 with trust authentication for `postgres`, in a folder of
    /// the temp dir (`TMPDIR`), stopped and deleted by a watcher once this process exits (also
    /// if it fails to start). Tests' clusters trade durability for speed.
    fn start(durable: bool) -> Self {
        let root = tempfile::Builder::new()
            .prefix(if durable {
                "switchboard-pg-durable-"
            } else {
                "switchboard-pg-"
            })
            .tempdir()
            .expect("a folder for the cluster")
            .keep();
        let as_root = is_root();
        if as_root {
            run(Command::new("chown").arg("postgres").arg(&root), "chown");
        }
        let data = root.join("data");
        watch_until_exit(as_root, &root, &data);
        let mut initdb = pg_command(as_root, "initdb");
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres"]);
        if !durable {
            initdb.arg("--no-sync");
        }
        run(&mut initdb, "initdb");
        let port = free_port();
        let fast = if durable {
            ""
        } else {
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        };
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300{fast}",
            root.display()
        );
        let log = root.join("log");
        let mut start = pg_command(as_root, "pg_ctl");
        start
            .arg("-D")
            .arg(&data)
            .args(["-o", &options, "-l"])
            .arg(&log)
            .args(["-w", "start"]);
        run(&mut start, "pg_ctl start");
        Self { port, data }
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A PostgreSQL program, as the `postgres` user when we are root.
fn pg_command(as_root: bool, program: &str) -> Command {
    let path = Path::new(PG_BIN).join(program);
    if as_root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(path);
        command
    } else {
        Command::new(path)
    }
}

fn run(command: &mut Command, what: &str) {
    let out = command
        .output()
        .unwrap_or_else(|err| panic!("{what}: {err} (is PostgreSQL 15 installed?)"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// Starts a watcher that stops the cluster and removes its files once this process is gone.
#[allow(
    clippy::zombie_processes,
    reason = "the watcher must outlive this process, so nothing here waits for it"
)]
fn watch_until_exit(as_root: bool, root: &Path, data: &Path) {
    let stop = if as_root {
        format!(
            "runuser -u postgres -- {PG_BIN}/pg_ctl -D '{}' stop -m immediate",
            data.display()
        )
    } else {
        format!("{PG_BIN}/pg_ctl -D '{}' stop -m immediate", data.display())
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf '{root}'",
        pid = std::process::id(),
        root = root.display()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the cluster's watcher");
}

/// Builds a [`TestApp`].
#[derive(Debug, Default)]
pub struct TestAppBuilder {
    config: EngineConfig,
    accounts: Vec<(String, Role)>,
}

impl TestAppBuilder {
    /// Engine settings other than the defaults.
    pub fn with_config(mut self, config: EngineConfig) -> Self {
        self.config = config;
        self
    }

    /// An operator, logged in and past the forced password change.
    pub fn with_operator(self, name: &str) -> Self {
        self.with_account(name, Role::Operator)
    }

    /// An admin, logged in and past the forced password change.
    pub fn with_admin(self, name: &str) -> Self {
        self.with_account(name, Role::Admin)
    }

    /// An account with `role`, logged in and past the forced password change.
    pub fn with_account(mut self, name: &str, role: Role) -> Self {
        self.accounts.push((name.to_owned(), role));
        self
    }

    /// Starts the engine on a fresh database of the environment's backend.
    pub async fn start(self) -> TestApp {
        let backend = Backend::from_env();
        let (url, dir) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a folder for the database");
                let url = format!("sqlite://{}", dir.path().join("switchboard.db").display());
                (url, Some(dir))
            }
            Backend::Postgres => (PgCluster::shared().new_database().await, None),
        };
        let store = connect(&url).await;
        let engine = Engine::new(store.store(), self.config.clone());
        engine.ready().await;
        let mut app = TestApp {
            engine,
            store,
            backend,
            url,
            config: self.config,
            sessions: HashMap::new(),
            _dir: dir.map(Arc::new),
        };
        for (name, role) in &self.accounts {
            let session = ready_account(&app.engine, name, *role).await;
            app.sessions.insert(name.to_lowercase(), session);
        }
        app
    }
}

/// An engine on a fresh database, with logged-in operators.
#[derive(Debug)]
pub struct TestApp {
    /// The engine under test.
    pub engine: Engine,
    /// Its store, for reading behind the engine's back and for outages.
    pub store: AnyStore,
    /// Which database.
    pub backend: Backend,
    /// The database's URL.
    pub url: String,
    config: EngineConfig,
    sessions: HashMap<String, Session>,
    _dir: Option<Arc<tempfile::TempDir>>,
}

impl TestApp {
    /// A builder.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    /// An engine with no operators yet.
    pub async fn new() -> Self {
        Self::builder().start().await
    }

    /// The session of an operator named when building.
    pub fn session(&self, name: &str) -> &Session {
        self.sessions
            .get(&name.to_lowercase())
            .unwrap_or_else(|| panic!("no operator {name} was built"))
    }

    /// The store as the engine sees it.
    pub fn shared_store(&self) -> Arc<dyn Store> {
        self.store.store()
    }

    /// Another engine on the same database: a second node (PostgreSQL), or the same server
    /// after a restart (close this one's store first on SQLite).
    pub async fn another_node(&self) -> (Engine, AnyStore) {
        let store = connect(&self.url).await;
        let engine = Engine::new(store.store(), self.config.clone());
        engine.ready().await;
        (engine, store)
    }

    /// The same database after a restart: the engine and store are replaced.
    pub async fn restart(mut self) -> Self {
        self.store.close().await;
        let (engine, store) = self.another_node().await;
        self.engine = engine;
        self.store = store;
        self
    }

    /// A new visitor, authenticated: its record and its token.
    pub async fn visitor(&self) -> (VisitorRecord, String) {
        self.visitor_using(None).await
    }

    /// A new visitor whose browser sent `user_agent`, authenticated: its record and its token.
    pub async fn visitor_using(&self, user_agent: Option<&str>) -> (VisitorRecord, String) {
        let created = self
            .engine
            .create_visitor(NewVisitor::default(), user_agent.map(str::to_owned))
            .await
            .unwrap();
        let record = self
            .engine
            .authenticate_visitor(&created.token)
            .await
            .unwrap();
        (record, created.token)
    }

    /// Starts a chat as the visitor "Vera", in no channel, failing the test if it is refused.
    pub async fn start_chat(&self, visitor: &VisitorRecord, message: &str) -> VisitorChat {
        self.engine
            .start_chat(
                visitor,
                StartChat {
                    email: None,
                    name: Some("Vera".into()),
                    message: message.into(),
                    client_id: None,
                    channel: None,
                },
            )
            .await
            .unwrap()
    }

    /// How many events the log holds.
    pub async fn event_count(&self) -> usize {
        self.store
            .store()
            .events_after(EventId(0), 100_000)
            .await
            .unwrap()
            .len()
    }
}

/// A logged-in account with `role` that has already replaced the default password.
pub async fn ready_account(engine: &Engine, name: &str, role: Role) -> Session {
    let email = format!("{}@example.com", name.to_lowercase());
    engine
        .create_operator(NewOperator {
            email: email.clone(),
            name: name.into(),
            role,
        })
        .await
        .unwrap();
    let login = engine.login(&email, "password").await.unwrap();
    let session = engine.authenticate(&login.token).await.unwrap();
    engine
        .change_password(&session, "password", "s3cret-pass")
        .await
        .unwrap();
    let login = engine.login(&email, "s3cret-pass").await.unwrap();
    engine.authenticate(&login.token).await.unwrap()
}

/// How long a test waits for an event it expects: generous, since these machines are shared.
pub const EVENT_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The next event on a stream, passing over signals; panics on a timeout or an ended stream.
pub async fn next_event(stream: &mut EventStream) -> ChatEvent {
    loop {
        match tokio::time::timeout(EVENT_WAIT, stream.recv()).await {
            Ok(Some(StreamItem::Event(event))) => return event,
            Ok(Some(StreamItem::Signal(_))) => {}
            other => panic!("expected an event, got {other:?}"),
        }
    }
}

/// The events a stream has ready now, passing over signals: read until a short silence.
/// Panics if the stream ends.
pub async fn ready_events(stream: &mut EventStream) -> Vec<ChatEvent> {
    let mut events = Vec::new();
    while let Ok(item) =
        tokio::time::timeout(std::time::Duration::from_millis(300), stream.recv()).await
    {
        match item {
            Some(StreamItem::Event(event)) => events.push(event),
            Some(StreamItem::Signal(_)) => {}
            other => panic!("the stream ended: {other:?}"),
        }
    }
    events
}

/// Debian's Python, which has `python3-aiosmtpd` (a `python3` earlier on PATH may not).
pub const SYSTEM_PYTHON: &str = "/usr/bin/python3";

/// A mail the loopback SMTP server accepted, as a mail client would show it.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct ReceivedMail {
    /// Envelope sender.
    pub mail_from: String,
    /// Envelope recipients.
    pub rcpt_to: Vec<String>,
    /// `From:` header.
    pub from: String,
    /// `To:` header.
    pub to: String,
    /// Decoded `Subject:`.
    pub subject: String,
    /// MIME type of the message.
    pub content_type: String,
    /// Decoded text body.
    pub body: String,
}

/// A real SMTP server (aiosmtpd) on 127.0.0.1, keeping every mail it accepts for the test to
/// read. Stopped when dropped.
pub struct SmtpSink {
    child: std::process::Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    /// Starts one on a free port.
    pub fn start() -> Self {
        Self::start_on(0)
    }

    /// Starts one on `port` (0: a free one), e.g. again where an earlier one stopped.
    pub fn start_on(port: u16) -> Self {
        use std::io::BufRead;
        let dir = tempfile::tempdir().expect("mail directory");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("smtp/sink.py");
        let mut child = Command::new(SYSTEM_PYTHON)
            .arg(&script)
            .arg(dir.path())
            .arg(port.to_string())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("starting the SMTP sink (needs Debian's python3)");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("sink stdout");
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("reading the SMTP sink's port");
        let port = line.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            panic!(
                "the SMTP sink did not start (is python3-aiosmtpd installed? `cargo xtask test` \
                 installs it): {line:?}"
            )
        });
        Self { child, port, dir }
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The engine's mail settings for it: plain SMTP on loopback, from `from`.
    pub fn mail_config(&self, from: &str) -> engine::mail::MailConfig {
        engine::mail::MailConfig {
            host: "127.0.0.1".to_owned(),
            port: self.port,
            tls: domain::mail::SmtpTls::None,
            username: None,
            password: None,
            from: from.to_owned(),
        }
    }

    /// Every mail accepted so far, oldest first.
    pub fn mails(&self) -> Vec<ReceivedMail> {
        let mut numbered: Vec<(u64, ReceivedMail)> = std::fs::read_dir(self.dir.path())
            .expect("reading the mail directory")
            .filter_map(|entry| {
                let path = entry.ok()?.path();
                let n: u64 = path
                    .file_name()?
                    .to_str()?
                    .strip_suffix(".json")?
                    .parse()
                    .ok()?;
                let text = std::fs::read_to_string(&path).ok()?;
                Some((n, serde_json::from_str(&text).expect("a mail as JSON")))
            })
            .collect();
        numbered.sort_by_key(|(n, _)| *n);
        numbered.into_iter().map(|(_, mail)| mail).collect()
    }

    /// Waits (up to 20 s) until at least `count` mails have arrived; answers them all.
    pub async fn wait_for(&self, count: usize) -> Vec<ReceivedMail> {
        for _ in 0..200 {
            let mails = self.mails();
            if mails.len() >= count {
                return mails;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!(
            "expected {count} mails, the SMTP server has {}",
            self.mails().len()
        );
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
