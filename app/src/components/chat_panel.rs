//! A chat I am in: header with my role, the conversation, who is typing or viewing, the entry
//! bar and (except when docked) the sidebar. Used by My Chats, the chat's own window and the
//! docked strip. While shown in a visible window it marks messages read and tells the chat's
//! other operators that I am viewing it.

use domain::console::{ChatAction, ChatSummary, MyChat};
use domain::{ChatEvent, ChatId, ChatStatus, MemberRole, OperatorId};
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;
use leptos::task::spawn_local;

use crate::api;
use crate::components::chat_sidebar::ChatSidebar;
use crate::components::entry_bar::EntryBar;
use crate::components::event_line::EventLine;
use crate::presence::typing_line;
use crate::state::Console;

/// Where a chat panel is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanelMode {
    /// A tab of My Chats.
    Tab,
    /// The chat's own window.
    Window,
    /// Expanded from the docked strip: conversation and entry bar only.
    Docked,
}

/// One chat I am in.
#[component]
pub fn ChatPanel(chat: ChatId, mode: PanelMode) -> impl IntoView {
    let console = expect_context::<Console>();
    let me = console
        .me
        .with_untracked(|me| me.as_ref().map(|me| me.id))
        .unwrap_or_default();
    let summary = Memo::new(move |_| {
        console.model.with(|m| {
            m.my_chats
                .iter()
                .find(|c| c.summary.id() == chat)
                .map(|c| c.summary.clone())
        })
    });
    let present = move || summary.with(Option::is_some);
    view! {
        <Show
            when=present
            fallback=|| view! { <p class="empty" data-testid="chat-gone">"You are not in this chat any more."</p> }
        >
            <Panel chat me mode summary />
        </Show>
    }
}

#[component]
fn Panel(
    chat: ChatId,
    me: OperatorId,
    mode: PanelMode,
    summary: Memo<Option<ChatSummary>>,
) -> impl IntoView {
    let console = expect_context::<Console>();
    let private = summary.with_untracked(|s| s.as_ref().is_some_and(|s| s.chat.is_private()));
    let role = Signal::derive(move || {
        summary.with(|s| s.as_ref().and_then(|s| s.chat.member(me)).map(|m| m.role))
    });
    mark_read_while_shown(console, chat);
    #[cfg(feature = "hydrate")]
    tell_viewing(console, chat);

    let composer = move || {
        match role.get() {
        Some(MemberRole::Participant) => {
            view! { <EntryBar chat role notes=!private /> }.into_any_at_once()
        }
        Some(MemberRole::Observer) if !private => {
            view! { <EntryBar chat role notes=true /> }.into_any_at_once()
        }
        _ => view! {
            <p class="read-only" data-testid="read-only">
                "You are watching this chat: nobody else knows you are here, and you cannot write in it."
            </p>
        }
        .into_any_at_once(),
    }
    };
    let class = match mode {
        PanelMode::Tab => "chat",
        PanelMode::Window => "chat window",
        PanelMode::Docked => "chat docked",
    };
    view! {
        <div class=class data-testid="chat-panel" data-chat-id=chat.to_string()>
            <div class="conversation">
                <ChatHeader chat me summary role private />
                <Conversation chat me />
                <Activity chat />
                {composer}
            </div>
            {(mode != PanelMode::Docked).then(|| view! { <ChatSidebar chat me summary role mode /> })}
        </div>
    }
}

#[component]
fn ChatHeader(
    chat: ChatId,
    me: OperatorId,
    summary: Memo<Option<ChatSummary>>,
    role: Signal<Option<MemberRole>>,
    private: bool,
) -> impl IntoView {
    let console = expect_context::<Console>();
    let title = move || summary.with(|s| s.as_ref().map(|s| s.title(me)));
    let on_hold = move || summary.with(|s| s.as_ref().is_some_and(|s| s.chat.on_hold));
    let active =
        move || summary.with(|s| s.as_ref().is_some_and(|s| s.status() == ChatStatus::Active));
    let switching = RwSignal::new(false);
    let switch = move |action: ChatAction| {
        switching.set(true);
        spawn_local(async move {
            if let Err(err) = api::run_chat_action(api::ChatActionInput {
                chat_id: chat,
                action,
            })
            .await
            {
                console.report(&err);
            }
            switching.try_set(false);
        });
    };
    let role_switch = move || {
        if private {
            return None;
        }
        let (action, testid, label) = match role.get()? {
            MemberRole::Participant => (
                ChatAction::BecomeObserver,
                "become-observer",
                "Become observer",
            ),
            MemberRole::Observer => (
                ChatAction::BecomeParticipant,
                "become-participant",
                "Become participant",
            ),
            MemberRole::Watcher if active() => (ChatAction::Join, "join", "Join the chat"),
            MemberRole::Watcher => return None,
        };
        Some(view! {
            <button data-testid=testid disabled=move || switching.get() on:click=move |_| switch(action)>
                {label}
            </button>
        })
    };
    view! {
        <header class="chat-header">
            <h2>{title}</h2>
            <span class="tag role" data-testid="my-role">{move || role.get().map(MemberRole::as_str)}</span>
            {move || on_hold().then(|| view! { <span class="tag hold" data-testid="on-hold">"on hold"</span> })}
            <span class="spacer"></span>
            {role_switch}
        </header>
    }
}

