//! Chat bubble (admins only): the snippet generator. The Configuration form sets the bubble's
//! title, greeting, colour and launcher label; Integration code is what a customer pastes
//! before `</body>`; Preview shows the real bubble on the demo page with the form's current,
//! unsaved values. The server validates and names the field at fault.

use std::time::Duration;

use domain::ErrorCode;
use domain::bubble::BubbleSettings;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::text_field::TextField;
use crate::error::ConsoleError;
use crate::routes::admin_operators::is_admin;
use crate::state::Console;

/// How long the preview waits for typing to pause before it reloads.
const PREVIEW_DELAY: Duration = Duration::from_millis(300);

/// The form's fields, its last failure and whether the last save went through.
#[derive(Clone, Copy)]
struct Form {
    title: RwSignal<String>,
    greeting: RwSignal<String>,
    color: RwSignal<String>,
    launcher_label: RwSignal<String>,
    /// The last save failed: the field at fault (if one) and the message.
    failure: RwSignal<Option<(Option<String>, String)>>,
    saved: RwSignal<bool>,
    busy: RwSignal<bool>,
}

impl Form {
    fn new(settings: &BubbleSettings) -> Self {
        let form = Self {
            title: RwSignal::new(String::new()),
            greeting: RwSignal::new(String::new()),
            color: RwSignal::new(String::new()),
            launcher_label: RwSignal::new(String::new()),
            failure: RwSignal::new(None),
            saved: RwSignal::new(false),
            busy: RwSignal::new(false),
        };
        form.fill(settings);
        form
    }

    fn fill(self, settings: &BubbleSettings) {
        self.title.set(settings.title.clone());
        self.greeting.set(settings.greeting.clone());
        self.color.set(settings.color.clone());
        self.launcher_label.set(settings.launcher_label.clone());
    }

    /// The values as they stand (tracked).
    fn current(self) -> BubbleSettings {
        BubbleSettings {
            title: self.title.get(),
            greeting: self.greeting.get(),
            color: self.color.get(),
            launcher_label: self.launcher_label.get(),
        }
    }

    fn save(self) {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        self.saved.set(false);
        let settings = self.current_untracked();
        spawn_local(async move {
            let answer = api::save_bubble(
                settings.title,
                settings.greeting,
                settings.color,
                settings.launcher_label,
            )
            .await;
            match answer {
                Ok(saved) => {
                    self.fill(&saved);
                    self.failure.set(None);
                    self.saved.set(true);
                }
                Err(ConsoleError(err)) => self.failure.set(Some((err.field, err.message))),
            }
            self.busy.set(false);
        });
    }

    fn current_untracked(self) -> BubbleSettings {
        BubbleSettings {
            title: self.title.get_untracked(),
            greeting: self.greeting.get_untracked(),
            color: self.color.get_untracked(),
            launcher_label: self.launcher_label.get_untracked(),
        }
    }

    /// The failure's message if it names `field` (`None`: the failures that name no field).
    fn error_at(self, field: Option<&str>) -> Option<String> {
        self.failure.with(|failure| {
            let (at, message) = failure.as_ref()?;
            let at = at.as_deref().filter(|at| FIELDS.contains(at));
            (at == field).then(|| message.clone())
        })
    }

    /// The error shown next to `field`.
    fn field_error(self, field: &'static str) -> impl IntoView {
        move || {
            self.error_at(Some(field)).map(|message| {
                view! {
                    <p class="error field-error" role="alert" data-testid=format!("bubble-error-{field}")>
                        {message}
                    </p>
                }
            })
        }
    }
}

/// The fields the server may name.
const FIELDS: [&str; 4] = ["title", "greeting", "color", "launcher_label"];

/// The Chat bubble page.
#[component]
pub fn AdminBubblePage() -> impl IntoView {
    let console = expect_context::<Console>();
    let admin = move || is_admin(console);
    view! {
        <section class="page bubble">
            <h1>"Chat bubble"</h1>
            <Show when=admin fallback=AdminOnly>
                <BubbleEditor />
            </Show>
        </section>
    }
}

#[component]
fn AdminOnly() -> impl IntoView {
    view! {
        <p class="empty" data-testid="bubble-admin-only">
            "Only admins can configure the chat bubble."
        </p>
    }
}

