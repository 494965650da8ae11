//! Chat bubble (admins only): the snippet generator. The Configuration form sets the bubble's
//! title, greeting, colour and launcher label; Integration code is what a customer pastes
//! before `</body>`; Preview shows the real bubble on the demo page with the form's current,
//! unsaved values. The server validates and names the field at fault.

use std::time::Duration;

use domain::ChannelId;
use domain::ErrorCode;
use domain::bubble::{BubbleSettings, snippet};
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;
use leptos::task::spawn_local;

use crate::api;
use crate::components::form_failure::Failure;
use crate::components::text_field::TextField;
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
    /// The last save's failure.
    failure: Failure,
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
            failure: Failure::new("bubble", &FIELDS),
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
        self.saved.set(false);
        let request = api::save_bubble(self.current_untracked());
        self.failure.submit(self.busy, request, move |saved| {
            self.fill(&saved);
            self.saved.set(true);
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
    let loaded = crate::json::resource(|| (), |()| api::load_bubble());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok((settings, origin)) => {
                        let form = Form::new(&settings);
                        let channel = RwSignal::new(None::<ChannelId>);
                        view! {
                            <div class="bubble-parts">
                                <Configuration form />
                                <IntegrationCode origin channel />
                                <Preview form initial=settings channel />
                            </div>
                        }
                            .into_any_at_once()
                    }
                    Err(err) if err.code() == ErrorCode::Forbidden => view! { <AdminOnly /> }.into_any_at_once(),
                    Err(err) => view! {
                        <p class="error" data-testid="bubble-error">{err.message().to_owned()}</p>
                    }
                        .into_any_at_once(),
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
            {form.failure.field("title")}
            <label>
                "Greeting"
                <textarea
                    rows="3"
                    data-testid="bubble-greeting"
                    prop:value=move || form.greeting.get()
                    on:input=move |ev| form.greeting.set(event_target_value(&ev))
                ></textarea>
            </label>
            {form.failure.field("greeting")}
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
            {form.failure.field("color")}
            <TextField label="Launcher label" value=form.launcher_label testid="bubble-launcher-label" />
            {form.failure.field("launcher_label")}
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
            {form.failure.general()}
        </form>
    }
}

/// The code to paste, bound to a channel or letting visitors pick one.
#[component]
fn IntegrationCode(origin: String, channel: RwSignal<Option<ChannelId>>) -> impl IntoView {
    let console = expect_context::<Console>();
    let copied = RwSignal::new(None::<bool>);
    let snippet = Memo::new(move |_| snippet(&origin, channel.get()));
    let open_channels = move || {
        console.model.with(|m| {
            m.channels
                .iter()
                .filter(|c| !c.archived)
                .map(|c| (c.id, c.name.clone()))
                .collect::<Vec<_>>()
        })
    };
    let copy = move |_| {
        copied.set(None);
        let text = snippet.get_untracked();
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
            <label>
                "Channel"
                <select
                    data-testid="bubble-channel"
                    on:change=move |ev| channel.set(event_target_value(&ev).parse().ok())
                >
                    <option value="" selected=move || channel.get().is_none()>
                        "None: visitors pick a department"
                    </option>
                    {move || {
                        open_channels()
                            .into_iter()
                            .map(|(id, name)| {
                                view! {
                                    <option value=id.to_string() selected=move || channel.get() == Some(id)>
                                        {name}
                                    </option>
                                }
                            })
                            .collect_view()
                    }}
                </select>
            </label>
            <pre><code data-testid="bubble-snippet">{move || snippet.get()}</code></pre>
            <div class="actions">
                <button type="button" data-testid="bubble-copy" on:click=copy>
                    "Copy"
                </button>
                {move || match copied.get() {
                    Some(true) => Some(
                        view! { <span class="saved" role="status" data-testid="bubble-copied">"Copied"</span> }
                            .into_any_at_once(),
                    ),
                    Some(false) => Some(
                        view! {
                            <span class="error" role="alert" data-testid="bubble-copy-failed">
                                "Could not copy: select the code and copy it."
                            </span>
                        }
                            .into_any_at_once(),
                    ),
                    None => None,
                }}
            </div>
        </section>
    }
}

#[component]
fn Preview(
    form: Form,
    initial: BubbleSettings,
    channel: RwSignal<Option<ChannelId>>,
) -> impl IntoView {
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
    let src = move || {
        let channel = channel.get();
        shown.with(|settings| preview_url(settings, channel))
    };
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

/// The demo page showing the bubble with `settings` instead of the saved ones, bound to
/// `channel` if one is chosen.
fn preview_url(settings: &BubbleSettings, channel: Option<ChannelId>) -> String {
    let channel = channel
        .map(|id| format!("&channel={id}"))
        .unwrap_or_default();
    format!(
        "/bubble-preview?title={}&greeting={}&color={}&launcher_label={}{channel}",
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
            preview_url(&settings, None),
            "/bubble-preview?title=Talk%20to%20Acme%20%26%20co&greeting=Hi%21%20%C3%87a%20va%3F&color=%2316a34a&launcher_label=Help"
        );
    }
}
