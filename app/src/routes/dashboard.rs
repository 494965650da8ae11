//! The dashboard: chats by status, live. Waiting chats can be accepted; the first operator to
//! accept wins, and a late accept is told the chat is already taken.

use domain::ChatStatus;
use domain::console::ChatSummary;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::AcceptChat;
use crate::components::time::clock;
use crate::state::Console;

/// The dashboard page.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let accept = ServerAction::<AcceptChat>::new();
    let navigate = use_navigate();
    Effect::new(move |_| match accept.value().get() {
        Some(Ok(mine)) => {
            let id = mine.summary.id;
            console.model.update(|m| m.add_my_chat(mine));
            console.open(id);
            navigate("/chats", Default::default());
        }
        Some(Err(err)) => console.notice.set(Some(err.message().to_owned())),
        None => {}
    });
    let chats = move |status: ChatStatus| {
        console.model.with(|m| {
            m.dashboard
                .iter()
                .filter(|c| c.status == status)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let mine = move |summary: &ChatSummary| {
        console.me.with(|me| {
            me.as_ref()
                .is_some_and(|me| summary.operator_ids.contains(&me.id))
        })
    };
    view! {
        <section class="page dashboard">
            <h1>"Dashboard"</h1>
            <section class="panel" data-testid="waiting-list">
                <h2>"Waiting"</h2>
                <ChatRows
                    chats=Signal::derive(move || chats(ChatStatus::Waiting))
                    empty="No visitors are waiting."
                    action=move |summary: ChatSummary| {
                        view! {
                            <button
                                class="primary"
                                data-testid="accept"
                                disabled=move || accept.pending().get()
                                on:click=move |_| {
                                    accept.dispatch(AcceptChat { chat_id: summary.id });
                                }
                            >
                                "Accept"
                            </button>
                        }
                        .into_any()
                    }
                />
            </section>
            <section class="panel" data-testid="active-list">
                <h2>"Active"</h2>
                <ChatRows
                    chats=Signal::derive(move || chats(ChatStatus::Active))
                    empty="No chats in progress."
                    action=move |summary: ChatSummary| open_link(console, &summary, mine(&summary))
                />
            </section>
            <section class="panel" data-testid="vacant-list">
                <h2>"Vacant"</h2>
                <ChatRows
                    chats=Signal::derive(move || chats(ChatStatus::Vacant))
                    empty="No vacant chats."
                    action=move |summary: ChatSummary| open_link(console, &summary, mine(&summary))
                />
            </section>
        </section>
    }
}

fn open_link(console: Console, summary: &ChatSummary, mine: bool) -> AnyView {
    let id = summary.id;
    if mine {
        view! {
            <a href="/chats" class="button" on:click=move |_| console.open(id)>
                "Open"
            </a>
        }
        .into_any()
    } else {
        ().into_any()
    }
}

#[component]
fn ChatRows<F>(chats: Signal<Vec<ChatSummary>>, empty: &'static str, action: F) -> impl IntoView
where
    F: Fn(ChatSummary) -> AnyView + Clone + Send + Sync + 'static,
{
    view! {
        <Show
            when=move || !chats.with(Vec::is_empty)
            fallback=move || view! { <p class="empty">{empty}</p> }
        >
            <ul class="rows">
                <For
                    each=move || chats.get()
                    key=|c| (c.id, c.operators.len())
                    children={
                        let action = action.clone();
                        move |summary: ChatSummary| {
                            let operators = summary.operators.join(", ");
                            view! {
                                <li class="row" data-testid="chat-row" data-chat-id=summary.id.to_string()>
                                    <span class="who">{summary.visitor_name.clone()}</span>
                                    <span class="since">"since " {clock(summary.started_at)}</span>
                                    <span class="operators">{operators}</span>
                                    {action(summary.clone())}
                                </li>
                            }
                        }
                    }
                />
            </ul>
        </Show>
    }
}
