//! The bubble's state and everything that changes it: restoring the chat after a page load,
//! starting a chat, the outbox of messages being sent, typing reports, and the event stream.
//!
//! Reactive state lives in signals (`Ctx`, which is `Copy`); what the chat on screen shows is
//! folded by the pure `conversation` module. The bookkeeping the view never shows (stream
//! cursor, stream generation, outbox flag, typing report, the base URL) lives in a thread-local
//! `Runtime`, since the bubble runs in the browser's single thread.

use std::cell::RefCell;
use std::collections::BTreeMap;

use domain::api::{
    NewVisitor, PostMessage, Seen, StartChat, Typing, VisitorChat, VisitorView, WidgetConfig,
};
use domain::bubble::BubbleSettings;
use domain::signal::SIGNAL_TTL_MS;
use domain::{ChannelId, ChatEvent, ChatId, EventId, EventKind, Signal};
use js_sys::{Reflect, Uint8Array};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::api;
use crate::browser;
use crate::conversation::{Conversation, Incoming, TypingReport};
use crate::sse::{SseEvent, SseParser};

const FIRST_RETRY_MS: i32 = 500;
/// Longest wait between retries while the visitor looks at the page…
const MAX_RETRY_VISIBLE_MS: i32 = 3_000;
/// …and while it is hidden (showing it again retries at once).
const MAX_RETRY_HIDDEN_MS: i32 = 30_000;
/// How long "Connected again" stays up.
const RESTORED_MS: i32 = 3_000;

fn next_delay(delay: i32) -> i32 {
    let cap = if browser::page_hidden() {
        MAX_RETRY_HIDDEN_MS
    } else {
        MAX_RETRY_VISIBLE_MS
    };
    (delay * 2).min(cap)
}

/// The live connection as the visitor is told about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    /// Connected (or not needed): nothing to say.
    Connected,
    /// The stream was cut; retrying.
    Reconnecting,
    /// Back after a cut, for a moment.
    Restored,
}

/// What the host page passed through the snippet's data attributes.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `data-field-<key>` values.
    pub fields: BTreeMap<String, String>,
    /// `data-name`.
    pub name: Option<String>,
    /// `data-email`.
    pub email: Option<String>,
    /// `data-title`: replaces the configured panel title.
    pub title: Option<String>,
    /// `data-greeting`: replaces the configured greeting.
    pub greeting: Option<String>,
    /// `data-color`: replaces the configured accent colour (already checked by [`accent`]).
    pub color: Option<String>,
    /// `data-channel`: every chat starts in this channel (when it is open).
    pub channel: Option<ChannelId>,
    /// The server's config as the loader already fetched it for the launcher, so a page view
    /// asks for it once.
    pub config: Option<WidgetConfig>,
    /// The invitation the visitor clicked Start Chat on, in the loader's card.
    pub invitation: Option<Invitation>,
}

/// An operator's invitation as the loader hands it over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    /// Its id.
    pub id: domain::InvitationId,
    /// Who invites.
    pub operator_name: String,
    /// What they wrote.
    pub message: String,
}

impl Options {
    /// The server's config with the snippet's overrides applied, and the colour checked.
    pub fn apply(&self, mut config: WidgetConfig) -> WidgetConfig {
        if let Some(title) = &self.title {
            title.clone_into(&mut config.title);
        }
        if let Some(greeting) = &self.greeting {
            greeting.clone_into(&mut config.greeting);
        }
        config.color = self
            .color
            .clone()
            .or_else(|| accent(&config.color))
            .unwrap_or_else(|| BubbleSettings::default().color);
        // Bound to an open channel: that is the only choice. Bound to one that was archived
        // since: the visitor picks, as on an unbound site, rather than being turned away.
        if let Some(bound) = self.channel
            && let Some(channel) = config.channels.iter().find(|c| c.id == bound).cloned()
        {
            config.channels = vec![channel];
        }
        config
    }
}

/// The channel a chat starts in: the only one offered, or the visitor's pick among several
/// (`None` while they have not picked; no channels at all means the general queue).
pub fn chosen_channel(config: &WidgetConfig, picked: Option<ChannelId>) -> Option<ChannelId> {
    match config.channels.as_slice() {
        [only] => Some(only.id),
        several => picked.filter(|id| several.iter().any(|c| c.id == *id)),
    }
}

/// Why live chat in `channel` (or outside any) is not offered now, by the config.
pub fn offline_reason(
    config: &WidgetConfig,
    channel: Option<ChannelId>,
) -> Option<domain::followup::OfflineReason> {
    match channel {
        Some(id) => config
            .channels
            .iter()
            .find(|c| c.id == id)
            .and_then(|c| c.offline),
        None => config.offline,
    }
}

/// Whether the start form needs a name: the chosen channel's rule, else the general one.
pub fn name_required(config: &WidgetConfig, channel: Option<ChannelId>) -> bool {
    channel
        .and_then(|id| config.channels.iter().find(|c| c.id == id))
        .map_or(config.name_required, |c| c.name_required)
}

