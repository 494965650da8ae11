//! The dashboard: one list per category (waiting, invitations and transfers to me, active,
//! vacant), live. Each row offers what I can do with that chat: accept, watch, join, answer an
//! invitation or a transfer, or open it when I am already in it. The first operator to accept
//! a waiting chat wins; a late accept is told the chat is already taken.

use domain::channel::ChannelFilter;
use domain::console::{Category, ChatAction, ChatSummary};
use domain::{ChatId, OfferKind, OperatorId};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::at_once::{IntoAnyAtOnce, at_once};
use crate::components::time::clock;
use crate::state::{Console, Entry};

/// The dashboard page.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let me = console
        .me
        .with_untracked(|me| me.as_ref().map(|me| me.id))
        .unwrap_or_default();
    at_once(view! {
        <section class="page dashboard">
            <header class="page-head">
                <h1>"Dashboard"</h1>
                <FilterSwitch />
            </header>
            {Category::ALL
                .into_iter()
                .map(|category| view! { <ChatList category me /> })
                .collect_view()}
        </section>
    })
}

/// All channels / My channels (the channels I serve, and chats in none). The choice is kept
/// in a cookie, so the console loads and streams only what it lists.
#[component]
fn FilterSwitch() -> impl IntoView {
    let console = expect_context::<Console>();
    let has_channels = move || console.model.with(|m| !m.channels.is_empty());
    let filter = move || console.model.with(|m| m.filter);
    let choose = move |chosen: ChannelFilter| {
        if filter() == chosen {
            return;
        }
        // Listed at once from what the console has; the fresh load completes it.
        console.model.update(|m| m.filter = chosen);
        #[cfg(feature = "hydrate")]
        {
            const A_YEAR: u32 = 365 * 24 * 60 * 60;
            crate::browser::set_cookie(crate::DASHBOARD_COOKIE, chosen.as_str(), A_YEAR);
            crate::state::live::filter_changed(console);
        }
    };
    let choice = move |choice: ChannelFilter, label: &'static str| {
        view! {
            <button
                type="button"
                class:primary=move || filter() == choice
                aria-pressed=move || (filter() == choice).to_string()
                data-testid=format!("filter-{}", choice.as_str())
                on:click=move |_| choose(choice)
            >
                {label}
            </button>
        }
    };
    view! {
        <Show when=has_channels>
            <div class="segmented" role="group" aria-label="Channels" data-testid="channel-filter">
                {choice(ChannelFilter::All, "All channels")}
                {choice(ChannelFilter::Mine, "My channels")}
            </div>
        </Show>
    }
}

fn empty_text(category: Category) -> &'static str {
    match category {
        Category::Waiting => "No visitors are waiting.",
        Category::Invite => "Nobody has invited you.",
        Category::Transfer => "Nobody is handing you a chat.",
        Category::Active => "No chats in progress.",
        Category::Vacant => "No vacant chats.",
    }
}

#[component]
fn ChatList(category: Category, me: OperatorId) -> impl IntoView {
    let console = expect_context::<Console>();
    let chats = Memo::new(move |_| {
        console.model.with(|m| {
            m.listed()
                .filter(|c| c.category(me) == category)
                .map(ChatSummary::id)
                .collect::<Vec<_>>()
        })
    });
    view! {
        <section
            class="panel"
            data-testid=format!("{}-list", category.as_str())
            aria-labelledby=format!("{}-heading", category.as_str())
        >
            <h2 id=format!("{}-heading", category.as_str())>{category.title()}</h2>
            <Show
                when=move || !chats.with(Vec::is_empty)
                fallback=move || view! { <p class="empty">{empty_text(category)}</p> }
            >
                <ul class="rows">
                    <For
                        each=move || chats.get()
                        key=|id| *id
                        children=move |chat| view! { <ChatRow chat category me /> }
                    />
                </ul>
            </Show>
        </section>
    }
}

