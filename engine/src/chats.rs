//! Chat services: visitors starting and ending chats, operators accepting them, messages both
//! ways, the console's snapshot and read markers.
//!
//! Every command follows one path ([`Engine::execute`]): load the chat, let `domain` decide,
//! hand state and events to the writer, which commits them only if the chat is still in the
//! state decided on (with whatever else is waiting) and publishes them. A lost race is decided again
//! on fresh state, so exactly one of two concurrent accepts wins and the other gets
//! `chat_not_waiting`. The other invariants — one open chat per visitor, the per-operator
//! limit — are held by the database, so they hold across processes too.

use domain::admin::BannedVisitor;
use domain::api::{NewVisitor, PostMessage, StartChat, VisitorChat, VisitorCreated, VisitorView};
use domain::channel::{ChannelFilter, channels_of};
use domain::chat::{MessageBody, parse_client_id, parse_display_name};
use domain::console::{ChatSummary, ConsoleSnapshot, Monitoring, MyChat, Role};
use domain::settings::Settings;
use domain::{
    Actor, ChatEvent, ChatId, ChatState, Command, Error, ErrorCode, EventId, EventKind, OperatorId,
    Timestamp, Viewer, VisitorId,
};
use uuid::Uuid;

use crate::operators::Session;
use crate::store::{
    Capacity, ChatWrite, LoggedEvent, Membership, NewEvent, StoreError, StoredChat, VisitorRecord,
    author_key,
};
use crate::{Engine, auth, internal};

/// How often a command is decided again after losing a race before giving up.
const MAX_ATTEMPTS: usize = 8;
/// A visitor's use of their token is written at most this often (milliseconds).
const VISITOR_TOUCH_EVERY_MS: i64 = 60_000;
/// Longest URL, referrer, language or custom field value kept for a visitor.
const MAX_VISITOR_FIELD_BYTES: usize = 2048;
/// Most custom fields kept for a visitor.
const MAX_VISITOR_FIELDS: usize = 32;

/// Outcome of one attempt at a command.
enum Attempt {
    Done(Vec<ChatEvent>),
    LostRace,
}

pub(crate) fn chat_not_found() -> Error {
    Error::new(ErrorCode::ChatNotFound, "No such chat.")
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

fn bounded(value: Option<String>, what: &str) -> Result<Option<String>, Error> {
    match value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
        Some(v) if v.len() > MAX_VISITOR_FIELD_BYTES => Err(Error::new(
            ErrorCode::InvalidField,
            format!("{what} is longer than {MAX_VISITOR_FIELD_BYTES} bytes."),
        )),
        other => Ok(other),
    }
}

/// An email address a visitor gave, if any: bounded, with an `@`.
pub(crate) fn parse_email(value: Option<String>) -> Result<Option<String>, Error> {
    let email = bounded(value, "email")?;
    if email
        .as_deref()
        .is_some_and(|e| !e.contains('@') || e.contains(char::is_whitespace))
    {
        return Err(Error::invalid("email", "That email address is not valid."));
    }
    Ok(email)
}

/// A page address the visitor's browser reported, bounded; kept only if it is `http(s)`. Any
/// other (an app's referrer, `javascript:`…) is dropped rather than refused: it must never
/// reach an operator as a link, but it is no reason to turn the visitor away.
fn web_address(value: Option<String>, what: &str) -> Result<Option<String>, Error> {
    Ok(bounded(value, what)?.filter(|v| domain::chat::is_web_address(v)))
}

