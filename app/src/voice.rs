//! The operator's side of a voice call (V7 O26): the call button, the call bar with Mute and
//! Hang up, and the glue to the browser's WebRTC, which lives in the shared `voice.js` the
//! console fetches from the server only when a call starts. The server relays the signalling;
//! this console passes on what it hears for its call and ends it when the chat says so.

use domain::ChatId;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::state::Console;

/// The call this console is in, as its bar shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallView {
    /// The chat.
    pub chat_id: ChatId,
    /// Whom with.
    pub visitor: String,
    /// "ringing", "connecting", "connected", "muted-by-peer", "failed", "ended".
    pub state: String,
    /// Whether my microphone is off.
    pub muted: bool,
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;

    use js_sys::{Function, Reflect};
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;

    thread_local! {
        /// The WebRTC session of the call, from `voice.js`.
        static SESSION: RefCell<Option<JsValue>> = const { RefCell::new(None) };
    }

    /// `SwitchboardVoice`, loading `voice.js` the first time.
    pub async fn module() -> Option<JsValue> {
        let window = web_sys::window()?;
        let key = JsValue::from_str("SwitchboardVoice");
        if let Some(found) = Reflect::get(&window, &key).ok().filter(JsValue::is_object) {
            return Some(found);
        }
        let document = window.document()?;
        let script = document.create_element("script").ok()?;
        script.set_attribute("src", "/widget/voice.js").ok()?;
        let loaded = js_sys::Promise::new(&mut |resolve, reject| {
            let _ = Reflect::set(&script, &JsValue::from_str("onload"), &resolve);
            let _ = Reflect::set(&script, &JsValue::from_str("onerror"), &reject);
        });
        document.head()?.append_child(&script).ok()?;
        wasm_bindgen_futures::JsFuture::from(loaded).await.ok()?;
        Reflect::get(&window, &key).ok().filter(JsValue::is_object)
    }

    fn method(target: &JsValue, name: &str) -> Option<Function> {
        Reflect::get(target, &JsValue::from_str(name))
            .ok()?
            .dyn_into::<Function>()
            .ok()
    }

    /// Starts the caller's session: `send` posts a signal, `onstate` hears its states.
    pub fn start(
        module: &JsValue,
        ice_servers: &str,
        send: impl Fn(String) + 'static,
        onstate: impl Fn(String) + 'static,
    ) -> bool {
        let send = Closure::<dyn Fn(JsValue)>::new(move |signal: JsValue| {
            if let Ok(text) = js_sys::JSON::stringify(&signal) {
                send(String::from(text));
            }
        });
        let onstate = Closure::<dyn Fn(JsValue)>::new(move |state: JsValue| {
            onstate(state.as_string().unwrap_or_default());
        });
        let options = js_sys::Object::new();
        let _ = Reflect::set(&options, &"caller".into(), &JsValue::TRUE);
        if let Ok(servers) = js_sys::JSON::parse(ice_servers) {
            let _ = Reflect::set(&options, &"iceServers".into(), &servers);
        }
        let _ = Reflect::set(&options, &"send".into(), send.as_ref());
        let _ = Reflect::set(&options, &"onstate".into(), onstate.as_ref());
        send.forget();
        onstate.forget();
        let Some(start) = method(module, "start") else {
            return false;
        };
        match start.call1(module, &options) {
            Ok(session) => {
                SESSION.with(|s| *s.borrow_mut() = Some(session));
                true
            }
            Err(_) => false,
        }
    }

    fn call(name: &str, arg: &JsValue) {
        SESSION.with(|s| {
            if let Some(session) = s.borrow().as_ref()
                && let Some(f) = method(session, name)
            {
                let _ = f.call1(session, arg);
            }
        });
    }

    /// Passes on a signal from the visitor.
    pub fn receive(signal: &str) {
        if let Ok(value) = js_sys::JSON::parse(signal) {
            call("receive", &value);
        }
    }

    pub fn mute(on: bool) {
        call("mute", &JsValue::from_bool(on));
    }

    pub fn close() {
        call("close", &JsValue::UNDEFINED);
        SESSION.with(|s| *s.borrow_mut() = None);
    }
}