/// `value` as a `#rrggbb` colour (lowercased), or `None` if it is not one.
pub fn accent(value: &str) -> Option<String> {
    let value = value.trim();
    let hex = value.strip_prefix('#')?;
    (hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| value.to_ascii_lowercase())
}

/// Which screen the panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Loading the config and the visitor's chat.
    Loading,
    /// The start form.
    Form,
    /// "Open chat with operator": the visitor took up an operator's invitation.
    Invited,
    /// A chat (open or just ended).
    Chat,
}

/// A message typed by the visitor and not yet confirmed by the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// Idempotency key, generated once.
    pub client_id: String,
    /// The chat it goes to.
    pub chat_id: ChatId,
    /// The text.
    pub body: String,
}

#[derive(Default)]
struct Runtime {
    base: String,
    options: Options,
    token: Option<String>,
    /// The name the visitor last gave, to prefill the next start form.
    last_name: Option<String>,
    /// The email address the visitor gave, to prefill "Email me the transcript".
    email: Option<String>,
    cursor: i64,
    stream_gen: u64,
    abort: Option<web_sys::AbortController>,
    outbox_running: bool,
    /// What the server was last told about the visitor typing.
    typing: TypingReport,
    /// The chat and event the server was last told the visitor has seen (V5).
    seen: Option<(ChatId, EventId)>,
}

thread_local! {
    static RT: RefCell<Runtime> = RefCell::new(Runtime::default());
    /// The panel on the page, for the loader's later invitations.
    static PANEL: std::cell::Cell<Option<Ctx>> = const { std::cell::Cell::new(None) };
}

/// Hands the panel on the page an invitation the visitor took up in the loader's card.
pub fn invited(invitation: Invitation) {
    if let Some(ctx) = PANEL.with(std::cell::Cell::get) {
        ctx.invited(invitation);
    }
}

fn rt<R>(f: impl FnOnce(&mut Runtime) -> R) -> R {
    RT.with(|cell| f(&mut cell.borrow_mut()))
}

fn base() -> String {
    rt(|r| r.base.clone())
}

fn token() -> Option<String> {
    if let Some(token) = rt(|r| r.token.clone()) {
        return Some(token);
    }
    let token = browser::load_token()?;
    rt(|r| r.token = Some(token.clone()));
    Some(token)
}

fn set_token(token: &str) {
    browser::save_token(token);
    rt(|r| r.token = Some(token.to_owned()));
}

fn forget_token() {
    browser::remove_token();
    rt(|r| r.token = None);
}

