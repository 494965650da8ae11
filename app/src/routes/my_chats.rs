//! My Chats: one tab per chat the operator is in. Each tab has the conversation, the entry bar
//! and a sidebar about the visitor. Tabs live in the console state, so they survive navigating
//! around the console. A tab shown in a visible window marks its messages read.

use domain::console::MyChat;
use domain::{Author, ChatEvent, ChatId, EventKind};
use leptos::prelude::*;

use crate::components::badge::Badge;
use crate::components::time::clock;
use crate::state::Console;

/// The My Chats page.
#[component]
pub fn MyChatsPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let tabs = move || {
        console.model.with(|m| {
            m.my_chats
                .iter()
                .map(|c| (c.summary.id, c.summary.visitor_name.clone()))
                .collect::<Vec<_>>()
        })
    };
    // The tab shown: the one chosen, else the first.
    let shown = Memo::new(move |_| {
        let chosen = console.open_tab.get();
        console.model.with(|m| {
            chosen
                .filter(|id| m.my_chats.iter().any(|c| c.summary.id == *id))
                .or_else(|| m.my_chats.first().map(|c| c.summary.id))
        })
    });
    Effect::new(move |_| {
        let (Some(chat), true) = (shown.get(), console.visible.get()) else {
            return;
        };
        if console.model.with(|m| m.unread(chat)) == 0 {
            return;
        }
        let mut marked = None;
        console.model.update(|m| marked = m.mark_read(chat));
        if let Some(up_to) = marked {
            leptos::task::spawn_local(async move {
                let _ = crate::api::mark_read(chat, up_to).await;
            });
        }
    });
    view! {
        <section class="page my-chats">
            <h1>"My Chats"</h1>
            <Show
                when=move || !tabs().is_empty()
                fallback=|| view! { <p class="empty">"You are not in any chat. Accept one from the dashboard."</p> }
            >
                <div class="tabs" role="tablist">
                    <For
                        each=tabs
                        key=|(id, name)| (*id, name.clone())
                        children=move |(id, name)| {
                            let unread = Signal::derive(move || console.model.with(|m| m.unread(id)));
                            view! {
                                <button
                                    role="tab"
                                    class="tab"
                                    data-testid="chat-tab"
                                    aria-selected=move || (shown.get() == Some(id)).to_string()
                                    on:click=move |_| console.open(id)
                                >
                                    <span>{name}</span>
                                    <Badge count=unread testid="tab-unread" />
                                </button>
                            }
                        }
                    />
                </div>
                {move || shown.get().map(|chat| view! { <ChatPanel chat /> })}
            </Show>
        </section>
    }
}

#[component]
fn ChatPanel(chat: ChatId) -> impl IntoView {
    let console = expect_context::<Console>();
    let current = Memo::new(move |_| {
        console
            .model
            .with(|m| m.my_chats.iter().find(|c| c.summary.id == chat).cloned())
    });
    let events = move || current.get().map(|c| c.events).unwrap_or_default();
    let list = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        let _ = current.with(|c| c.as_ref().map(|c| c.events.len()));
        if let Some(list) = list.get() {
            list.set_scroll_top(list.scroll_height());
        }
    });
    view! {
        <div class="chat" data-testid="chat-panel" data-chat-id=chat.to_string()>
            <div class="conversation">
                <div class="messages" node_ref=list data-testid="messages">
                    <For
                        each=events
                        key=|event| event.id
                        children=move |event| view! { <EventLine event /> }
                    />
                </div>
                <EntryBar chat />
            </div>
            <aside class="sidebar-info" data-testid="chat-sidebar">
                {move || current.get().map(sidebar)}
            </aside>
        </div>
    }
}

fn sidebar(chat: MyChat) -> impl IntoView {
    let summary = chat.summary;
    view! {
        <h2>{summary.visitor_name.clone()}</h2>
        <dl class="facts">
            <dt>"Status"</dt>
            <dd data-testid="chat-status">{summary.status.as_str()}</dd>
            <dt>"Started"</dt>
            <dd>{clock(summary.started_at)} " UTC"</dd>
            <dt>"Operators"</dt>
            <dd>{summary.operators.join(", ")}</dd>
        </dl>
    }
}

#[component]
fn EventLine(event: ChatEvent) -> impl IntoView {
    let console = expect_context::<Console>();
    let at = clock(event.at);
    match event.kind {
        EventKind::MessagePosted {
            author,
            author_name,
            body,
            ..
        } => {
            let own = console
                .me
                .with_untracked(|me| me.as_ref().map(|me| Author::Operator { id: me.id }))
                == Some(author.clone());
            let who = match author {
                Author::Visitor => "visitor",
                Author::Operator { .. } => "operator",
            };
            view! {
                <div class=if own { "message own" } else { "message" } data-testid="message" data-author=who>
                    <div class="meta">
                        <span class="author">{author_name}</span>
                        <time>{at}</time>
                    </div>
                    <div class="body">{body}</div>
                </div>
            }
            .into_any()
        }
        EventKind::ChatStarted { visitor_name } => {
            system(format!("{visitor_name} started the chat"), at)
        }
        EventKind::OperatorAccepted { operator_name, .. } => {
            system(format!("{operator_name} accepted the chat"), at)
        }
        EventKind::VisitorLeft => system("The visitor left the chat".to_owned(), at),
        EventKind::StatusChanged { .. } => ().into_any(),
    }
}

fn system(text: String, at: String) -> AnyView {
    view! {
        <div class="system" data-testid="message" data-author="system">
            <span>{text}</span>
            <time>{at}</time>
        </div>
    }
    .into_any()
}

#[component]
fn EntryBar(chat: ChatId) -> impl IntoView {
    let console = expect_context::<Console>();
    let text = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let closed = Memo::new(move |_| {
        console.model.with(|m| {
            m.my_chats
                .iter()
                .find(|c| c.summary.id == chat)
                .is_none_or(|c| c.summary.status == domain::ChatStatus::Closed)
        })
    });
    let send = move || {
        let body = text.get_untracked();
        if body.trim().is_empty() || sending.get_untracked() {
            return;
        }
        sending.set(true);
        error.set(None);
        let client_id = new_client_id();
        leptos::task::spawn_local(async move {
            match crate::api::post_message(chat, body, Some(client_id)).await {
                Ok(event) => {
                    console.model.update(|m| m.record(&event));
                    text.set(String::new());
                }
                Err(err) => error.set(Some(err.message().to_owned())),
            }
            sending.set(false);
        });
    };
    view! {
        <form class="entry" on:submit=move |ev| {
            ev.prevent_default();
            send();
        }>
            <textarea
                data-testid="entry"
                placeholder="Type a message — Enter sends, Shift+Enter adds a line"
                rows="2"
                prop:value=move || text.get()
                disabled=move || closed.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                on:keydown=move |ev| {
                    if ev.key() == "Enter" && !ev.shift_key() {
                        ev.prevent_default();
                        send();
                    }
                }
            ></textarea>
            <button type="submit" class="primary" data-testid="send" disabled=move || sending.get() || closed.get()>
                "Send"
            </button>
            {move || error.get().map(|message| view! { <p class="error">{message}</p> })}
        </form>
    }
}

/// An idempotency key for one message, so a retried send is stored once.
fn new_client_id() -> String {
    #[cfg(feature = "hydrate")]
    {
        let a = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        let b = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        let now = js_sys::Date::now() as u64;
        format!("{now:x}-{a:08x}{b:08x}")
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}
