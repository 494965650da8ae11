//! Operators working together: who is online, invitations and transfers to them, private
//! chats between them, the signals (typing, viewing, page views) that are never stored, and
//! the visitor details the chat sidebar shows.
//!
//! Who may do what in a chat is decided in `domain`; this module adds what only the server
//! knows: whether the chosen operator exists, is enabled and is online.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use domain::Timestamp;
use domain::api::PageView;
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
use crate::{Engine, internal, now};

/// Longest page address or title kept for a visitor.
const MAX_PAGE_BYTES: usize = 2048;

/// Consoles with an open live stream, per operator: who is online; and when each operator
/// last did something, for away and gone (the settings' thresholds).
#[derive(Debug, Default)]
pub(crate) struct Presence {
    online: Mutex<HashMap<OperatorId, (usize, OnlineOperator)>>,
    active_at: Mutex<HashMap<OperatorId, Timestamp>>,
}

impl Presence {
    /// Records that the operator did something now.
    fn touch(&self, operator: OperatorId, at: Timestamp) {
        self.active_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(operator, at);
    }

    /// How long the operator has done nothing, in milliseconds.
    fn idle_ms(&self, operator: OperatorId, now: Timestamp) -> i64 {
        self.active_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&operator)
            .map_or(i64::MAX, |at| now.0.saturating_sub(at.0))
    }

    /// Counts one more open console; answers whether the operator just came online.
    fn arrive(&self, operator: OnlineOperator) -> bool {
        let mut online = self.online.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = online.entry(operator.id).or_insert((0, operator));
        entry.0 += 1;
        entry.0 == 1
    }

    /// Counts one console less; answers whether the operator just went offline.
    fn depart(&self, operator: OperatorId) -> bool {
        let mut online = self.online.lock().unwrap_or_else(PoisonError::into_inner);
        match online.get_mut(&operator) {
            Some(entry) if entry.0 > 1 => {
                entry.0 -= 1;
                false
            }
            Some(_) => {
                online.remove(&operator);
                true
            }
            None => false,
        }
    }

    fn is_online(&self, operator: OperatorId) -> bool {
        self.online
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(&operator)
    }

    fn list(&self) -> Vec<OnlineOperator> {
        let mut list: Vec<OnlineOperator> = self
            .online
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(|(_, operator)| operator.clone())
            .collect();
        list.sort_by_key(|operator| operator.name.to_lowercase());
        list
    }
}

/// Held by an operator's live stream: the operator is online while any of these lives.
#[derive(Debug)]
pub struct OnlineGuard {
    engine: Engine,
    operator: OperatorId,
    name: String,
}

impl Drop for OnlineGuard {
    fn drop(&mut self) {
        if self.engine.presence.depart(self.operator) {
            self.engine.signal(
                Signal::Presence {
                    operator: self.operator,
                    name: std::mem::take(&mut self.name),
                    online: false,
                },
                SignalReach::all_operators(Some(self.operator)),
            );
        }
    }
}

fn unavailable() -> Error {
    Error::new(
        ErrorCode::OperatorUnavailable,
        "That operator is not online any more.",
    )
}

fn cut(text: &str) -> String {
    let mut end = text.len().min(MAX_PAGE_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

impl Engine {
    /// Marks the session's operator online until the guard is dropped.
    pub fn go_online(&self, session: &Session) -> OnlineGuard {
        let operator = OnlineOperator {
            id: session.operator.id,
            name: session.operator.display_name().to_owned(),
            role: session.operator.role,
            away: false,
        };
        let name = operator.name.clone();
        self.presence.touch(session.operator.id, now());
        if self.presence.arrive(operator) {
            self.signal(
                Signal::Presence {
                    operator: session.operator.id,
                    name: name.clone(),
                    online: true,
                },
                SignalReach::all_operators(Some(session.operator.id)),
            );
        }
        OnlineGuard {
            engine: self.clone(),
            operator: session.operator.id,
            name,
        }
    }

    /// Records that the session's operator did something (any console request but the live
    /// stream, which stays open by itself).
    pub fn note_activity(&self, session: &Session) {
        self.note_activity_at(session, now());
    }

    /// Records that the session's operator last did something at `at`.
    pub fn note_activity_at(&self, session: &Session, at: Timestamp) {
        self.presence.touch(session.operator.id, at);
    }

    /// How present an operator is: `None` when no console of theirs is open.
    async fn availability(&self, operator: OperatorId) -> Result<Option<Availability>, Error> {
        if !self.presence.is_online(operator) {
            return Ok(None);
        }
        let idle = self.presence.idle_ms(operator, now());
        Ok(Some(self.settings().await?.availability(idle)))
    }

    /// Operators online now, other than the caller, each marked away when idle past the away
    /// threshold; those idle past the inactivity timeout count as gone and are left out.
    pub async fn online_operators(&self, session: &Session) -> Result<Vec<OnlineOperator>, Error> {
        session.require_ready()?;
        let settings = self.settings().await?;
        let at = now();
        Ok(self
            .presence
            .list()
            .into_iter()
            .filter(|o| o.id != session.operator.id)
            .filter_map(|mut o| {
                match settings.availability(self.presence.idle_ms(o.id, at)) {
                    Availability::Gone => return None,
                    Availability::Away => o.away = true,
                    Availability::Active => {}
                }
                Some(o)
            })
            .collect())
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
            Some(Availability::Active | Availability::Away) => {}
            Some(Availability::Gone) | None => return Err(unavailable()),
        }
        Ok(record)
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

    /// The visitor opened a page of the site: kept for the sidebar, and told to the operators
    /// of their open chat.
    pub async fn visitor_page(&self, visitor: &VisitorRecord, page: PageView) -> Result<(), Error> {
        let url = page.url.trim();
        if url.is_empty() || url.len() > MAX_PAGE_BYTES {
            return Err(Error::new(
                ErrorCode::InvalidField,
                format!("url must be 1 to {MAX_PAGE_BYTES} bytes."),
            ));
        }
        let title = page.title.as_deref().map(str::trim).map(cut);
        self.store
            .visitor_page(visitor.id, url, title.as_deref(), now())
            .await
            .map_err(internal)?;
        let latest = self
            .store
            .latest_chat_of_visitor(visitor.id)
            .await
            .map_err(internal)?;
        if let Some((signal, reach)) = latest.and_then(|c| c.state.visitor_moved(url)) {
            self.signal(signal, reach);
        }
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
        let fields: BTreeMap<String, String> =
            serde_json::from_str(&record.fields_json).unwrap_or_default();
        Ok(VisitorInfo {
            name: stored.state.visitor_name,
            email: record.email,
            language: record.language,
            user_agent: record.user_agent,
            page_url: record.page_url,
            page_title: record.page_title,
            referrer: record.referrer,
            first_seen: record.created_at,
            last_seen: record.last_seen_at,
            fields,
        })
    }
}

/// The presence registry, shared by every clone of an engine.
pub(crate) fn new_presence() -> Arc<Presence> {
    Arc::new(Presence::default())
}
