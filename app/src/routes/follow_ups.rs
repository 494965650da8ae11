//! Follow-ups (V11): the messages visitors left while live chat was not offered. Operators
//! read them, answer by email from their mail program, and close them; the list follows new
//! messages live.

use domain::FollowUpId;
use domain::followup::{FollowUp, OfflineReason};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::time::clock;
use crate::state::Console;

fn why(reason: OfflineReason) -> &'static str {
    match reason {
        OfflineReason::Off => "live support was off",
        OfflineReason::OutsideHours => "outside business hours",
        OfflineReason::NobodyAvailable => "nobody was available",
        OfflineReason::FollowUpRequest => "asked for a follow-up after a chat",
    }
}

/// The Follow-ups page.
#[component]
pub fn FollowUpsPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let closed = RwSignal::new(false);
    let closes = RwSignal::new(0u32);
    let list = Resource::new(
        move || (closed.get(), console.follow_ups.get(), closes.get()),
        |(closed, _, _)| api::follow_ups(Some(closed)),
    );
    view! {
        <section class="page follow-ups">
            <h1>"Follow-ups"</h1>
            <div class="toolbar" role="group" aria-label="Which messages">
                <button
                    data-testid="follow-ups-open"
                    aria-pressed=move || (!closed.get()).to_string()
                    on:click=move |_| closed.set(false)
                >
                    "Open"
                </button>
                <button
                    data-testid="follow-ups-closed"
                    aria-pressed=move || closed.get().to_string()
                    on:click=move |_| closed.set(true)
                >
                    "Closed"
                </button>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(items) if items.is_empty() => view! {
                            <p class="empty" data-testid="follow-ups-none">"No messages here."</p>
                        }
                            .into_any(),
                        Ok(items) => view! {
                            <ul class="follow-up-list">
                                {items
                                    .into_iter()
                                    .map(|item| view! { <FollowUpItem item closes /> })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any(),
                        Err(err) => view! {
                            <p class="error" data-testid="follow-ups-error">{err.message().to_owned()}</p>
                        }
                            .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn FollowUpItem(item: FollowUp, closes: RwSignal<u32>) -> impl IntoView {
    let console = expect_context::<Console>();
    let id: FollowUpId = item.id;
    let busy = RwSignal::new(false);
    let close = move || {
        busy.set(true);
        spawn_local(async move {
            match api::close_follow_up(id).await {
                Ok(()) => closes.update(|n| *n += 1),
                Err(err) => console.report(&err),
            }
            busy.try_set(false);
        });
    };
    let name = if item.name.is_empty() {
        "A visitor".to_owned()
    } else {
        item.name.clone()
    };
    let channel = item.channel.and_then(|id| {
        console
            .model
            .with_untracked(|m| domain::channel::name_of(&m.channels, id).map(str::to_owned))
    });
    let reply = item.reply_link();
    let closed = item
        .closed
        .as_ref()
        .map(|(at, by)| format!("Closed by {by} at {}", clock(*at)));
    view! {
        <li class="panel follow-up" data-testid="follow-up">
            <header>
                <strong class="who" data-testid="follow-up-name">{name}</strong>
                " "
                <a href=format!("mailto:{}", item.email) data-testid="follow-up-email">{item.email.clone()}</a>
                {channel.map(|name| view! { <span class="tag channel">{name}</span> })}
                <span class="hint">{format!(" {} · {}", clock(item.created_at), why(item.reason))}</span>
            </header>
            <p class="message" data-testid="follow-up-message">{item.message.clone()}</p>
            <div class="actions">
                <a class="button" href=reply data-testid="follow-up-reply">"Reply by email"</a>
                {match closed {
                    Some(text) => view! { <span class="hint" data-testid="follow-up-closed">{text}</span> }.into_any(),
                    None => view! {
                        <button
                            data-testid="follow-up-close"
                            disabled=move || busy.get()
                            on:click=move |_| close()
                        >
                            "Close"
                        </button>
                    }
                        .into_any(),
                }}
            </div>
        </li>
    }
}
