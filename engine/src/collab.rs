//! Operators working together: who is online, invitations and transfers to them, private
//! chats between them, the signals (typing, viewing, page views) that are never stored, and
//! the visitor details the chat sidebar shows.
//!
//! Who may do what in a chat is decided in `domain`; this module adds what only the server
//! knows: whether the chosen operator exists, is enabled and is online.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};

use domain::Timestamp;
use domain::chat::{MessageBody, parse_client_id};
use domain::console::{MyChat, OnlineOperator, VisitorInfo};
use domain::reach::SignalReach;
use domain::settings::Availability;
use domain::{
    ChatId, ChatState, Command, Error, ErrorCode, Member, MemberRole, OfferKind, OperatorId, Signal,
};
use uuid::Uuid;

use crate::operators::Session;
use crate::store::{ChatWrite, NewEvent, OperatorRecord, VisitorRecord};
use crate::{Engine, internal};

/// How long a node's consoles count as open without the node refreshing them: a node that
/// died drops out of everyone's online list within this.
pub(crate) const CONSOLES_LIVE_MS: i64 = 20_000;
/// How often activity is written for an operator who keeps busy: finer than any threshold
/// the settings allow (a minute), coarse enough not to write on every click.
const ACTIVITY_EVERY_MS: i64 = 10_000;

/// When this node last wrote each operator's activity, so that a busy console does not write
/// on every request. Only a saving: the truth is in the database.
#[derive(Debug, Default)]
pub(crate) struct ActivityWrites {
    /// A `std` mutex: looked up and updated, never held across an `.await`.
    written: Mutex<HashMap<OperatorId, Timestamp>>,
}

impl ActivityWrites {
    /// Whether activity at `at` is worth writing; records it as written if so.
    fn due(&self, operator: OperatorId, at: Timestamp) -> bool {
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        match written.get(&operator) {
            Some(last) if (at.0 - last.0).abs() < ACTIVITY_EVERY_MS => false,
            _ => {
                written.insert(operator, at);
                true
            }
        }
    }

    fn forget(&self, operator: OperatorId) {
        self.written
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&operator);
    }
}

/// Held by an operator's live stream: their console counts as open while it lives.
#[derive(Debug)]
pub struct OnlineGuard {
    engine: Engine,
    operator: OperatorId,
    name: String,
}

impl Drop for OnlineGuard {
    fn drop(&mut self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let engine = self.engine.clone();
        let (operator, name) = (self.operator, std::mem::take(&mut self.name));
        runtime.spawn(async move {
            let live_since = Timestamp(engine.now().0 - CONSOLES_LIVE_MS);
            match engine
                .store
                .close_console(operator, engine.node, live_since)
                .await
            {
                Ok(0) => engine.signal(
                    Signal::Presence {
                        operator,
                        name,
                        online: false,
                        unavailable: false,
                    },
                    SignalReach::all_operators(Some(operator)),
                ),
                Ok(_) => {}
                Err(err) => {
                    let _ = internal(err);
                }
            }
        });
    }
}

fn unavailable() -> Error {
    Error::new(
        ErrorCode::OperatorUnavailable,
        "That operator is not online any more.",
    )
}

impl Engine {
    /// Counts the session's operator's console as open until the guard is dropped; the
    /// other consoles hear when the operator comes online.
    pub async fn go_online(&self, session: &Session) -> Result<OnlineGuard, Error> {
        let me = session.operator.id;
        let at = self.now();
        self.note_activity_at(session, at).await?;
        let open = self
            .store
            .open_console(me, self.node, at, Timestamp(at.0 - CONSOLES_LIVE_MS))
            .await
            .map_err(internal)?;
        let name = session.operator.display_name().to_owned();
        if open == 1 {
            self.signal(
                Signal::Presence {
                    operator: me,
                    name: name.clone(),
                    online: true,
                    unavailable: session.operator.unavailable,
                },
                SignalReach::all_operators(Some(me)),
            );
        }
        Ok(OnlineGuard {
            engine: self.clone(),
            operator: me,
            name,
        })
    }

    /// Marks this node's open consoles as live now: the node's watch does it every couple of
    /// seconds; a test that moves the clock calls it after each move.
    pub async fn keep_consoles(&self) -> Result<(), Error> {
        let at = self.now();
        self.store
            .keep_consoles(self.node, at, Timestamp(at.0 - 10 * CONSOLES_LIVE_MS))
            .await
            .map_err(internal)
    }

