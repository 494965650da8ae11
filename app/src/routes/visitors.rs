//! Visitors (O25): everyone on the site now, as badges that follow them live, with search and
//! pages of fifty so that ten thousand visitors stay usable. Double-click a badge (or Enter
//! on it) for the visitor's profile; right-click it (or its menu button) to engage them in
//! communication: the profile opens on its "Live Communication" tab with the invitation
//! dialog.

use domain::canned::CannedMessage;
use domain::visitor::{
    InvitationStatus, InviteVisitor, LiveVisitor, VISITORS_PAGE, VisitorFilter, VisitorProfile,
};
use domain::{ChatId, Timestamp, VisitorId};
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;
use leptos::task::spawn_local;

use crate::api;
use crate::components::canned_picker::{CannedList, CannedPicker, chat_variables};
use crate::components::time::{clock, duration};
use crate::components::visitor_tree::VisitorInfoTree;
use crate::state::Console;

/// How often the list is read again with no change heard: visitors who left drop out.
const REFRESH_MS: i64 = 10_000;

/// Which visitor's profile is open, and whether it opened to invite them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Open {
    visitor: VisitorId,
    engage: bool,
}

/// The Visitors page.
#[component]
pub fn VisitorsPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let text = RwSignal::new(String::new());
    let offset = RwSignal::new(0u32);
    let open = RwSignal::new(None::<Open>);
    let menu = RwSignal::new(None::<VisitorId>);
    let list = crate::json::resource(
        move || {
            (
                text.get(),
                offset.get(),
                console.visitors.get(),
                console.now.get().0 / REFRESH_MS,
            )
        },
        |(text, offset, _, _)| api::live_visitors(VisitorFilter { text, offset }),
    );
    let badges = move || {
        list.get().map(|answer| match answer {
            Err(err) => view! { <p class="error" data-testid="visitors-error">{err.message().to_owned()}</p> }
                .into_any_at_once(),
            Ok(page) if page.visitors.is_empty() => view! {
                <p class="empty" data-testid="visitors-none">
                    {if text.with(String::is_empty) { "Nobody is on the site right now." } else { "No visitor matches." }}
                </p>
            }
            .into_any_at_once(),
            Ok(page) => {
                let total = page.total;
                let first = u64::from(offset.get_untracked()) + 1;
                let last = first + page.visitors.len() as u64 - 1;
                view! {
                    <p class="muted" data-testid="visitors-range">
                        {format!("{first}–{last} of {total}")}
                    </p>
                    <ul class="visitor-badges" data-testid="visitor-list">
                        {page
                            .visitors
                            .into_iter()
                            .map(|visitor| view! { <Badge visitor open menu /> })
                            .collect_view()}
                    </ul>
                    <div class="pager">
                        <button
                            data-testid="visitors-previous"
                            disabled=move || offset.get() == 0
                            on:click=move |_| offset.update(|o| *o = o.saturating_sub(VISITORS_PAGE))
                        >
                            "Previous"
                        </button>
                        <button
                            data-testid="visitors-next"
                            disabled=move || u64::from(offset.get() + VISITORS_PAGE) >= total
                            on:click=move |_| offset.update(|o| *o += VISITORS_PAGE)
                        >
                            "Next"
                        </button>
                    </div>
                }
                .into_any_at_once()
            }
        })
    };
    view! {
        <section class="page visitors" on:click=move |_| menu.set(None)>
            <h1>"Visitors"</h1>
            <div class="toolbar">
                <label>
                    <span class="visually-hidden">"Search visitors"</span>
                    <input
                        type="search"
                        data-testid="visitors-search"
                        placeholder="Search name, email, page or referrer"
                        prop:value=move || text.get()
                        on:input=move |ev| {
                            text.set(event_target_value(&ev));
                            offset.set(0);
                        }
                    />
                </label>
            </div>
            <div class="visitors-split">
                <div class="visitors-list">
                    <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>{badges}</Transition>
                </div>
                {move || open.get().map(|o| view! { <Profile visitor=o.visitor engage=o.engage on_close=Callback::new(move |()| open.set(None)) /> })}
            </div>
        </section>
    }
}

