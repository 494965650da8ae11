//! Several nodes on one database: how each learns what the others committed and signalled.
//!
//! On a database other processes write too (PostgreSQL), a node does not publish what it
//! commits. One follower task per node reads the event log after the last position it
//! published, in log order, and publishes that — its own commits and every other node's
//! alike, so every stream on every node sees events in one order with no gap. The database's
//! notifications only wake the follower; it also catches up after its listener reconnects
//! (notifications sent during the gap are lost) and every few seconds in any case, so a
//! missed wake-up delays an event and never loses it. Positions are readable in commit order
//! (the store assigns them under a lock), so reading "after the last one" never skips one that
//! commits later.
//!
//! Signals and revocations are not in the log: a node broadcasts them through the database to
//! the other nodes, which hand them to their own streams.

use std::sync::Arc;
use std::time::Duration;

use domain::reach::SignalReach;
use domain::{EventId, OperatorId, Signal};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::bus::EventBus;
use crate::store::{Notice, Notices, Store};

/// Events read from the log per query while catching up.
const PAGE: i64 = 500;
/// Catch up at least this often, whatever the notifications say.
const SWEEP: Duration = Duration::from_secs(3);
/// Wait before subscribing again after the listener failed.
const RETRY: Duration = Duration::from_millis(500);

/// What a node tells the others.
#[derive(Debug, Serialize, Deserialize)]
struct Message {
    /// Who sent it; a node ignores its own.
    node: Uuid,
    #[serde(flatten)]
    what: What,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum What {
    /// A signal for the streams it reaches.
    Signal { signal: Signal, reach: SignalReach },
    /// An operator's access ended: their streams close everywhere.
    Revoke { operator: OperatorId },
}

/// This node's place among the nodes on one database.
#[derive(Debug)]
pub(crate) struct Mesh {
    /// This node, so it can skip its own broadcasts.
    node: Uuid,
    /// Wakes the follower at once after this node commits, without waiting for the
    /// database's notification to come back.
    nudge: Arc<Notify>,
    /// Set once the follower knows where the log ends; this node commits nothing before,
    /// so the follower cannot start past one of its commits.
    ready: tokio::sync::watch::Receiver<bool>,
}

impl Mesh {
    /// Starts following the log, as `node`, if other processes share the database; `None` if this
    /// process is the database's only user (the writer publishes then).
    pub(crate) fn start(store: &Arc<dyn Store>, bus: &EventBus, node: Uuid) -> Option<Arc<Self>> {
        if !store.is_shared() {
            return None;
        }
        let (set_ready, ready) = tokio::sync::watch::channel(false);
        let mesh = Arc::new(Self {
            node,
            nudge: Arc::new(Notify::new()),
            ready,
        });
        tokio::spawn(follow(
            Arc::downgrade(store),
            bus.clone(),
            mesh.node,
            Arc::clone(&mesh.nudge),
            set_ready,
        ));
        Some(mesh)
    }

    /// Waits until the follower knows where the log ends.
    pub(crate) async fn ready(&self) {
        let mut ready = self.ready.clone();
        let _ = ready.wait_for(|ready| *ready).await;
    }

    /// Tells the follower that this node committed events.
    pub(crate) fn committed(&self) {
        self.nudge.notify_one();
    }

    /// Sends a signal to the other nodes' streams.
    pub(crate) async fn signal(&self, store: &dyn Store, signal: Signal, reach: SignalReach) {
        self.send(store, What::Signal { signal, reach }).await;
    }

    /// Ends an operator's streams on the other nodes.
    pub(crate) async fn revoke(&self, store: &dyn Store, operator: OperatorId) {
        self.send(store, What::Revoke { operator }).await;
    }

    async fn send(&self, store: &dyn Store, what: What) {
        let message = Message {
            node: self.node,
            what,
        };
        let sent = match serde_json::to_string(&message) {
            Ok(text) => store.broadcast(&text).await,
            Err(err) => {
                tracing::error!(error = %err, "encoding a message to the other nodes");
                return;
            }
        };
        if let Err(err) = sent {
            // Signals are repeated by their senders; a revocation is also held by the
            // sessions table, which every node reads on each request.
            tracing::warn!(error = %err, "could not tell the other nodes");
        }
    }
}

/// The follower: publishes the log in order, and the other nodes' messages.
async fn follow(
    store: std::sync::Weak<dyn Store>,
    bus: EventBus,
    node: Uuid,
    nudge: Arc<Notify>,
    ready: tokio::sync::watch::Sender<bool>,
) {
    let mut published: Option<EventId> = None;
    let mut notices: Option<Box<dyn Notices>> = None;
    loop {
        let Some(db) = store.upgrade() else {
            return;
        };
        if notices.is_none() {
            match db.notices().await {
                Ok(subscribed) => notices = subscribed,
                Err(err) => {
                    tracing::warn!(error = %err, "listening to the database failed; retrying");
                    drop(db);
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
            }
        }
        // Subscribed before reading: anything committed from here on wakes us again.
        let Some(after) = catch_up(db.as_ref(), &bus, published).await else {
            drop(db);
            tokio::time::sleep(RETRY).await;
            continue;
        };
        if published.is_none() {
            // Streams opened before the follower knew where the log ended may have read
            // less of it than the follower will publish from: they start over.
            if bus.stream_count() > 0 {
                bus.reset();
            }
            let _ = ready.send(true);
        }
        published = Some(after);
        drop(db);
        let woken = async {
            match notices.as_mut() {
                Some(feed) => feed.next().await.map(Some),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            notice = woken => match notice {
                Ok(Some(Notice::Message(text))) => deliver(&bus, node, &text),
                Ok(Some(Notice::Events) | None) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "the database listener dropped; catching up");
                    notices = None;
                }
            },
            () = nudge.notified() => {}
            () = tokio::time::sleep(SWEEP) => {}
        }
    }
}

/// Publishes every event after `published`; answers the new position, or `None` if the log
/// could not be read. A node that has published nothing yet starts at the log's end: its
/// streams replay what came before from the log themselves.
async fn catch_up(
    store: &dyn Store,
    bus: &EventBus,
    published: Option<EventId>,
) -> Option<EventId> {
    let mut after = match published {
        Some(after) => after,
        None => store.last_event_id().await.ok()?,
    };
    loop {
        let page = match store.events_after(after, PAGE).await {
            Ok(page) => page,
            Err(err) => {
                tracing::warn!(error = %err, "reading the log failed");
                return Some(after);
            }
        };
        let Some(last) = page.last() else {
            return Some(after);
        };
        after = last.event.id;
        let full = i64::try_from(page.len()).unwrap_or(i64::MAX) >= PAGE;
        bus.publish(&page);
        if !full {
            return Some(after);
        }
    }
}

/// Hands another node's message to this node's streams.
fn deliver(bus: &EventBus, node: Uuid, text: &str) {
    let message: Message = match serde_json::from_str(text) {
        Ok(message) => message,
        Err(err) => {
            tracing::warn!(error = %err, "unreadable message from another node");
            return;
        }
    };
    if message.node == node {
        return;
    }
    match message.what {
        What::Signal { signal, reach } => bus.signal(signal, &reach),
        What::Revoke { operator } => bus.revoke(operator),
    }
}
