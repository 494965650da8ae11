//! One live stream per browser, shared by all of the operator's console tabs and chat windows.
//!
//! A browser holds about six HTTP/1.1 connections per server; a stream in every tab would take
//! them all, and the seventh tab, or a message being sent, would wait for a free one. So the
//! tabs elect a leader with a Web Lock: the leader alone opens the stream and relays what it
//! hears over a `BroadcastChannel`; when it closes, its lock passes to another tab, which
//! opens the stream from its own position (the server replays what it missed). A tab that
//! joins catches up from its snapshot through a server call, then follows the relay.
//!
//! Where the browser has neither Web Locks nor `BroadcastChannel`, each tab has its own stream.

use std::cell::{Cell, RefCell};

use js_sys::{Function, Promise, Reflect};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{BroadcastChannel, MessageEvent};

/// What the leader tells the other tabs (and they ask of it).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relay {
    /// An event from the stream, as its JSON.
    Event(String),
    /// A signal from the stream, as its JSON.
    Signal(String),
    /// The stream is connected (or not).
    Live(bool),
    /// The server closed the stream for good (session ended, position unknown): find out why.
    Closed,
    /// Load the console afresh (a tab changed the channel filter).
    Resync,
    /// A tab joined: the leader says whether the stream is connected.
    Hello,
}

thread_local! {
    /// Which `join` is current: a lock granted to an earlier one is let go at once.
    static JOINED: Cell<u64> = const { Cell::new(0) };
    static CHANNEL: RefCell<Option<BroadcastChannel>> = const { RefCell::new(None) };
    static LEADER: Cell<bool> = const { Cell::new(false) };
    /// Resolving it lets go of the leader's lock.
    static RELEASE: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Whether this tab shares a stream with the others (rather than having its own).
pub fn sharing() -> bool {
    CHANNEL.with(|c| c.borrow().is_some())
}

/// Whether this tab holds the shared stream (or has a stream of its own).
pub fn leads() -> bool {
    !sharing() || LEADER.get()
}

/// Joins the operator's tabs: `on_message` hears what the others say, `on_lead` runs once
/// this tab becomes the leader. Answers false where the browser cannot share (the caller then
/// opens a stream of its own).
pub fn join(
    operator: &str,
    on_message: impl Fn(Relay) + 'static,
    on_lead: impl FnOnce() + 'static,
) -> bool {
    let Ok(navigator) = Reflect::get(&leptos::prelude::window(), &JsValue::from_str("navigator"))
    else {
        return false;
    };
    let Ok(locks) = Reflect::get(&navigator, &JsValue::from_str("locks")) else {
        return false;
    };
    let request = Reflect::get(&locks, &JsValue::from_str("request"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok());
    let Some(request) = request.filter(|_| locks.is_object()) else {
        return false;
    };
    let Ok(channel) = BroadcastChannel::new(&format!("switchboard-console-{operator}")) else {
        return false;
    };
    let listener = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
        let relay = message
            .data()
            .as_string()
            .and_then(|text| crate::json::parse::<Relay>(&text).ok());
        if let Some(relay) = relay {
            on_message(relay);
        }
    });
    channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
    listener.forget();
    CHANNEL.with(|c| *c.borrow_mut() = Some(channel));

    // The lock is held for as long as the promise the callback answers is pending.
    let joined = JOINED.get() + 1;
    JOINED.set(joined);
    let mut on_lead = Some(on_lead);
    let granted = Closure::<dyn FnMut(JsValue) -> Promise>::new(move |_lock: JsValue| {
        if JOINED.get() != joined {
            return Promise::resolve(&JsValue::NULL);
        }
        LEADER.set(true);
        if let Some(on_lead) = on_lead.take() {
            on_lead();
        }
        Promise::new(&mut |resolve, _| {
            RELEASE.with(|r| *r.borrow_mut() = Some(resolve));
        })
    });
    let name = JsValue::from_str(&format!("switchboard-console-stream-{operator}"));
    if request
        .call2(&locks, &name, granted.as_ref().unchecked_ref())
        .is_err()
    {
        CHANNEL.with(|c| {
            if let Some(channel) = c.borrow_mut().take() {
                channel.close();
            }
        });
        return false;
    }
    granted.forget();
    tell(&Relay::Hello);
    true
}

/// Tells the other tabs.
pub fn tell(relay: &Relay) {
    let Ok(text) = serde_json::to_string(relay) else {
        return;
    };
    CHANNEL.with(|c| {
        if let Some(channel) = c.borrow().as_ref() {
            let _ = channel.post_message(&JsValue::from_str(&text));
        }
    });
}

/// Leaves the other tabs (the console is being left): the stream passes to another tab.
pub fn leave() {
    JOINED.set(JOINED.get() + 1);
    LEADER.set(false);
    if let Some(release) = RELEASE.with(|r| r.borrow_mut().take()) {
        let _ = release.call0(&JsValue::NULL);
    }
    CHANNEL.with(|c| {
        if let Some(channel) = c.borrow_mut().take() {
            channel.set_onmessage(None);
            channel.close();
        }
    });
}