fn invitation_text(status: InvitationStatus) -> &'static str {
    status.describe()
}

/// One visitor's badge.
#[component]
fn Badge(
    visitor: LiveVisitor,
    open: RwSignal<Option<Open>>,
    menu: RwSignal<Option<VisitorId>>,
) -> impl IntoView {
    let console = expect_context::<Console>();
    let id = visitor.id;
    let started = visitor.visit_started_at;
    let on_site = move || duration(console.now.get().millis_since(started));
    let show = move |engage: bool| {
        menu.set(None);
        open.set(Some(Open {
            visitor: id,
            engage,
        }));
    };
    let page = visitor
        .page_title
        .clone()
        .or_else(|| visitor.page_url.clone())
        .unwrap_or_else(|| "—".to_owned());
    let pages = match visitor.pages_viewed {
        1 => "1 page".to_owned(),
        n => format!("{n} pages"),
    };
    let label = visitor.label.clone();
    let menu_label = format!("Actions for {label}");
    let badge_label = format!("{label}, on {page}. Press Enter for the profile.");
    view! {
        <li
            class="visitor-badge"
            class:selected=move || open.get().is_some_and(|o| o.visitor == id)
            data-testid="visitor-badge"
            data-visitor=id.to_string()
            tabindex="0"
            aria-label=badge_label
            on:dblclick=move |_| show(false)
            on:keydown=move |ev| {
                if ev.key() == "Enter" && ev.target() == ev.current_target() {
                    ev.prevent_default();
                    show(false);
                }
            }
            on:contextmenu=move |ev| {
                ev.prevent_default();
                ev.stop_propagation();
                menu.set(Some(id));
            }
        >
            <div class="visitor-head">
                <strong data-testid="visitor-name">{label}</strong>
                <button
                    type="button"
                    class="visitor-menu-button"
                    data-testid="visitor-menu"
                    aria-label=menu_label
                    aria-haspopup="menu"
                    aria-expanded=move || (menu.get() == Some(id)).to_string()
                    on:click=move |ev| {
                        ev.stop_propagation();
                        menu.update(|m| *m = if *m == Some(id) { None } else { Some(id) });
                    }
                >
                    "⋯"
                </button>
            </div>
            <Show when=move || menu.get() == Some(id)>
                <div class="visitor-context" role="menu" data-testid="visitor-context-menu">
                    <button role="menuitem" data-testid="visitor-engage" on:click=move |ev| { ev.stop_propagation(); show(true); }>
                        "Engage in communication"
                    </button>
                    <button role="menuitem" data-testid="visitor-open-profile" on:click=move |ev| { ev.stop_propagation(); show(false); }>
                        "Open profile"
                    </button>
                </div>
            </Show>
            <div class="visitor-page" data-testid="visitor-page" title=visitor.page_url.clone().unwrap_or_default()>{page}</div>
            <div class="visitor-meta muted">
                <span data-testid="visitor-pages">{pages}</span>
                " · "
                <span data-testid="visitor-time">{on_site}</span>
                {visitor.language.clone().map(|l| view! { " · " <span>{l}</span> })}
                {(!visitor.browser.is_empty()).then(|| view! { " · " <span>{visitor.browser.clone()}</span> })}
            </div>
            {visitor.referrer.clone().map(|r| view! { <div class="visitor-meta muted">"From " {r}</div> })}
            <div class="visitor-tags">
                {visitor.channel_name.clone().map(|c| view! { <span class="tag">{c}</span> })}
                {visitor.chat_id.map(|_| view! { <span class="tag in-chat" data-testid="visitor-in-chat">"In a chat"</span> })}
                {visitor.invitation.map(|s| view! {
                    <span class="tag" data-testid="visitor-invitation" data-status=s.as_str()>{invitation_text(s)}</span>
                })}
            </div>
        </li>
    }
}

