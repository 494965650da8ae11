//! The chat's channel in its sidebar, and moving the chat to another open channel (O24). The
//! server decides who may: anyone while the chat waits, then its participants.

use domain::ChatId;
use domain::console::ChatSummary;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::state::Console;

/// "Channel: Sales [Move to…]".
#[component]
pub fn ChannelMove(chat: ChatId, summary: Memo<Option<ChatSummary>>) -> impl IntoView {
    let console = expect_context::<Console>();
    let current = move || summary.with(|s| s.as_ref().and_then(|s| s.chat.channel));
    let name = move || {
        current()
            .and_then(|id| {
                console
                    .model
                    .with(|m| domain::channel::name_of(&m.channels, id).map(str::to_owned))
            })
            .unwrap_or_else(|| "None".to_owned())
    };
    let others = move || {
        let current = current();
        console.model.with(|m| {
            m.channels
                .iter()
                .filter(|c| !c.archived && Some(c.id) != current)
                .map(|c| (c.id, c.name.clone()))
                .collect::<Vec<_>>()
        })
    };
    let busy = RwSignal::new(false);
    let move_to = move |value: String| {
        let Ok(channel) = value.parse() else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            if let Err(err) = api::move_chat(api::MoveChatInput {
                chat_id: chat,
                channel,
            })
            .await
            {
                console.report(&err);
            }
            busy.try_set(false);
        });
    };
    view! {
        <Show when=move || console.model.with(|m| !m.channels.is_empty())>
            <dt>"Channel"</dt>
            <dd class="channel-move">
                <span data-testid="chat-channel-name">{name}</span>
                <select
                    data-testid="move-channel"
                    aria-label="Move to channel"
                    disabled=move || busy.get() || others().is_empty()
                    on:change=move |ev| move_to(event_target_value(&ev))
                >
                    <option value="" selected=true>"Move to…"</option>
                    {move || {
                        others()
                            .into_iter()
                            .map(|(id, name)| view! { <option value=id.to_string()>{name}</option> })
                            .collect_view()
                    }}
                </select>
            </dd>
        </Show>
    }
}
