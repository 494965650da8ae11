//! The docked strip: on every console page but My Chats, one chip per chat I am in with its
//! unread badge. A chip expands the chat in a compact panel (conversation and entry bar) so the
//! operator can answer without leaving the page; clicking it again collapses it.

use domain::ChatId;
use domain::console::ConsoleModel;
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;
use leptos_router::hooks::use_location;

use crate::components::badge::Badge;
use crate::components::chat_panel::{ChatPanel, PanelMode};
use crate::state::Console;

/// An expanded chat's panel. The chat panel is the console's largest piece and only My Chats,
/// a chat's window and an expanded chip show it, so it is loaded the first time one does.
#[lazy]
fn docked_panel(chat: ChatId) -> AnyView {
    view! { <ChatPanel chat mode=PanelMode::Docked /> }.into_any_at_once()
}

/// The strip in the bottom-right corner.
#[component]
pub fn Dock() -> impl IntoView {
    let console = expect_context::<Console>();
    let location = use_location();
    let chats = Memo::new(move |_| console.model.with(ConsoleModel::my_chat_titles));
    let expanded = RwSignal::new(None::<ChatId>);
    // The expanded chat, while I am still in it.
    let shown = Memo::new(move |_| {
        expanded
            .get()
            .filter(|id| chats.with(|c| c.iter().any(|(chat, _)| chat == id)))
    });
    // My Chats shows every chat already.
    let wanted =
        move || location.pathname.with(|path| path != "/chats") && !chats.with(Vec::is_empty);
    let to_my_chats = move |chat: ChatId| {
        expanded.set(None);
        console.open(chat);
        console.go_to.set(Some("/chats"));
    };
    view! {
        <Show when=wanted>
            <div class="dock" data-testid="dock">
                {move || shown.get().map(|chat| view! {
                    <div class="dock-panel" data-testid="dock-panel">
                        <div class="dock-head">
                            <button class="link" data-testid="dock-to-chats" on:click=move |_| to_my_chats(chat)>
                                "Open in My Chats"
                            </button>
                            <button class="link" data-testid="dock-collapse" on:click=move |_| expanded.set(None)>
                                "Collapse"
                            </button>
                        </div>
                        <Suspense fallback=|| ()>
                            {Suspend::new(docked_panel(chat))}
                        </Suspense>
                    </div>
                })}
                <div class="dock-chips">
                    <For
                        each=move || chats.get()
                        key=|chip| chip.clone()
                        children=move |(chat, title)| {
                            let unread = Signal::derive(move || console.model.with(|m| m.unread(chat)));
                            view! {
                                <button
                                    class="dock-chip"
                                    data-testid="dock-chip"
                                    data-chat-id=chat.to_string()
                                    aria-expanded=move || (shown.get() == Some(chat)).to_string()
                                    on:click=move |_| {
                                        expanded.update(|open| {
                                            *open = if *open == Some(chat) { None } else { Some(chat) };
                                        });
                                    }
                                >
                                    <span>{title}</span>
                                    <Badge count=unread testid="dock-unread" what="unread" />
                                </button>
                            }
                        }
                    />
                </div>
            </div>
        </Show>
    }
}