/// A visitor's profile, on its "Live Communication" tab.
#[component]
fn Profile(visitor: VisitorId, engage: bool, on_close: Callback<()>) -> impl IntoView {
    let console = expect_context::<Console>();
    let profile = crate::json::resource(
        move || (visitor, console.visitors.get()),
        |(visitor, _)| api::load_visitor_profile(visitor),
    );
    let inviting = RwSignal::new(engage);
    let reading = RwSignal::new(None::<ChatId>);
    let body = move || {
        profile.get().map(|answer| match answer {
            Err(err) => {
                view! { <p class="error">{err.message().to_owned()}</p> }.into_any_at_once()
            }
            Ok(profile) => {
                view! { <LiveCommunication profile inviting reading /> }.into_any_at_once()
            }
        })
    };
    view! {
        <aside class="visitor-profile" data-testid="visitor-profile" aria-label="Visitor profile">
            <div class="profile-head">
                <div class="tabs" role="tablist">
                    <button class="tab" role="tab" aria-selected="true" data-testid="tab-live-communication">
                        "Live Communication"
                    </button>
                </div>
                <button type="button" data-testid="visitor-profile-close" aria-label="Close the profile" on:click=move |_| on_close.run(())>
                    "Close"
                </button>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>{body}</Transition>
        </aside>
    }
}

#[component]
fn LiveCommunication(
    profile: VisitorProfile,
    inviting: RwSignal<bool>,
    reading: RwSignal<Option<ChatId>>,
) -> impl IntoView {
    let visitor = profile.visitor.clone();
    let id = visitor.id;
    let label = visitor.label.clone();
    let invitation = profile.invitation.clone();
    let can_invite = profile.online && visitor.chat_id.is_none();
    let trail = profile
        .trail
        .iter()
        .map(|page| {
            let title = page.title.clone().unwrap_or_else(|| page.url.clone());
            view! {
                <li data-testid="trail-page">
                    <span class="muted">{clock(page.at)}</span>
                    " "
                    <a href=page.url.clone() target="_blank" rel="noopener noreferrer" title=page.url.clone()>{title}</a>
                </li>
            }
        })
        .collect_view();
    let chats = profile
        .chats
        .iter()
        .map(|chat| {
            let chat_id = chat.id;
            let started = chat.started_at;
            view! {
                <li>
                    <button
                        type="button"
                        class="link"
                        data-testid="profile-chat"
                        aria-expanded=move || (reading.get() == Some(chat_id)).to_string()
                        on:click=move |_| reading.update(|r| *r = if *r == Some(chat_id) { None } else { Some(chat_id) })
                    >
                        {format!("Chat of {}", date_of(started))}
                        {(chat.open).then_some(" (open)")}
                    </button>
                    <Show when=move || reading.get() == Some(chat_id)>
                        <Transcript chat=chat_id />
                    </Show>
                </li>
            }
        })
        .collect_view();
    let has_chats = !profile.chats.is_empty();
    let has_trail = !profile.trail.is_empty();
    // A voice call, from here too, with a visitor whose open chat I am in (V7 O26).
    let console = expect_context::<Console>();
    let open_chat = visitor.chat_id;
    let callable = move || {
        open_chat.filter(|chat| {
            console.call.with(Option::is_none)
                && console
                    .model
                    .with(|m| m.my_chats.iter().any(|c| c.summary.id() == *chat))
        })
    };
    let call_name = label.clone();
    let call_button = move || {
        callable().map(|chat| {
            let name = call_name.clone();
            view! {
                <button
                    type="button"
                    data-testid="profile-call"
                    on:click=move |_| crate::voice::start_call(console, chat, name.clone())
                >
                    "Voice call"
                </button>
            }
        })
    };
    view! {
        <div class="live-communication">
            <h2 data-testid="profile-name">{label.clone()}</h2>
            <p class="muted" data-testid="profile-presence">
                {if profile.online { "On the site now" } else { "Has left the site" }}
                {visitor.chat_id.map(|_| " · in a chat")}
            </p>
            {invitation.map(|i| view! {
                <p class="invitation-status" data-testid="invitation-status" data-status=i.status.as_str()>
                    {i.status.describe()} " (" {clock(i.sent_at)} ")"
                </p>
            })}
            <Show
                when=move || inviting.get()
                fallback=move || view! {
                    <button
                        type="button"
                        class="primary"
                        data-testid="visitor-invite"
                        disabled=!can_invite
                        title=if can_invite { "" } else { "Only a visitor on the site and not in a chat can be invited." }
                        on:click=move |_| inviting.set(true)
                    >
                        "Invite to chat"
                    </button>
                }
            >
                <InvitationDialog visitor=id visitor_name=label.clone() default_text=profile.default_invitation.clone() inviting />
            </Show>
            {call_button}
            <h3>"Pages"</h3>
            {if has_trail {
                view! { <ol class="trail" data-testid="visitor-trail">{trail}</ol> }.into_any_at_once()
            } else {
                view! { <p class="muted">"No pages yet."</p> }.into_any_at_once()
            }}
            <h3>"Earlier chats"</h3>
            {if has_chats {
                view! { <ul class="profile-chats" data-testid="profile-chats">{chats}</ul> }.into_any_at_once()
            } else {
                view! { <p class="muted" data-testid="profile-no-chats">"No chats yet."</p> }.into_any_at_once()
            }}
            <VisitorInfoTree visitor=profile.info.clone() />
        </div>
    }
}