#[component]
fn Conversation(chat: ChatId, me: OperatorId) -> impl IntoView {
    let console = expect_context::<Console>();
    let events = Memo::new(move |_| {
        console.model.with(|m| {
            m.my_chats
                .iter()
                .find(|c| c.summary.id() == chat)
                .map(|c| c.events.clone())
                .unwrap_or_default()
        })
    });
    let list = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        // Read: tracking alone would not make the memo meet its sources.
        events.with(|_| ());
        if let Some(list) = list.get() {
            list.set_scroll_top(list.scroll_height());
        }
    });
    let label = move || {
        let title = console.model.with(|m| {
            m.my_chats
                .iter()
                .find(|c| c.summary.id() == chat)
                .map(|c| c.summary.title(me))
        });
        format!("Conversation with {}", title.unwrap_or_default())
    };
    // My messages on their way, until the chat shows them (confirmed by the server or the
    // stream, whichever comes first).
    let pending = move || {
        let confirmed: Vec<String> = events.with(|events| {
            events
                .iter()
                .filter_map(|e| match &e.kind {
                    domain::EventKind::MessagePosted {
                        client_id: Some(id),
                        ..
                    } => Some(id.clone()),
                    _ => None,
                })
                .collect()
        });
        console.outbox.with(|queue| {
            queue
                .iter()
                .filter(|m| m.chat == chat && !confirmed.contains(&m.client_id))
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="messages" node_ref=list data-testid="messages" role="log" aria-label=label>
            <For
                each=move || events.get()
                key=|event: &ChatEvent| event.id
                children=move |event| view! { <EventLine event me /> }
            />
            {move || {
                console
                    .model
                    .with(|m| m.my_chats.iter().find(|c| c.summary.id() == chat).and_then(MyChat::visitor_receipt))
                    .map(|seen| view! {
                        <p class="receipt" data-testid="receipt">{if seen { "Seen by the visitor" } else { "Delivered" }}</p>
                    })
            }}
            <For each=pending key=|m| m.client_id.clone() children=pending_line />
        </div>
    }
}

/// Who is typing, and which other operators have the chat in front of them.
#[component]
fn Activity(chat: ChatId) -> impl IntoView {
    let console = expect_context::<Console>();
    let typing = Memo::new(move |_| {
        let now = console.now.get();
        console.activity.with(|a| typing_line(&a.typing(chat, now)))
    });
    let viewers = Memo::new(move |_| {
        let now = console.now.get();
        console.activity.with(|a| a.viewers(chat, now).join(", "))
    });
    view! {
        <div class="activity">
            <span class="typing" data-testid="typing-indicator" aria-live="polite">{move || typing.get()}</span>
            {move || {
                let names = viewers.get();
                (!names.is_empty()).then(|| view! {
                    <span class="viewers" data-testid="viewers">"Also viewing: " {names}</span>
                })
            }}
        </div>
    }
}

/// Marks the chat read whenever it has unread messages while shown in a visible window.
fn mark_read_while_shown(console: Console, chat: ChatId) {
    Effect::new(move |_| {
        if !console.visible.get() || console.model.with(|m| m.unread(chat)) == 0 {
            return;
        }
        let Some(up_to) = console.model.try_update(|m| m.mark_read(chat)).flatten() else {
            return;
        };
        spawn_local(async move {
            let _ = api::mark_read(api::MarkReadInput {
                chat_id: chat,
                up_to,
            })
            .await;
        });
    });
}

/// Tells the chat's other operators I have it in front of me: now, every `SIGNAL_REPEAT_MS`
/// while the window is visible, and that I stopped when it is hidden or the panel goes.
#[cfg(feature = "hydrate")]
fn tell_viewing(console: Console, chat: ChatId) {
    use std::time::Duration;

    use domain::signal::SIGNAL_REPEAT_MS;

    let tell = move |active: bool| {
        spawn_local(async move {
            // Best effort: a lost signal expires on its own.
            let signal = api::ChatSignalInput {
                chat_id: chat,
                typing: None,
                note: false,
                viewing: Some(active),
            };
            let _ = api::chat_signal(signal).await;
        });
    };
    Effect::new(move |was_visible: Option<bool>| {
        let visible = console.visible.get();
        if visible || was_visible == Some(true) {
            tell(visible);
        }
        visible
    });
    let repeat = Duration::from_millis(SIGNAL_REPEAT_MS.unsigned_abs());
    let again = set_interval_with_handle(
        move || {
            if console.visible.get_untracked() && console.is_in(chat) {
                tell(true);
            }
        },
        repeat,
    )
    .ok();
    on_cleanup(move || {
        if let Some(again) = again {
            again.clear();
        }
        if console.is_in(chat) {
            tell(false);
        }
    });
}

/// A message of mine the server has not confirmed yet.
fn pending_line(message: crate::outbox::Outgoing) -> impl IntoView {
    view! {
        <div
            class="message own pending"
            class:note=message.note
            data-testid="pending-message"
            data-client-id=message.client_id.clone()
        >
            <div class="meta">
                {message.note.then(|| view! { <span class="note-label">"Note"</span> })}
                <span class="status">"sending…"</span>
            </div>
            <div class="body">{message.body}</div>
        </div>
    }
}