    /// Records that the session's operator did something (any console request but the live
    /// stream, which stays open by itself).
    pub async fn note_activity(&self, session: &Session) -> Result<(), Error> {
        let at = self.now();
        if !self.activity.due(session.operator.id, at) {
            return Ok(());
        }
        self.store
            .note_active(session.operator.id, at)
            .await
            .map_err(internal)
    }

    /// Records that the session's operator last did something at `at`.
    pub async fn note_activity_at(&self, session: &Session, at: Timestamp) -> Result<(), Error> {
        self.activity.forget(session.operator.id);
        self.store
            .note_active(session.operator.id, at)
            .await
            .map_err(internal)
    }

    /// The operators with a console open on a live node, with how long each has been idle.
    pub(crate) async fn present(&self) -> Result<Vec<(OnlineOperator, i64)>, Error> {
        let at = self.now();
        Ok(self
            .store
            .present_operators(Timestamp(at.0 - CONSOLES_LIVE_MS))
            .await
            .map_err(internal)?
            .into_iter()
            // Signed off for inactivity: gone until they rejoin, whatever they do meanwhile.
            .filter(|present| present.operator.signed_off_at.is_none())
            .map(|present| {
                let operator = OnlineOperator {
                    id: present.operator.id,
                    name: present.operator.display_name().to_owned(),
                    role: present.operator.role,
                    away: false,
                    unavailable: present.operator.unavailable,
                };
                (operator, at.0.saturating_sub(present.active_at.0))
            })
            .collect())
    }

    /// How present an operator is: `None` when no console of theirs is open.
    async fn availability(&self, operator: OperatorId) -> Result<Option<Availability>, Error> {
        let Some((_, idle)) = self
            .present()
            .await?
            .into_iter()
            .find(|(present, _)| present.id == operator)
        else {
            return Ok(None);
        };
        Ok(Some(self.settings().await?.availability(idle)))
    }

    /// Operators online now, other than the caller, each marked away when idle past the away
    /// threshold; those idle past the inactivity timeout count as gone and are left out.
    pub async fn online_operators(&self, session: &Session) -> Result<Vec<OnlineOperator>, Error> {
        session.require_ready()?;
        let settings = self.settings().await?;
        let mut online: Vec<OnlineOperator> = self
            .present()
            .await?
            .into_iter()
            .filter(|(o, _)| o.id != session.operator.id)
            .filter_map(|(mut o, idle)| {
                match settings.availability(idle) {
                    Availability::Gone => return None,
                    Availability::Away => o.away = true,
                    Availability::Active => {}
                }
                Some(o)
            })
            .collect();
        online.sort_by_key(|o| o.name.to_lowercase());
        Ok(online)
    }

    /// An enabled operator who is online now, other than the caller.
    async fn reachable_operator(
        &self,
        session: &Session,
        target: OperatorId,
    ) -> Result<OperatorRecord, Error> {
        if target == session.operator.id {
            return Err(Error::new(
                ErrorCode::InvalidField,
                "Pick another operator.",
            ));
        }
        let record = self
            .store
            .operator_by_id(target)
            .await
            .map_err(internal)?
            .filter(|o| !o.disabled)
            .ok_or_else(unavailable)?;
        match self.availability(target).await? {
            Some(Availability::Active | Availability::Away) if !record.unavailable => {}
            _ => return Err(unavailable()),
        }
        Ok(record)
    }

    /// The operator sets themself Unavailable (online, offered no chats, no new-chat pop-ups)
    /// or available again; every console hears it.
    pub async fn set_unavailable(&self, session: &Session, unavailable: bool) -> Result<(), Error> {
        session.require_ready()?;
        let me = session.operator.id;
        self.store
            .set_unavailable(me, unavailable)
            .await
            .map_err(internal)?;
        self.note_activity_at(session, self.now()).await?;
        self.signal(
            Signal::Presence {
                operator: me,
                name: session.operator.display_name().to_owned(),
                online: true,
                unavailable,
            },
            SignalReach::all_operators(Some(me)),
        );
        Ok(())
    }

