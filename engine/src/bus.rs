//! In-process fan-out of committed events and passing signals to the live streams.
//!
//! One broadcast channel carries every event; each stream filters what its client may see.
//! A subscriber that falls more than the channel's capacity behind is told it lagged and must
//! end its stream, so the client reconnects and replays from the log: nothing is skipped silently.
//! Signals (typing, viewing, presence) travel on a channel of their own: they are not stored, so
//! a burst of them can never make a stream lag on events, and a missed signal is simply repeated
//! by its sender.

use std::sync::Arc;

use domain::{OperatorId, Signal, VisitorId};
use tokio::sync::broadcast;

use crate::store::LoggedEvent;

/// How many events a slow subscriber may fall behind before it is cut off.
pub const DEFAULT_CAPACITY: usize = 4096;

/// A committed event as the streams receive it.
pub type PublishedEvent = Arc<LoggedEvent>;

/// How many signals a slow subscriber may fall behind before older ones are dropped for it.
const SIGNAL_CAPACITY: usize = 1024;

/// A signal with the visitor of its chat, which the streams filter on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutedSignal {
    /// The signal.
    pub signal: Signal,
    /// The visitor of the chat it is about, if any.
    pub visitor: Option<VisitorId>,
}

/// The bus. Cloning shares the channel.
#[derive(Clone, Debug)]
pub struct EventBus {
    /// Sender side; receivers are created per stream with [`EventBus::subscribe`].
    sender: broadcast::Sender<PublishedEvent>,
    /// Signals, best effort.
    signals: broadcast::Sender<Arc<RoutedSignal>>,
    /// Operators whose access just ended (disabled): their open streams close.
    revoked: broadcast::Sender<OperatorId>,
}

impl EventBus {
    /// A bus whose subscribers may lag by at most `capacity` events.
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity);
        let (signals, _) = broadcast::channel(SIGNAL_CAPACITY);
        let (revoked, _) = broadcast::channel(SIGNAL_CAPACITY);
        Self {
            sender,
            signals,
            revoked,
        }
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

    /// Publishes a signal. Having no subscribers is fine.
    pub fn signal(&self, signal: Signal, visitor: Option<VisitorId>) {
        let _ = self
            .signals
            .send(Arc::new(RoutedSignal { signal, visitor }));
    }

    /// A receiver of every signal published from now on.
    pub fn subscribe_signals(&self) -> broadcast::Receiver<Arc<RoutedSignal>> {
        self.signals.subscribe()
    }

    /// Ends every open stream of an operator.
    pub fn revoke(&self, operator: OperatorId) {
        let _ = self.revoked.send(operator);
    }

    /// A receiver of revocations from now on.
    pub fn subscribe_revoked(&self) -> broadcast::Receiver<OperatorId> {
        self.revoked.subscribe()
    }

    /// Number of live subscribers (open streams).
    pub fn subscriber_count(&self) -> usize {
        self.sender.receiver_count()
    }
}