fn non_blank(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// The bubble's reactive state.
#[derive(Clone, Copy)]
pub struct Ctx {
    /// Public settings, once loaded.
    pub config: RwSignal<Option<WidgetConfig>>,
    /// Which screen is shown.
    pub phase: RwSignal<Phase>,
    /// The chat on screen (open, or ended and read-only).
    pub chat: RwSignal<Option<Conversation>>,
    /// Messages on their way, oldest first.
    pub pending: RwSignal<Vec<Pending>>,
    /// The error shown to the visitor, if any.
    pub error: RwSignal<Option<String>>,
    /// A start or end request is under way.
    pub busy: RwSignal<bool>,
    /// Whether the live connection is cut.
    pub connection: RwSignal<Connection>,
    /// Live chat is not offered now, for this reason: the form takes a message instead.
    pub offline: RwSignal<Option<String>>,
    /// The message left while offline has arrived.
    pub message_left: RwSignal<bool>,
    /// Where the transcript was mailed, once the server took the request.
    pub transcript_sent: RwSignal<Option<String>>,
    /// The invitation being taken up ("Open chat with operator").
    pub invitation: RwSignal<Option<Invitation>>,
    /// An operator's voice call, ringing or under way (V7).
    pub call: RwSignal<Option<crate::voice::VisitorCall>>,
}

impl Ctx {
    /// New state for a panel talking to `base`.
    pub fn new(base: String, mut options: Options) -> Self {
        let invitation = options.invitation.take();
        rt(|r| {
            r.base = base;
            r.options = options;
        });
        let ctx = Self {
            invitation: RwSignal::new(invitation),
            call: RwSignal::new(None),
            config: RwSignal::new(None),
            phase: RwSignal::new(Phase::Loading),
            chat: RwSignal::new(None),
            pending: RwSignal::new(Vec::new()),
            error: RwSignal::new(None),
            busy: RwSignal::new(false),
            connection: RwSignal::new(Connection::Connected),
            offline: RwSignal::new(None),
            message_left: RwSignal::new(false),
            transcript_sent: RwSignal::new(None),
        };
        PANEL.with(|panel| panel.set(Some(ctx)));
        ctx
    }

    /// The stream is open again: say so for a moment if it had been cut.
    fn connected(self) {
        if self.connection.get_untracked() != Connection::Reconnecting {
            return;
        }
        self.connection.set(Connection::Restored);
        spawn_local(async move {
            browser::sleep(RESTORED_MS).await;
            if self.connection.get_untracked() == Connection::Restored {
                self.connection.set(Connection::Connected);
            }
        });
    }

    /// The name to prefill: the one the visitor last gave, or the host page's.
    pub fn known_name(&self) -> Option<String> {
        rt(|r| r.last_name.clone().or_else(|| r.options.name.clone()))
    }

    /// The address to prefill for mailing the transcript: the one the visitor gave, or the
    /// host page's.
    pub fn known_email(&self) -> Option<String> {
        rt(|r| r.email.clone().or_else(|| r.options.email.clone()))
    }

    /// Whether the chat on screen is open for the visitor (reactive).
    pub fn chat_open(&self) -> bool {
        self.chat
            .with(|c| c.as_ref().is_some_and(Conversation::open))
    }

    /// Whether the chat on screen has ended (reactive).
    pub fn chat_ended(&self) -> bool {
        self.chat
            .with(|c| c.as_ref().is_some_and(Conversation::ended))
    }

    /// The open chat's id, if the visitor can write in it.
    fn open_chat_id(self) -> Option<ChatId> {
        self.chat
            .with_untracked(|c| c.as_ref().filter(|c| c.open()).map(|c| c.id))
    }

    /// Loads the config, then restores the visitor's chat. Runs once per page.
    pub async fn init(self) {
        browser::wake_retries_on_return();
        let base = base();
        let preloaded = rt(|r| r.options.config.take());
        // The loader's copy may be old by the time the panel opens: an "offline" in it is
        // checked again, so a visitor is not sent to the message form by a stale answer.
        let fetched = match preloaded {
            Some(config) if offline_reason(&config, chosen_channel(&config, None)).is_none() => {
                Ok(config)
            }
            _ => self.settle(|| api::config(&base)).await,
        };
        let config = match fetched {
            Ok(config) => config,
            Err(e) => {
                self.error.set(Some(e.message()));
                let mut config = BubbleSettings::default().config(true, Vec::new());
                config.greeting.clear();
                config
            }
        };
        let config = rt(|r| r.options.apply(config));
        self.offline.set(
            offline_reason(&config, chosen_channel(&config, None))
                .map(|reason| reason.explain().to_owned()),
        );
        self.config.set(Some(config));
        self.restore().await;
    }

    /// Asks the server for the visitor's current chat and shows it (or the form).
    async fn restore(self) {
        let Some(token) = token() else {
            self.phase.set(Phase::Form);
            return;
        };
        let base = base();
        match self.settle(|| api::visitor(&base, &token)).await {
            Ok(view) => self.load_view(view),
            Err(e) if e.status() == Some(401) => {
                forget_token();
                self.show_form();
            }
            Err(e) => {
                self.error.set(Some(e.message()));
                self.show_form();
            }
        }
    }

    /// Calls the API until it answers or fails for good. Network errors and 5xx are retried
    /// with backoff while their message is shown; the message clears once an answer comes.
    async fn settle<T, F, Fut>(self, call: F) -> Result<T, api::ApiError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, api::ApiError>>,
    {
        let mut delay = FIRST_RETRY_MS;
        loop {
            match call().await {
                Ok(answer) => {
                    self.error.set(None);
                    return Ok(answer);
                }
                Err(e) if e.retryable() => {
                    self.error.set(Some(e.message()));
                    browser::retry_after(delay).await;
                    delay = next_delay(delay);
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn load_view(self, view: VisitorView) {
        rt(|r| {
            r.cursor = r.cursor.max(view.last_event_id.0);
            if view.name.is_some() {
                r.last_name.clone_from(&view.name);
            }
            if view.email.is_some() {
                r.email.clone_from(&view.email);
            }
        });
        match view.chat {
            // An ended chat is shown too: read-only, with what ended it and "Start a new chat".
            Some(chat) => self.enter_chat(chat),
            None => self.show_form(),
        }
    }

    fn enter_chat(self, chat: VisitorChat) {
        let last = chat.events.iter().map(|e| e.id.0).max().unwrap_or(0);
        rt(|r| {
            r.cursor = r.cursor.max(last);
            r.typing = TypingReport::default();
        });
        let conversation = Conversation::from_chat(chat);
        let id = conversation.id;
        if conversation.open() {
            self.pending.update(|p| p.retain(|m| m.chat_id == id));
        } else {
            self.pending.set(Vec::new());
        }
        let listening = conversation.listening();
        self.chat.set(Some(conversation));
        self.phase.set(Phase::Chat);
        if listening {
            self.start_stream();
        } else {
            self.stop_stream();
        }
    }

    fn show_form(self) {
        self.transcript_sent.set(None);
        self.stop_stream();
        rt(|r| r.typing = TypingReport::default());
        self.chat.set(None);
        self.pending.set(Vec::new());
        let invited = self.invitation.with_untracked(Option::is_some);
        self.phase
            .set(if invited { Phase::Invited } else { Phase::Form });
    }

    /// The visitor clicked Start Chat on an invitation while the panel was already loaded:
    /// "Open chat with operator", unless they are in a chat already.
    pub fn invited(self, invitation: Invitation) {
        if self.chat_open() {
            return;
        }
        self.error.set(None);
        self.invitation.set(Some(invitation));
        if self.phase.get_untracked() != Phase::Loading {
            self.show_form();
        }
    }

    /// Takes the operator's call.
    pub fn accept_call(self) {
        if let Some(token) = token() {
            let ice = self.config.with_untracked(|c| {
                c.as_ref()
                    .map(|c| c.ice_servers.clone())
                    .unwrap_or_default()
            });
            crate::voice::accept(self.call, base(), token, &ice);
        }
    }

    /// Hangs up, or declines the ringing call.
    pub fn end_call(self) {
        if let Some(token) = token() {
            crate::voice::end(self.call, base(), token);
        }
    }

    /// "Open chat with operator" submitted: the chat opens with the inviting operator in it.
    pub async fn accept_invitation(self, name: String, email: String) {
        let Some(invitation) = self.invitation.get_untracked() else {
            return;
        };
        if self.busy.get_untracked() {
            return;
        }
        self.error.set(None);
        let email = non_blank(&email);
        if email.as_deref().is_some_and(|e| !e.contains('@')) {
            self.error
                .set(Some("Please check your email address.".to_owned()));
            return;
        }
        let name = non_blank(&name);
        self.busy.set(true);
        if let Some(token) = self.ensure_token(name.as_ref()).await {
            if name.is_some() {
                rt(|r| r.last_name.clone_from(&name));
            }
            let body = domain::visitor::AcceptInvitation { name, email };
            match api::accept_invitation(&base(), &token, invitation.id, &body).await {
                Ok(chat) => {
                    self.invitation.set(None);
                    self.enter_chat(chat);
                }
                Err(e) => {
                    if matches!(
                        e.code(),
                        "invitation_closed" | "operator_unavailable" | "not_found"
                    ) {
                        self.invitation.set(None);
                        self.show_form();
                    }
                    self.error.set(Some(e.message()));
                }
            }
        }
        self.busy.set(false);
    }

    /// "Start a new chat": back to the form.
    pub fn new_chat(self) {
        self.error.set(None);
        let reason = self.config.with_untracked(|c| {
            c.as_ref()
                .and_then(|c| offline_reason(c, chosen_channel(c, None)))
        });
        self.offline
            .set(reason.map(|reason| reason.explain().to_owned()));
        self.message_left.set(false);
        self.show_form();
    }

    /// "Leave a follow-up request" after a chat (V10): the message form, answered by email.
    pub fn request_follow_up(self) {
        self.error.set(None);
        self.message_left.set(false);
        self.offline.set(Some(
            domain::followup::OfflineReason::FollowUpRequest
                .explain()
                .to_owned(),
        ));
        self.show_form();
    }

    /// Submits the start form.
    pub async fn start(
        self,
        name: String,
        email: String,
        message: String,
        picked: Option<ChannelId>,
    ) {
        self.error.set(None);
        let name = non_blank(&name);
        let email = non_blank(&email);
        if email.as_deref().is_some_and(|e| !e.contains('@')) {
            self.error
                .set(Some("Please check your email address.".to_owned()));
            return;
        }
        let (channel, must_pick, required) = self.config.with_untracked(|c| match c {
            Some(config) => {
                let channel = chosen_channel(config, picked);
                (
                    channel,
                    config.channels.len() > 1 && channel.is_none(),
                    name_required(config, channel),
                )
            }
            None => (None, false, true),
        });
        if must_pick {
            self.error
                .set(Some("Please choose a department.".to_owned()));
            return;
        }
        if required && name.is_none() {
            self.error.set(Some("Please enter your name.".to_owned()));
            return;
        }
        let Some(message) = non_blank(&message) else {
            self.error.set(Some("Please type a message.".to_owned()));
            return;
        };
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        if email.is_some() {
            rt(|r| r.email.clone_from(&email));
        }
        self.start_inner(name, email, message, channel).await;
        self.busy.set(false);
    }

    /// The visitor's token, registering them first if they have none.
    async fn ensure_token(self, name: Option<&String>) -> Option<String> {
        if let Some(token) = token() {
            return Some(token);
        }
        let (fields, opt_name, email) = rt(|r| {
            (
                r.options.fields.clone(),
                r.options.name.clone(),
                r.options.email.clone(),
            )
        });
        let visitor = NewVisitor {
            name: opt_name.or_else(|| name.cloned()),
            email,
            language: browser::language(),
            page_url: browser::page_url(),
            referrer: browser::referrer(),
            fields,
        };
        match api::create_visitor(&base(), &visitor).await {
            Ok(created) => {
                set_token(&created.token);
                Some(created.token)
            }
            Err(e) => {
                self.error.set(Some(e.message()));
                None
            }
        }
    }

    /// Submits the "Leave a message" form.
    pub async fn leave_message(self, name: String, email: String, message: String) {
        self.error.set(None);
        if non_blank(&email).is_none_or(|e| !e.contains('@')) {
            self.error.set(Some(
                "Please give an email address we can answer to.".to_owned(),
            ));
            return;
        }
        if non_blank(&message).is_none() {
            self.error
                .set(Some("Please write your message.".to_owned()));
            return;
        }
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        let name = non_blank(&name);
        let channel = self
            .config
            .with_untracked(|c| c.as_ref().and_then(|c| chosen_channel(c, None)));
        let body = domain::followup::OfflineMessage {
            name: name.clone(),
            email,
            message,
            channel,
        };
        for attempt in 0..2 {
            let Some(token) = self.ensure_token(name.as_ref()).await else {
                break;
            };
            match api::leave_message(&base(), &token, &body).await {
                Ok(()) => {
                    self.message_left.set(true);
                    break;
                }
                Err(e) if e.status() == Some(401) && attempt == 0 => forget_token(),
                Err(e) => {
                    self.error.set(Some(e.message()));
                    break;
                }
            }
        }
        self.busy.set(false);
    }

    async fn start_inner(
        self,
        name: Option<String>,
        email: Option<String>,
        message: String,
        channel: Option<ChannelId>,
    ) {
        let base = base();
        let request = StartChat {
            email,
            name: name.clone(),
            message,
            client_id: Some(browser::new_client_id()),
            channel,
        };
        for attempt in 0..2 {
            let Some(token) = self.ensure_token(name.as_ref()).await else {
                return;
            };
            match api::start_chat(&base, &token, &request).await {
                Ok(chat) => {
                    rt(|r| r.last_name.clone_from(&name));
                    self.error.set(None);
                    self.enter_chat(chat);
                    return;
                }
                Err(e) if e.status() == Some(401) && attempt == 0 => forget_token(),
                Err(e) if e.code() == "offline" => {
                    // Closed since the form was shown: take a message instead.
                    self.offline.set(Some(e.message()));
                    return;
                }
                Err(e) if e.code() == "chat_already_open" => {
                    // An earlier attempt went through (or another tab started one): show it.
                    self.restore().await;
                    return;
                }
                Err(e) => {
                    self.error.set(Some(e.message()));
                    return;
                }
            }
        }
    }

    /// Queues a message typed in the entry bar and sends it.
    pub fn send(self, text: &str) {
        let Some(body) = non_blank(text) else {
            return;
        };
        let Some(chat_id) = self.open_chat_id() else {
            return;
        };
        if let Some(active) = rt(|r| r.typing.stop()) {
            report_typing(chat_id, active);
        }
        self.error.set(None);
        self.pending.update(|p| {
            p.push(Pending {
                client_id: browser::new_client_id(),
                chat_id,
                body,
            });
        });
        self.flush();
    }

    fn flush(self) {
        if rt(|r| std::mem::replace(&mut r.outbox_running, true)) {
            return;
        }
        spawn_local(self.outbox());
    }

    /// Sends pending messages one at a time, in order. Network errors and 5xx answers are
    /// retried with the same client id (the server answers a retry with the first result);
    /// 4xx answers drop the message and show why.
    async fn outbox(self) {
        let base = base();
        let mut delay = FIRST_RETRY_MS;
        while let Some(next) = self.pending.with_untracked(|p| p.first().cloned()) {
            let Some(token) = token() else {
                self.pending.set(Vec::new());
                break;
            };
            let body = PostMessage {
                body: next.body.clone(),
                client_id: Some(next.client_id.clone()),
            };
            match api::post_message(&base, &token, next.chat_id, &body).await {
                Ok(event) => {
                    delay = FIRST_RETRY_MS;
                    self.drop_pending(&next.client_id);
                    self.apply(event);
                }
                Err(e) if e.retryable() => {
                    browser::retry_after(delay).await;
                    delay = next_delay(delay);
                }
                Err(e) if e.code() == "chat_closed" => {
                    // Ended meanwhile (kicked, closed): nothing queued for it can go. Show
                    // the chat as the server has it now, with what ended it.
                    delay = FIRST_RETRY_MS;
                    self.pending
                        .update(|p| p.retain(|m| m.chat_id != next.chat_id));
                    spawn_local(self.restore());
                }
                Err(e) => {
                    delay = FIRST_RETRY_MS;
                    self.drop_pending(&next.client_id);
                    self.error.set(Some(e.message()));
                    if e.status() == Some(401) {
                        forget_token();
                        self.show_form();
                    }
                }
            }
        }
        rt(|r| r.outbox_running = false);
    }

    fn drop_pending(self, client_id: &str) {
        if self
            .pending
            .with_untracked(|p| p.iter().any(|m| m.client_id == client_id))
        {
            self.pending
                .update(|p| p.retain(|m| m.client_id != client_id));
        }
    }

    /// Folds an event (from a POST answer or the stream) into the chat on screen, once.
    fn apply(self, event: ChatEvent) {
        let current = self.chat.with_untracked(|c| c.as_ref().map(|c| c.id));
        if current != Some(event.chat_id) {
            return;
        }
        if let EventKind::MessagePosted {
            client_id: Some(client_id),
            ..
        } = &event.kind
        {
            self.drop_pending(client_id);
        }
        match &event.kind {
            EventKind::CallStarted { operator_name, .. } => {
                self.call.set(Some(crate::voice::VisitorCall {
                    chat_id: event.chat_id,
                    operator: operator_name.clone(),
                    state: "ringing".to_owned(),
                    muted: false,
                }))
            }
            EventKind::CallEnded { .. } => crate::voice::close(self.call),
            _ => {}
        }
        let mut ended_now = false;
        self.chat.maybe_update(|c| {
            let Some(c) = c else {
                return false;
            };
            let was_open = c.open();
            let changed = c.apply(event);
            ended_now = was_open && c.ended();
            changed
        });
        if ended_now {
            crate::voice::close(self.call);
            // Nothing queued can go any more, and the server no longer hears the visitor type.
            self.pending.set(Vec::new());
            rt(|r| r.typing = TypingReport::default());
        }
        self.note_seen();
    }

    /// Folds a signal from the stream into the chat on screen. A "typing" signal holds for
    /// [`SIGNAL_TTL_MS`] unless repeated, so each one schedules the check that drops it.
    fn on_signal(self, signal: &Signal) {
        if let Signal::Call {
            from_visitor: false,
            signal,
            ..
        } = signal
        {
            crate::voice::hear(signal);
            return;
        }
        let now = browser::now_ms();
        self.chat
            .maybe_update(|c| c.as_mut().is_some_and(|c| c.on_signal(signal, now)));
        if matches!(signal, Signal::Typing { active: true, .. }) {
            let chat = self.chat;
            // A little after the signal lapses, so timer and clock rounding cannot keep it.
            let lapse = i32::try_from(SIGNAL_TTL_MS + 100).unwrap_or(i32::MAX);
            spawn_local(async move {
                browser::sleep(lapse).await;
                let now = browser::now_ms();
                chat.maybe_update(|c| c.as_mut().is_some_and(|c| c.expire_typing(now)));
            });
        }
    }

    /// Reports what the visitor sees as the panel opens or the page comes back (V5): a look
    /// every two seconds, which sends nothing unless an operator's line is newly in view.
    pub async fn watch_seen(self) {
        loop {
            browser::sleep(2_000).await;
            self.note_seen();
        }
    }

    /// Tells the server what the visitor has now seen, if the panel is in front of them and
    /// an operator's line arrived since the last report (V5).
    pub fn note_seen(self) {
        if !browser::panel_shown() {
            return;
        }
        let next = self.chat.with_untracked(|c| {
            let c = c.as_ref()?;
            let reported = rt(|r| r.seen)
                .filter(|(chat, _)| *chat == c.id)
                .map(|(_, up_to)| up_to)
                .unwrap_or_default();
            c.seen_to_report(reported).map(|up_to| (c.id, up_to))
        });
        if let Some((chat_id, up_to)) = next {
            rt(|r| r.seen = Some((chat_id, up_to)));
            report_seen(chat_id, up_to);
        }
    }

    /// The visitor edited the entry bar: tell the server they type (or stopped), as the
    /// [`TypingReport`] rule says.
    pub fn typed(self, text: &str) {
        let Some(chat_id) = self.open_chat_id() else {
            return;
        };
        let now = browser::now_ms();
        if let Some(active) = rt(|r| r.typing.on_input(text, now)) {
            report_typing(chat_id, active);
        }
    }

    /// The chat on screen, open or ended.
    fn shown_chat_id(self) -> Option<ChatId> {
        self.chat.with_untracked(|c| c.as_ref().map(|c| c.id))
    }

    /// Rates the ended chat (V12); the server says whether it may be.
    pub async fn rate(self, stars: u8, comment: String) {
        let (Some(chat_id), Some(token)) = (self.shown_chat_id(), token()) else {
            return;
        };
        if stars == 0 {
            self.error
                .set(Some("Please choose 1 to 5 stars.".to_owned()));
            return;
        }
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        self.error.set(None);
        let body = domain::rating::RateChat {
            stars: i64::from(stars),
            comment: non_blank(&comment),
        };
        match api::rate(&base(), &token, chat_id, &body).await {
            Ok(event) => self.apply(event),
            Err(e) => self.error.set(Some(e.message())),
        }
        self.busy.set(false);
    }

    /// Saves the chat's transcript as a text file (V10).
    pub async fn download_transcript(self) {
        let (Some(chat_id), Some(token)) = (self.shown_chat_id(), token()) else {
            return;
        };
        self.error.set(None);
        match api::transcript(&base(), &token, chat_id).await {
            Ok((name, text)) => browser::download_text(&name, &text),
            Err(e) => self.error.set(Some(e.message())),
        }
    }

    /// Has the chat's transcript mailed to `email` (V10).
    pub async fn email_transcript(self, email: String) {
        let (Some(chat_id), Some(token)) = (self.shown_chat_id(), token()) else {
            return;
        };
        if non_blank(&email).is_none_or(|e| !e.contains('@')) {
            self.error
                .set(Some("Please give your email address.".to_owned()));
            return;
        }
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        self.error.set(None);
        let body = domain::mail::EmailTranscript {
            email: non_blank(&email),
        };
        match api::email_transcript(&base(), &token, chat_id, &body).await {
            Ok(()) => {
                rt(|r| r.email = non_blank(&email));
                self.transcript_sent.set(non_blank(&email));
            }
            Err(e) => self.error.set(Some(e.message())),
        }
        self.busy.set(false);
    }

    /// "End chat".
    pub async fn end(self) {
        let Some(chat_id) = self.open_chat_id() else {
            return;
        };
        let Some(token) = token() else {
            self.show_form();
            return;
        };
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        let result = api::end_chat(&base(), &token, chat_id).await;
        self.busy.set(false);
        match result {
            Ok(()) => self.mark_left(chat_id),
            // Ended already (kicked, closed): show it as the server has it, with what ended it.
            Err(e) if e.code() == "chat_closed" => self.restore().await,
            Err(e) => self.error.set(Some(e.message())),
        }
    }

    fn mark_left(self, chat_id: ChatId) {
        self.error.set(None);
        self.pending.set(Vec::new());
        rt(|r| r.typing = TypingReport::default());
        self.chat.update(|c| {
            if let Some(c) = c.as_mut().filter(|c| c.id == chat_id) {
                c.mark_left();
            }
        });
        // Keep listening briefly so "You ended the chat" and the final status arrive, then stop.
        let generation = rt(|r| r.stream_gen);
        spawn_local(async move {
            browser::sleep(5_000).await;
            if rt(|r| r.stream_gen) == generation {
                self.stop_stream();
            }
        });
    }

    fn stop_stream(self) {
        rt(|r| {
            r.stream_gen += 1;
            if let Some(abort) = r.abort.take() {
                abort.abort();
            }
        });
    }

    fn start_stream(self) {
        self.stop_stream();
        let generation = rt(|r| r.stream_gen);
        spawn_local(self.stream(generation));
    }

    fn stream_wanted(self, generation: u64) -> bool {
        rt(|r| r.stream_gen) == generation
            && self
                .chat
                .with_untracked(|c| c.as_ref().is_some_and(Conversation::listening))
    }

    /// Keeps the event stream open while events may still come for the chat, reconnecting
    /// with backoff and resuming after the last event received.
    async fn stream(self, generation: u64) {
        let base = base();
        let mut delay = FIRST_RETRY_MS;
        while self.stream_wanted(generation) {
            let Some(token) = token() else {
                break;
            };
            let abort = web_sys::AbortController::new().ok();
            rt(|r| r.abort.clone_from(&abort));
            let cursor = rt(|r| r.cursor);
            let signal = abort.as_ref().map(web_sys::AbortController::signal);
            match api::open_events(&base, &token, cursor, signal.as_ref()).await {
                Ok(resp) => {
                    delay = FIRST_RETRY_MS;
                    self.connected();
                    if let Some(body) = resp.body() {
                        self.read(generation, &body).await;
                    }
                }
                Err(e) if e.status() == Some(401) => {
                    if self.stream_wanted(generation) {
                        forget_token();
                        self.show_form();
                    }
                    break;
                }
                // The server's log does not reach our position (its data was restored or
                // replaced): load the chat afresh, which streams again from its position.
                Err(e) if e.code() == "reload_required" => {
                    if self.stream_wanted(generation) {
                        rt(|r| r.cursor = 0);
                        self.restore().await;
                    }
                    break;
                }
                Err(_) => {}
            }
            if !self.stream_wanted(generation) {
                break;
            }
            self.connection.set(Connection::Reconnecting);
            browser::retry_after(delay).await;
            delay = next_delay(delay);
        }
        if rt(|r| r.stream_gen) == generation {
            self.connection.set(Connection::Connected);
        }
    }

    async fn read(self, generation: u64, body: &web_sys::ReadableStream) {
        let Ok(reader) = body
            .get_reader()
            .dyn_into::<web_sys::ReadableStreamDefaultReader>()
        else {
            return;
        };
        let Ok(decoder) = web_sys::TextDecoder::new() else {
            return;
        };
        let options = web_sys::TextDecodeOptions::new();
        options.set_stream(true);
        let mut parser = SseParser::default();
        loop {
            let Ok(chunk) = JsFuture::from(reader.read()).await else {
                break;
            };
            let done = Reflect::get(&chunk, &JsValue::from_str("done"))
                .ok()
                .and_then(|d| d.as_bool())
                .unwrap_or(true);
            if done {
                break;
            }
            let Ok(bytes) = Reflect::get(&chunk, &JsValue::from_str("value"))
                .and_then(JsCast::dyn_into::<Uint8Array>)
            else {
                break;
            };
            let Ok(text) = decoder.decode_with_js_u8_array_and_options(&bytes, &options) else {
                break;
            };
            if !self.stream_wanted(generation) {
                break;
            }
            for frame in parser.push(&text) {
                self.on_frame(&frame);
            }
            if !self.stream_wanted(generation) {
                break;
            }
        }
        // Release the connection; awaiting the promise keeps a rejection from being reported
        // as unhandled.
        let cancelled = reader.cancel();
        spawn_local(async move {
            let _ = JsFuture::from(cancelled).await;
        });
    }

    fn on_frame(self, frame: &SseEvent) {
        match rt(|r| Incoming::decode(frame, &mut r.cursor)) {
            Some(Incoming::Event(event)) => self.apply(event),
            Some(Incoming::Signal(signal)) => self.on_signal(&signal),
            None => {}
        }
    }
}

/// Tells the server how far the visitor has seen `chat_id` (V5). Fire and forget: the next
/// new line reports again.
fn report_seen(chat_id: ChatId, up_to: EventId) {
    let Some(token) = token() else {
        return;
    };
    let base = base();
    spawn_local(async move {
        let _ = api::seen(&base, &token, chat_id, &Seen { up_to }).await;
    });
}

/// Tells the server whether the visitor is typing in `chat_id`. Fire and forget: a failure is
/// neither shown nor retried (the signal expires by itself).
fn report_typing(chat_id: ChatId, active: bool) {
    let Some(token) = token() else {
        return;
    };
    let base = base();
    spawn_local(async move {
        let _ = api::typing(&base, &token, chat_id, &Typing { active }).await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accent_accepts_only_rrggbb() {
        assert_eq!(accent(" #A1b2C3 ").as_deref(), Some("#a1b2c3"));
        for bad in [
            "", "#fff", "a1b2c3", "#a1b2c3d", "#ggg000", "red", "#12345é",
        ] {
            assert_eq!(accent(bad), None, "{bad}");
        }
    }

    #[test]
    fn overrides_replace_the_server_config() {
        let server = BubbleSettings::default().config(false, Vec::new());
        let none = Options::default().apply(server.clone());
        assert_eq!(none, server);

        let options = Options {
            title: Some("Help".into()),
            greeting: Some("Hello".into()),
            color: Some("#112233".into()),
            ..Options::default()
        };
        let applied = options.apply(server.clone());
        assert_eq!(applied.title, "Help");
        assert_eq!(applied.greeting, "Hello");
        assert_eq!(applied.color, "#112233");
        assert_eq!(applied.launcher_label, server.launcher_label);
        assert!(!applied.name_required);

        let mut bad = server;
        bad.color = "url(x)".into();
        assert_eq!(Options::default().apply(bad).color, "#2563eb");
    }

    fn id(n: u128) -> ChannelId {
        format!("{n:032x}").parse().unwrap_or_default()
    }

    fn channel(n: u128, name_required: bool) -> domain::api::ChannelChoice {
        domain::api::ChannelChoice {
            id: id(n),
            name: format!("C{n}"),
            name_required,
            offline: None,
        }
    }

    #[test]
    fn the_message_form_follows_the_chosen_channel() {
        use domain::followup::OfflineReason;
        let mut closed = channel(2, false);
        closed.offline = Some(OfflineReason::OutsideHours);
        let mut config = BubbleSettings::default().config(false, vec![channel(1, true), closed]);
        assert_eq!(offline_reason(&config, Some(id(1))), None);
        assert_eq!(
            offline_reason(&config, Some(id(2))),
            Some(OfflineReason::OutsideHours)
        );
        assert_eq!(offline_reason(&config, None), None);
        config.offline = Some(OfflineReason::NobodyAvailable);
        assert_eq!(
            offline_reason(&config, None),
            Some(OfflineReason::NobodyAvailable)
        );
    }

    #[test]
    fn a_bound_bubble_offers_its_channel_and_an_unbound_one_lets_the_visitor_pick() {
        let server =
            BubbleSettings::default().config(false, vec![channel(1, true), channel(2, false)]);
        let (sales, support) = (server.channels[0].id, server.channels[1].id);

        // Unbound: the visitor must pick; the pick decides whether a name is required.
        let unbound = Options::default().apply(server.clone());
        assert_eq!(chosen_channel(&unbound, None), None);
        assert_eq!(chosen_channel(&unbound, Some(support)), Some(support));
        assert!(name_required(&unbound, Some(sales)));
        assert!(!name_required(&unbound, Some(support)));
        assert!(!name_required(&unbound, None));

        // Bound: only that channel, chosen without asking.
        let bound = Options {
            channel: Some(sales),
            ..Options::default()
        }
        .apply(server.clone());
        assert_eq!(bound.channels.len(), 1);
        assert_eq!(chosen_channel(&bound, None), Some(sales));
        assert_eq!(chosen_channel(&bound, Some(support)), Some(sales));

        // Bound to a channel that is no longer open: the visitor picks instead.
        let stale = Options {
            channel: Some(id(9)),
            ..Options::default()
        }
        .apply(server.clone());
        assert_eq!(stale.channels.len(), 2);
        assert_eq!(chosen_channel(&stale, Some(id(9))), None);

        // No channels: the general queue.
        let general = Options::default().apply(BubbleSettings::default().config(true, Vec::new()));
        assert_eq!(chosen_channel(&general, None), None);
        assert!(name_required(&general, None));
    }
}
