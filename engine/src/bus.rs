//! Fan-out of committed events and passing signals to the live streams, by audience.
//!
//! Open streams are indexed by who holds them (each visitor's and each operator's streams), and
//! consoles also by their dashboard interest (those listing every channel, and those listing
//! each channel). An event or a signal is handed only to the streams of its reach
//! (`domain::reach`): the chat's visitor, the operators in the chat, and, for a dashboard
//! change, the consoles listing its channel and whoever is offered the chat. Its cost grows
//! with that audience, never with the number of open streams, so ten thousand idle bubbles
//! cost a chat nothing, and a change in one channel nothing to the consoles of the others.
//!
//! Handing over never waits: each stream has a bounded buffer, and a stream whose buffer is
//! full is cut off (its client reconnects and replays from the log), so a slow client can
//! never hold up the writer, and nothing is skipped silently.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use domain::reach::{Interest, Recipient, SignalReach};
use domain::{ChannelId, OperatorId, Signal, VisitorId};
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
    /// Which dashboard changes the stream carries (a console's; a bubble has none).
    interest: Interest,
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

/// The open streams by holder, and the consoles by dashboard interest. A slot's sender is
/// dropped to end its stream.
#[derive(Debug, Default)]
struct Index {
    next_id: u64,
    visitors: HashMap<VisitorId, Vec<Slot>>,
    operators: HashMap<OperatorId, Vec<Slot>>,
    /// Operators with streams listing every channel, and how many.
    everything: HashMap<OperatorId, usize>,
    /// For each channel, the operators with streams listing its chats, and how many. Chats in
    /// no channel are every console's.
    channels: HashMap<ChannelId, HashMap<OperatorId, usize>>,
}

/// Which operators' streams an item is offered to; each stream's interest then decides.
enum Operators<'a> {
    /// Every console.
    Every,
    /// These operators' consoles.
    These(&'a [OperatorId]),
    /// Those of a dashboard change: the operators in the chat or offered it, and the consoles
    /// listing one of its channels.
    Dashboard {
        named: &'a [OperatorId],
        channels: &'a [ChannelId],
    },
}

impl Index {
    /// Counts (`add`) or discounts a console's interest.
    fn note_interest(&mut self, operator: OperatorId, interest: &Interest, add: bool) {
        fn count(counts: &mut HashMap<OperatorId, usize>, operator: OperatorId, add: bool) {
            if add {
                *counts.entry(operator).or_default() += 1;
            } else if let Some(n) = counts.get_mut(&operator) {
                *n -= 1;
                if *n == 0 {
                    counts.remove(&operator);
                }
            }
        }
        match interest {
            Interest::All => count(&mut self.everything, operator, add),
            Interest::Channels(channels) => {
                for channel in channels {
                    let counts = self.channels.entry(*channel).or_default();
                    count(counts, operator, add);
                    if counts.is_empty() {
                        self.channels.remove(channel);
                    }
                }
            }
        }
    }

    fn add(&mut self, recipient: Recipient, slot: Slot) {
        match recipient {
            Recipient::Visitor(v) => self.visitors.entry(v).or_default().push(slot),
            Recipient::Operator(o) => {
                self.note_interest(o, &slot.interest, true);
                self.operators.entry(o).or_default().push(slot);
            }
        }
    }

    fn remove(&mut self, recipient: Recipient, id: u64) {
        match recipient {
            Recipient::Visitor(v) => {
                if let Some(slots) = self.visitors.get_mut(&v) {
                    slots.retain(|slot| slot.id != id);
                    if slots.is_empty() {
                        self.visitors.remove(&v);
                    }
                }
            }
            Recipient::Operator(o) => {
                let Some(slots) = self.operators.get_mut(&o) else {
                    return;
                };
                let Some(at) = slots.iter().position(|slot| slot.id == id) else {
                    return;
                };
                let slot = slots.remove(at);
                if slots.is_empty() {
                    self.operators.remove(&o);
                }
                self.note_interest(o, &slot.interest, false);
            }
        }
    }

    /// Takes every stream of an operator off the index.
    fn take_operator(&mut self, operator: OperatorId) -> Vec<Slot> {
        let slots = self.operators.remove(&operator).unwrap_or_default();
        for slot in &slots {
            self.note_interest(operator, &slot.interest, false);
        }
        slots
    }

