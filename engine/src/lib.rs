//! Everything in Switchboard that decides or persists, once.
//!
//! The [`Engine`] is the service layer: the console's server functions and the public API call
//! its methods and nothing else. A method authorises the caller, asks `domain` whether the
//! command is legal, and hands the change and its events to the writer, which commits waiting
//! changes together through the [`Store`] and publishes the committed events on the
//! [`EventBus`] to the streams they reach.

mod admin;
pub mod auth;
mod bubble;
pub mod bus;
mod calls;
mod canned;
mod channels;
mod chats;
mod collab;
mod history;
mod inactivity;
mod log;
pub mod mail;
mod mesh;
pub mod metrics;
mod offline;
mod operators;
pub mod pdf;
mod queue;
mod retention;
mod routing;
mod settings;
pub mod store;
pub mod stream;
mod tickets;
mod tokens;
mod visitors;
mod webhooks;
mod writer;

use std::sync::Arc;

pub use bus::{EventBus, PublishedEvent};
pub use channels::ChannelForm;
pub(crate) use chats::chat_not_found;
pub use collab::OnlineGuard;
pub use domain::ticket::TicketEdit;
pub use operators::{LoginOutcome, NewOperator, Session};
pub use store::{Store, StoreError};
pub use webhooks::sign as sign_webhook;
pub use writer::BatchStats;

use domain::Timestamp;

/// Settings the engine needs; the server reads them from flags and the environment.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Whether visitors must give a name to start a chat.
    pub visitor_name_required: bool,
    /// A session unused for this long ends (milliseconds).
    pub session_idle_ms: i64,
    /// A session ends this long after login, used or not (milliseconds).
    pub session_absolute_ms: i64,
    /// How many items a live stream may have waiting before it is ended (and replays).
    pub bus_capacity: usize,
    /// A visitor token unused for this long no longer works (milliseconds).
    pub visitor_idle_ms: i64,
    /// A visitor with no page of the site open this long has left it (milliseconds).
    pub visitor_gone_ms: i64,
    /// What the engine takes the time to be: the system's, or one a test moves by hand.
    pub clock: Clock,
    /// The SMTP server mail leaves through; `None`: this server sends no mail.
    pub mail: Option<mail::MailConfig>,
    /// Where the fonts for PDF transcripts are looked for; empty: the system's font folders.
    pub font_dirs: Vec<std::path::PathBuf>,
}

/// The engine's source of time. Every rule that depends on time (presence, sessions,
/// assignment timeouts, escalation, business hours) reads it here, so tests can move time
/// forward instead of sleeping.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// `None`: the system clock; otherwise milliseconds set by hand.
    manual: Option<Arc<std::sync::atomic::AtomicI64>>,
}

impl Clock {
    /// A clock that stands at `start` until moved.
    pub fn manual(start: Timestamp) -> Self {
        Self {
            manual: Some(Arc::new(std::sync::atomic::AtomicI64::new(start.0))),
        }
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        match &self.manual {
            Some(at) => Timestamp(at.load(std::sync::atomic::Ordering::SeqCst)),
            None => now(),
        }
    }

    /// Whether the clock is moved by hand (then nothing runs on a timer by itself).
    pub fn is_manual(&self) -> bool {
        self.manual.is_some()
    }

