//! Thin, failure-tolerant wrappers around the browser APIs the bubble needs.

use std::fmt::Write as _;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

const TOKEN_KEY: &str = "switchboard:token";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The visitor token saved by an earlier page, if any.
pub fn load_token() -> Option<String> {
    storage()?
        .get_item(TOKEN_KEY)
        .ok()
        .flatten()
        .filter(|t| !t.is_empty())
}

/// Saves the visitor token for later pages.
pub fn save_token(token: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(TOKEN_KEY, token);
    }
}

/// Forgets the visitor token.
pub fn remove_token() {
    if let Some(s) = storage() {
        let _ = s.remove_item(TOKEN_KEY);
    }
}

thread_local! {
    /// Waits for a retry that end early when the network may be back.
    static WAITING: std::cell::RefCell<Vec<Function>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Ends every [`retry_after`] wait now.
fn wake_retries() {
    for resolve in WAITING.with(|w| std::mem::take(&mut *w.borrow_mut())) {
        let _ = resolve.call0(&JsValue::NULL);
    }
}

/// Retries are cut short when the browser says it is back online or the page is shown again:
/// a visitor coming back sees the chat catch up at once, not after the backoff.
pub fn wake_retries_on_return() {
    use wasm_bindgen::closure::Closure;
    let Some(window) = web_sys::window() else {
        return;
    };
    let on_online = Closure::<dyn FnMut()>::new(wake_retries);
    let _ = window.add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
    on_online.forget();
    if let Some(document) = window.document() {
        let shown = document.clone();
        let on_visible = Closure::<dyn FnMut()>::new(move || {
            if !shown.hidden() {
                wake_retries();
            }
        });
        let _ = document.add_event_listener_with_callback(
            "visibilitychange",
            on_visible.as_ref().unchecked_ref(),
        );
        on_visible.forget();
    }
}

/// Whether the conversation is in front of the visitor: the page shown and the panel open
/// (the loader hides the panel's container when the bubble is closed).
pub fn panel_shown() -> bool {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return false;
    };
    !document.hidden()
        && document
            .query_selector("[data-testid=sb-messages]")
            .ok()
            .flatten()
            .is_some_and(|list| list.closest("[hidden]").ok().flatten().is_none())
}

/// Whether the page is hidden (another tab, minimised).
pub fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

/// Waits before a retry: `ms` with jitter (between half and all of it, so that many bubbles
/// cut off together do not come back together), or less if the network comes back meanwhile.
pub async fn retry_after(ms: i32) {
    let jittered = (f64::from(ms) * (0.5 + js_sys::Math::random() * 0.5)) as i32;
    let promise = Promise::new(&mut |resolve, _reject| {
        WAITING.with(|w| w.borrow_mut().push(resolve.clone()));
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, jittered);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _reject| match web_sys::window() {
        Some(w) => {
            if w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
                .is_err()
            {
                let _ = resolve.call0(&JsValue::NULL);
            }
        }
        None => {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Milliseconds since the Unix epoch (`Date.now()`).
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// A fresh idempotency key: `crypto.randomUUID()` where available (secure contexts), otherwise
/// 128 bits from `Math.random`.
pub fn new_client_id() -> String {
    if let Some(id) = random_uuid() {
        return id;
    }
    let mut id = String::from("c-");
    for _ in 0..4 {
        let n = (js_sys::Math::random() * 4_294_967_296.0) as u32;
        let _ = write!(id, "{n:08x}");
    }
    id
}

fn random_uuid() -> Option<String> {
    let window = web_sys::window()?;
    let crypto = Reflect::get(&window, &JsValue::from_str("crypto")).ok()?;
    let f = Reflect::get(&crypto, &JsValue::from_str("randomUUID")).ok()?;
    f.dyn_ref::<Function>()?.call0(&crypto).ok()?.as_string()
}

/// Asks the loader to minimise the panel (`window.SwitchboardLoader.close()`), if it is there.
pub fn loader_close() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(loader) = Reflect::get(&window, &JsValue::from_str("SwitchboardLoader")) else {
        return;
    };
    if !loader.is_object() {
        return;
    }
    if let Ok(close) = Reflect::get(&loader, &JsValue::from_str("close"))
        && let Some(close) = close.dyn_ref::<Function>()
    {
        let _ = close.call0(&loader);
    }
}

/// `navigator.language`.
pub fn language() -> Option<String> {
    web_sys::window()?
        .navigator()
        .language()
        .filter(|l| !l.is_empty())
}

/// Saves `text` as a file named `name`, as a download link would.
pub fn download_text(name: &str, text: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(link) = document.create_element("a") else {
        return;
    };
    let href = format!(
        "data:text/plain;charset=utf-8,{}",
        js_sys::encode_uri_component(text)
    );
    let _ = link.set_attribute("href", &href);
    let _ = link.set_attribute("download", name);
    let Some(body) = document.body() else {
        return;
    };
    let _ = body.append_child(&link);
    if let Ok(link) = link.dyn_into::<web_sys::HtmlElement>() {
        link.click();
        link.remove();
    }
}

/// `location.href`.
pub fn page_url() -> Option<String> {
    web_sys::window()?.location().href().ok()
}

/// `document.referrer`.
pub fn referrer() -> Option<String> {
    Some(web_sys::window()?.document()?.referrer()).filter(|r| !r.is_empty())
}
