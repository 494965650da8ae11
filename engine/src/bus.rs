//! Fan-out of committed events and passing signals to the live streams, by audience.
//!
//! Open streams are indexed by who holds them: each visitor's and each operator's streams.
//! An event or a signal is handed only to the streams of its reach (`domain::reach`): the
//! chat's visitor, the operators in the chat, and every console for a dashboard change. Its
//! cost grows with that audience, never with the number of open streams, so ten thousand idle
//! bubbles cost a chat nothing.
//!
//! Handing over never waits: each stream has a bounded buffer, and a stream whose buffer is
//! full is cut off (its client reconnects and replays from the log), so a slow client can
//! never hold up the writer, and nothing is skipped silently.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use domain::reach::{Recipient, SignalReach};
use domain::{OperatorId, Signal, VisitorId};
use tokio::sync::mpsc;

use crate::store::LoggedEvent;

/// How many items a stream may have waiting before it is cut off and must replay: enough
/// for a burst, small enough that a stalled client holds at most a few kilobytes.
pub const DEFAULT_CAPACITY: usize = 1024;

/// A committed event as the streams receive it, shared by every stream it reaches.
pub type PublishedEvent = Arc<LoggedEvent>;

/// What the bus hands a stream.
#[derive(Clone, Debug)]
pub enum Delivery {
    /// A committed event of the stream's audience.
    Event(PublishedEvent),
    /// A passing signal for the stream's audience.
    Signal(Arc<Signal>),
}

/// Why the bus let go of a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Still open, or its client went away.
    Open,
    /// It fell too far behind: the client must replay.
    Lagged,
    /// The operator's access ended (logout, disabled).
    Revoked,
    /// The server let every stream go (the database failed, or shutdown).
    Reset,
}

impl Ending {
    fn code(self) -> u8 {
        match self {
            Self::Open => 0,
            Self::Lagged => 1,
            Self::Revoked => 2,
            Self::Reset => 3,
        }
    }

    fn from_code(code: u8) -> Self {
        match code {
            1 => Self::Lagged,
            2 => Self::Revoked,
            3 => Self::Reset,
            _ => Self::Open,
        }
    }
}

/// One open stream as the index holds it.
#[derive(Debug)]
struct Slot {
    id: u64,
    sender: mpsc::Sender<Delivery>,
    /// Shared with the stream, so it can tell why it was let go.
    ending: Arc<AtomicU8>,
}

impl Slot {
    /// Hands an item over without waiting; false when the stream must be let go.
    fn offer(&self, item: Delivery) -> bool {
        match self.sender.try_send(item) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.ending.store(Ending::Lagged.code(), Ordering::Relaxed);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

/// The open streams by holder. A slot's sender is dropped to end its stream.
#[derive(Debug, Default)]
struct Index {
    next_id: u64,
    visitors: HashMap<VisitorId, Vec<Slot>>,
    operators: HashMap<OperatorId, Vec<Slot>>,
}

impl Index {
    fn slots_mut(&mut self, recipient: Recipient) -> Option<&mut Vec<Slot>> {
        match recipient {
            Recipient::Visitor(id) => self.visitors.get_mut(&id),
            Recipient::Operator(id) => self.operators.get_mut(&id),
        }
    }

    fn remove(&mut self, recipient: Recipient, id: u64) {
        let emptied = match self.slots_mut(recipient) {
            Some(slots) => {
                slots.retain(|slot| slot.id != id);
                slots.is_empty()
            }
            None => false,
        };
        if emptied {
            match recipient {
                Recipient::Visitor(v) => self.visitors.remove(&v),
                Recipient::Operator(o) => self.operators.remove(&o),
            };
        }
    }
}

/// Whose streams an item is offered to; `admits` then says which operators may have it.
struct Target<'a> {
    visitor: Option<VisitorId>,
    every_operator: bool,
    operators: &'a [OperatorId],
}

impl Index {
    /// Offers an item to the streams of its target; answers how many streams were offered it.
    fn deliver(
        &mut self,
        target: &Target<'_>,
        item: &Delivery,
        admits: impl Fn(OperatorId) -> bool,
    ) -> u64 {
        let mut offers = 0;
        if let Some(slots) = target.visitor.and_then(|v| self.visitors.get_mut(&v)) {
            offers += offer_all(slots, item);
        }
        if target.every_operator {
            for (operator, slots) in &mut self.operators {
                if admits(*operator) {
                    offers += offer_all(slots, item);
                }
            }
        } else {
            for operator in target.operators {
                if admits(*operator)
                    && let Some(slots) = self.operators.get_mut(operator)
                {
                    offers += offer_all(slots, item);
                }
            }
        }
        offers
    }

