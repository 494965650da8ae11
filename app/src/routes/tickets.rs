//! Tickets (O23): the follow-up list. Messages left in the bubble, follow-up requests and
//! chats turned into tickets wait here with a status, an assignee and a channel; an operator
//! opens one, reads its thread, replies to the visitor by email and moves it on. The list
//! follows changes live.

use domain::TicketId;
use domain::followup::OfflineReason;
use domain::ticket::{
    Article, ArticleKind, Assignee, EditTicket, Ticket, TicketEdit, TicketFilter, TicketReply,
    TicketStatus, TicketView,
};
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;
use leptos::task::spawn_local;

use crate::api;
use crate::components::time::clock;
use crate::state::Console;

fn origin(reason: Option<OfflineReason>) -> &'static str {
    match reason {
        None => "from a chat",
        Some(OfflineReason::Off) => "left while live support was off",
        Some(OfflineReason::OutsideHours) => "left outside business hours",
        Some(OfflineReason::NobodyAvailable) => "left while nobody was available",
        Some(OfflineReason::FollowUpRequest) => "follow-up request after a chat",
    }
}

fn channel_name(console: Console, ticket: &Ticket) -> Option<String> {
    ticket.channel.and_then(|id| {
        console
            .model
            .with_untracked(|m| domain::channel::name_of(&m.channels, id).map(str::to_owned))
    })
}

/// The Tickets page.
#[component]
pub fn TicketsPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let status = RwSignal::new(None::<TicketStatus>);
    let mine = RwSignal::new(false);
    let selected = RwSignal::new(None::<TicketId>);
    let changes = RwSignal::new(0u32);
    let list = crate::json::resource(
        move || {
            (
                status.get(),
                mine.get(),
                console.tickets.get(),
                changes.get(),
            )
        },
        |(status, mine, _, _)| api::tickets(TicketFilter { status, mine }),
    );
    let filter = move |label: &'static str, testid: &'static str, value: Option<TicketStatus>| {
        view! {
            <button
                data-testid=testid
                aria-pressed=move || (status.get() == value).to_string()
                on:click=move |_| status.set(value)
            >
                {label}
            </button>
        }
    };
    view! {
        <section class="page tickets">
            <h1>"Tickets"</h1>
            <div class="toolbar" role="group" aria-label="Which tickets">
                {filter("Open & pending", "tickets-active", None)}
                {filter("Open", "tickets-open", Some(TicketStatus::Open))}
                {filter("Pending", "tickets-pending", Some(TicketStatus::Pending))}
                {filter("Closed", "tickets-closed", Some(TicketStatus::Closed))}
                <label>
                    <input type="checkbox" data-testid="tickets-mine" on:change=move |ev| mine.set(event_target_checked(&ev)) />
                    " Mine only"
                </label>
            </div>
            <div class="ticket-panes">
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Ok(items) if items.is_empty() => view! {
                                <p class="empty" data-testid="tickets-none">"No tickets here."</p>
                            }
                                .into_any_at_once(),
                            Ok(items) => view! {
                                <ul class="ticket-list" aria-label="Tickets">
                                    {items
                                        .into_iter()
                                        .map(|ticket| view! { <TicketRow ticket selected /> })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any_at_once(),
                            Err(err) => view! {
                                <p class="error" data-testid="tickets-error">{err.message().to_owned()}</p>
                            }
                                .into_any_at_once(),
                        }
                    })}
                </Transition>
                {move || selected.get().map(|id| view! { <TicketDetail id changes /> })}
            </div>
        </section>
    }
}

#[component]
fn TicketRow(ticket: Ticket, selected: RwSignal<Option<TicketId>>) -> impl IntoView {
    let console = expect_context::<Console>();
    let id = ticket.id;
    let who = if ticket.name.is_empty() {
        ticket.email.clone()
    } else {
        ticket.name.clone()
    };
    let channel = channel_name(console, &ticket);
    view! {
        <li
            class="panel ticket-row"
            data-testid="ticket"
            data-status=ticket.status.as_str()
            aria-current=move || (selected.get() == Some(id)).then_some("true")
        >
            <button class="link ticket-open" data-testid="ticket-open" on:click=move |_| selected.set(Some(id))>
                <span class="muted">{format!("#{} ", ticket.number)}</span>
                <strong data-testid="ticket-subject-text">{ticket.subject.clone()}</strong>
            </button>
            <span class=format!("tag status-{}", ticket.status.as_str()) data-testid="ticket-status">
                {ticket.status.label()}
            </span>
            <span class="hint">
                {who} " · " {origin(ticket.reason)} " · " {clock(ticket.updated_at)}
                {ticket.assignee_name.clone().map(|name| format!(" · {name}"))}
                {channel.map(|name| format!(" · {name}"))}
            </span>
        </li>
    }
}

