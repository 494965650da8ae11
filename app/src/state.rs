//! The console's live state: the `ConsoleModel` in a signal, the open tab, what signals say
//! (typing, viewing, who is online), the pop-ups waiting for an answer and (in the browser) the
//! event stream that keeps all of it current.

use domain::console::{Alert, ChatAction, ConsoleModel, ConsoleSnapshot, Me};
use domain::{ChatId, OperatorId, Timestamp};
use leptos::prelude::*;

use crate::api;
use crate::error::ConsoleError;
use crate::presence::{ChatActivity, Roster};

/// Shared by every page of the console through context.
#[derive(Clone, Copy, Debug)]
pub struct Console {
    /// The operator.
    pub me: RwSignal<Option<Me>>,
    /// Dashboard, my chats and the stream position.
    pub model: RwSignal<ConsoleModel>,
    /// The tab shown on My Chats.
    pub open_tab: RwSignal<Option<ChatId>>,
    /// The live connection as the operator is told about it.
    pub connection: RwSignal<Connection>,
    /// A message for the operator (e.g. "already taken"), shown until dismissed.
    pub notice: RwSignal<Option<String>>,
    /// Whether the browser tab is visible (unread messages are marked read only then).
    pub visible: RwSignal<bool>,
    /// Alerts that ask for an answer (new chat, invitation, transfer, private chat), shown as
    /// pop-ups until answered, dismissed or out of date.
    pub alerts: RwSignal<Vec<Alert>>,
    /// My messages on their way to the server, oldest first (every tab's).
    pub outbox: RwSignal<Vec<crate::outbox::Outgoing>>,
    /// Who is typing or viewing in my chats.
    pub activity: RwSignal<ChatActivity>,
    /// The other operators online now.
    pub roster: RwSignal<Roster>,
    /// The chat whose visitor last moved to another page: its sidebar reloads their details.
    pub visitor_moved: RwSignal<Option<ChatId>>,
    /// Counts ticket changes heard, so that lists of them load afresh.
    pub tickets: RwSignal<u32>,
    /// The voice call this console is in (V7 O26).
    pub call: RwSignal<Option<crate::voice::CallView>>,
    /// Counts changes of the visitors on the site heard (arrivals, pages, invitations), so
    /// that the Visitors list and its count load afresh.
    pub visitors: RwSignal<u32>,
    /// The time, ticking every second in the browser: signals expire and time on site grows.
    pub now: RwSignal<Timestamp>,
    /// The chat whose entry bar should take focus once shown (after coming into the chat).
    pub focus_entry: RwSignal<Option<ChatId>>,
    /// A console page to switch to, asked for from outside the router (a desktop
    /// notification's click); the layout follows it.
    pub go_to: RwSignal<Option<&'static str>>,
    /// Whether this console announces alerts. The main console does; a chat's own window
    /// leaves that to it, so nothing rings twice.
    #[cfg_attr(
        not(feature = "hydrate"),
        expect(dead_code, reason = "read by the browser's event stream only")
    )]
    pub announces: bool,
}

/// The console's live connection, as its banner tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(
    not(feature = "hydrate"),
    allow(dead_code, reason = "set by the browser's event stream")
)]
pub enum Connection {
    /// Opening: nothing to say yet.
    Connecting,
    /// Connected.
    Connected,
    /// Cut off; reconnecting.
    Reconnecting,
    /// Back after a cut, for a moment.
    Restored,
}

impl Connection {
    /// Whether the live stream is connected.
    pub fn is_live(self) -> bool {
        matches!(self, Self::Connected | Self::Restored)
    }
}

/// How I come into a chat from the dashboard or a pop-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Accept a waiting chat (the first operator wins).
    Accept,
    /// Join, watch, answer an invitation or assume a transfer.
    Action(ChatAction),
}