impl Engine {
    /// Registers a visitor and hands out their bearer token (shown once, stored hashed).
    pub async fn create_visitor(
        &self,
        input: NewVisitor,
        user_agent: Option<String>,
    ) -> Result<VisitorCreated, Error> {
        let name = parse_display_name(input.name.as_deref(), false)?;
        let email = parse_email(input.email)?;
        if input.fields.len() > MAX_VISITOR_FIELDS
            || input
                .fields
                .iter()
                .any(|(k, v)| k.len() > 64 || v.len() > MAX_VISITOR_FIELD_BYTES)
        {
            return Err(Error::new(
                ErrorCode::InvalidField,
                format!("At most {MAX_VISITOR_FIELDS} custom fields, names up to 64 bytes."),
            ));
        }
        let fields_json = serde_json::to_string(&input.fields).map_err(|err| {
            tracing::error!(error = %err, "visitor fields");
            Error::internal()
        })?;
        let (token, token_hash) = auth::new_token().map_err(|err| {
            tracing::error!(error = %err, "random source");
            Error::internal()
        })?;
        let at = self.now();
        let record = VisitorRecord {
            id: VisitorId(Uuid::now_v7()),
            token_hash,
            name,
            email,
            language: bounded(input.language, "language")?,
            page_url: web_address(input.page_url, "page_url")?,
            referrer: web_address(input.referrer, "referrer")?,
            fields_json,
            created_at: at,
            user_agent: user_agent.map(|ua| truncate(&ua, 512)),
            page_title: None,
            last_seen_at: at,
            banned_until: None,
        };
        self.store.insert_visitor(&record).await.map_err(internal)?;
        Ok(VisitorCreated {
            visitor_id: record.id,
            token,
        })
    }

    /// The visitor holding a bearer token, unless it went unused for longer than the
    /// visitor idle time (the bubble then starts afresh as a new visitor).
    pub async fn authenticate_visitor(&self, token: &str) -> Result<VisitorRecord, Error> {
        let visitor = self
            .store
            .visitor_by_token_hash(&auth::token_hash(token))
            .await
            .map_err(internal)?
            .ok_or_else(|| Error::new(ErrorCode::Unauthorized, "Unknown visitor token."))?;
        let at = self.now();
        let idle = at.millis_since(visitor.last_seen_at);
        if idle > self.config.visitor_idle_ms {
            return Err(Error::new(
                ErrorCode::Unauthorized,
                "This visitor token has expired.",
            ));
        }
        if idle > VISITOR_TOUCH_EVERY_MS {
            // The record keeps the time as it was before this call: a page view tells from it
            // whether the visitor had left, and so begins a new visit.
            self.store
                .touch_visitor(visitor.id, at)
                .await
                .map_err(internal)?;
        }
        Ok(visitor)
    }

    /// Visitors barred from new chats after a kick (admins only).
    pub async fn banned_visitors(&self, session: &Session) -> Result<Vec<BannedVisitor>, Error> {
        session.require_role(Role::Admin)?;
        let visitors = self
            .store
            .banned_visitors(self.now())
            .await
            .map_err(internal)?;
        let mut banned = Vec::with_capacity(visitors.len());
        for visitor in visitors {
            let Some(banned_until) = visitor.banned_until else {
                continue;
            };
            // The name given when they started the chat that got them kicked.
            let name = match visitor.name {
                Some(name) => Some(name),
                None => self
                    .store
                    .latest_chat_of_visitor(visitor.id)
                    .await
                    .map_err(internal)?
                    .map(|chat| chat.state.visitor_name)
                    .filter(|name| !name.is_empty()),
            };
            banned.push(BannedVisitor {
                visitor_id: visitor.id,
                name,
                page_url: visitor.page_url,
                banned_until,
            });
        }
        Ok(banned)
    }

    /// Lets a banned visitor start chats again (admins only).
    pub async fn lift_ban(&self, session: &Session, visitor: VisitorId) -> Result<(), Error> {
        session.require_role(Role::Admin)?;
        self.store
            .set_visitor_ban(visitor, None)
            .await
            .map_err(internal)?;
        self.record(session, "lift_ban", None, Some(visitor.to_string()))
            .await;
        Ok(())
    }

    /// The visitor and their latest chat, with where to resume their event stream: one
    /// consistent cut, so the stream from there brings the bubble up to date.
    pub async fn visitor_view(&self, visitor: &VisitorRecord) -> Result<VisitorView, Error> {
        let cut = self.store.visitor_cut(visitor.id).await.map_err(internal)?;
        let chat = match cut.latest {
            Some((stored, events)) => {
                let mut chat = visitor_chat_of(&stored, events);
                chat.seen_up_to = self
                    .store
                    .operators_seen(stored.state.id)
                    .await
                    .map_err(internal)?;
                Some(self.with_queue_place(chat).await)
            }
            None => None,
        };
        Ok(VisitorView {
            visitor_id: visitor.id,
            name: visitor.name.clone(),
            email: visitor.email.clone(),
            chat,
            last_event_id: cut.last_event_id,
        })
    }

