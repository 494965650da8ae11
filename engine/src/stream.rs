//! Live event streams with replay: what an SSE client receives.
//!
//! A stream subscribes to the bus *before* reading history, replays every event after the
//! client's `Last-Event-ID` from the log, then forwards live events, dropping any id it has
//! already passed. So a reconnecting client gets exactly the events it missed, once each. A
//! subscriber that lags behind the bus is ended with [`StreamItem::Lagged`]: the client
//! reconnects and replays instead of silently missing events.

use std::collections::HashSet;
use std::sync::Arc;

use domain::{ChatEvent, ChatId, EventId, EventKind, OperatorId, Signal, Viewer, VisitorId};
use tokio::sync::{broadcast, mpsc};

use crate::bus::RoutedSignal;
use crate::collab::OnlineGuard;
use crate::store::LoggedEvent;
use crate::{Engine, Session, internal};

/// Events read from the log per query while replaying.
const REPLAY_PAGE: i64 = 500;
/// Events buffered between the stream task and the HTTP response.
const BUFFER: usize = 256;

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
    /// An operator: every dashboard change they may see, and everything they may see in the
    /// chats they are in.
    Operator {
        /// Who.
        id: OperatorId,
        /// Chats they are in; follows their joining and leaving.
        member_of: HashSet<ChatId>,
        /// Keeps them online while the stream is open.
        online: Option<Arc<OnlineGuard>>,
    },
}

impl Audience {
    /// Whether the event goes to this audience, updating what the audience is a member of.
    pub fn admits(&mut self, logged: &LoggedEvent) -> bool {
        let event = &logged.event;
        match self {
            Self::Visitor(visitor) => {
                logged.visitor == Some(*visitor) && logged.visibility.admits(Viewer::Visitor)
            }
            Self::Operator { id, member_of, .. } => {
                if !logged.visibility.admits(Viewer::Operator(*id)) {
                    return false;
                }
                let entering = match &event.kind {
                    EventKind::PrivateChatStarted { by, with, .. } => by == id || with == id,
                    kind => kind.membership_of() == Some((*id, true)),
                };
                if entering {
                    member_of.insert(event.chat_id);
                }
                let member = member_of.contains(&event.chat_id);
                // The event that takes me out of a chat still reaches me; nothing after it.
                let leaving = matches!(event.kind.membership_of(), Some((who, false)) if who == *id)
                    || matches!(
                        event.kind,
                        EventKind::StatusChanged {
                            status: domain::ChatStatus::Closed
                        }
                    );
                if leaving {
                    member_of.remove(&event.chat_id);
                }
                member || (logged.visitor.is_some() && event.kind.concerns_dashboard())
            }
        }
    }

    /// Whether a signal goes to this audience.
    pub fn hears(&self, routed: &RoutedSignal) -> bool {
        let signal = &routed.signal;
        match self {
            Self::Visitor(visitor) => routed.visitor == Some(*visitor) && signal.for_visitor(),
            Self::Operator { id, member_of, .. } => {
                !signal.from_operator(*id)
                    && signal.chat().is_none_or(|chat| member_of.contains(&chat))
            }
        }
    }
}

impl Engine {
    /// The audience of an operator's console stream; the operator counts as online while it
    /// is open.
    pub async fn operator_audience(&self, session: &Session) -> Result<Audience, domain::Error> {
        session.require_ready()?;
        let member_of = self
            .store
            .chats_of_operator(session.operator.id)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|membership| membership.chat.state.id)
            .collect();
        Ok(Audience::Operator {
            id: session.operator.id,
            member_of,
            online: Some(Arc::new(self.go_online(session))),
        })
    }

    /// Opens a stream for an audience, replaying everything after `after`. The stream's task
    /// ends when the receiver is dropped (the client went away).
    pub fn open_stream(&self, audience: Audience, after: EventId) -> mpsc::Receiver<StreamItem> {
        let (sender, receiver) = mpsc::channel(BUFFER);
        // Subscribing here, before the task reads any history, is what makes replay gap-free.
        let live = self.bus.subscribe();
        let signals = self.bus.subscribe_signals();
        let mut revoked = self.bus.subscribe_revoked();
        let operator = match &audience {
            Audience::Operator { id, .. } => Some(*id),
            Audience::Visitor(_) => None,
        };
        let engine = self.clone();
        tokio::spawn(async move {
            let ended = async {
                loop {
                    match revoked.recv().await {
                        Ok(who) if Some(who) == operator => return,
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
                    }
                }
            };
            tokio::select! {
                () = engine.pump(audience, after, live, signals, &sender) => {}
                () = sender.closed() => {}
                () = ended => {}
            }
        });
        receiver
    }

    async fn pump(
        &self,
        mut audience: Audience,
        after: EventId,
        mut live: broadcast::Receiver<crate::PublishedEvent>,
        mut signals: broadcast::Receiver<Arc<RoutedSignal>>,
        sender: &mpsc::Sender<StreamItem>,
    ) {
        let mut passed = after;
        loop {
            let page = match self.store.events_after(passed, REPLAY_PAGE).await {
                Ok(page) => page,
                Err(err) => {
                    let _ = internal(err);
                    return;
                }
            };
            let full = i64::try_from(page.len()).unwrap_or(i64::MAX) >= REPLAY_PAGE;
            for logged in page {
                passed = logged.event.id;
                if audience.admits(&logged)
                    && sender.send(StreamItem::Event(logged.event)).await.is_err()
                {
                    return;
                }
            }
            if !full {
                break;
            }
        }
        loop {
            tokio::select! {
                biased;
                received = live.recv() => match received {
                    Ok(logged) => {
                        if logged.event.id <= passed {
                            continue;
                        }
                        passed = logged.event.id;
                        if audience.admits(&logged)
                            && sender
                                .send(StreamItem::Event(logged.event.clone()))
                                .await
                                .is_err()
                        {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::info!(missed, "stream lagged; ending it so the client replays");
                        let _ = sender.send(StreamItem::Lagged).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                received = signals.recv() => match received {
                    Ok(routed) => {
                        if audience.hears(&routed)
                            && sender.send(StreamItem::Signal(routed.signal.clone())).await.is_err()
                        {
                            return;
                        }
                    }
                    // Signals repeat while they hold; missing some is harmless.
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    }
}
