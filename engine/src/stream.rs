//! Live event streams with replay: what an SSE client receives.
//!
//! A stream takes its place on the bus *before* reading history, replays from the log every
//! event after the client's `Last-Event-ID` that reaches it (the query asks only for its
//! holder's events), then passes on live events, dropping any id it has already passed. So a
//! reconnecting client gets exactly the events it missed, once each. A stream the bus lets go
//! (it lagged, its access was revoked, or the database failed) ends: the client reconnects and
//! replays instead of silently missing events.
//!
//! A stream is a plain value read by its HTTP response: no task of its own, and nothing
//! buffered beyond what waits for a slow client.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use domain::reach::{Interest, Recipient};
use domain::{ChatEvent, EventId, OperatorId, Signal, Timestamp, VisitorId};

use crate::bus::{Delivery, Ending, Subscription};
use crate::collab::OnlineGuard;
use crate::store::LoggedEvent;
use crate::{Engine, Session, internal};

/// Events read from the log per query while replaying.
const REPLAY_PAGE: i64 = 500;

/// What a stream yields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamItem {
    /// An event the client may see.
    Event(ChatEvent),
    /// A passing signal (typing, viewing, presence); it has no id and is never replayed.
    Signal(Signal),
    /// The stream fell behind and ends here; the client must reconnect and replay.
    Lagged,
}

/// Who a stream is for, deciding which events it carries.
#[derive(Debug)]
pub enum Audience {
    /// A visitor: the events of their own chats that the visitor may see.
    Visitor(VisitorId),
    /// An operator: the dashboard changes of their interest, and everything they may see in
    /// the chats they are in or are offered.
    Operator {
        /// Who.
        id: OperatorId,
        /// Which dashboard changes their console lists.
        interest: Interest,
        /// Keeps them online while the stream is open.
        online: Option<Arc<OnlineGuard>>,
        /// The session the stream was opened with: the stream ends when it does.
        session: Option<SessionWatch>,
    },
}

/// The session behind an operator's stream, and when to look at it again.
#[derive(Clone, Debug)]
pub struct SessionWatch {
    token_hash: String,
    check_at: Timestamp,
}

/// A session is looked at again at least this often while its stream is open, should a
/// revocation from another node have been lost (milliseconds).
const SESSION_RECHECK_MS: i64 = 60_000;

impl Audience {
    /// The holder of the stream.
    pub fn recipient(&self) -> Recipient {
        match self {
            Self::Visitor(id) => Recipient::Visitor(*id),
            Self::Operator { id, .. } => Recipient::Operator(*id),
        }
    }
}

/// One client's stream: history after its resume point, then live events and signals.
#[derive(Debug)]
pub struct EventStream {
    engine: Engine,
    subscription: Subscription,
    /// The newest event id passed on (or skipped as not for this client).
    passed: EventId,
    /// Replayed events waiting to be passed on.
    replay: VecDeque<LoggedEvent>,
    /// Whether the log may still hold events to replay.
    replaying: bool,
    /// Set once the stream has ended; nothing more comes.
    ended: bool,
    /// Keeps an operator online while their stream is open; let go when it ends.
    online: Option<Arc<OnlineGuard>>,
    /// Which dashboard changes it carries.
    interest: Interest,
    /// The session an operator's stream lives by.
    session: Option<SessionWatch>,
}

impl EventStream {
    /// The next item, or `None` when the stream has ended. Cancel-safe: an item is taken
    /// off the stream only when it is returned.
    pub async fn recv(&mut self) -> Option<StreamItem> {
        if self.ended {
            return None;
        }
        let recipient = self.subscription.recipient();
        loop {
            if let Some(logged) = self.replay.pop_front() {
                self.passed = logged.event.id;
                if logged.reaches(recipient, &self.interest) {
                    return Some(StreamItem::Event(logged.event));
                }
                continue;
            }
            if self.replaying {
                let page = match self.engine.replay_page(recipient, self.passed).await {
                    Ok(page) => page,
                    Err(()) => return self.end(None),
                };
                self.replaying = i64::try_from(page.len()).unwrap_or(i64::MAX) >= REPLAY_PAGE;
                self.replay = page.into();
                continue;
            }
            let delivery = match &self.session {
                None => self.subscription.receiver.recv().await,
                Some(watch) => {
                    let wait = watch
                        .check_at
                        .millis_since(self.engine.now())
                        .min(SESSION_RECHECK_MS);
                    let wait = Duration::from_millis(u64::try_from(wait).unwrap_or_default());
                    tokio::select! {
                        delivery = self.subscription.receiver.recv() => delivery,
                        () = tokio::time::sleep(wait) => {
                            if !self.session_lives().await {
                                return self.end(None);
                            }
                            continue;
                        }
                    }
                }
            };
            match delivery {
                Some(Delivery::Event(logged)) => {
                    if logged.event.id <= self.passed {
                        continue;
                    }
                    self.passed = logged.event.id;
                    if logged.reaches(recipient, &self.interest) {
                        return Some(StreamItem::Event(logged.event.clone()));
                    }
                }
                Some(Delivery::Signal(signal)) => {
                    return Some(StreamItem::Signal(Signal::clone(&signal)));
                }
                None => {
                    let lagged = self.subscription.ending() == Ending::Lagged;
                    if lagged {
                        tracing::info!("stream lagged; ending it so the client replays");
                    }
                    return self.end(lagged.then_some(StreamItem::Lagged));
                }
            }
        }
    }

