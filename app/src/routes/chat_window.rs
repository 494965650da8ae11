//! A chat in a window of its own (`/window/<chat id>`): the chat panel and nothing else. It
//! loads its own snapshot and follows its own stream (same session), so it and the console
//! both stay current.

use domain::ChatId;
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::chat_panel::{ChatPanel, PanelMode};
use crate::components::connection_banner::ConnectionBanner;
use crate::components::loaded_console::LoadedConsole;
use crate::components::notice::Notice;
use crate::state::Console;

/// The chat window page.
#[component]
pub fn ChatWindowPage() -> impl IntoView {
    let params = use_params_map();
    let chat = params.with_untracked(|p| p.get("chat_id").and_then(|id| id.parse::<ChatId>().ok()));
    match chat {
        Some(chat) => view! {
            <LoadedConsole announces=false>
                <ChatWindow chat />
            </LoadedConsole>
        }
        .into_any_at_once(),
        None => view! {
            <main class="centered">
                <div class="card">
                    <h1>"No such chat"</h1>
                    <p><a href="/chats">"Back to My Chats"</a></p>
                </div>
            </main>
        }
        .into_any_at_once(),
    }
}

#[component]
fn ChatWindow(chat: ChatId) -> impl IntoView {
    let console = expect_context::<Console>();
    let title = move || {
        let me = console.me_id().unwrap_or_default();
        let name = console.model.with(|m| {
            m.my_chats
                .iter()
                .find(|c| c.summary.id() == chat)
                .map(|c| c.summary.title(me))
        });
        match name {
            Some(name) => format!("{name} — Switchboard"),
            None => "Switchboard".to_owned(),
        }
    };
    view! {
        <Title text=title />
        <main class="window-page">
            <ConnectionBanner />
            <Notice />
            <ChatPanel chat mode=PanelMode::Window />
        </main>
    }
}
