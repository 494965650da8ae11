//! Live event streams with replay: what an SSE client receives.
//!
//! A stream subscribes to the bus *before* reading history, replays every event after the
//! client's `Last-Event-ID` from the log, then forwards live events, dropping any id it has
//! already passed. So a reconnecting client gets exactly the events it missed, once each. A
//! subscriber that lags behind the bus is ended with [`StreamItem::Lagged`]: the client
//! reconnects and replays instead of silently missing events.

use std::collections::HashSet;

use domain::{ChatEvent, ChatId, EventId, EventKind, OperatorId, VisitorId};
use tokio::sync::{broadcast, mpsc};

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
    /// The stream fell behind and ends here; the client must reconnect and replay.
    Lagged,
}

/// Who a stream is for, deciding which events it carries.
#[derive(Clone, Debug)]
pub enum Audience {
    /// A visitor: events of their own chats that visitors may see.
    Visitor(VisitorId),
    /// An operator: every dashboard change, and everything in the chats they are in.
    Operator {
        /// Who.
        id: OperatorId,
        /// Chats they are in; grows as they accept chats.
        member_of: HashSet<ChatId>,
    },
}

impl Audience {
    /// Whether the event goes to this audience, updating what the audience is a member of.
    pub fn admits(&mut self, logged: &LoggedEvent) -> bool {
        match self {
            Self::Visitor(visitor) => {
                logged.visitor == *visitor && logged.event.kind.visible_to_visitor()
            }
            Self::Operator { id, member_of } => {
                if let EventKind::OperatorAccepted { operator, .. } = &logged.event.kind
                    && operator == id
                {
                    member_of.insert(logged.event.chat_id);
                }
                logged.event.kind.concerns_dashboard() || member_of.contains(&logged.event.chat_id)
            }
        }
    }
}

impl Engine {
    /// The audience of an operator's console stream.
    pub async fn operator_audience(&self, session: &Session) -> Result<Audience, domain::Error> {
        session.require_ready()?;
        let member_of = self
            .store
            .chats_of_operator(session.operator.id)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|(summary, _)| summary.id)
            .collect();
        Ok(Audience::Operator {
            id: session.operator.id,
            member_of,
        })
    }

    /// Opens a stream for an audience, replaying everything after `after`. The stream's task
    /// ends when the receiver is dropped (the client went away).
    pub fn open_stream(&self, audience: Audience, after: EventId) -> mpsc::Receiver<StreamItem> {
        let (sender, receiver) = mpsc::channel(BUFFER);
        // Subscribing here, before the task reads any history, is what makes replay gap-free.
        let live = self.bus.subscribe();
        let engine = self.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = engine.pump(audience, after, live, &sender) => {}
                () = sender.closed() => {}
            }
        });
        receiver
    }

    async fn pump(
        &self,
        mut audience: Audience,
        after: EventId,
        mut live: broadcast::Receiver<crate::PublishedEvent>,
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
            match live.recv().await {
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
            }
        }
    }
}