    /// Invites an online operator into a chat, or offers it to them.
    pub async fn offer_chat(
        &self,
        session: &Session,
        chat: ChatId,
        kind: OfferKind,
        target: OperatorId,
    ) -> Result<(), Error> {
        session.require_ready()?;
        // Non-members learn nothing about the target (not even whether they are online).
        self.require_member(session, chat).await?;
        let target = self.reachable_operator(session, target).await?;
        let command = Command::Offer {
            kind,
            target: target.id,
            target_name: target.display_name().to_owned(),
        };
        self.operator_command(session, chat, &command).await?;
        Ok(())
    }

    /// Starts a private chat with an online operator, with a first message.
    pub async fn start_private_chat(
        &self,
        session: &Session,
        with: OperatorId,
        message: &str,
        client_id: Option<&str>,
    ) -> Result<MyChat, Error> {
        session.require_ready()?;
        let body = MessageBody::parse(message)?;
        let client_id = parse_client_id(client_id)?;
        let other = self.reachable_operator(session, with).await?;
        let member = |record: &OperatorRecord| Member {
            id: record.id,
            name: record.display_name().to_owned(),
            role: MemberRole::Participant,
        };
        let (state, recorded) = ChatState::start_private(
            ChatId(Uuid::now_v7()),
            member(&session.operator),
            member(&other),
            body,
            client_id,
        )?;
        let events = NewEvent::from_recorded(&ChatState::empty(state.id, None), recorded);
        self.writer
            .commit(ChatWrite::Create {
                chat: state.clone(),
                events,
            })
            .await
            .map_err(internal)?;
        self.record(
            session,
            "private_chat",
            Some(state.id),
            Some(other.email.clone()),
        )
        .await;
        self.my_chat(session, state.id).await
    }

    /// An operator in a chat is typing (a message, or a note) or has it in front of them.
    /// Watchers stay invisible: their signals are dropped, and observers never "type" to the
    /// visitor.
    pub async fn operator_signal(
        &self,
        session: &Session,
        chat: ChatId,
        typing: Option<(bool, bool)>,
        viewing: Option<bool>,
    ) -> Result<(), Error> {
        session.require_ready()?;
        let stored = self.require_member(session, chat).await?;
        let me = session.operator.id;
        let name = session.operator.display_name();
        if let Some((active, note)) = typing
            && let Some((signal, reach)) = stored.state.operator_typing(me, name, active, note)
        {
            self.signal(signal, reach);
        }
        if let Some(active) = viewing
            && let Some((signal, reach)) = stored.state.operator_viewing(me, name, active)
        {
            self.signal(signal, reach);
        }
        Ok(())
    }

    /// The visitor is typing in their open chat (or stopped).
    pub async fn visitor_typing(
        &self,
        visitor: &VisitorRecord,
        chat: ChatId,
        active: bool,
    ) -> Result<(), Error> {
        let stored = self.load(chat).await?;
        if stored.state.visitor != Some(visitor.id) {
            return Err(Error::new(ErrorCode::ChatNotFound, "No such chat."));
        }
        let (signal, reach) = stored
            .state
            .visitor_typing(active)
            .ok_or_else(|| Error::new(ErrorCode::ChatClosed, "This chat has ended."))?;
        self.signal(signal, reach);
        Ok(())
    }

    /// What the sidebar shows about a chat's visitor; only for operators in the chat.
    pub async fn visitor_info(
        &self,
        session: &Session,
        chat: ChatId,
    ) -> Result<VisitorInfo, Error> {
        session.require_ready()?;
        let stored = self.require_member(session, chat).await?;
        let Some(visitor) = stored.state.visitor else {
            return Err(Error::new(
                ErrorCode::ChatNotFound,
                "This chat has no visitor.",
            ));
        };
        let record = self
            .store
            .visitor_by_id(visitor)
            .await
            .map_err(internal)?
            .ok_or_else(Error::internal)?;
        Ok(visitor_info(stored.state.visitor_name, record))
    }
}

/// What operators see of a visitor: their record, under the name they go by.
pub(crate) fn visitor_info(name: String, record: VisitorRecord) -> VisitorInfo {
    let fields: BTreeMap<String, String> =
        serde_json::from_str(&record.fields_json).unwrap_or_default();
    VisitorInfo {
        name,
        email: record.email,
        language: record.language,
        user_agent: record.user_agent,
        page_url: record.page_url,
        page_title: record.page_title,
        referrer: record.referrer,
        first_seen: record.created_at,
        last_seen: record.last_seen_at,
        fields,
    }
}
