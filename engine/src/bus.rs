//! In-process fan-out of committed events to the live streams.
//!
//! One broadcast channel carries every event; each stream filters what its client may see.
//! A subscriber that falls more than the channel's capacity behind is told it lagged and must
//! end its stream, so the client reconnects and replays from the log: nothing is skipped silently.

use std::sync::Arc;

use domain::ChatEvent;
use tokio::sync::broadcast;

use crate::store::LoggedEvent;

/// How many events a slow subscriber may fall behind before it is cut off.
pub const DEFAULT_CAPACITY: usize = 4096;

/// A committed event as the streams receive it.
pub type PublishedEvent = Arc<LoggedEvent>;

/// The bus. Cloning shares the channel.
#[derive(Clone, Debug)]
pub struct EventBus {
    /// Sender side; receivers are created per stream with [`EventBus::subscribe`].
    sender: broadcast::Sender<PublishedEvent>,
}

impl EventBus {
    /// A bus whose subscribers may lag by at most `capacity` events.
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity);
        Self { sender }
    }

    /// Publishes committed events, in order. Having no subscribers is fine.
    pub fn publish(&self, events: impl IntoIterator<Item = LoggedEvent>) {
        for event in events {
            let _ = self.sender.send(Arc::new(event));
        }
    }

    /// A receiver of every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<PublishedEvent> {
        self.sender.subscribe()
    }

    /// Number of live subscribers (open streams).
    pub fn subscriber_count(&self) -> usize {
        self.sender.receiver_count()
    }
}

/// Wraps events of one chat for publishing.
pub(crate) fn logged(events: Vec<ChatEvent>, visitor: domain::VisitorId) -> Vec<LoggedEvent> {
    events
        .into_iter()
        .map(|event| LoggedEvent { event, visitor })
        .collect()
}