    /// Whether the stream's session is still valid, moving the next look to its end. A
    /// database failure ends the stream too: the client reconnects and is checked afresh.
    async fn session_lives(&mut self) -> bool {
        let Some(watch) = &mut self.session else {
            return true;
        };
        match self.engine.session_ends_at(&watch.token_hash).await {
            Ok(Some(ends)) => {
                watch.check_at = ends;
                true
            }
            Ok(None) | Err(_) => false,
        }
    }

    fn end(&mut self, last: Option<StreamItem>) -> Option<StreamItem> {
        self.ended = true;
        self.online = None;
        last
    }

    /// The newest event id this stream has passed.
    pub fn passed(&self) -> EventId {
        self.passed
    }
}

impl Engine {
    /// The audience of an operator's console stream carrying the dashboard changes of
    /// `interest`; the operator counts as online while it is open.
    pub async fn operator_audience(
        &self,
        session: &Session,
        interest: Interest,
    ) -> Result<Audience, domain::Error> {
        session.require_ready()?;
        Ok(Audience::Operator {
            id: session.operator.id,
            interest,
            online: Some(Arc::new(self.go_online(session).await?)),
            session: Some(SessionWatch {
                token_hash: session.token_hash.clone(),
                check_at: session.expires_at,
            }),
        })
    }

    /// An operator's console stream: [`Engine::operator_audience`] and
    /// [`Engine::open_stream`], then one more look at the session. A logout, password change
    /// or disable committed while the stream was being opened revoked streams before this one
    /// took its place on the bus; that look sees it, so no stream outlives its session.
    pub async fn open_console_stream(
        &self,
        session: &Session,
        interest: Interest,
        after: EventId,
    ) -> Result<EventStream, domain::Error> {
        let audience = self.operator_audience(session, interest).await?;
        let stream = self.open_stream(audience, after);
        match self.session_ends_at(&session.token_hash).await? {
            Some(_) => Ok(stream),
            None => Err(domain::Error::new(
                domain::ErrorCode::Unauthorized,
                "Your session has ended. Please log in.",
            )),
        }
    }

    /// Opens a stream for an audience, replaying everything after `after` that reaches it.
    /// The stream ends when it is dropped (the client went away) or the bus lets it go.
    pub fn open_stream(&self, audience: Audience, after: EventId) -> EventStream {
        // Taking a place on the bus before reading any history is what makes replay gap-free.
        let recipient = audience.recipient();
        let (online, interest, session) = match audience {
            Audience::Operator {
                online,
                interest,
                session,
                ..
            } => (online, interest, session),
            Audience::Visitor(_) => (None, Interest::All, None),
        };
        let subscription = self.bus.subscribe(recipient, interest.clone());
        EventStream {
            engine: self.clone(),
            subscription,
            passed: after,
            replay: VecDeque::new(),
            replaying: true,
            ended: false,
            online,
            interest,
            session,
        }
    }

    /// The events after `after` that an operator's console with `interest` receives, read from
    /// the log (at most about `limit`): how a console window that shares another window's
    /// stream catches up from its snapshot. `None` when there are more than that: the console
    /// should load afresh instead. An interest naming too many channels is refused.
    pub async fn console_catch_up(
        &self,
        session: &Session,
        interest: &Interest,
        after: EventId,
        limit: usize,
    ) -> Result<Option<Vec<ChatEvent>>, domain::Error> {
        session.require_ready()?;
        interest.check()?;
        let recipient = Recipient::Operator(session.operator.id);
        let mut passed = after;
        let mut events = Vec::new();
        loop {
            let page = self
                .replay_page(recipient, passed)
                .await
                .map_err(|()| domain::Error::unavailable())?;
            let full = i64::try_from(page.len()).unwrap_or(i64::MAX) >= REPLAY_PAGE;
            for logged in page {
                passed = logged.event.id;
                if logged.reaches(recipient, interest) {
                    events.push(logged.event);
                }
            }
            if events.len() > limit {
                return Ok(None);
            }
            if !full {
                return Ok(Some(events));
            }
        }
    }

    /// The newest event id: where a client with no resume point starts.
    pub async fn last_event_id(&self) -> Result<EventId, domain::Error> {
        self.store.last_event_id().await.map_err(internal)
    }

    /// A page of the log after `after` for one holder's replay.
    async fn replay_page(
        &self,
        recipient: Recipient,
        after: EventId,
    ) -> Result<Vec<LoggedEvent>, ()> {
        let page = match recipient {
            Recipient::Visitor(id) => self.store.events_for_visitor(id, after, REPLAY_PAGE).await,
            Recipient::Operator(id) => self.store.events_for_operator(id, after, REPLAY_PAGE).await,
        };
        page.map_err(|err| {
            let _ = internal(err);
        })
    }
}