    /// Forgets holders whose last stream was let go.
    fn prune(&mut self) {
        self.visitors.retain(|_, slots| !slots.is_empty());
        self.operators.retain(|_, slots| !slots.is_empty());
    }
}

/// Offers an item to a holder's streams, dropping those that must go; answers how many were
/// offered it.
fn offer_all(slots: &mut Vec<Slot>, item: &Delivery) -> u64 {
    let offered = slots.len() as u64;
    slots.retain(|slot| slot.offer(item.clone()));
    offered
}

/// The bus. Cloning shares it.
#[derive(Clone, Debug)]
pub struct EventBus {
    /// The index of open streams. A `std` mutex: every critical section is a few map look-ups
    /// and non-blocking sends, never held across an `.await`.
    index: Arc<Mutex<Index>>,
    /// The most items a stream may have waiting.
    capacity: usize,
    /// Streams offered an item since start: what publishing has cost, for tests and metrics.
    offers: Arc<AtomicU64>,
}

/// A stream's place on the bus; dropping it takes the stream off the index.
#[derive(Debug)]
pub struct Subscription {
    /// What the bus hands the stream. Ends (`None`) when the bus lets the stream go.
    pub receiver: mpsc::Receiver<Delivery>,
    ending: Arc<AtomicU8>,
    index: Arc<Mutex<Index>>,
    recipient: Recipient,
    id: u64,
}

impl Subscription {
    /// Why the bus let the stream go (`Open` while it has not).
    pub fn ending(&self) -> Ending {
        Ending::from_code(self.ending.load(Ordering::Relaxed))
    }

    /// Who holds the stream.
    pub fn recipient(&self) -> Recipient {
        self.recipient
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.index
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(self.recipient, self.id);
    }
}

impl EventBus {
    /// A bus whose streams may have at most `capacity` items waiting.
    pub fn new(capacity: usize) -> Self {
        Self {
            index: Arc::new(Mutex::new(Index::default())),
            capacity: capacity.max(1),
            offers: Arc::new(AtomicU64::new(0)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens a stream for `recipient`: from now on it is handed everything that reaches them.
    pub fn subscribe(&self, recipient: Recipient) -> Subscription {
        let (sender, receiver) = mpsc::channel(self.capacity);
        let ending = Arc::new(AtomicU8::new(Ending::Open.code()));
        let mut index = self.lock();
        index.next_id += 1;
        let id = index.next_id;
        let slot = Slot {
            id,
            sender,
            ending: Arc::clone(&ending),
        };
        match recipient {
            Recipient::Visitor(v) => index.visitors.entry(v).or_default().push(slot),
            Recipient::Operator(o) => index.operators.entry(o).or_default().push(slot),
        }
        drop(index);
        Subscription {
            receiver,
            ending,
            index: Arc::clone(&self.index),
            recipient,
            id,
        }
    }

    /// Publishes committed events, in commit order, to the streams they reach.
    pub fn publish(&self, events: &[LoggedEvent]) {
        if events.is_empty() {
            return;
        }
        let mut offers = 0;
        let mut index = self.lock();
        for logged in events {
            let target = Target {
                visitor: logged
                    .visitor
                    .filter(|v| logged.reaches(Recipient::Visitor(*v))),
                every_operator: logged.on_dashboard(),
                operators: &logged.members,
            };
            let item = Delivery::Event(Arc::new(logged.clone()));
            offers += index.deliver(&target, &item, |o| logged.reaches(Recipient::Operator(o)));
        }
        index.prune();
        drop(index);
        self.offers.fetch_add(offers, Ordering::Relaxed);
    }

    /// Publishes a signal to the streams it reaches. Having none is fine.
    pub fn signal(&self, signal: Signal, reach: &SignalReach) {
        let target = Target {
            visitor: reach.visitor,
            every_operator: reach.all_operators,
            operators: &reach.operators,
        };
        let item = Delivery::Signal(Arc::new(signal));
        let mut index = self.lock();
        let offers = index.deliver(&target, &item, |o| reach.admits(Recipient::Operator(o)));
        index.prune();
        drop(index);
        self.offers.fetch_add(offers, Ordering::Relaxed);
    }

    /// Ends every open stream of an operator.
    pub fn revoke(&self, operator: OperatorId) {
        let removed = self.lock().operators.remove(&operator);
        for slot in removed.into_iter().flatten() {
            slot.ending.store(Ending::Revoked.code(), Ordering::Relaxed);
        }
    }

    /// Ends every open stream: their clients reconnect and replay (after a database failure,
    /// so that nobody waits on a stream that may have missed events).
    pub fn reset(&self) {
        let mut index = self.lock();
        let visitors = std::mem::take(&mut index.visitors);
        let operators = std::mem::take(&mut index.operators);
        drop(index);
        for slot in visitors
            .into_values()
            .chain(operators.into_values())
            .flatten()
        {
            slot.ending.store(Ending::Reset.code(), Ordering::Relaxed);
        }
    }

    /// Number of open streams.
    pub fn stream_count(&self) -> usize {
        let index = self.lock();
        index.visitors.values().map(Vec::len).sum::<usize>()
            + index.operators.values().map(Vec::len).sum::<usize>()
    }

    /// How many times a stream has been offered an event or a signal since start.
    pub fn offers(&self) -> u64 {
        self.offers.load(Ordering::Relaxed)
    }
}