    /// Moves a manual clock forward by `millis`; the system clock cannot be moved.
    pub fn advance(&self, millis: i64) {
        if let Some(at) = &self.manual {
            at.fetch_add(millis, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            visitor_name_required: true,
            session_idle_ms: 8 * 60 * 60 * 1000,
            session_absolute_ms: 7 * 24 * 60 * 60 * 1000,
            bus_capacity: bus::DEFAULT_CAPACITY,
            visitor_idle_ms: 30 * 24 * 60 * 60 * 1000,
            visitor_gone_ms: domain::visitor::VISITOR_GONE_MS,
            clock: Clock::default(),
            mail: None,
            font_dirs: Vec::new(),
        }
    }
}

/// The service layer. Cheap to clone; every clone shares the store, the bus and the writer.
#[derive(Clone)]
pub struct Engine {
    /// Where chats, events, operators and sessions are kept.
    store: Arc<dyn Store>,
    /// Fan-out of committed events and signals to the live streams they reach.
    bus: EventBus,
    /// The one path chat changes are committed through, in batches; it publishes them in
    /// commit order, so a stream never sees a later id before an earlier one.
    writer: writer::Writer,
    /// What group commit has done, for metrics and tests.
    batches: Arc<BatchStats>,
    /// This node among the others on a shared database (PostgreSQL); `None` when this
    /// process is the database's only user.
    mesh: Option<Arc<mesh::Mesh>>,
    /// Flags and limits from the command line.
    config: Arc<EngineConfig>,
    /// This process among the nodes on one database: its consoles are counted under it.
    node: uuid::Uuid,
    /// When this node last wrote each operator's activity.
    activity: Arc<collab::ActivityWrites>,
    /// Password hashing, a few at a time.
    hashes: Arc<auth::HashGate>,
    /// The fonts PDF transcripts are set in, read on the first PDF asked for.
    pdf_fonts: Arc<std::sync::OnceLock<Result<Arc<pdf::PdfFonts>, String>>>,
    /// Visitors arrived, moved or were invited since the consoles were last told.
    visitors_moved: Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine over a store, with a fresh event bus and its writer. Must be called inside
    /// a Tokio runtime: the writer is a task.
    pub fn new(store: Arc<dyn Store>, config: EngineConfig) -> Self {
        let bus = EventBus::new(config.bus_capacity);
        let batches = Arc::new(BatchStats::default());
        let node = uuid::Uuid::now_v7();
        let mesh = mesh::Mesh::start(&store, &bus, node);
        let writer = writer::Writer::start(
            config.clock.clone(),
            Arc::clone(&store),
            bus.clone(),
            mesh.clone(),
            Arc::clone(&batches),
        );
        writer::watch(
            config.clock.clone(),
            Arc::downgrade(&store),
            bus.clone(),
            node,
        );
        let engine = Self {
            store,
            bus,
            writer,
            batches,
            mesh,
            config: Arc::new(config),
            node,
            activity: Arc::new(collab::ActivityWrites::default()),
            hashes: Arc::new(auth::HashGate::default()),
            pdf_fonts: Arc::default(),
            visitors_moved: Arc::default(),
        };
        // A test that moves the clock by hand sweeps by hand too.
        if !engine.config.clock.is_manual() {
            engine.start_sweeping();
            engine.start_webhooks();
            engine.start_mailer();
            engine.start_purging();
            engine.start_indexing();
            engine.start_visitor_watch();
        }
        engine
    }

    /// Waits until the engine is ready to serve: on a shared database, until this node knows
    /// where the event log ends (streams opened before that start over). At once on SQLite.
    pub async fn ready(&self) {
        if let Some(mesh) = &self.mesh {
            mesh.ready().await;
        }
    }

    /// Hands a signal to the streams it reaches, on every node.
    pub(crate) fn signal(&self, signal: domain::Signal, reach: domain::reach::SignalReach) {
        if let Some(mesh) = &self.mesh {
            let (mesh, store) = (Arc::clone(mesh), Arc::clone(&self.store));
            let (to_others, reach_others) = (signal.clone(), reach.clone());
            tokio::spawn(async move { mesh.signal(store.as_ref(), to_others, reach_others).await });
        }
        self.bus.signal(signal, &reach);
    }

    /// Ends every open stream of an operator, on every node.
    pub(crate) fn revoke(&self, operator: domain::OperatorId) {
        if let Some(mesh) = &self.mesh {
            let (mesh, store) = (Arc::clone(mesh), Arc::clone(&self.store));
            tokio::spawn(async move { mesh.revoke(store.as_ref(), operator).await });
        }
        self.bus.revoke(operator);
    }

    /// Runs password hashing work behind the hash gate.
    pub(crate) async fn hashing<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, domain::Error> {
        self.hashes.run(work).await
    }

    /// What group commit has done since start.
    pub fn batch_stats(&self) -> &BatchStats {
        &self.batches
    }

    /// The event bus: where streams take their place, and what publishing has cost.
    pub fn bus(&self) -> &EventBus {
        &self.bus
    }

    /// The engine's settings.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Whether the database answers, for readiness checks.
    pub async fn database_ready(&self) -> Result<(), domain::Error> {
        self.store.ping().await.map_err(internal)
    }

    /// How many visitor chats wait for an operator, for metrics.
    pub async fn waiting_count(&self) -> Result<i64, domain::Error> {
        self.store.waiting_count().await.map_err(internal)
    }

    /// The current time, by the engine's clock.
    pub fn now(&self) -> Timestamp {
        self.config.clock.now()
    }
}

/// The system's current time.
pub fn now() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default();
    Timestamp(millis)
}

/// Maps a storage failure to the error a client sees, logging the cause once, here: an
/// unreachable database is `unavailable` (503, retry), anything else `internal`.
pub(crate) fn internal(err: StoreError) -> domain::Error {
    if err.is_unavailable() {
        tracing::warn!(error = %err, "database unavailable");
        domain::Error::unavailable()
    } else {
        tracing::error!(error = %err, "storage failure");
        domain::Error::internal()
    }
}