/// Calls the visitor of a chat I take part in.
pub fn start_call(console: Console, chat_id: ChatId, visitor: String) {
    if console.call.with_untracked(Option::is_some) {
        return;
    }
    console.call.set(Some(CallView {
        chat_id,
        visitor,
        state: "ringing".to_owned(),
        muted: false,
    }));
    spawn_local(async move {
        match api::start_call(chat_id).await {
            Ok(()) => connect(console, chat_id).await,
            Err(err) => {
                console.call.set(None);
                console.report(&err);
            }
        }
    });
}

/// Loads `voice.js` and starts the caller's side; the visitor's accept makes it offer.
#[cfg(feature = "hydrate")]
async fn connect(console: Console, chat_id: ChatId) {
    let Some(module) = browser::module().await else {
        console
            .notice
            .set(Some("Voice calls could not be loaded.".to_owned()));
        hang_up(console);
        return;
    };
    let send = move |text: String| {
        let Ok(signal) = crate::json::parse(&text) else {
            return;
        };
        spawn_local(async move {
            let _ = api::send_call_signal(api::CallSignalInput { chat_id, signal }).await;
        });
    };
    let onstate = move |state: String| {
        console.call.try_update(|c| {
            if let Some(c) = c.as_mut() {
                c.state = state;
            }
        });
    };
    let ice = api::ice_servers().await.unwrap_or_default();
    let ice = serde_json::to_string(&ice).unwrap_or_else(|_| "[]".to_owned());
    browser::start(&module, &ice, send, onstate);
}

#[cfg(not(feature = "hydrate"))]
async fn connect(_console: Console, _chat_id: ChatId) {}

/// A signal from the visitor of my call.
#[cfg_attr(
    not(feature = "hydrate"),
    allow(
        dead_code,
        unused_variables,
        reason = "signals reach the browser's console only"
    )
)]
pub fn hear(console: Console, chat_id: ChatId, signal: &domain::call::CallSignal) {
    let mine = console
        .call
        .with_untracked(|c| c.as_ref().map(|c| c.chat_id))
        == Some(chat_id);
    #[cfg(feature = "hydrate")]
    if mine && let Ok(text) = serde_json::to_string(signal) {
        browser::receive(&text);
    }
}

/// The chat recorded the end of its call (either side hung up, or the visitor declined).
#[cfg_attr(
    not(feature = "hydrate"),
    allow(dead_code, reason = "events reach the browser's console only")
)]
pub fn ended(console: Console, chat_id: ChatId) {
    if console
        .call
        .with_untracked(|c| c.as_ref().map(|c| c.chat_id))
        == Some(chat_id)
    {
        #[cfg(feature = "hydrate")]
        browser::close();
        console.call.set(None);
    }
}

fn hang_up(console: Console) {
    let Some(chat_id) = console
        .call
        .with_untracked(|c| c.as_ref().map(|c| c.chat_id))
    else {
        return;
    };
    #[cfg(feature = "hydrate")]
    browser::close();
    console.call.set(None);
    spawn_local(async move {
        let _ = api::end_call(chat_id).await;
    });
}

/// The bar of the call under way: whom with, how it stands, Mute and Hang up.
#[component]
pub fn CallBar() -> impl IntoView {
    let console = expect_context::<Console>();
    move || {
        console.call.get().map(|call| {
            let state = match call.state.as_str() {
                "ringing" => "Calling…",
                "connecting" => "Connecting…",
                "connected" => "Connected",
                "muted-by-peer" => "Connected (the visitor muted)",
                "failed" => "The call could not connect",
                _ => "Call ended",
            };
            let muted = call.muted;
            view! {
                <div class="call-bar" role="status" data-testid="call-bar">
                    <span>"Voice call with " {call.visitor.clone()} ": "</span>
                    <strong data-testid="call-state" data-state=call.state.clone()>{state}</strong>
                    <button
                        type="button"
                        data-testid="call-mute"
                        aria-pressed=muted.to_string()
                        on:click=move |_| {
                            let on = !muted;
                            #[cfg(feature = "hydrate")]
                            browser::mute(on);
                            console.call.update(|c| {
                                if let Some(c) = c.as_mut() {
                                    c.muted = on;
                                }
                            });
                        }
                    >
                        {if muted { "Unmute" } else { "Mute" }}
                    </button>
                    <button type="button" class="danger" data-testid="call-hangup" on:click=move |_| hang_up(console)>
                        "Hang up"
                    </button>
                </div>
            }
        })
    }
}
