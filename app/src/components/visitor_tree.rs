//! What the chat sidebar shows about the visitor, as a tree: clicking a field expands it and
//! shows its subfields. Loaded when the tab opens and again whenever the visitor moves to
//! another page.

use std::collections::BTreeSet;

use domain::ChatId;
use domain::console::{VisitorInfo, browser_summary};
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;

use crate::api;
use crate::components::time::{clock, duration};
use crate::state::Console;

/// Fields expanded when the tree first shows.
const OPEN_AT_FIRST: [&str; 3] = ["visitor", "location", "fields"];

/// The visitor of a chat.
#[component]
pub fn VisitorTree(chat: ChatId) -> impl IntoView {
    let console = expect_context::<Console>();
    let info = RwSignal::new(None::<Result<VisitorInfo, String>>);
    let expanded = RwSignal::new(
        OPEN_AT_FIRST
            .into_iter()
            .map(str::to_owned)
            .collect::<BTreeSet<_>>(),
    );
    Effect::new(move |loaded: Option<()>| {
        let moved = console.visitor_moved.get();
        if loaded.is_none() || moved == Some(chat) {
            leptos::task::spawn_local(async move {
                let answer = api::load_visitor_info(chat)
                    .await
                    .map_err(|err| err.message().to_owned());
                info.try_set(Some(answer));
            });
        }
    });
    let tree = move || match info.get() {
        None => view! { <p class="muted">"Loading…"</p> }.into_any_at_once(),
        Some(Err(message)) => view! { <p class="error">{message}</p> }.into_any_at_once(),
        Some(Ok(visitor)) => view! { <Tree visitor expanded /> }.into_any_at_once(),
    };
    view! {
        <section class="visitor" data-testid="visitor-tree">
            <h3>"Visitor"</h3>
            {tree}
        </section>
    }
}

/// The same tree for a visitor already loaded (their profile).
#[component]
pub fn VisitorInfoTree(visitor: VisitorInfo) -> impl IntoView {
    let expanded = RwSignal::new(
        OPEN_AT_FIRST
            .into_iter()
            .map(str::to_owned)
            .collect::<BTreeSet<_>>(),
    );
    view! {
        <section class="visitor" data-testid="visitor-tree">
            <h3>"Visitor"</h3>
            <Tree visitor expanded />
        </section>
    }
}

#[component]
fn Tree(visitor: VisitorInfo, expanded: RwSignal<BTreeSet<String>>) -> impl IntoView {
    let console = expect_context::<Console>();
    let given = |value: Option<String>| value.unwrap_or_else(|| "—".to_owned());
    let agent = visitor.user_agent.clone().unwrap_or_default();
    let browser = if agent.is_empty() {
        "Unknown browser".to_owned()
    } else {
        browser_summary(&agent)
    };
    let page = match (&visitor.page_title, &visitor.page_url) {
        (Some(title), Some(url)) => format!("{title} ({url})"),
        (None, Some(url)) => url.clone(),
        (Some(title), None) => title.clone(),
        (None, None) => "—".to_owned(),
    };
    let (first_seen, last_seen) = (visitor.first_seen, visitor.last_seen);
    let on_site = Signal::derive(move || duration(console.now.get().millis_since(first_seen)));
    let field_count = match visitor.fields.len() {
        0 => "none".to_owned(),
        1 => "1 field".to_owned(),
        n => format!("{n} fields"),
    };
    let fields = visitor
        .fields
        .into_iter()
        .map(|(key, value)| {
            view! { <Node field=format!("field-{key}") label=key value=value expanded /> }
        })
        .collect_view();
    view! {
        <ul class="tree">
            <Node field="visitor" label="Visitor" value=visitor.name.clone() expanded>
                <Node field="name" label="Name" value=visitor.name.clone() expanded />
                <Node field="email" label="Email" value=given(visitor.email.clone()) expanded />
                <Node field="language" label="Language" value=given(visitor.language.clone()) expanded />
            </Node>
            <Node field="browser" label="Browser" value=browser expanded>
                <Node field="user-agent" label="User agent" value=given(visitor.user_agent.clone()) expanded />
            </Node>
            <Node field="location" label="Location" value=given(visitor.page_url.clone()) expanded>
                <Node field="page" label="Page" value=page expanded />
                <Node field="referrer" label="Came from" value=given(visitor.referrer.clone()) expanded />
            </Node>
            <Node field="time-on-site" label="Time on site" value=on_site expanded>
                <Node field="first-seen" label="First seen" value=format!("{} UTC", clock(first_seen)) expanded />
                <Node field="last-seen" label="Last seen" value=format!("{} UTC", clock(last_seen)) expanded />
            </Node>
            <Node field="fields" label="Custom fields" value=field_count expanded>
                {fields}
            </Node>
        </ul>
    }
}

/// One field; with subfields, a button that expands or collapses them (collapsed subfields
/// stay in the page, hidden).
#[component]
fn Node(
    #[prop(into)] field: String,
    #[prop(into)] label: String,
    #[prop(into)] value: Signal<String>,
    expanded: RwSignal<BTreeSet<String>>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let key = field.clone();
    let open = Memo::new(move |_| expanded.with(|e| e.contains(&key)));
    let line = view! {
        <span class="label">{label}</span>
        <span class="value">{move || value.get()}</span>
    };
    let body = match children {
        None => view! { <div class="tree-leaf">{line}</div> }.into_any_at_once(),
        Some(children) => {
            let toggle = field.clone();
            view! {
                <button
                    class="tree-toggle"
                    aria-expanded=move || open.get().to_string()
                    on:click=move |_| {
                        let toggle = toggle.clone();
                        expanded.update(move |e| {
                            if !e.remove(&toggle) {
                                e.insert(toggle);
                            }
                        });
                    }
                >
                    {line}
                </button>
                <ul class="tree" hidden=move || !open.get()>{children()}</ul>
            }
            .into_any_at_once()
        }
    };
    view! {
        <li class="tree-node" data-testid="tree-node" data-field=field>
            {body}
        </li>
    }
}
