//! My Chats: one tab per chat I am in, each with the conversation, the entry bar and the chat
//! sidebar. Tabs live in the console state, so they survive navigating around the console.

use domain::ChatId;
use domain::console::ConsoleModel;
use leptos::prelude::*;

use crate::components::badge::Badge;
use crate::components::chat_panel::{ChatPanel, PanelMode};
use crate::state::Console;

/// The My Chats page.
#[component]
pub fn MyChatsPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let tabs = Memo::new(move |_| console.model.with(ConsoleModel::my_chat_titles));
    // The tab shown: the one chosen, else the first.
    let shown = Memo::new(move |_| {
        let chosen = console.open_tab.get();
        tabs.with(|tabs| {
            chosen
                .filter(|id| tabs.iter().any(|(tab, _)| tab == id))
                .or_else(|| tabs.first().map(|(id, _)| *id))
        })
    });
    view! {
        <section class="page my-chats">
            <h1>"My Chats"</h1>
            <Show
                when=move || !tabs.with(Vec::is_empty)
                fallback=|| view! { <p class="empty">"You are not in any chat. Accept one from the dashboard."</p> }
            >
                <div class="tabs" role="tablist">
                    <For
                        each=move || tabs.get()
                        key=|tab| tab.clone()
                        children=move |(id, title)| view! { <Tab chat=id title shown /> }
                    />
                </div>
                {move || shown.get().map(|chat| view! { <ChatPanel chat mode=PanelMode::Tab /> })}
            </Show>
        </section>
    }
}

#[component]
fn Tab(chat: ChatId, title: String, shown: Memo<Option<ChatId>>) -> impl IntoView {
    let console = expect_context::<Console>();
    let unread = Signal::derive(move || console.model.with(|m| m.unread(chat)));
    view! {
        <button
            role="tab"
            class="tab"
            data-testid="chat-tab"
            data-chat-id=chat.to_string()
            aria-selected=move || (shown.get() == Some(chat)).to_string()
            on:click=move |_| console.open(chat)
        >
            <span>{title}</span>
            <Badge count=unread testid="tab-unread" what="unread" />
        </button>
    }
}