impl Console {
    /// An empty console; `announces` says whether it rings and pops up alerts.
    pub fn new(announces: bool) -> Self {
        Self {
            me: RwSignal::new(None),
            model: RwSignal::new(ConsoleModel::default()),
            open_tab: RwSignal::new(None),
            connection: RwSignal::new(Connection::Connecting),
            notice: RwSignal::new(None),
            visible: RwSignal::new(true),
            alerts: RwSignal::new(Vec::new()),
            outbox: RwSignal::new(Vec::new()),
            activity: RwSignal::new(ChatActivity::default()),
            roster: RwSignal::new(Roster::default()),
            visitor_moved: RwSignal::new(None),
            tickets: RwSignal::new(0),
            visitors: RwSignal::new(0),
            call: RwSignal::new(None),
            now: RwSignal::new(now()),
            go_to: RwSignal::new(None),
            focus_entry: RwSignal::new(None),
            announces,
        }
    }

    /// Loads a snapshot.
    pub fn load(&self, snapshot: &ConsoleSnapshot) {
        self.me.set(Some(snapshot.me.clone()));
        let mut model = ConsoleModel::from_snapshot(snapshot);
        if snapshot.server_time.0 > 0 {
            model.clock_offset_ms = snapshot.server_time.0 - now().0;
        }
        self.model.set(model);
    }

    /// Opens a chat's tab on My Chats.
    pub fn open(&self, chat: ChatId) {
        self.open_tab.set(Some(chat));
    }

    /// The operator's id (tracked).
    pub fn me_id(&self) -> Option<OperatorId> {
        self.me.with(|me| me.as_ref().map(|me| me.id))
    }

    /// Comes into a chat, then makes sure its tab exists (the stream may not have told yet)
    /// and selects it. The caller goes to My Chats.
    pub async fn enter(self, chat: ChatId, entry: Entry) -> Result<(), ConsoleError> {
        let loaded = match entry {
            Entry::Accept => Some(api::accept_chat(chat).await?),
            Entry::Action(action) => {
                api::run_chat_action(api::ChatActionInput {
                    chat_id: chat,
                    action,
                })
                .await?;
                None
            }
        };
        let mine = match loaded {
            Some(mine) => mine,
            None if self.is_in(chat) => {
                self.open(chat);
                self.focus_entry.set(Some(chat));
                return Ok(());
            }
            None => api::load_chat(chat).await?,
        };
        self.model.update(|m| m.add_my_chat(mine));
        self.open(chat);
        self.focus_entry.set(Some(chat));
        Ok(())
    }

    /// Whether I am (still) in a chat (untracked).
    pub fn is_in(&self, chat: ChatId) -> bool {
        self.model
            .try_with_untracked(|m| m.my_chats.iter().any(|c| c.summary.id() == chat))
            .unwrap_or(false)
    }

    /// Shows an action's failure to the operator.
    pub fn report(&self, err: &ConsoleError) {
        self.notice.set(Some(err.message().to_owned()));
    }
}

/// The time now.
pub fn now() -> Timestamp {
    #[cfg(feature = "hydrate")]
    {
        // Milliseconds since the epoch fit an i64 exactly.
        Timestamp(js_sys::Date::now() as i64)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
    }
}

#[cfg(feature = "hydrate")]
pub mod live {
    //! The console's event stream. `EventSource` reconnects by itself and sends `Last-Event-ID`,
    //! so the server replays exactly what was missed; the model ignores anything it already has.
    //! Signals arrive on the same stream without an id and are never replayed. The operator's
    //! tabs share one stream (`crate::tabs`): the leading tab relays it to the others.

    use std::cell::{Cell, RefCell};
    use std::time::Duration;

    use domain::channel::{ChannelFilter, channels_of};
    use domain::console::{Alert, AlertKind};
    use domain::{ChatEvent, ErrorCode, EventKind, Signal, Timestamp};
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{EventSource, MessageEvent};

    use super::{Connection, Console, now};
    use crate::presence::Roster;
    use crate::tabs::{self, Relay};
    use crate::{api, browser};

    thread_local! {
        /// The open stream, closed when a new one replaces it.
        static STREAM: RefCell<Option<EventSource>> = const { RefCell::new(None) };
        /// Whether the page listens for coming back online already.
        static LISTENING: Cell<bool> = const { Cell::new(false) };
        /// Whether a resync is under way, and whether another was asked for meanwhile.
        static RESYNC: Cell<(bool, bool)> = const { Cell::new((false, false)) };
        /// While a tab that follows the shared stream catches up: the relayed events that
        /// arrived meanwhile, applied after what the catch-up brings.
        static CATCHING_UP: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
        /// When this page last told the server the operator was at work (ms since epoch).
        static REPORTED: Cell<f64> = const { Cell::new(0.0) };
    }

