//! History (O28): search past chats by their words, the visitor, an operator, the channel, a
//! date range and the rating; open one to read it, notes included, and download it. The server
//! decides which chats each operator finds; this page shows its answers.

use domain::ChatId;
use domain::history::{Fragment, HistoryHit, HistoryQuery};
use domain::{ChannelId, Timestamp};
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;

use crate::api;
use crate::components::downloads::Downloads;
use crate::routes::action_log::date_time;
use crate::state::Console;

/// The History page.
#[component]
pub fn HistoryPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let words = RwSignal::new(String::new());
    let visitor = RwSignal::new(String::new());
    let operator = RwSignal::new(String::new());
    let channel = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let rating = RwSignal::new(String::new());
    let asked = RwSignal::new(HistoryQuery::default());
    let opened = RwSignal::new(None::<ChatId>);
    let results = crate::json::resource(move || asked.get(), api::search_history);
    let transcript = crate::json::resource(
        move || opened.get(),
        |chat| async move {
            match chat {
                Some(chat) => api::history_chat(chat).await.map(|text| Some((chat, text))),
                None => Ok(None),
            }
        },
    );
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let day = 86_400_000;
        asked.set(HistoryQuery {
            words: words.get_untracked(),
            visitor: visitor.get_untracked(),
            operator: operator.get_untracked(),
            channel: channel.get_untracked().parse::<ChannelId>().ok(),
            from: Timestamp::from_utc_date(&from.get_untracked()),
            // Up to and including that day.
            to: Timestamp::from_utc_date(&to.get_untracked()).map(|t| Timestamp(t.0 + day)),
            rating: rating.get_untracked().parse().ok(),
            page: 0,
        });
        opened.set(None);
    };
    let turn = move |by: i64| {
        asked.update(|q| {
            q.page = u32::try_from(i64::from(q.page) + by).unwrap_or(0);
        });
        opened.set(None);
    };
    let channels = move || channel_options(console);
    let field =
        |kind: &'static str, label: &'static str, testid: &'static str, value: RwSignal<String>| {
            view! {
                <label>
                    {label}
                    <input
                        type=kind
                        data-testid=testid
                        on:input=move |ev| value.set(event_target_value(&ev))
                    />
                </label>
            }
        };
    view! {
        <section class="page history">
            <h1>"History"</h1>
            <form class="form history-search" data-testid="history-form" role="search" on:submit=submit>
                {field("search", "Words in messages", "history-words", words)}
                {field("search", "Visitor name or email", "history-visitor", visitor)}
                {field("search", "Operator", "history-operator", operator)}
                <label>
                    "Channel"
                    <select data-testid="history-channel" on:change=move |ev| channel.set(event_target_value(&ev))>
                        <option value="">"Any"</option>
                        {channels}
                    </select>
                </label>
                {field("date", "From", "history-from", from)}
                {field("date", "To", "history-to", to)}
                <label>
                    "Rating"
                    <select data-testid="history-rating" on:change=move |ev| rating.set(event_target_value(&ev))>
                        <option value="">"Any"</option>
                        {(1..=5).rev().map(|n| view! { <option value=n.to_string()>{format!("{n} stars")}</option> }).collect_view()}
                    </select>
                </label>
                <div>
                    <button type="submit" class="primary" data-testid="history-search">"Search"</button>
                </div>
            </form>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match results.await {
                        Ok(page) if page.hits.is_empty() => view! {
                            <p class="empty" data-testid="history-none">"No chats found."</p>
                        }.into_any_at_once(),
                        Ok(page) => {
                            let (number, more) = (page.page, page.more);
                            view! {
                                <ol class="history-list" data-testid="history-results">
                                    {page.hits.into_iter().map(|hit| view! { <Hit hit opened /> }).collect_view()}
                                </ol>
                                <div class="toolbar pager">
                                    <button data-testid="history-previous" disabled=number == 0 on:click=move |_| turn(-1)>"Previous"</button>
                                    <span>{format!("Page {}", number + 1)}</span>
                                    <button data-testid="history-next" disabled=!more on:click=move |_| turn(1)>"Next"</button>
                                </div>
                            }.into_any_at_once()
                        }
                        Err(err) => view! { <p class="error" role="alert" data-testid="history-error">{err.message().to_owned()}</p> }.into_any_at_once(),
                    }
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match transcript.await {
                        Ok(Some((chat, text))) => view! { <ReadOnlyChat chat text /> }.into_any_at_once(),
                        Ok(None) => ().into_any_at_once(),
                        Err(err) => view! { <p class="error" role="alert">{err.message().to_owned()}</p> }.into_any_at_once(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Every channel as an option of a channel filter (archived ones too: their chats remain).
pub(crate) fn channel_options(console: Console) -> impl IntoView {
    console.model.with(|m| {
        m.channels
            .iter()
            .map(|c| view! { <option value=c.id.to_string()>{c.name.clone()}</option> })
            .collect_view()
    })
}

/// The excerpt, its matching words marked.
fn excerpt(fragments: Vec<Fragment>) -> impl IntoView {
    fragments
        .into_iter()
        .map(|f| {
            if f.hit {
                view! { <mark>{f.text}</mark> }.into_any_at_once()
            } else {
                f.text.into_any_at_once()
            }
        })
        .collect_view()
}

/// One chat found.
#[component]
fn Hit(hit: HistoryHit, opened: RwSignal<Option<ChatId>>) -> impl IntoView {
    let chat = hit.chat;
    let who = match &hit.email {
        Some(email) => format!("{} <{email}>", hit.visitor),
        None => hit.visitor.clone(),
    };
    let operators = if hit.operators.is_empty() {
        "nobody answered".to_owned()
    } else {
        hit.operators.join(", ")
    };
    let stars = hit.rating.map(|n| {
        format!(
            "{}{} ",
            "★".repeat(usize::from(n)),
            "☆".repeat(usize::from(5 - n.min(5)))
        )
    });
    view! {
        <li class="history-hit" data-testid="history-hit" data-chat=chat.to_string()>
            <button class="link" data-testid="history-open" on:click=move |_| opened.set(Some(chat))>
                {who}
            </button>
            <span class="meta">
                {date_time(hit.started_at)} " · " {operators} " · " {stars} {hit.status.as_str()}
            </span>
            {(!hit.excerpt.is_empty()).then(|| view! {
                <p class="excerpt" data-testid="history-excerpt">{excerpt(hit.excerpt)}</p>
            })}
        </li>
    }
}

/// A past chat, read-only, with its notes, and its downloads.
#[component]
fn ReadOnlyChat(chat: ChatId, text: String) -> impl IntoView {
    view! {
        <article class="history-chat" data-testid="history-chat" aria-label="Chat transcript">
            <Downloads chat text_testid="history-download" pdf_testid="history-pdf" notes_testid="history-notes" />
            <pre class="transcript-text">{text}</pre>
        </article>
    }
}
