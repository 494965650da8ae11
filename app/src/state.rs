//! The console's live state: the `ConsoleModel` in a signal, the open tab, and (in the browser)
//! the event stream that keeps the model current.

use domain::ChatId;
use domain::console::{ConsoleModel, ConsoleSnapshot, Me};
use leptos::prelude::*;

/// Shared by every page of the console through context.
#[derive(Clone, Copy, Debug)]
pub struct Console {
    /// The operator.
    pub me: RwSignal<Option<Me>>,
    /// Dashboard, my chats and the stream position.
    pub model: RwSignal<ConsoleModel>,
    /// The tab shown on My Chats.
    pub open_tab: RwSignal<Option<ChatId>>,
    /// Whether the live stream is connected.
    pub live: RwSignal<bool>,
    /// A message for the operator (e.g. "already taken"), shown until dismissed.
    pub notice: RwSignal<Option<String>>,
    /// Whether the browser tab is visible (unread messages are marked read only then).
    pub visible: RwSignal<bool>,
}

impl Console {
    /// An empty console.
    pub fn new() -> Self {
        Self {
            me: RwSignal::new(None),
            model: RwSignal::new(ConsoleModel::default()),
            open_tab: RwSignal::new(None),
            live: RwSignal::new(false),
            notice: RwSignal::new(None),
            visible: RwSignal::new(true),
        }
    }

    /// Loads a snapshot.
    pub fn load(&self, snapshot: &ConsoleSnapshot) {
        self.me.set(Some(snapshot.me.clone()));
        self.model.set(ConsoleModel::from_snapshot(snapshot));
    }

    /// Opens a chat's tab on My Chats.
    pub fn open(&self, chat: ChatId) {
        self.open_tab.set(Some(chat));
    }
}

#[cfg(feature = "hydrate")]
pub mod live {
    //! The console's event stream. `EventSource` reconnects by itself and sends `Last-Event-ID`,
    //! so the server replays exactly what was missed; the model ignores anything it already has.

    use std::cell::RefCell;

    use domain::console::Followup;
    use domain::{ChatEvent, ErrorCode, EventKind};
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{EventSource, MessageEvent};

    use super::Console;
    use crate::api;

    thread_local! {
        /// The open stream, closed when a new one replaces it.
        static STREAM: RefCell<Option<EventSource>> = const { RefCell::new(None) };
    }

    /// Connects (or reconnects) the console's stream from the model's position.
    pub fn connect(console: Console) {
        let after = console.model.with_untracked(|m| m.last_event_id);
        let Ok(source) = EventSource::new(&format!("/api/console/events?last_event_id={after}"))
        else {
            console.live.set(false);
            return;
        };
        let on_event = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
            let Some(data) = message.data().as_string() else {
                return;
            };
            if let Ok(event) = serde_json::from_str::<ChatEvent>(&data) {
                receive(console, &event);
            }
        });
        for name in EventKind::NAMES {
            let _ =
                source.add_event_listener_with_callback(name, on_event.as_ref().unchecked_ref());
        }
        on_event.forget();

        let on_open = Closure::<dyn FnMut()>::new(move || console.live.set(true));
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();

        let on_error = Closure::<dyn FnMut()>::new(move || {
            console.live.set(false);
            let closed = STREAM.with(|stream| {
                stream
                    .borrow()
                    .as_ref()
                    .is_some_and(|s| s.ready_state() == EventSource::CLOSED)
            });
            if closed {
                // The server refused the stream (e.g. the session ended): find out why.
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

    /// Closes the stream (the console is being left).
    pub fn disconnect() {
        STREAM.with(|stream| {
            if let Some(old) = stream.borrow_mut().take() {
                old.close();
            }
        });
    }

    fn receive(console: Console, event: &ChatEvent) {
        let mut followup = Followup::None;
        console.model.update(|model| followup = model.apply(event));
        if let Followup::LoadChat(chat) = followup {
            spawn_local(async move {
                if let Ok(mine) = api::load_chat(chat).await {
                    console.model.update(|model| model.add_my_chat(mine));
                }
            });
        }
    }

    async fn recover(console: Console) {
        gloo_timeout(2_000).await;
        match api::load_console().await {
            Ok(snapshot) => {
                console.load(&snapshot);
                connect(console);
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
    async fn gloo_timeout(millis: i32) {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            let _ =
                window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, millis);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
}
