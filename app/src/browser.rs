//! The browser APIs the console uses to catch an operator's attention (a short beep with Web
//! Audio, desktop notifications) and to keep small things (local storage, a cookie). Declared here,
//! typed, for the few calls we make; every call fails quietly where the browser does not
//! support or allow it.

use std::cell::RefCell;

use leptos::prelude::window;
use wasm_bindgen::prelude::*;

/// Calls `localStorage.<method>(args…)`; `None` where storage is missing or refused.
fn local_storage(method: &str, args: &js_sys::Array) -> Option<JsValue> {
    let storage =
        js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("localStorage")).ok()?;
    let function = js_sys::Reflect::get(&storage, &JsValue::from_str(method))
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    function.apply(&storage, args).ok()
}

/// A value this browser keeps for the console, if any (and if storage is allowed).
pub fn remembered(key: &str) -> Option<String> {
    local_storage("getItem", &js_sys::Array::of1(&JsValue::from_str(key)))?.as_string()
}

/// Keeps a value in this browser; where storage is blocked it is simply not kept.
pub fn remember(key: &str, value: &str) {
    let _ = local_storage(
        "setItem",
        &js_sys::Array::of2(&JsValue::from_str(key), &JsValue::from_str(value)),
    );
}

/// Sets a cookie for the console's own pages: a small choice the server needs when it renders
/// them (the dashboard's channel filter). Fails quietly where cookies are refused.
pub fn set_cookie(name: &str, value: &str, max_age_seconds: u32) {
    let cookie = format!("{name}={value}; Path=/; Max-Age={max_age_seconds}; SameSite=Lax");
    let _ = js_sys::Reflect::set(
        &leptos::prelude::document(),
        &JsValue::from_str("cookie"),
        &JsValue::from_str(&cookie),
    );
}

#[wasm_bindgen]
extern "C" {
    #[derive(Debug, Clone)]
    type AudioContext;
    #[wasm_bindgen(constructor, catch)]
    fn new() -> Result<AudioContext, JsValue>;
    #[wasm_bindgen(method, getter, js_name = currentTime)]
    fn current_time(this: &AudioContext) -> f64;
    #[wasm_bindgen(method, getter)]
    fn destination(this: &AudioContext) -> AudioNode;
    #[wasm_bindgen(method)]
    fn resume(this: &AudioContext) -> js_sys::Promise;
    #[wasm_bindgen(method, catch, js_name = createOscillator)]
    fn create_oscillator(this: &AudioContext) -> Result<OscillatorNode, JsValue>;
    #[wasm_bindgen(method, catch, js_name = createGain)]
    fn create_gain(this: &AudioContext) -> Result<GainNode, JsValue>;

    #[derive(Debug, Clone)]
    type AudioNode;
    #[wasm_bindgen(method, catch)]
    fn connect(this: &AudioNode, destination: &AudioNode) -> Result<AudioNode, JsValue>;

    #[wasm_bindgen(extends = AudioNode)]
    #[derive(Debug, Clone)]
    type OscillatorNode;
    #[wasm_bindgen(method, getter)]
    fn frequency(this: &OscillatorNode) -> AudioParam;
    #[wasm_bindgen(method, catch)]
    fn start(this: &OscillatorNode) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn stop(this: &OscillatorNode, when: f64) -> Result<(), JsValue>;

    #[wasm_bindgen(extends = AudioNode)]
    #[derive(Debug, Clone)]
    type GainNode;
    #[wasm_bindgen(method, getter)]
    fn gain(this: &GainNode) -> AudioParam;

    #[derive(Debug, Clone)]
    type AudioParam;
    #[wasm_bindgen(method, catch, js_name = setValueAtTime)]
    fn set_value_at_time(this: &AudioParam, value: f32, at: f64) -> Result<AudioParam, JsValue>;
    #[wasm_bindgen(method, catch, js_name = exponentialRampToValueAtTime)]
    fn ramp_to(this: &AudioParam, value: f32, at: f64) -> Result<AudioParam, JsValue>;

    #[derive(Debug, Clone)]
    type Notification;
    #[wasm_bindgen(constructor, catch)]
    fn new(title: &str, options: &js_sys::Object) -> Result<Notification, JsValue>;
    #[wasm_bindgen(static_method_of = Notification, getter)]
    fn permission() -> String;
    #[wasm_bindgen(static_method_of = Notification, js_name = requestPermission, catch)]
    fn request_permission() -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(method, setter)]
    fn set_onclick(this: &Notification, handler: &js_sys::Function);
    #[wasm_bindgen(method)]
    fn close(this: &Notification);
}

thread_local! {
    /// One audio context for the page (browsers limit how many may exist).
    static AUDIO: RefCell<Option<AudioContext>> = const { RefCell::new(None) };
}

/// Length of the beep, in seconds.
const BEEP_SECONDS: f64 = 0.25;

/// A short beep.
pub fn beep() {
    // A browser without Web Audio (or one that refuses it) stays silent.
    let _ = try_beep();
}

fn try_beep() -> Result<(), JsValue> {
    let audio = AUDIO.with(|audio| {
        let mut audio = audio.borrow_mut();
        match audio.as_ref() {
            Some(context) => Ok(context.clone()),
            None => AudioContext::new().map(|context| audio.insert(context).clone()),
        }
    })?;
    // Suspended until the page has had a user gesture; resuming is allowed after one.
    let _ = audio.resume();
    let tone = audio.create_oscillator()?;
    let volume = audio.create_gain()?;
    let start = audio.current_time();
    tone.frequency().set_value_at_time(880.0, start)?;
    volume.gain().set_value_at_time(0.2, start)?;
    volume.gain().ramp_to(0.001, start + BEEP_SECONDS)?;
    tone.connect(&volume)?;
    volume.connect(&audio.destination())?;
    tone.start()?;
    tone.stop(start + BEEP_SECONDS)
}

fn notifications_supported() -> bool {
    js_sys::Reflect::has(&js_sys::global(), &JsValue::from_str("Notification")).unwrap_or(false)
}

/// Whether the operator has not yet been asked to allow desktop notifications (and could be).
pub fn may_ask_for_notifications() -> bool {
    notifications_supported() && Notification::permission() == "default"
}

/// Asks the operator to allow desktop notifications; answers whether they did.
pub async fn ask_for_notifications() -> bool {
    if !notifications_supported() {
        return false;
    }
    let Ok(asked) = Notification::request_permission() else {
        return false;
    };
    let _ = wasm_bindgen_futures::JsFuture::from(asked).await;
    Notification::permission() == "granted"
}

/// Shows a desktop notification if the operator allowed them. Clicking it brings the console
/// to the front and runs `on_click`. Notifications with the same `tag` replace each other.
pub fn notify(title: &str, body: &str, tag: &str, on_click: impl FnOnce() + 'static) {
    if !notifications_supported() || Notification::permission() != "granted" {
        return;
    }
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"body".into(), &body.into());
    let _ = js_sys::Reflect::set(&options, &"tag".into(), &tag.into());
    let Ok(notification) = Notification::new(title, &options) else {
        return;
    };
    let shown = notification.clone();
    let click = Closure::once_into_js(move || {
        let _ = window().focus();
        shown.close();
        on_click();
    });
    notification.set_onclick(click.unchecked_ref());
}