    /// Offers an item to the visitor's streams and to the operators' streams that `admits`;
    /// answers how many streams were offered it.
    fn deliver(
        &mut self,
        visitor: Option<VisitorId>,
        operators: &Operators<'_>,
        item: &Delivery,
        admits: impl Fn(OperatorId, &Interest) -> bool,
    ) -> u64 {
        let mut offers = 0;
        if let Some(v) = visitor
            && let Some(slots) = self.visitors.get_mut(&v)
        {
            offers += offer_all(slots, item, |_| true).0;
            if slots.is_empty() {
                self.visitors.remove(&v);
            }
        }
        let mut dropped = Vec::new();
        match operators {
            Operators::Every => {
                for (operator, slots) in &mut self.operators {
                    let (offered, gone) = offer_all(slots, item, |i| admits(*operator, i));
                    offers += offered;
                    dropped.extend(gone.into_iter().map(|i| (*operator, i)));
                }
            }
            Operators::These(named) => {
                for operator in *named {
                    if let Some(slots) = self.operators.get_mut(operator) {
                        let (offered, gone) = offer_all(slots, item, |i| admits(*operator, i));
                        offers += offered;
                        dropped.extend(gone.into_iter().map(|i| (*operator, i)));
                    }
                }
            }
            Operators::Dashboard { named, channels } => {
                let mut audience: HashSet<OperatorId> = named.iter().copied().collect();
                audience.extend(self.everything.keys().copied());
                for channel in *channels {
                    if let Some(listing) = self.channels.get(channel) {
                        audience.extend(listing.keys().copied());
                    }
                }
                for operator in audience {
                    if let Some(slots) = self.operators.get_mut(&operator) {
                        let (offered, gone) = offer_all(slots, item, |i| admits(operator, i));
                        offers += offered;
                        dropped.extend(gone.into_iter().map(|i| (operator, i)));
                    }
                }
            }
        }
        for (operator, interest) in dropped {
            self.note_interest(operator, &interest, false);
            if self.operators.get(&operator).is_some_and(Vec::is_empty) {
                self.operators.remove(&operator);
            }
        }
        offers
    }
}