fn date_of(at: Timestamp) -> String {
    crate::routes::action_log::date_time(at)
}

/// A past chat, read-only, as its transcript.
#[component]
fn Transcript(chat: ChatId) -> impl IntoView {
    let text = crate::json::resource(move || chat, api::history_chat);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || text.get().map(|answer| match answer {
                Ok(text) => view! { <pre class="transcript" data-testid="profile-transcript">{text}</pre> }.into_any_at_once(),
                Err(err) => view! { <p class="error">{err.message().to_owned()}</p> }.into_any_at_once(),
            })}
        </Transition>
    }
}

/// The invitation dialog: the default invitation, the operator's own text, or a canned one.
#[component]
fn InvitationDialog(
    visitor: VisitorId,
    visitor_name: String,
    default_text: String,
    inviting: RwSignal<bool>,
) -> impl IntoView {
    let console = expect_context::<Console>();
    let text = RwSignal::new(default_text);
    let picking = RwSignal::new(false);
    let sending = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let canned = CannedList::from_context();
    let area = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        if let Some(area) = area.get() {
            let _ = area.focus();
        }
    });
    let pick = Callback::new(move |message: CannedMessage| {
        let me = console
            .me
            .with_untracked(|me| me.as_ref().map(|me| me.chat_name.clone()))
            .unwrap_or_default();
        let variables = chat_variables(&me, &visitor_name, None);
        text.set(domain::canned::expand(&message.body, &variables));
        picking.set(false);
    });
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if sending.get_untracked() {
            return;
        }
        sending.set(true);
        error.set(None);
        let message = text.get_untracked();
        spawn_local(async move {
            match api::send_invitation(InviteVisitor {
                visitor_id: visitor,
                message,
            })
            .await
            {
                Ok(_) => {
                    inviting.try_set(false);
                    console.visitors.try_update(|n| *n += 1);
                }
                Err(err) => {
                    error.try_set(Some(err.message().to_owned()));
                }
            }
            sending.try_set(false);
        });
    };
    view! {
        <form class="invitation-dialog" data-testid="invitation-dialog" role="dialog" aria-label="Invitation" on:submit=send>
            <label for="invitation-text">"Invitation"</label>
            <textarea
                id="invitation-text"
                data-testid="invitation-text"
                rows="4"
                node_ref=area
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
            ></textarea>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="invitation-error">{e}</p> })}
            <div class="actions">
                <button
                    type="button"
                    data-testid="invitation-canned"
                    aria-expanded=move || picking.get().to_string()
                    on:click=move |_| {
                        canned.refresh();
                        picking.update(|p| *p = !*p);
                    }
                >
                    "Canned"
                </button>
                <button type="button" data-testid="invitation-cancel" on:click=move |_| inviting.set(false)>"Cancel"</button>
                <button type="submit" class="primary" data-testid="invitation-send" disabled=move || sending.get()>"Send"</button>
            </div>
            <Show when=move || picking.get()>
                <div class="invitation-canned">
                    <CannedPicker list=canned on_pick=pick on_close=Callback::new(move |()| picking.set(false)) />
                </div>
            </Show>
        </form>
    }
}
