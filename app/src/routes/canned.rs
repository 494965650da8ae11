//! Canned messages: the shared ones (kept by supervisors and admins) and my own, each with its
//! title, `/shortcut` and text, and the form that adds or changes one. The server decides who
//! may change what; this page offers only what it would allow and shows its answers.

use domain::CannedId;
use domain::canned::CannedMessage;
use domain::console::Role;
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;
use leptos::task::spawn_local;

use crate::api;
use crate::components::canned_picker::CannedList;
use crate::components::text_field::TextField;
use crate::state::Console;

/// What the page shares between its sections and the form: the list, the message being
/// edited, the form's fields and the last failure.
#[derive(Clone, Copy)]
struct Page {
    list: CannedList,
    /// The message the form changes; `None` while it adds one.
    editing: RwSignal<Option<CannedId>>,
    title: RwSignal<String>,
    shortcut: RwSignal<String>,
    body: RwSignal<String>,
    shared: RwSignal<bool>,
    /// The last save or delete failed, with this message.
    error: RwSignal<Option<String>>,
    /// A save or delete is under way.
    busy: RwSignal<bool>,
    /// The message whose deletion waits for a confirmation.
    confirming: RwSignal<Option<CannedId>>,
}

impl Page {
    fn new(list: CannedList) -> Self {
        Self {
            list,
            editing: RwSignal::new(None),
            title: RwSignal::new(String::new()),
            shortcut: RwSignal::new(String::new()),
            body: RwSignal::new(String::new()),
            shared: RwSignal::new(false),
            error: RwSignal::new(None),
            busy: RwSignal::new(false),
            confirming: RwSignal::new(None),
        }
    }

    /// Empties the form for a new message.
    fn reset(self) {
        self.editing.set(None);
        self.title.set(String::new());
        self.shortcut.set(String::new());
        self.body.set(String::new());
        self.shared.set(false);
        self.error.set(None);
    }

    /// Fills the form with a message to change.
    fn edit(self, message: &CannedMessage) {
        self.editing.set(Some(message.id));
        self.title.set(message.title.clone());
        self.shortcut.set(format!("/{}", message.shortcut));
        self.body.set(message.body.clone());
        self.shared.set(message.owner.is_none());
        self.error.set(None);
        self.confirming.set(None);
    }

    fn save(self) {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        let input = api::CannedMessageInput {
            id: self.editing.get_untracked(),
            shared: self.shared.get_untracked(),
            title: self.title.get_untracked(),
            shortcut: self.shortcut.get_untracked(),
            body: self.body.get_untracked(),
        };
        spawn_local(async move {
            match api::save_canned(input).await {
                Ok(_) => {
                    self.reset();
                    self.list.refresh();
                }
                Err(err) => self.error.set(Some(err.message().to_owned())),
            }
            self.busy.set(false);
        });
    }

    fn delete(self, id: CannedId) {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        spawn_local(async move {
            match api::delete_canned(id).await {
                Ok(()) => {
                    self.confirming.set(None);
                    if self.editing.get_untracked() == Some(id) {
                        self.reset();
                    }
                    self.error.set(None);
                    self.list.refresh();
                }
                Err(err) => self.error.set(Some(err.message().to_owned())),
            }
            self.busy.set(false);
        });
    }
}

/// Whether the operator keeps the shared canned messages (supervisors and admins; tracked).
fn keeps_shared(console: Console) -> bool {
    console
        .me
        .with(|me| me.as_ref().is_some_and(|me| me.role >= Role::Supervisor))
}

/// The Canned messages page.
#[component]
pub fn CannedPage() -> impl IntoView {
    let list = CannedList::from_context();
    // In the browser: the page shows the list as it is now, not as the console first loaded it.
    Effect::new(move |_| list.refresh());
    let page = Page::new(list);
    view! {
        <section class="page canned">
            <h1>"Canned messages"</h1>
            <p class="hint">
                "Prepared answers for chats: pick one with the Canned button of a chat, or type its /shortcut and press Tab."
            </p>
            <CannedForm page />
            {move || list.error().map(|message| view! { <p class="error" data-testid="canned-list-error">{message}</p> })}
            <Section page shared=true />
            <Section page shared=false />
        </section>
    }
}

