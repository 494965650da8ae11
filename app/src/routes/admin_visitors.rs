//! Visitor data (P6, admins): find a visitor by id or email, download everything kept about
//! them as JSON, or erase them with their chats and messages. Both are recorded in the action
//! log; the server decides what may be erased.

use domain::retention::VisitorData;
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;
use leptos::task::spawn_local;

use crate::api;
use crate::routes::action_log::date_time;

/// The Visitor data page.
#[component]
pub fn AdminVisitorsPage() -> impl IntoView {
    let text = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<Result<String, String>>);
    // Loaded on request only: a signal, not a resource, keeps the console's bundle lighter.
    let found = RwSignal::new(None::<Vec<VisitorData>>);
    let find = move || {
        spawn_local(async move {
            match api::find_visitors(text.get_untracked()).await {
                Ok(list) => found.set(Some(list)),
                Err(err) => {
                    found.set(None);
                    notice.set(Some(Err(err.message().to_owned())));
                }
            }
        });
    };
    let erase = move |visitor: VisitorData| {
        spawn_local(async move {
            notice.set(Some(match api::erase_visitor(visitor.id).await {
                Ok(gone) => Ok(format!(
                    "Erased the visitor, {} chats and {} messages.",
                    gone.chats, gone.messages
                )),
                Err(err) => Err(err.message().to_owned()),
            }));
            find();
        });
    };
    view! {
        <section class="page visitor-data">
            <h1>"Visitor data"</h1>
            <p class="hint">
                "Everything kept about a visitor: download it for them, or erase it on their request. Both are recorded in the action log. Closed chats are also deleted after the time set on the Settings page."
            </p>
            <form class="form" role="search" data-testid="visitor-search" on:submit=move |ev| {
                ev.prevent_default();
                notice.set(None);
                find();
            }>
                <label>
                    "Visitor id or email"
                    <input type="search" data-testid="visitor-query" on:input=move |ev| text.set(event_target_value(&ev)) />
                </label>
                <div><button type="submit" class="primary" data-testid="visitor-find">"Find"</button></div>
            </form>
            {move || notice.get().map(|n| match n {
                Ok(text) => view! { <p class="ok" role="status" data-testid="visitor-erased">{text}</p> }.into_any_at_once(),
                Err(text) => view! { <p class="error" role="alert" data-testid="visitor-error">{text}</p> }.into_any_at_once(),
            })}
            {move || found.get().map(|list| if list.is_empty() {
                view! { <p class="empty" data-testid="visitor-none">"No such visitor."</p> }.into_any_at_once()
            } else {
                view! {
                    <ul class="visitor-list">
                        {list.into_iter().map(|v| view! { <Found visitor=v erase /> }).collect_view()}
                    </ul>
                }.into_any_at_once()
            })}
        </section>
    }
}

/// One visitor found, with its download and erasure.
#[component]
fn Found(
    visitor: VisitorData,
    erase: impl Fn(VisitorData) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let id = visitor.id;
    let label = format!(
        "{} {} — first seen {}, last seen {}",
        visitor.name.clone().unwrap_or_else(|| "Visitor".to_owned()),
        visitor
            .email
            .clone()
            .map(|e| format!("<{e}>"))
            .unwrap_or_default(),
        date_time(visitor.created_at),
        date_time(visitor.last_seen_at)
    );
    view! {
        <li class="visitor" data-testid="visitor-found">
            <span>{label}</span>
            " "
            <a class="button" data-testid="visitor-export" href=format!("/api/console/visitors/{id}/export.json") download="">
                "Export (JSON)"
            </a>
            {move || if confirming.get() {
                let visitor = visitor.clone();
                view! {
                    <span role="group" aria-label="Erase this visitor?">
                        " Erase the visitor, their chats and messages for good? "
                        <button class="danger" data-testid="visitor-erase-confirm" on:click=move |_| erase(visitor.clone())>"Erase"</button>
                        <button data-testid="visitor-erase-cancel" on:click=move |_| confirming.set(false)>"Keep"</button>
                    </span>
                }.into_any_at_once()
            } else {
                view! { <button class="danger" data-testid="visitor-erase" on:click=move |_| confirming.set(true)>"Erase…"</button> }.into_any_at_once()
            }}
        </li>
    }
}
