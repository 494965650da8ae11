//! Group commit: one writer commits every chat change that is waiting, together.
//!
//! Commands are decided concurrently, each on the chat state it read; their writes queue here.
//! The writer takes whatever has queued, commits it in one transaction — one flush to disk,
//! with the store's full durability — and publishes the committed events in commit order
//! before answering each command. Each write still succeeds or fails on its own: the store
//! wraps it in a savepoint, and the conditions that settle races (the chat's version, one open
//! chat per visitor, the per-operator limit) are checked by the database, not here. So the
//! writer holds no rule and no lock that another process would need to share.
//!
//! Publishing never waits on a stream (see `bus`), so a slow client cannot hold the writer.

use tokio::sync::{mpsc, oneshot};

use crate::Clock;
use crate::bus::EventBus;
use crate::mesh::Mesh;
use crate::store::{ChatWrite, LoggedEvent, Store, StoreError};
use std::sync::Arc;

/// The most writes committed in one transaction.
const MAX_BATCH: usize = 256;
/// Writes that may wait for the writer before callers wait to queue.
const QUEUE: usize = 4096;

/// A queued write and where its answer goes.
struct Job {
    write: ChatWrite,
    answer: oneshot::Sender<Result<Vec<LoggedEvent>, StoreError>>,
}

/// The handle commands queue their writes on. Cloning shares the one writer.
#[derive(Clone, Debug)]
pub(crate) struct Writer {
    queue: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").finish_non_exhaustive()
    }
}

/// Batch sizes committed since start, for metrics and tests.
#[derive(Debug)]
pub struct BatchStats {
    /// Transactions committed.
    pub batches: std::sync::atomic::AtomicU64,
    /// Writes in them.
    pub writes: std::sync::atomic::AtomicU64,
    /// The largest batch.
    pub largest: std::sync::atomic::AtomicU64,
    /// Writes per committed transaction.
    pub sizes: crate::metrics::Histogram,
}

impl Default for BatchStats {
    fn default() -> Self {
        Self {
            batches: std::sync::atomic::AtomicU64::new(0),
            writes: std::sync::atomic::AtomicU64::new(0),
            largest: std::sync::atomic::AtomicU64::new(0),
            sizes: crate::metrics::Histogram::new(&[
                1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0,
            ]),
        }
    }
}

impl Writer {
    /// Starts the writer task over a store, publishing on `bus`. It ends when every handle
    /// is dropped.
    /// On a shared database (`mesh`), the node's follower publishes instead, in log order.
    pub(crate) fn start(
        clock: Clock,
        store: Arc<dyn Store>,
        bus: EventBus,
        mesh: Option<Arc<Mesh>>,
        stats: Arc<BatchStats>,
    ) -> Self {
        let (queue, jobs) = mpsc::channel(QUEUE);
        tokio::spawn(run(clock, store, bus, mesh, jobs, stats));
        Self { queue }
    }

    /// Commits one chat write (with whatever else is waiting) and answers its events, already
    /// published.
    pub(crate) async fn commit(&self, write: ChatWrite) -> Result<Vec<LoggedEvent>, StoreError> {
        let (answer, answered) = oneshot::channel();
        self.queue
            .send(Job { write, answer })
            .await
            .map_err(|_| StoreError::Unavailable)?;
        answered.await.map_err(|_| StoreError::Unavailable)?
    }
}

/// How often the database is checked while nothing is written.
const WATCH_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Keeps this node's consoles counted as open, and ends every open stream when the database
/// stops answering, so that clients reconnect (and are told `unavailable` until it is back)
/// rather than wait on streams nothing can feed. Ends when the engine is gone.
pub(crate) fn watch(
    clock: Clock,
    store: std::sync::Weak<dyn Store>,
    bus: EventBus,
    node: uuid::Uuid,
) {
    tokio::spawn(async move {
        let mut healthy = true;
        loop {
            tokio::time::sleep(WATCH_EVERY).await;
            let Some(store) = store.upgrade() else {
                return;
            };
            let at = clock.now();
            let forget_before = crate::Timestamp(at.0 - 10 * crate::collab::CONSOLES_LIVE_MS);
            match store.keep_consoles(node, at, forget_before).await {
                Ok(()) => healthy = true,
                Err(err) if healthy && err.is_unavailable() => {
                    tracing::warn!(error = %err, "database unavailable; ending open streams");
                    healthy = false;
                    bus.reset();
                }
                Err(_) => {}
            }
        }
    });
}

async fn run(
    clock: Clock,
    store: Arc<dyn Store>,
    bus: EventBus,
    mesh: Option<Arc<Mesh>>,
    mut jobs: mpsc::Receiver<Job>,
    stats: Arc<BatchStats>,
) {
    use std::sync::atomic::Ordering;
    if let Some(mesh) = &mesh {
        mesh.ready().await;
    }
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (writes, answers): (Vec<ChatWrite>, Vec<_>) =
            batch.drain(..).map(|job| (job.write, job.answer)).unzip();
        let size = writes.len() as u64;
        match store.commit_chats(&writes, clock.now()).await {
            Ok(results) => {
                stats.batches.fetch_add(1, Ordering::Relaxed);
                stats.writes.fetch_add(size, Ordering::Relaxed);
                stats.largest.fetch_max(size, Ordering::Relaxed);
                #[allow(clippy::cast_precision_loss)]
                stats.sizes.observe(size as f64);
                match &mesh {
                    Some(mesh) => {
                        mesh.committed();
                        for (result, answer) in results.into_iter().zip(answers) {
                            let _ = answer.send(result);
                        }
                    }
                    None => {
                        for (result, answer) in results.into_iter().zip(answers) {
                            if let Ok(events) = &result {
                                bus.publish(events);
                            }
                            let _ = answer.send(result);
                        }
                    }
                }
            }
            Err(err) => {
                tracing::error!(error = %err, writes = size, "committing chat changes failed");
                // Streams may have been told of nothing that failed, but they end so their
                // clients reconnect once the database is back rather than wait on a stream
                // that cannot be fed.
                if err.is_unavailable() {
                    bus.reset();
                }
                let unavailable = err.is_unavailable();
                for answer in answers {
                    let failure = if unavailable {
                        StoreError::Unavailable
                    } else {
                        StoreError::NotCommitted
                    };
                    let _ = answer.send(Err(failure));
                }
            }
        }
    }
}
