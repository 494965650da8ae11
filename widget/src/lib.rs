//! The visitor chat bubble: client-side Leptos, talking only to the public visitor API
//! (DESIGN §7). `loader.js` loads this module on the first click and calls [`mount`].

mod api;
mod browser;
mod conversation;
mod sse;
mod state;
mod view;
mod voice;

use std::collections::BTreeMap;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::state::{Options, accent};

/// Renders the panel inside `root`. `base` is the Switchboard origin (`https://host`);
/// `options` is `{fields: {k: v}, name?, email?, title?, greeting?, color?, channel?}` from the
/// snippet's data attributes, and `config?`, the server's config the loader fetched; `title`,
/// `greeting` and `color` (`#rrggbb`, else ignored) override the server's config.
#[wasm_bindgen]
pub fn mount(root: web_sys::HtmlElement, base: String, options: JsValue) {
    console_error_panic_hook::set_once();
    let parsed = parse_options(&options);
    let base = base.trim_end_matches('/').to_owned();
    // Start Chat on a later invitation: the loader sets `options.invitation` and tells the
    // panel, already on the page, by an event on its root.
    let on_invitation = Closure::<dyn Fn()>::new(move || {
        if let Some(invitation) = parse_invitation(&options) {
            state::invited(invitation);
        }
    });
    let _ = root.add_event_listener_with_callback(
        "switchboard:invitation",
        on_invitation.as_ref().unchecked_ref(),
    );
    on_invitation.forget();
    leptos::mount::mount_to(root, move || view::panel(base, parsed)).forget();
}

fn parse_invitation(options: &JsValue) -> Option<state::Invitation> {
    let invitation = Reflect::get(options, &JsValue::from_str("invitation")).ok()?;
    if !invitation.is_object() {
        return None;
    }
    Some(state::Invitation {
        id: string_field(&invitation, "id")?.parse().ok()?,
        operator_name: string_field(&invitation, "operator_name").unwrap_or_default(),
        message: string_field(&invitation, "message").unwrap_or_default(),
    })
}

fn string_field(object: &JsValue, key: &str) -> Option<String> {
    Reflect::get(object, &JsValue::from_str(key))
        .ok()?
        .as_string()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn parse_options(options: &JsValue) -> Options {
    if !options.is_object() {
        return Options::default();
    }
    let mut fields = BTreeMap::new();
    if let Ok(value) = Reflect::get(options, &JsValue::from_str("fields"))
        && let Some(object) = value.dyn_ref::<Object>()
    {
        for entry in Object::entries(object).iter() {
            let pair = Array::from(&entry);
            if let (Some(key), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                fields.insert(key, value);
            }
        }
    }
    Options {
        fields,
        name: string_field(options, "name"),
        email: string_field(options, "email"),
        title: string_field(options, "title"),
        greeting: string_field(options, "greeting"),
        color: string_field(options, "color").and_then(|c| accent(&c)),
        channel: string_field(options, "channel").and_then(|c| c.trim().parse().ok()),
        config: Reflect::get(options, &JsValue::from_str("config"))
            .ok()
            .filter(JsValue::is_object)
            .and_then(|config| js_sys::JSON::stringify(&config).ok())
            .and_then(|text| text.as_string())
            .and_then(|text| serde_json::from_str(&text).ok()),
        invitation: parse_invitation(options),
    }
}