    /// Activity is reported at most this often: finer than any away threshold (a minute).
    const REPORT_ACTIVITY_EVERY_MS: f64 = 20_000.0;

    /// How often the console's clock ticks.
    const TICK: Duration = Duration::from_secs(1);

    /// Starts everything that keeps a loaded console current: the stream, the visibility of
    /// the window and the clock. Stopped when the calling component goes away.
    pub fn start(console: Console) {
        let operator = console
            .me
            .with_untracked(|me| me.as_ref().map(|me| me.id.to_string()));
        let shared = operator.is_some_and(|operator| {
            tabs::join(
                &operator,
                move |relay| heard(console, relay),
                move || connect(console),
            )
        });
        if shared {
            catch_up(console);
        } else {
            connect(console);
        }
        watch_visibility(console);
        watch_activity();
        reconnect_on_return(console);
        crate::outbox::browser::refresh(console);
        // Another tab changed the queue (queued, or confirmed, a message).
        let on_storage =
            Closure::<dyn FnMut(web_sys::StorageEvent)>::new(move |ev: web_sys::StorageEvent| {
                if ev.key().as_deref() == Some("switchboard:outbox") {
                    crate::outbox::browser::refresh(console);
                }
            });
        let _ = window()
            .add_event_listener_with_callback("storage", on_storage.as_ref().unchecked_ref());
        on_storage.forget();
        let clock = set_interval_with_handle(
            move || {
                console.now.set(now());
                escalate(console);
                // Messages left behind by a closed tab are sent once they are due.
                if console.outbox.with_untracked(|q| !q.is_empty()) {
                    crate::outbox::browser::flush(console);
                }
            },
            TICK,
        )
        .ok();
        on_cleanup(move || {
            disconnect();
            if let Some(clock) = clock {
                clock.clear();
            }
        });
    }

