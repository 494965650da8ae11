//! The visitor's side of a voice call (V7 O26): the bubble rings when an operator calls, and
//! Accept loads the shared `voice.js` (only then) for the browser's WebRTC. Signals go to the
//! operator through the visitor API; theirs arrive on the chat's stream.

use std::cell::RefCell;

use domain::ChatId;
use domain::call::CallSignal;
use js_sys::{Function, Reflect};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::api;

/// The call ringing or under way, as the panel shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VisitorCall {
    /// The chat.
    pub chat_id: ChatId,
    /// Who calls.
    pub operator: String,
    /// "ringing" until accepted; then as `voice.js` tells.
    pub state: String,
    /// Whether the visitor's microphone is off.
    pub muted: bool,
}

thread_local! {
    static SESSION: RefCell<Option<JsValue>> = const { RefCell::new(None) };
}

/// `SwitchboardVoice`, loading `voice.js` from the Switchboard server the first time.
async fn module(base: &str) -> Option<JsValue> {
    let window = web_sys::window()?;
    let key = JsValue::from_str("SwitchboardVoice");
    if let Some(found) = Reflect::get(&window, &key).ok().filter(JsValue::is_object) {
        return Some(found);
    }
    let document = window.document()?;
    let script = document.create_element("script").ok()?;
    script
        .set_attribute("src", &format!("{base}/widget/voice.js"))
        .ok()?;
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

fn session_call(name: &str, arg: &JsValue) {
    SESSION.with(|s| {
        if let Some(session) = s.borrow().as_ref()
            && let Some(f) = method(session, name)
        {
            let _ = f.call1(session, arg);
        }
    });
}

/// Takes the call: the microphone, then "accept"; the operator's browser then offers.
pub fn accept(
    call: RwSignal<Option<VisitorCall>>,
    base: String,
    token: String,
    ice_servers: &[domain::call::IceServer],
) {
    let ice = serde_json::to_string(ice_servers).unwrap_or_else(|_| "[]".to_owned());
    let Some(chat_id) = call.with_untracked(|c| c.as_ref().map(|c| c.chat_id)) else {
        return;
    };
    set_state(call, "connecting");
    spawn_local(async move {
        let Some(module) = module(&base).await else {
            set_state(call, "failed");
            return;
        };
        let (to_base, to_token) = (base.clone(), token.clone());
        let send = Closure::<dyn Fn(JsValue)>::new(move |signal: JsValue| {
            let Some(signal) = js_sys::JSON::stringify(&signal)
                .ok()
                .and_then(|t| serde_json::from_str::<CallSignal>(&String::from(t)).ok())
            else {
                return;
            };
            let (base, token) = (to_base.clone(), to_token.clone());
            spawn_local(async move {
                let _ = api::call_signal(&base, &token, chat_id, &signal).await;
            });
        });
        let onstate = Closure::<dyn Fn(JsValue)>::new(move |state: JsValue| {
            set_state(call, &state.as_string().unwrap_or_default());
        });
        let options = js_sys::Object::new();
        let _ = Reflect::set(&options, &"caller".into(), &JsValue::FALSE);
        if let Ok(servers) = js_sys::JSON::parse(&ice) {
            let _ = Reflect::set(&options, &"iceServers".into(), &servers);
        }
        let _ = Reflect::set(&options, &"send".into(), send.as_ref());
        let _ = Reflect::set(&options, &"onstate".into(), onstate.as_ref());
        send.forget();
        onstate.forget();
        let Some(session) = method(&module, "start").and_then(|f| f.call1(&module, &options).ok())
        else {
            set_state(call, "failed");
            return;
        };
        if let Some(accept) = method(&session, "accept") {
            let _ = accept.call0(&session);
        }
        SESSION.with(|s| *s.borrow_mut() = Some(session));
    });
}

fn set_state(call: RwSignal<Option<VisitorCall>>, state: &str) {
    call.try_update(|c| {
        if let Some(c) = c.as_mut() {
            state.clone_into(&mut c.state);
        }
    });
}

/// A signal from the operator of the call.
pub fn hear(signal: &CallSignal) {
    if let Ok(text) = serde_json::to_string(signal)
        && let Ok(value) = js_sys::JSON::parse(&text)
    {
        session_call("receive", &value);
    }
}

/// Mutes or unmutes the visitor's microphone.
pub fn mute(call: RwSignal<Option<VisitorCall>>, on: bool) {
    session_call("mute", &JsValue::from_bool(on));
    call.try_update(|c| {
        if let Some(c) = c.as_mut() {
            c.muted = on;
        }
    });
}

/// The call is over here (hung up, declined, or ended by the operator or with the chat).
pub fn close(call: RwSignal<Option<VisitorCall>>) {
    session_call("close", &JsValue::UNDEFINED);
    SESSION.with(|s| *s.borrow_mut() = None);
    call.try_set(None);
}

/// Hangs up (or declines the ringing call) and tells the server.
pub fn end(call: RwSignal<Option<VisitorCall>>, base: String, token: String) {
    let Some((chat_id, ringing)) =
        call.with_untracked(|c| c.as_ref().map(|c| (c.chat_id, c.state == "ringing")))
    else {
        return;
    };
    close(call);
    spawn_local(async move {
        let _ = api::end_call(&base, &token, chat_id, ringing).await;
    });
}