    pub(crate) async fn open_chat_of(
        &self,
        visitor: VisitorId,
    ) -> Result<Option<StoredChat>, Error> {
        Ok(self
            .store
            .latest_chat_of_visitor(visitor)
            .await
            .map_err(internal)?
            .filter(|chat| chat.state.open_for_visitor()))
    }

    async fn visitor_chat(&self, stored: &StoredChat) -> Result<VisitorChat, Error> {
        let events = self
            .store
            .chat_events(stored.state.id)
            .await
            .map_err(internal)?;
        Ok(visitor_chat_of(stored, events))
    }

    /// A visitor starts a chat with their first message; it waits for an operator.
    pub async fn start_chat(
        &self,
        visitor: &VisitorRecord,
        input: StartChat,
    ) -> Result<VisitorChat, Error> {
        if let Some(until) = visitor.banned_until.filter(|until| *until > self.now()) {
            let seconds = (until.millis_since(self.now()) + 999) / 1000;
            return Err(Error {
                retry_after: Some(u64::try_from(seconds).unwrap_or(1).max(1)),
                ..Error::new(
                    ErrorCode::Banned,
                    "You cannot start a new chat right now. Please try again later.",
                )
            });
        }
        let channel = match input.channel {
            Some(id) => Some(self.open_channel(id).await?),
            None => None,
        };
        let settings = self.settings().await?;
        self.refuse_if_closed(&settings, channel.as_ref())?;
        let name_required = settings.name_required(channel.as_ref().map(|c| &c.settings));
        let given = input.name.as_deref().or(visitor.name.as_deref());
        let name = parse_display_name(given, name_required)?
            .unwrap_or_else(|| domain::chat::ANONYMOUS_VISITOR.to_owned());
        let body = MessageBody::parse(&input.message)?;
        let client_id = parse_client_id(input.client_id.as_deref())?;
        let email = parse_email(input.email)?;
        if let Some(existing) = self.retried_start(visitor, client_id.as_deref()).await? {
            return Ok(existing);
        }
        // What the visitor gives is kept on them: the next form and the operators' list know it.
        let gave_name = input
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty() && visitor.name.as_deref() != Some(*n))
            .map(|_| name.as_str());
        if gave_name.is_some() || email.is_some() {
            self.store
                .set_visitor_contact(visitor.id, gave_name, email.as_deref())
                .await
                .map_err(internal)?;
        }
        let id = ChatId(Uuid::now_v7());
        let (state, recorded) = ChatState::start(
            id,
            visitor.id,
            name,
            channel.map(|c| c.id),
            body,
            client_id.clone(),
        );
        let events = NewEvent::from_recorded(&ChatState::empty(id, Some(visitor.id)), recorded);
        let write = ChatWrite::Create {
            chat: state.clone(),
            events,
        };
        let chat = match self.writer.commit(write).await {
            Ok(logged) => VisitorChat {
                id: state.id,
                status: state.status,
                open: true,
                on_hold: false,
                started_at: logged
                    .first()
                    .map(|l| l.event.at)
                    .unwrap_or_else(|| self.now()),
                queue_position: None,
                estimated_wait_seconds: None,
                seen_up_to: domain::EventId::default(),
                events: logged.into_iter().map(|l| l.event.into()).collect(),
            },
            // Another start of this visitor's won: it may be this very start, retried.
            Err(StoreError::AlreadyOpen) => self
                .retried_start(visitor, client_id.as_deref())
                .await?
                .ok_or_else(already_open)?,
            Err(err) => return Err(internal(err)),
        };
        self.route_soon(chat.id);
        Ok(self.with_queue_place(chat).await)
    }

    /// A visitor's chat with its place in the queue while it waits. The chat stands without
    /// it should the queue not be readable just now.
    async fn with_queue_place(&self, mut chat: VisitorChat) -> VisitorChat {
        if chat.open
            && chat.status == domain::ChatStatus::Waiting
            && let Ok(Some(place)) = self.queue_place(chat.id).await
        {
            chat.queue_position = Some(place.position);
            chat.estimated_wait_seconds = place.estimated_wait_seconds;
        }
        chat
    }

    /// The chat a start with this first-message key already created, when the visitor's open
    /// chat is that one; `chat_already_open` when they have another open chat.
    async fn retried_start(
        &self,
        visitor: &VisitorRecord,
        client_id: Option<&str>,
    ) -> Result<Option<VisitorChat>, Error> {
        let Some(open) = self.open_chat_of(visitor.id).await? else {
            return Ok(None);
        };
        if let Some(key) = client_id {
            let key_of_visitor = author_key(&domain::Author::Visitor, Some(visitor.id));
            if self
                .store
                .message_by_client_id(open.state.id, &key_of_visitor, key)
                .await
                .map_err(internal)?
                .is_some()
            {
                return self.visitor_chat(&open).await.map(Some);
            }
        }
        Err(already_open())
    }

    /// A visitor posts in their chat. A retry with the same `client_id` answers the first result.
    pub async fn visitor_post(
        &self,
        visitor: &VisitorRecord,
        chat: ChatId,
        input: PostMessage,
    ) -> Result<ChatEvent, Error> {
        let body = MessageBody::parse(&input.body)?;
        let client_id = parse_client_id(input.client_id.as_deref())?;
        let command = Command::PostMessage { body, client_id };
        self.post(chat, &Actor::Visitor(visitor.id), &command).await
    }

    /// An operator posts in a chat they are in as a participant, or adds a private note (seen
    /// by operators only) as a participant or observer.
    pub async fn operator_post(
        &self,
        session: &Session,
        chat: ChatId,
        body: &str,
        client_id: Option<&str>,
        note: bool,
    ) -> Result<ChatEvent, Error> {
        session.require_ready()?;
        let body = MessageBody::parse(body)?;
        let client_id = parse_client_id(client_id)?;
        let command = if note {
            Command::AddNote { body, client_id }
        } else {
            Command::PostMessage { body, client_id }
        };
        self.post(chat, &session.actor(), &command).await
    }

    async fn post(
        &self,
        chat: ChatId,
        actor: &Actor,
        command: &Command,
    ) -> Result<ChatEvent, Error> {
        let client_id = match command {
            Command::PostMessage { client_id, .. } | Command::AddNote { client_id, .. } => {
                client_id.clone()
            }
            _ => None,
        };
        // The first try goes straight to the write: a repeated key is refused by the
        // database (unique index), and only then is the first result looked up. A refusal
        // by the rules is checked against it too, so a retry of a message that went through
        // answers it even if the chat has ended since.
        for _ in 0..MAX_ATTEMPTS {
            let stored = self.load(chat).await?;
            let outcome = self.attempt(stored.clone(), actor, command, None).await;
            match outcome {
                Ok(Attempt::Done(events)) => {
                    return events
                        .into_iter()
                        .find(|e| matches!(e.kind, EventKind::MessagePosted { .. }))
                        .ok_or_else(Error::internal);
                }
                Ok(Attempt::LostRace) | Err(_) => {
                    if let Some(existing) = self
                        .posted_before(&stored, actor, client_id.as_deref())
                        .await?
                    {
                        return Ok(existing);
                    }
                    outcome?;
                }
            }
        }
        Err(busy())
    }

    /// The message `actor` already posted in the chat under `client_id`, if any; only the
    /// chat's own visitor or a member may learn of it.
    async fn posted_before(
        &self,
        stored: &StoredChat,
        actor: &Actor,
        client_id: Option<&str>,
    ) -> Result<Option<ChatEvent>, Error> {
        let Some(key) = client_id else {
            return Ok(None);
        };
        let (author, may_see) = match actor {
            Actor::Visitor(visitor) => (
                domain::Author::Visitor,
                Some(*visitor) == stored.state.visitor,
            ),
            Actor::Operator { id, .. } => (
                domain::Author::Operator { id: *id },
                stored.state.has_operator(*id),
            ),
            Actor::System => return Ok(None),
        };
        if !may_see {
            return Ok(None);
        }
        let key_of_author = author_key(&author, stored.state.visitor);
        self.store
            .message_by_client_id(stored.state.id, &key_of_author, key)
            .await
            .map_err(internal)
    }

    /// The visitor ends their part: the chat goes Vacant if operators are in it, Closed if not.
    pub async fn visitor_end(&self, visitor: &VisitorRecord, chat: ChatId) -> Result<(), Error> {
        let waited_ms = self.now().millis_since(self.load(chat).await?.created_at);
        self.execute(
            chat,
            &Actor::Visitor(visitor.id),
            &Command::EndVisit { waited_ms },
        )
        .await
        .map(|_| ())
    }

    /// The visitor rates their chat once it is over for them (V12): 1–5 stars and a comment.
    pub async fn visitor_rate(
        &self,
        visitor: &VisitorRecord,
        chat: ChatId,
        input: &domain::rating::RateChat,
    ) -> Result<ChatEvent, Error> {
        let rating = input.validate()?;
        self.execute(chat, &Actor::Visitor(visitor.id), &Command::Rate { rating })
            .await?
            .into_iter()
            .find(|e| matches!(e.kind, EventKind::ChatRated { .. }))
            .ok_or_else(Error::internal)
    }

    /// An operator accepts a waiting chat. Exactly one of several concurrent accepts wins; the
    /// others get `chat_not_waiting`.
    pub async fn accept_chat(&self, session: &Session, chat: ChatId) -> Result<MyChat, Error> {
        self.operator_command(session, chat, &Command::Accept)
            .await?;
        self.my_chat(session, chat).await
    }

    /// Runs a chat command for an operator: the domain decides whether their part in the chat
    /// allows it. Answers the events recorded (none when nothing needed to change).
    pub async fn operator_command(
        &self,
        session: &Session,
        chat: ChatId,
        command: &Command,
    ) -> Result<Vec<ChatEvent>, Error> {
        session.require_ready()?;
        let settings = self.settings().await?;
        let limit = (settings.max_chats_per_operator > 0).then_some(&settings);
        let events = self
            .execute_limited(chat, &session.actor(), command, limit)
            .await?;
        if matches!(command, Command::Kick) && !events.is_empty() && settings.kick_ban_ms() > 0 {
            // The kicked visitor cannot come straight back with a new chat.
            if let Some(visitor) = self.load(chat).await?.state.visitor {
                let until = Timestamp(self.now().0 + settings.kick_ban_ms());
                self.store
                    .set_visitor_ban(visitor, Some(until))
                    .await
                    .map_err(internal)?;
            }
        }
        if let (Some(action), false) = (command.action_name(), events.is_empty()) {
            let object = match command {
                Command::Offer { target_name, .. } => Some(target_name.clone()),
                Command::ChangeChannel { channel_name, .. } => Some(channel_name.clone()),
                Command::WithdrawOffer { target } => Some(target.to_string()),
                _ => None,
            };
            self.record(session, action, Some(chat), object).await;
        }
        Ok(events)
    }

    /// One chat the operator is in, with the events they may see and their read marker.
    pub async fn my_chat(&self, session: &Session, chat: ChatId) -> Result<MyChat, Error> {
        session.require_ready()?;
        let me = session.operator.id;
        // One consistent cut: the state and the events it was folded from.
        let (membership, events) = self
            .store
            .member_chat(me, chat)
            .await
            .map_err(internal)?
            .ok_or_else(not_in_chat)?;
        Ok(my_chat_of(me, membership, events))
    }

    /// Everything the console shows at load with its channel filter, consistent with
    /// `last_event_id`: replaying the stream (with the snapshot's interest) from there brings it
    /// up to date with nothing missed.
    pub async fn console_snapshot(
        &self,
        session: &Session,
        filter: ChannelFilter,
    ) -> Result<ConsoleSnapshot, Error> {
        session.require_ready()?;
        let me = session.operator.id;
        // One consistent cut of the log: replaying from its last id misses nothing.
        let view = self.store.operator_view(me).await.map_err(internal)?;
        let (last_event_id, open, mine, mut events) =
            (view.last_event_id, view.open, view.mine, view.events);
        let channels = self.store.channels().await.map_err(internal)?;
        let interest = filter.interest(channels_of(&channels, me));
        let dashboard = open
            .iter()
            .filter(|stored| interest.lists(&stored.state, me))
            .map(|stored| summary_of(me, stored))
            .collect();
        let my_chats = mine
            .into_iter()
            .map(|membership| {
                let id = membership.chat.state.id;
                let (own, rest): (Vec<_>, Vec<_>) =
                    events.drain(..).partition(|e| e.event.chat_id == id);
                events = rest;
                my_chat_of(me, membership, own)
            })
            .collect();
        Ok(ConsoleSnapshot {
            me: session.me(),
            dashboard,
            my_chats,
            last_event_id,
            channels,
            filter,
            escalation: self.settings().await?.escalation(),
            server_time: self.now(),
        })
    }

    /// Records that an operator has read a chat up to an event.
    pub async fn mark_read(
        &self,
        session: &Session,
        chat: ChatId,
        up_to: EventId,
    ) -> Result<(), Error> {
        session.require_ready()?;
        let stored = self.require_member(session, chat).await?;
        let moved = self
            .store
            .mark_read(chat, session.operator.id, up_to)
            .await
            .map_err(internal)?;
        // The visitor learns their messages were seen (V5), once per step forward.
        if moved
            && let Some((signal, reach)) = stored.state.operator_seen(session.operator.id, up_to)
        {
            self.signal(signal, reach);
        }
        Ok(())
    }

    /// The visitor has seen their chat up to an event (V5): kept, and told to the operators
    /// in the chat once per step forward. An event of another chat is refused.
    pub async fn visitor_seen(
        &self,
        visitor: &VisitorRecord,
        chat: ChatId,
        up_to: EventId,
    ) -> Result<(), Error> {
        let stored = self.load(chat).await?;
        if stored.state.visitor != Some(visitor.id) {
            return Err(chat_not_found());
        }
        match self
            .store
            .mark_seen_by_visitor(chat, up_to)
            .await
            .map_err(internal)?
        {
            None => Err(Error::invalid("up_to", "That is no event of this chat.")),
            Some(false) => Ok(()),
            Some(true) => {
                if let Some((signal, reach)) = stored.state.visitor_seen(up_to) {
                    self.signal(signal, reach);
                }
                Ok(())
            }
        }
    }

    /// Sets which events of a chat alert the operator.
    pub async fn set_monitoring(
        &self,
        session: &Session,
        chat: ChatId,
        monitoring: Monitoring,
    ) -> Result<(), Error> {
        session.require_ready()?;
        self.require_member(session, chat).await?;
        self.store
            .set_monitoring(chat, session.operator.id, monitoring)
            .await
            .map_err(internal)
    }

    /// The chat, if the operator is in it (in any role); `not_a_participant` otherwise.
    pub(crate) async fn require_member(
        &self,
        session: &Session,
        chat: ChatId,
    ) -> Result<StoredChat, Error> {
        let stored = self.load(chat).await?;
        if stored.state.has_operator(session.operator.id) {
            Ok(stored)
        } else {
            Err(not_in_chat())
        }
    }

    pub(crate) async fn load(&self, chat: ChatId) -> Result<StoredChat, Error> {
        self.store
            .chat(chat)
            .await
            .map_err(internal)?
            .ok_or_else(chat_not_found)
    }

    /// Runs a command to completion, deciding again on fresh state after each lost race.
    pub(crate) async fn execute(
        &self,
        chat: ChatId,
        actor: &Actor,
        command: &Command,
    ) -> Result<Vec<ChatEvent>, Error> {
        self.execute_limited(chat, actor, command, None).await
    }

    /// Like [`Engine::execute`], refusing a command that takes the operator past the per-operator
    /// chat limit of `limit`.
    async fn execute_limited(
        &self,
        chat: ChatId,
        actor: &Actor,
        command: &Command,
        limit: Option<&Settings>,
    ) -> Result<Vec<ChatEvent>, Error> {
        for _ in 0..MAX_ATTEMPTS {
            let stored = self.load(chat).await?;
            if let Attempt::Done(events) = self.attempt(stored, actor, command, limit).await? {
                return Ok(events);
            }
        }
        Err(busy())
    }

    /// Decides a command on `stored` and commits it only if the chat is still in that state.
    async fn attempt(
        &self,
        stored: StoredChat,
        actor: &Actor,
        command: &Command,
        limit: Option<&Settings>,
    ) -> Result<Attempt, Error> {
        let before = stored.state;
        let mut state = before.clone();
        let recorded = state.execute(actor, command)?;
        if recorded.is_empty() {
            return Ok(Attempt::Done(Vec::new()));
        }
        let capacity = match (actor, limit) {
            (Actor::Operator { id, .. }, Some(settings))
                if settings.max_chats_per_operator > 0
                    && before.adds_participation(&state, *id) =>
            {
                Some(Capacity {
                    operator: *id,
                    max: settings.max_chats_per_operator,
                })
            }
            _ => None,
        };
        let events = NewEvent::from_recorded(&before, recorded);
        // Only a change of status or channel can move anyone in a queue.
        let queue_after = (before.status != state.status || before.channel != state.channel)
            .then(|| state.clone());
        let write = if state == before && capacity.is_none() {
            // A message or a note: only the events are new.
            ChatWrite::Append {
                chat: state,
                expected: stored.revision,
                events,
            }
        } else {
            ChatWrite::Update {
                events,
                chat: state,
                expected: stored.revision,
                capacity,
            }
        };
        match self.writer.commit(write).await {
            Ok(logged) => {
                if let Some(after) = queue_after {
                    self.queue_changed(&before, &after, stored.created_at);
                }
                Ok(Attempt::Done(logged.into_iter().map(|l| l.event).collect()))
            }
            Err(StoreError::Conflict) => Ok(Attempt::LostRace),
            Err(StoreError::AtCapacity) => Err(limit
                .map(Settings::chat_limit_reached)
                .unwrap_or_else(Error::internal)),
            Err(err) => Err(internal(err)),
        }
    }
}