/// Offers an item to those of a holder's streams whose interest `admits` it, dropping those
/// that must go; answers how many were offered it, and the interests of those dropped.
fn offer_all(
    slots: &mut Vec<Slot>,
    item: &Delivery,
    admits: impl Fn(&Interest) -> bool,
) -> (u64, Vec<Interest>) {
    let mut offered = 0;
    let mut dropped = Vec::new();
    slots.retain_mut(|slot| {
        if !admits(&slot.interest) {
            return true;
        }
        offered += 1;
        let kept = slot.offer(item.clone());
        if !kept {
            dropped.push(std::mem::take(&mut slot.interest));
        }
        kept
    });
    (offered, dropped)
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
    /// Events published on this node since start, for metrics.
    published: Arc<AtomicU64>,
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
            published: Arc::new(AtomicU64::new(0)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens a stream for `recipient` (for a console, one carrying the dashboard changes of
    /// `interest`): from now on it is handed everything that reaches it.
    pub fn subscribe(&self, recipient: Recipient, interest: Interest) -> Subscription {
        let (sender, receiver) = mpsc::channel(self.capacity);
        let ending = Arc::new(AtomicU8::new(Ending::Open.code()));
        let mut index = self.lock();
        index.next_id += 1;
        let id = index.next_id;
        let slot = Slot {
            id,
            sender,
            interest,
            ending: Arc::clone(&ending),
        };
        index.add(recipient, slot);
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
        self.published
            .fetch_add(events.len() as u64, Ordering::Relaxed);
        let mut offers = 0;
        let mut index = self.lock();
        let mut named = Vec::new();
        let mut channels = Vec::new();
        for logged in events {
            let visitor = logged
                .visitor
                .filter(|v| logged.reaches(Recipient::Visitor(*v), &Interest::All));
            let operators = match (logged.on_dashboard(), &logged.dashboard) {
                (false, _) => Operators::These(&logged.members),
                // A change in no channel, or recorded without a scope, is every console's.
                (true, None) => Operators::Every,
                (true, Some(scope)) if scope.channels.iter().any(Option::is_none) => {
                    Operators::Every
                }
                (true, Some(scope)) => {
                    named.clear();
                    named.extend_from_slice(&logged.members);
                    named.extend_from_slice(&scope.offered);
                    channels.clear();
                    channels.extend(scope.channels.iter().flatten());
                    Operators::Dashboard {
                        named: &named,
                        channels: &channels,
                    }
                }
            };
            let item = Delivery::Event(Arc::new(logged.clone()));
            offers += index.deliver(visitor, &operators, &item, |o, interest| {
                logged.reaches(Recipient::Operator(o), interest)
            });
        }
        drop(index);
        self.offers.fetch_add(offers, Ordering::Relaxed);
    }

    /// Publishes a signal to the streams it reaches. Having none is fine.
    pub fn signal(&self, signal: Signal, reach: &SignalReach) {
        let operators = if reach.all_operators {
            Operators::Every
        } else {
            Operators::These(&reach.operators)
        };
        let item = Delivery::Signal(Arc::new(signal));
        let mut index = self.lock();
        let offers = index.deliver(reach.visitor, &operators, &item, |o, _| {
            reach.admits(Recipient::Operator(o))
        });
        drop(index);
        self.offers.fetch_add(offers, Ordering::Relaxed);
    }

    /// Ends every open stream of an operator.
    pub fn revoke(&self, operator: OperatorId) {
        let removed = self.lock().take_operator(operator);
        for slot in removed {
            slot.ending.store(Ending::Revoked.code(), Ordering::Relaxed);
        }
    }

    /// Ends every open stream: their clients reconnect and replay (after a database failure,
    /// so that nobody waits on a stream that may have missed events).
    pub fn reset(&self) {
        let mut index = self.lock();
        let visitors = std::mem::take(&mut index.visitors);
        let operators = std::mem::take(&mut index.operators);
        index.everything.clear();
        index.channels.clear();
        drop(index);
        for slot in visitors
            .into_values()
            .chain(operators.into_values())
            .flatten()
        {
            slot.ending.store(Ending::Reset.code(), Ordering::Relaxed);
        }
    }

    /// The visitors with a stream open on this node: on the site now.
    pub fn visitor_ids(&self) -> Vec<VisitorId> {
        self.lock().visitors.keys().copied().collect()
    }

    /// Open streams by kind: (visitors', operators').
    pub fn stream_counts(&self) -> (usize, usize) {
        let index = self.lock();
        (
            index.visitors.values().map(Vec::len).sum::<usize>(),
            index.operators.values().map(Vec::len).sum::<usize>(),
        )
    }

    /// Events handed to this node's streams since start.
    pub fn published(&self) -> u64 {
        self.published.load(Ordering::Relaxed)
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

#[cfg(test)]
mod tests {
    use domain::reach::DashboardScope;
    use domain::{ChatEvent, ChatId, EventId, EventKind, Timestamp, Visibility};
    use uuid::Uuid;

    use super::*;

    fn change_in(channel: ChannelId, id: i64) -> LoggedEvent {
        LoggedEvent {
            event: ChatEvent {
                id: EventId(id),
                chat_id: ChatId(Uuid::from_u128(1)),
                at: Timestamp(0),
                kind: EventKind::VisitorLeft,
            },
            visitor: Some(VisitorId(Uuid::from_u128(2))),
            visibility: Visibility::Everyone,
            members: Vec::new(),
            dashboard: Some(DashboardScope {
                channels: vec![Some(channel)],
                offered: Vec::new(),
            }),
        }
    }

    #[test]
    fn consoles_leave_the_interest_index_however_their_stream_ends() {
        let bus = EventBus::new(1);
        let sales = ChannelId(Uuid::from_u128(10));
        let ann = OperatorId(Uuid::from_u128(3));
        let bob = OperatorId(Uuid::from_u128(4));
        let listing = Interest::Channels(vec![sales]);
        let lagging = bus.subscribe(Recipient::Operator(ann), listing.clone());
        let kept = bus.subscribe(Recipient::Operator(bob), listing.clone());
        let everything = bus.subscribe(Recipient::Operator(bob), Interest::All);
        // Nobody reads: the second change finds every buffer (of one) full.
        bus.publish(&[change_in(sales, 1)]);
        assert_eq!(bus.offers(), 3);
        bus.publish(&[change_in(sales, 2)]);
        assert_eq!(lagging.ending(), Ending::Lagged);
        {
            let index = bus.lock();
            assert!(index.operators.is_empty());
            assert!(index.channels.is_empty() && index.everything.is_empty());
        }
        drop((lagging, kept, everything));

        // Dropped and revoked streams leave it too.
        let dropped = bus.subscribe(Recipient::Operator(ann), listing.clone());
        let revoked = bus.subscribe(Recipient::Operator(bob), Interest::All);
        drop(dropped);
        bus.revoke(bob);
        assert_eq!(revoked.ending(), Ending::Revoked);
        let index = bus.lock();
        assert!(index.operators.is_empty());
        assert!(index.channels.is_empty() && index.everything.is_empty());
    }
}