#[component]
fn ChatRow(chat: ChatId, category: Category, me: OperatorId) -> impl IntoView {
    let console = expect_context::<Console>();
    let summary = Memo::new(move |_| {
        console
            .model
            .with(|m| m.dashboard.iter().find(|c| c.id() == chat).cloned())
    });
    let title = move || summary.with(|s| s.as_ref().map(|s| s.title(me)));
    let since = move || summary.with(|s| s.as_ref().map(|s| clock(s.started_at)));
    let operators = move || summary.with(|s| s.as_ref().map(|s| s.participant_names().join(", ")));
    let on_hold = move || summary.with(|s| s.as_ref().is_some_and(|s| s.chat.on_hold));
    let channel = move || {
        let id = summary.with(|s| s.as_ref().and_then(|s| s.chat.channel))?;
        console
            .model
            .with(|m| domain::channel::name_of(&m.channels, id).map(str::to_owned))
    };
    let offered_by = move || {
        summary.with(|s| {
            s.as_ref()
                .and_then(|s| s.chat.offer_to(me))
                .map(|offer| match offer.kind {
                    OfferKind::Invite => format!("invited by {}", offer.from_name),
                    OfferKind::Transfer => format!("offered by {}", offer.from_name),
                })
        })
    };
    // Participants signed off for inactivity (O17): the chat needs someone.
    let flagged = move || {
        summary.with(|s| {
            s.as_ref()
                .map(|s| {
                    s.chat
                        .flagged
                        .iter()
                        .filter_map(|id| s.chat.member(*id).map(|m| m.name.clone()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    // Under automatic routing, who holds the chat and why: everyone sees it.
    let assigned = move || {
        summary.with(|s| {
            s.as_ref().and_then(|s| s.chat.assigned.as_ref()).map(|a| {
                let who = if a.operator == me {
                    "you".to_owned()
                } else {
                    a.operator_name.clone()
                };
                (format!("assigned to {who}"), a.reason.clone())
            })
        })
    };
    view! {
        <li class="row" data-testid="chat-row" data-chat-id=chat.to_string()>
            <span class="who">
                {title}
                {move || channel().map(|name| view! { <span class="tag channel" data-testid="chat-channel">{name}</span> })}
                {move || on_hold().then(|| view! { <span class="tag hold" data-testid="on-hold">"on hold"</span> })}
                {move || offered_by().map(|text| view! { <span class="offered-by" data-testid="offered-by">{text}</span> })}
                {move || {
                    flagged()
                        .into_iter()
                        .map(|name| {
                            view! {
                                <span class="tag flagged" data-testid="flagged">
                                    {format!("{name} signed off")}
                                </span>
                            }
                        })
                        .collect_view()
                }}
                {move || {
                    assigned()
                        .map(|(who, why)| {
                            view! {
                                <span class="assigned" data-testid="assigned">
                                    <span class="tag">{who}</span>
                                    <span class="reason" data-testid="assignment-reason">{why}</span>
                                </span>
                            }
                        })
                }}
            </span>
            <span class="since">"since " {since}</span>
            <span class="operators" data-testid="participants">{operators}</span>
            <RowActions chat category me summary />
        </li>
    }
}

#[component]
fn RowActions(
    chat: ChatId,
    category: Category,
    me: OperatorId,
    summary: Memo<Option<ChatSummary>>,
) -> impl IntoView {
    let console = expect_context::<Console>();
    let busy = RwSignal::new(false);
    let mine =
        Memo::new(move |_| summary.with(|s| s.as_ref().is_some_and(|s| s.chat.has_operator(me))));
    let enter = move |entry: Entry| {
        busy.set(true);
        spawn_local(async move {
            match console.enter(chat, entry).await {
                Ok(()) => console.go_to.set(Some("/chats")),
                Err(err) => console.report(&err),
            }
            busy.try_set(false);
        });
    };
    let decline = move || {
        busy.set(true);
        spawn_local(async move {
            let decline = api::ChatActionInput {
                chat_id: chat,
                action: ChatAction::Decline,
            };
            if let Err(err) = api::run_chat_action(decline).await {
                console.report(&err);
            }
            busy.try_set(false);
        });
    };
    // Screen readers hear which chat a button acts on, e.g. "Accept the chat with Vera".
    let visitor = move || summary.with(|s| s.as_ref().map(|s| s.title(me)).unwrap_or_default());
    let act = move |testid: &'static str, label: &'static str, primary: bool, entry: Entry| {
        view! {
            <button
                class:primary=primary
                data-testid=testid
                aria-label=move || format!("{label}: the chat with {}", visitor())
                disabled=move || busy.get()
                on:click=move |_| enter(entry)
            >
                {label}
            </button>
        }
    };
    let open = move || {
        view! {
            <a href="/chats" class="button" data-testid="open" on:click=move |_| console.open(chat)>
                "Open"
            </a>
        }
    };
    // "The 'Watch chat' button on the dashboard is available for all chats" (the manual).
    let watch = move || {
        if mine.get() {
            open().into_any_at_once()
        } else {
            act(
                "watch",
                "Watch chat",
                false,
                Entry::Action(ChatAction::Watch),
            )
            .into_any_at_once()
        }
    };
    let assigned_to_me = Memo::new(move |_| {
        summary.with(|s| {
            s.as_ref()
                .and_then(|s| s.chat.assigned.as_ref())
                .is_some_and(|a| a.operator == me)
        })
    });
    let decline_assignment = move || {
        busy.set(true);
        spawn_local(async move {
            if let Err(err) = api::decline_assignment(chat).await {
                console.report(&err);
            }
            busy.try_set(false);
        });
    };
    let decline_button = move || {
        view! {
            <button
                data-testid="decline"
                aria-label=move || format!("Decline: the chat with {}", visitor())
                disabled=move || busy.get()
                on:click=move |_| decline()
            >
                "Decline"
            </button>
        }
    };
    let actions = move || {
        match category {
        Category::Waiting => view! {
            {act("accept", "Accept", true, Entry::Accept)}
            {move || {
                assigned_to_me
                    .get()
                    .then(|| {
                        view! {
                            <button
                                data-testid="decline-assignment"
                                aria-label=move || format!("Decline: the chat with {}", visitor())
                                disabled=move || busy.get()
                                on:click=move |_| decline_assignment()
                            >
                                "Decline"
                            </button>
                        }
                    })
            }}
            {watch}
        }
        .into_any_at_once(),
        Category::Invite => view! {
            {act("accept-invite", "Accept", true, Entry::Action(ChatAction::AcceptInvite))}
            {act("accept-observer", "Accept as observer", false, Entry::Action(ChatAction::AcceptInviteAsObserver))}
            {decline_button}
            {watch}
        }
        .into_any_at_once(),
        Category::Transfer => view! {
            {act("assume", "Assume", true, Entry::Action(ChatAction::Assume))}
            {decline_button}
            {watch}
        }
        .into_any_at_once(),
        Category::Active if !mine.get() => view! {
            {act("join", "Join chat", true, Entry::Action(ChatAction::Join))}
            {watch}
        }
        .into_any_at_once(),
        Category::Vacant | Category::Active => watch().into_any_at_once(),
    }
    };
    view! { <span class="actions">{actions}</span> }
}