fn already_open() -> Error {
    Error::new(ErrorCode::ChatAlreadyOpen, "You already have an open chat.")
}

fn visitor_chat_of(stored: &StoredChat, events: Vec<LoggedEvent>) -> VisitorChat {
    VisitorChat {
        id: stored.state.id,
        status: stored.state.status,
        open: stored.state.open_for_visitor(),
        on_hold: stored.state.on_hold,
        started_at: stored.created_at,
        queue_position: None,
        estimated_wait_seconds: None,
        seen_up_to: domain::EventId::default(),
        events: events
            .into_iter()
            .filter(|logged| logged.visibility.admits(Viewer::Visitor))
            .map(|logged| logged.event.into())
            .collect(),
    }
}

fn not_in_chat() -> Error {
    Error::new(ErrorCode::NotAParticipant, "You are not in this chat.")
}

/// A chat as the dashboard shows it to `me`.
pub(crate) fn summary_of(me: OperatorId, stored: &StoredChat) -> ChatSummary {
    ChatSummary {
        chat: stored.state.seen_by(me),
        started_at: stored.created_at,
    }
}

fn my_chat_of(me: OperatorId, membership: Membership, events: Vec<LoggedEvent>) -> MyChat {
    let folded_up_to = events.last().map(|l| l.event.id).unwrap_or_default();
    MyChat {
        summary: summary_of(me, &membership.chat),
        events: events
            .into_iter()
            .filter(|l| l.visibility.admits(Viewer::Operator(me)))
            .map(|l| l.event)
            .collect(),
        read_up_to: membership.read_up_to,
        visitor_seen_up_to: membership.visitor_seen_up_to,
        monitoring: membership.monitoring,
        folded_up_to,
    }
}

fn busy() -> Error {
    tracing::warn!("command lost too many races in a row");
    Error::new(ErrorCode::Internal, "The chat is busy; please try again.")
}