    /// Connects (or reconnects) the console's stream from the model's position, carrying the
    /// dashboard changes its filter lists.
    pub fn connect(console: Console) {
        let (after, interest) = console
            .model
            .with_untracked(|m| (m.last_event_id, m.interest().to_query()));
        let Ok(source) = EventSource::new(&format!(
            "/api/console/events?last_event_id={after}&channels={interest}"
        )) else {
            console.connection.set(Connection::Reconnecting);
            return;
        };
        let on_event = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
            let Some(data) = message.data().as_string() else {
                return;
            };
            if let Ok(event) = crate::json::parse::<ChatEvent>(&data) {
                receive(console, &event);
                tabs::tell(&Relay::Event(data));
            }
        });
        for name in EventKind::NAMES {
            let _ =
                source.add_event_listener_with_callback(name, on_event.as_ref().unchecked_ref());
        }
        on_event.forget();

        let on_signal = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
            let Some(data) = message.data().as_string() else {
                return;
            };
            if let Ok(signal) = crate::json::parse::<Signal>(&data) {
                hear(console, &signal);
                tabs::tell(&Relay::Signal(data));
            }
        });
        for name in Signal::NAMES {
            let _ =
                source.add_event_listener_with_callback(name, on_signal.as_ref().unchecked_ref());
        }
        on_signal.forget();

        let on_open = Closure::<dyn FnMut()>::new(move || {
            tabs::tell(&Relay::Live(true));
            connected(console);
        });
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();

        let on_error = Closure::<dyn FnMut()>::new(move || {
            tabs::tell(&Relay::Live(false));
            console.connection.set(Connection::Reconnecting);
            let closed = STREAM.with(|stream| {
                stream
                    .borrow()
                    .as_ref()
                    .is_some_and(|s| s.ready_state() == EventSource::CLOSED)
            });
            if closed {
                // The server refused the stream (e.g. the session ended): find out why.
                tabs::tell(&Relay::Closed);
                spawn_local(async move { recover(console).await });
            }
        });
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();

        STREAM.with(|stream| {
            if let Some(old) = stream.borrow_mut().replace(source) {
                old.close();
            }
        });
    }

    /// The stream (this tab's, or the one it follows) is connected.
    fn connected(console: Console) {
        restored(console);
        crate::outbox::browser::flush(console);
        // Signals missed while disconnected are not replayed: ask afresh who is online and
        // what the channels are. If my channels changed meanwhile, a console listing only
        // them streams afresh (what changes from now on comes as a signal on this stream).
        spawn_local(async move {
            if let Ok(online) = api::online_operators().await {
                console.roster.set(Roster::from_online(online));
            }
            if let Ok(channels) = api::list_channels().await {
                let stale = console.model.with_untracked(|m| {
                    let me = m.me.unwrap_or_default();
                    m.filter == ChannelFilter::Mine
                        && channels_of(&channels, me) != channels_of(&m.channels, me)
                });
                console.model.update(|m| m.channels = channels);
                if stale {
                    resync(console);
                }
            }
        });
    }

    /// What the leading tab relays, as a tab that follows it hears it.
    fn heard(console: Console, relay: Relay) {
        match relay {
            Relay::Event(data) => {
                let buffered = CATCHING_UP.with(|c| match c.borrow_mut().as_mut() {
                    Some(buffer) => {
                        buffer.push(data.clone());
                        true
                    }
                    None => false,
                });
                if !buffered && let Ok(event) = crate::json::parse::<ChatEvent>(&data) {
                    receive(console, &event);
                }
            }
            Relay::Signal(data) => {
                if let Ok(signal) = crate::json::parse::<Signal>(&data) {
                    hear(console, &signal);
                }
            }
            Relay::Live(true) => connected(console),
            Relay::Live(false) => console.connection.set(Connection::Reconnecting),
            Relay::Closed => spawn_local(async move { recover(console).await }),
            Relay::Resync => resync(console),
            Relay::Hello => {
                if tabs::leads() {
                    tabs::tell(&Relay::Live(console.connection.get_untracked().is_live()));
                }
            }
        }
    }

    /// Brings a tab that follows the shared stream up to date from its model's position:
    /// what happened since is read from the server, then what was relayed meanwhile.
    fn catch_up(console: Console) {
        let started = CATCHING_UP.with(|c| {
            let mut c = c.borrow_mut();
            if c.is_some() {
                return false;
            }
            *c = Some(Vec::new());
            true
        });
        if !started {
            return;
        }
        spawn_local(async move {
            loop {
                let input = console.model.with_untracked(|m| api::CatchUpInput {
                    after: m.last_event_id,
                    interest: m.interest(),
                });
                match api::console_catch_up(input).await {
                    Ok(events) => {
                        for event in &events {
                            receive(console, event);
                        }
                        break;
                    }
                    Err(err) if err.code() == ErrorCode::ReloadRequired => {
                        CATCHING_UP.with(|c| c.borrow_mut().take());
                        resync(console);
                        return;
                    }
                    Err(err)
                        if matches!(
                            err.code(),
                            ErrorCode::Unauthorized | ErrorCode::PasswordChangeRequired
                        ) =>
                    {
                        CATCHING_UP.with(|c| c.borrow_mut().take());
                        recover(console).await;
                        return;
                    }
                    // Out of reach: what was relayed meanwhile waits until the gap is filled.
                    Err(_) => sleep(1_000).await,
                }
            }
            let relayed = CATCHING_UP
                .with(|c| c.borrow_mut().take())
                .unwrap_or_default();
            for data in relayed {
                if let Ok(event) = crate::json::parse::<ChatEvent>(&data) {
                    receive(console, &event);
                }
            }
        });
    }

    /// Follows events from the model's position: this tab's own stream if it leads (or has its
    /// own), else a catch-up, then the relay.
    fn follow(console: Console) {
        if tabs::leads() {
            connect(console);
        } else {
            catch_up(console);
        }
    }

    /// The channel filter changed: every tab loads afresh, and the leader streams with it.
    pub fn filter_changed(console: Console) {
        tabs::tell(&Relay::Resync);
        resync(console);
    }

    /// How long "Connected again" stays up.
    const RESTORED_MS: i32 = 3_000;

    /// The stream is open: say so for a moment if it had been cut.
    fn restored(console: Console) {
        if console.connection.get_untracked() != Connection::Reconnecting {
            console.connection.set(Connection::Connected);
            return;
        }
        console.connection.set(Connection::Restored);
        spawn_local(async move {
            sleep(RESTORED_MS).await;
            if console.connection.try_get_untracked() == Some(Connection::Restored) {
                console.connection.set(Connection::Connected);
            }
        });
    }

    /// Reconnects at once when the browser is back online or the page is shown again, rather
    /// than at the stream's next retry.
    fn reconnect_on_return(console: Console) {
        if LISTENING.replace(true) {
            return;
        }
        let reconnect = move || {
            // No stream: the console was left, and stays closed.
            let cut = STREAM.with(|stream| {
                stream
                    .borrow()
                    .as_ref()
                    .is_some_and(|s| s.ready_state() != EventSource::OPEN)
            });
            if cut {
                connect(console);
            }
            crate::outbox::browser::flush(console);
        };
        let on_online = Closure::<dyn FnMut()>::new(reconnect);
        let _ =
            window().add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
        on_online.forget();
        let shown = document();
        let on_visible = Closure::<dyn FnMut()>::new(move || {
            if shown.visibility_state() == web_sys::VisibilityState::Visible {
                reconnect();
            }
        });
        let _ = document().add_event_listener_with_callback(
            "visibilitychange",
            on_visible.as_ref().unchecked_ref(),
        );
        on_visible.forget();
    }

    /// Closes the stream (the console is being left).
    pub fn disconnect() {
        STREAM.with(|stream| {
            if let Some(old) = stream.borrow_mut().take() {
                old.close();
            }
        });
        tabs::leave();
    }

    fn receive(console: Console, event: &ChatEvent) {
        console.activity.update(|a| a.forget(event));
        if matches!(event.kind, domain::EventKind::CallEnded { .. }) {
            crate::voice::ended(console, event.chat_id);
        }
        let followup = console
            .model
            .try_update(|model| model.apply(event))
            .unwrap_or_default();
        if let Some(chat) = followup.load {
            spawn_local(async move {
                match api::load_chat(chat).await {
                    Ok(mine) => console.model.update(|model| model.add_my_chat(mine)),
                    Err(err) => console.report(&err),
                }
            });
        }
        if let Some(alert) = followup.alert
            && console.announces
        {
            announce(console, alert);
        }
        if followup.resync {
            resync(console);
        }
    }

    /// Loads the console afresh and streams from there: after the filter or my channels
    /// changed, or when a chat came onto the dashboard that this console has no summary of.
    /// Reconnecting from the new snapshot's position is what keeps events the old stream
    /// passed meanwhile from being lost.
    pub fn resync(console: Console) {
        let (running, _) = RESYNC.get();
        RESYNC.set((true, running));
        if running {
            return;
        }
        spawn_local(async move {
            loop {
                match api::load_console().await {
                    Ok(snapshot) => {
                        console.load(&snapshot);
                        follow(console);
                    }
                    Err(err) => console.report(&err),
                }
                let (_, again) = RESYNC.get();
                RESYNC.set((again, false));
                if !again {
                    break;
                }
            }
        });
    }

    fn hear(console: Console, signal: &Signal) {
        match signal {
            Signal::Presence { .. } => console.roster.update(|r| r.hear(signal)),
            Signal::VisitorPage { chat_id, .. } => console.visitor_moved.set(Some(*chat_id)),
            Signal::TicketsChanged => console.tickets.update(|n| *n += 1),
            Signal::VisitorsChanged | Signal::InvitationChanged { .. } => {
                console.visitors.update(|n| *n += 1);
            }
            // My channels may have changed: a console listing only them streams afresh.
            Signal::ChannelsChanged => {
                if console.model.with_untracked(|m| m.filter) == ChannelFilter::Mine {
                    resync(console);
                } else {
                    spawn_local(async move {
                        if let Ok(channels) = api::list_channels().await {
                            console.model.update(|m| m.channels = channels);
                        }
                    });
                }
            }
            Signal::Typing { .. } | Signal::Viewing { .. } => {
                console.activity.update(|a| a.hear(signal, now()));
            }
            Signal::Seen {
                chat_id,
                by_visitor: true,
                up_to,
            } => console.model.maybe_update(|m| {
                m.my_chats
                    .iter_mut()
                    .find(|c| c.summary.id() == *chat_id)
                    .is_some_and(|c| c.hear_seen(*up_to))
            }),
            // For visitors only.
            Signal::Queue { .. } | Signal::Seen { .. } | Signal::Invited { .. } => {}
            Signal::Call {
                chat_id,
                from_visitor: true,
                signal,
            } => crate::voice::hear(console, *chat_id, signal),
            Signal::Call { .. } => {}
        }
    }

    /// Waiting chats past T1 or T2 ring and pop up again (R3); judged on the server's clock.
    fn escalate(console: Console) {
        let Some(role) = console
            .me
            .with_untracked(|me| me.as_ref().map(|me| me.role))
        else {
            return;
        };
        if !console.announces {
            return;
        }
        // Untracked: which chats have alerted at which level is no one's display.
        let alerts = console
            .model
            .try_update_untracked(|model| {
                let server_now = Timestamp(now().0 + model.clock_offset_ms);
                model.escalate(server_now, role)
            })
            .unwrap_or_default();
        for alert in alerts {
            announce(console, alert);
        }
    }

    /// Rings, pops up what asks for an answer, and shows a desktop notification when the
    /// operator may not be looking (always for a new chat).
    fn announce(console: Console, alert: Alert) {
        browser::beep();
        let hidden = !console.visible.get_untracked();
        if hidden || alert.kind == AlertKind::NewChat {
            let chat = alert.chat;
            let page = match alert.kind {
                AlertKind::NewChat | AlertKind::Invite | AlertKind::Transfer => "/",
                AlertKind::PrivateChat | AlertKind::Activity => "/chats",
            };
            browser::notify(&alert.title, &alert.body, &chat.to_string(), move || {
                console.open(chat);
                console.go_to.set(Some(page));
            });
        }
        if alert.kind != AlertKind::Activity {
            console.alerts.update(|alerts| {
                alerts.retain(|a| a.chat != alert.chat);
                alerts.push(alert);
            });
        }
    }

    async fn recover(console: Console) {
        sleep(2_000).await;
        match api::load_console().await {
            Ok(snapshot) => {
                console.load(&snapshot);
                follow(console);
            }
            Err(err)
                if matches!(
                    err.code(),
                    ErrorCode::Unauthorized | ErrorCode::PasswordChangeRequired
                ) =>
            {
                let _ = window().location().set_href("/login");
            }
            Err(_) => spawn_local(async move { Box::pin(recover(console)).await }),
        }
    }

    /// Sleeps in the browser.
    async fn sleep(millis: i32) {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            let _ =
                window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, millis);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }

    /// Keys, clicks and touches are the operator at work: told to the server now and then,
    /// so that they stay active while they work and turn away when they stop. The console's
    /// own polls, stream and viewing signals never count.
    fn watch_activity() {
        let on_input = Closure::<dyn FnMut()>::new(move || {
            let now = js_sys::Date::now();
            if now - REPORTED.get() < REPORT_ACTIVITY_EVERY_MS {
                return;
            }
            REPORTED.set(now);
            spawn_local(async {
                let _ = api::report_activity().await;
            });
        });
        let document = document();
        for name in ["keydown", "pointerdown"] {
            let _ = document.add_event_listener_with_callback_and_bool(
                name,
                on_input.as_ref().unchecked_ref(),
                true,
            );
        }
        on_input.forget();
    }

    fn watch_visibility(console: Console) {
        let document = document();
        let read = document.clone();
        console
            .visible
            .set(read.visibility_state() == web_sys::VisibilityState::Visible);
        let on_change = Closure::<dyn FnMut()>::new(move || {
            console
                .visible
                .set(read.visibility_state() == web_sys::VisibilityState::Visible);
        });
        let _ = document.add_event_listener_with_callback(
            "visibilitychange",
            on_change.as_ref().unchecked_ref(),
        );
        on_change.forget();
    }
}