#[component]
fn TicketDetail(id: TicketId, changes: RwSignal<u32>) -> impl IntoView {
    let console = expect_context::<Console>();
    let view_of = crate::json::resource(
        move || (id, console.tickets.get(), changes.get()),
        |(id, _, _)| api::load_ticket(id),
    );
    // Owned here, outside the thread that reloads on every ticket change, so that a reply
    // being written survives a colleague's change.
    let reply = RwSignal::new(String::new());
    let assignees = RwSignal::new(Vec::<Assignee>::new());
    spawn_local(async move {
        if let Ok(all) = api::ticket_assignees().await {
            assignees.try_set(all);
        }
    });
    let edit = move |edit: TicketEdit| {
        spawn_local(async move {
            match api::change_ticket(EditTicket { ticket: id, edit }).await {
                Ok(_) => {
                    changes.try_update(|n| *n += 1);
                }
                Err(err) => console.report(&err),
            }
        });
    };
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match view_of.await {
                    Ok(TicketView { ticket, articles }) => {
                        let current = ticket.status;
                        let assignee = ticket.assignee.map(|a| a.to_string()).unwrap_or_default();
                        let channel = ticket.channel.map(|c| c.to_string()).unwrap_or_default();
                        let channels = console.model.with_untracked(|m| m.channels.clone());
                        view! {
                            <article class="panel ticket-detail" data-testid="ticket-detail" aria-label=format!("Ticket #{}", ticket.number)>
                                <h2>{format!("#{} {}", ticket.number, ticket.subject)}</h2>
                                <p class="hint" data-testid="ticket-from">
                                    {ticket.name.clone()} " " {(!ticket.email.is_empty()).then(|| format!("<{}>", ticket.email))}
                                    " · " {origin(ticket.reason)} " · opened " {clock(ticket.created_at)}
                                </p>
                                <div class="ticket-fields">
                                    <label>
                                        "Status "
                                        <select
                                            data-testid="ticket-status-select"
                                            on:change=move |ev| {
                                                if let Some(to) = TicketStatus::parse(&event_target_value(&ev)) {
                                                    edit(TicketEdit::Status(to));
                                                }
                                            }
                                        >
                                            {TicketStatus::ALL
                                                .into_iter()
                                                .map(|s| view! { <option value=s.as_str() selected=s == current>{s.label()}</option> })
                                                .collect_view()}
                                        </select>
                                    </label>
                                    <label>
                                        "Assignee "
                                        <select
                                            data-testid="ticket-assignee"
                                            on:change=move |ev| edit(TicketEdit::Assign(event_target_value(&ev).parse().ok()))
                                        >
                                            <option value="" selected=assignee.is_empty()>"Nobody"</option>
                                            {move || {
                                                let assignee = assignee.clone();
                                                assignees
                                                    .get()
                                                    .into_iter()
                                                    .map(|a| {
                                                        let value = a.id.to_string();
                                                        let chosen = value == assignee;
                                                        view! { <option value=value selected=chosen>{a.name}</option> }
                                                    })
                                                    .collect_view()
                                            }}
                                        </select>
                                    </label>
                                    <label>
                                        "Channel "
                                        <select
                                            data-testid="ticket-channel"
                                            on:change=move |ev| edit(TicketEdit::Channel(event_target_value(&ev).parse().ok()))
                                        >
                                            <option value="" selected=channel.is_empty()>"No channel"</option>
                                            {channels
                                                .into_iter()
                                                .filter(|c| !c.archived)
                                                .map(|c| {
                                                    let value = c.id.to_string();
                                                    let chosen = value == channel;
                                                    view! { <option value=value selected=chosen>{c.name}</option> }
                                                })
                                                .collect_view()}
                                        </select>
                                    </label>
                                </div>
                                <ol class="articles" aria-label="Thread">
                                    {articles.into_iter().map(|article| view! { <ArticleItem article /> }).collect_view()}
                                </ol>
                                <ReplyForm id email=ticket.email.clone() body=reply changes />
                            </article>
                        }
                            .into_any_at_once()
                    }
                    Err(err) => view! {
                        <p class="error" data-testid="ticket-error">{err.message().to_owned()}</p>
                    }
                        .into_any_at_once(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ArticleItem(article: Article) -> impl IntoView {
    let kind = match article.kind {
        ArticleKind::Message => "Message",
        ArticleKind::Chat => "Chat",
        ArticleKind::Reply => "Email reply",
    };
    let to = article.recipient.map(|to| format!(" to {to}"));
    view! {
        <li class=format!("article {}", article.kind.as_str()) data-testid="ticket-article" data-kind=article.kind.as_str()>
            <p class="hint">
                <strong>{kind}</strong> " · " {article.author} {to} " · " {clock(article.created_at)}
            </p>
            <pre class="body">{article.body}</pre>
        </li>
    }
}

#[component]
fn ReplyForm(
    id: TicketId,
    email: String,
    body: RwSignal<String>,
    changes: RwSignal<u32>,
) -> impl IntoView {
    let console = expect_context::<Console>();
    let then = RwSignal::new(TicketStatus::Pending);
    let busy = RwSignal::new(false);
    if email.is_empty() {
        return view! { <p class="hint">"The visitor left no email address to reply to."</p> }
            .into_any_at_once();
    }
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let form = TicketReply {
            ticket: id,
            body: body.get_untracked(),
            then: then.get_untracked(),
        };
        spawn_local(async move {
            match api::reply_to_ticket(form).await {
                Ok(_) => {
                    // Another ticket may be open by now.
                    body.try_set(String::new());
                    console.notice.set(Some("Your reply is on its way.".into()));
                    changes.try_update(|n| *n += 1);
                }
                Err(err) => console.report(&err),
            }
            busy.try_set(false);
        });
    };
    view! {
        <form class="reply" data-testid="ticket-reply-form" on:submit=send>
            <label for="ticket-reply">{format!("Reply to {email} by email")}</label>
            <textarea
                id="ticket-reply"
                data-testid="ticket-reply"
                rows="5"
                prop:value=move || body.get()
                on:input=move |ev| body.set(event_target_value(&ev))
            ></textarea>
            <label>
                "then set the ticket "
                <select
                    data-testid="ticket-reply-then"
                    on:change=move |ev| {
                        if let Some(status) = TicketStatus::parse(&event_target_value(&ev)) {
                            then.set(status);
                        }
                    }
                >
                    <option value="pending" selected>"Pending"</option>
                    <option value="open">"Open"</option>
                    <option value="closed">"Closed"</option>
                </select>
            </label>
            <button type="submit" data-testid="ticket-reply-send" disabled=move || busy.get()>"Send reply"</button>
        </form>
    }
    .into_any_at_once()
}