/// The shared messages or mine.
#[component]
fn Section(page: Page, shared: bool) -> impl IntoView {
    let console = expect_context::<Console>();
    let (heading, testid, empty) = if shared {
        ("Shared", "canned-shared", "No shared canned messages yet.")
    } else {
        (
            "Mine",
            "canned-mine",
            "You have no canned messages of your own yet.",
        )
    };
    let messages = Memo::new(move |_| {
        let mut messages: Vec<CannedMessage> = page.list.with(|all| {
            all.iter()
                .filter(|m| m.owner.is_none() == shared)
                .cloned()
                .collect()
        });
        messages.sort_by_key(|m| m.title.to_lowercase());
        messages
    });
    let may_change = move || !shared || keeps_shared(console);
    let items = move || {
        if !page.list.loaded() {
            return view! { <p class="loading-inline muted">"Loading…"</p> }.into_any_at_once();
        }
        let shown = messages.get();
        if shown.is_empty() {
            return view! { <p class="empty">{empty}</p> }.into_any_at_once();
        }
        view! {
            <ul class="canned-list">
                {shown
                    .into_iter()
                    .map(|message| view! { <Item page message may_change=may_change() /> })
                    .collect_view()}
            </ul>
        }
        .into_any_at_once()
    };
    view! {
        <section class="panel canned-section" data-testid=testid>
            <h2>{heading}</h2>
            {items}
        </section>
    }
}

#[component]
fn Item(page: Page, message: CannedMessage, may_change: bool) -> impl IntoView {
    let id = message.id;
    let shortcut = message.shortcut.clone();
    let editing = move || page.editing.get() == Some(id);
    let actions = may_change.then(|| {
        let to_edit = message.clone();
        let confirming = move || page.confirming.get() == Some(id);
        view! {
            <div class="actions">
                <button type="button" data-testid="canned-edit" on:click=move |_| page.edit(&to_edit)>
                    "Edit"
                </button>
                <button type="button" data-testid="canned-delete" on:click=move |_| page.confirming.set(Some(id))>
                    "Delete"
                </button>
            </div>
            <Show when=confirming>
                <div class="confirm" data-testid="canned-delete-confirm">
                    <p>"Delete this canned message? This cannot be undone."</p>
                    <button
                        type="button"
                        class="danger"
                        data-testid="canned-delete-yes"
                        disabled=move || page.busy.get()
                        on:click=move |_| page.delete(id)
                    >
                        "Delete"
                    </button>
                    <button type="button" data-testid="canned-delete-no" on:click=move |_| page.confirming.set(None)>
                        "Keep"
                    </button>
                </div>
            </Show>
        }
    });
    view! {
        <li class="canned-item" class:editing=editing data-testid="canned-item" data-shortcut=shortcut>
            <div class="canned-head">
                <strong class="title" data-testid="canned-item-title">{message.title.clone()}</strong>
                <code class="shortcut" data-testid="canned-item-shortcut">"/" {message.shortcut.clone()}</code>
            </div>
            <p class="canned-body" data-testid="canned-item-body">{message.body.clone()}</p>
            {actions}
        </li>
    }
}

/// Adds a message, or changes the one being edited.
#[component]
fn CannedForm(page: Page) -> impl IntoView {
    let console = expect_context::<Console>();
    // Until the page runs in the browser, Save would submit a plain form.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let editing = move || page.editing.get().is_some();
    // Whether a message is shared is settled when it is created.
    let shared_toggle = move || {
        keeps_shared(console).then(|| {
            view! {
                <label class="check">
                    <input
                        type="checkbox"
                        data-testid="canned-shared-toggle"
                        prop:checked=move || page.shared.get()
                        disabled=editing
                        on:change=move |ev| page.shared.set(event_target_checked(&ev))
                    />
                    "Shared with everyone"
                </label>
            }
        })
    };
    view! {
        <form
            class="form panel canned-form"
            data-testid="canned-form"
            on:submit=move |ev| {
                ev.prevent_default();
                page.save();
            }
        >
            <h2>{move || if editing() { "Edit canned message" } else { "New canned message" }}</h2>
            <div class="fields">
                <TextField label="Title" value=page.title testid="canned-title" />
                <TextField
                    label="Shortcut"
                    value=page.shortcut
                    testid="canned-shortcut"
                    placeholder="/hello"
                />
            </div>
            <label>
                "Text"
                <textarea
                    rows="4"
                    data-testid="canned-body"
                    prop:value=move || page.body.get()
                    on:input=move |ev| page.body.set(event_target_value(&ev))
                ></textarea>
                <span class="hint">
                    "Variables: %name% (your chat name), %visitor% (the visitor's name), %channel%"
                </span>
            </label>
            {shared_toggle}
            {move || page.error.get().map(|message| view! { <p class="error" role="alert" data-testid="canned-error">{message}</p> })}
            <div class="actions">
                <button
                    type="submit"
                    class="primary"
                    data-testid="canned-save"
                    disabled=move || !hydrated.get() || page.busy.get()
                >
                    "Save"
                </button>
                <Show when=editing>
                    <button type="button" data-testid="canned-cancel" on:click=move |_| page.reset()>
                        "Cancel"
                    </button>
                </Show>
            </div>
        </form>
    }
}