/// Loads the settings and the snippet, then shows the three parts.
#[component]
fn BubbleEditor() -> impl IntoView {
    let loaded = Resource::new(|| (), |()| api::load_bubble());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok((settings, snippet)) => {
                        let form = Form::new(&settings);
                        view! {
                            <div class="bubble-parts">
                                <Configuration form />
                                <IntegrationCode snippet />
                                <Preview form initial=settings />
                            </div>
                        }
                            .into_any()
                    }
                    Err(err) if err.code() == ErrorCode::Forbidden => view! { <AdminOnly /> }.into_any(),
                    Err(err) => view! {
                        <p class="error" data-testid="bubble-error">{err.message().to_owned()}</p>
                    }
                        .into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Configuration(form: Form) -> impl IntoView {
    // Until the page runs in the browser, Save would submit a plain form.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <form
            class="form panel bubble-form"
            data-testid="bubble-form"
            on:submit=move |ev| {
                ev.prevent_default();
                form.save();
            }
        >
            <h2>"Configuration"</h2>
            <TextField label="Title" value=form.title testid="bubble-title" />
            {form.field_error("title")}
            <label>
                "Greeting"
                <textarea
                    rows="3"
                    data-testid="bubble-greeting"
                    prop:value=move || form.greeting.get()
                    on:input=move |ev| form.greeting.set(event_target_value(&ev))
                ></textarea>
            </label>
            {form.field_error("greeting")}
            <label>
                "Colour"
                <span class="color-pick">
                    <input
                        type="color"
                        data-testid="bubble-color"
                        prop:value=move || form.color.get()
                        on:input=move |ev| form.color.set(event_target_value(&ev))
                    />
                    <code data-testid="bubble-color-hex">{move || form.color.get()}</code>
                </span>
            </label>
            {form.field_error("color")}
            <TextField label="Launcher label" value=form.launcher_label testid="bubble-launcher-label" />
            {form.field_error("launcher_label")}
            <div class="actions">
                <button
                    type="submit"
                    data-testid="bubble-save"
                    disabled=move || !hydrated.get() || form.busy.get()
                >
                    "Save"
                </button>
                <Show when=move || form.saved.get()>
                    <span class="saved" role="status" data-testid="bubble-saved">
                        "Saved. The bubble shows it on the next page a visitor opens."
                    </span>
                </Show>
            </div>
            {move || {
                form.error_at(None)
                    .map(|message| {
                        view! { <p class="error" role="alert" data-testid="bubble-error">{message}</p> }
                    })
            }}
        </form>
    }
}

#[component]
fn IntegrationCode(snippet: String) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let text = StoredValue::new(snippet.clone());
    let copy = move |_| {
        copied.set(None);
        let text = text.get_value();
        spawn_local(async move {
            copied.set(Some(copy_text(&text).await));
        });
    };
    view! {
        <section class="panel bubble-code">
            <h2>"Integration code"</h2>
            <p class="hint">
                "Paste this into every page of your site, right before the closing </body> tag."
            </p>
            <pre><code data-testid="bubble-snippet">{snippet}</code></pre>
            <div class="actions">
                <button type="button" data-testid="bubble-copy" on:click=copy>
                    "Copy"
                </button>
                {move || match copied.get() {
                    Some(true) => Some(
                        view! { <span class="saved" role="status" data-testid="bubble-copied">"Copied"</span> }
                            .into_any(),
                    ),
                    Some(false) => Some(
                        view! {
                            <span class="error" role="alert" data-testid="bubble-copy-failed">
                                "Could not copy: select the code and copy it."
                            </span>
                        }
                            .into_any(),
                    ),
                    None => None,
                }}
            </div>
        </section>
    }
}

#[component]
fn Preview(form: Form, initial: BubbleSettings) -> impl IntoView {
    let shown = RwSignal::new(initial);
    // In the browser: the preview follows the form once typing pauses.
    let pending = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let next = form.current();
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(move || shown.set(next), PREVIEW_DELAY).ok();
        pending.set_value(handle);
    });
    let src = move || shown.with(preview_url);
    view! {
        <section class="panel bubble-preview" data-testid="bubble-preview">
            <h2>"Preview"</h2>
            <p class="hint">
                "The real chat bubble on the demo page, with the values above (not yet saved)."
            </p>
            <iframe title="Chat bubble preview" data-testid="bubble-preview-frame" src=src></iframe>
        </section>
    }
}

/// The demo page showing the bubble with `settings` instead of the saved ones.
fn preview_url(settings: &BubbleSettings) -> String {
    format!(
        "/demo?title={}&greeting={}&color={}&launcher_label={}",
        encode(&settings.title),
        encode(&settings.greeting),
        encode(&settings.color),
        encode(&settings.launcher_label),
    )
}

/// Percent-encodes a query value (everything but the unreserved characters).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Puts `text` on the clipboard; answers whether it worked.
#[cfg(feature = "hydrate")]
async fn copy_text(text: &str) -> bool {
    use wasm_bindgen::{JsCast, JsValue};

    let get = |target: &JsValue, name: &str| js_sys::Reflect::get(target, &JsValue::from_str(name));
    let Ok(navigator) = get(&js_sys::global(), "navigator") else {
        return false;
    };
    let Ok(clipboard) = get(&navigator, "clipboard") else {
        return false;
    };
    let Some(write) = get(&clipboard, "writeText")
        .ok()
        .and_then(|write| write.dyn_into::<js_sys::Function>().ok())
    else {
        return false;
    };
    let Some(promise) = write
        .call1(&clipboard, &JsValue::from_str(text))
        .ok()
        .and_then(|promise| promise.dyn_into::<js_sys::Promise>().ok())
    else {
        return false;
    };
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

/// On the server nothing is ever copied (buttons only work in the browser).
#[cfg(not(feature = "hydrate"))]
async fn copy_text(_text: &str) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_url_carries_the_unsaved_values() {
        let settings = BubbleSettings {
            title: "Talk to Acme & co".to_owned(),
            greeting: "Hi! Ça va?".to_owned(),
            color: "#16a34a".to_owned(),
            launcher_label: "Help".to_owned(),
        };
        assert_eq!(
            preview_url(&settings),
            "/demo?title=Talk%20to%20Acme%20%26%20co&greeting=Hi%21%20%C3%87a%20va%3F&color=%2316a34a&launcher_label=Help"
        );
    }
}
