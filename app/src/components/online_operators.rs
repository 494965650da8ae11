//! The other operators online now, kept live from presence signals, each with a button to start
//! a private chat: it asks for the first message, and the chat then opens in My Chats like any
//! other.

use domain::OperatorId;
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;
use leptos::task::spawn_local;

use crate::api;
use crate::components::entry_bar::new_client_id;
use crate::presence::{Colleague, Roster};

/// How often the list is asked for afresh, so that away follows idle time.
const ROSTER_REFRESH: std::time::Duration = std::time::Duration::from_secs(60);
use crate::state::Console;

/// The online operators list of the console's sidebar.
#[component]
pub fn OnlineOperators() -> impl IntoView {
    let console = expect_context::<Console>();
    let colleagues = Memo::new(move |_| console.roster.with(|r| r.colleagues().to_vec()));
    // Who is away changes with time, not with signals: list afresh every minute.
    Effect::new(move |_| {
        let refresh = move || {
            spawn_local(async move {
                if let Ok(online) = api::online_operators().await {
                    console.roster.set(Roster::from_online(online));
                }
            });
        };
        if let Ok(handle) = set_interval_with_handle(refresh, ROSTER_REFRESH) {
            on_cleanup(move || handle.clear());
        }
    });
    // Whom I am writing a first message to.
    let writing_to = RwSignal::new(None::<OperatorId>);
    view! {
        <section class="online" data-testid="online-operators">
            <h3>"Online operators"</h3>
            <Show
                when=move || !colleagues.with(Vec::is_empty)
                fallback=|| view! { <p class="muted">"Nobody else is online."</p> }
            >
                <ul>
                    <For
                        each=move || colleagues.get()
                        key=|c| (c.id, c.name.clone(), c.away, c.unavailable)
                        children=move |colleague| view! { <OnlineOperator colleague writing_to /> }
                    />
                </ul>
            </Show>
        </section>
    }
}

#[component]
fn OnlineOperator(colleague: Colleague, writing_to: RwSignal<Option<OperatorId>>) -> impl IntoView {
    let id = colleague.id;
    let dot = domain::console::Dot::online(colleague.away, colleague.unavailable);
    view! {
        <li data-testid="online-operator" data-operator-id=id.to_string()>
            <div class="online-line">
                <span
                    class=format!("dot {}", dot.as_str())
                    data-testid="operator-availability"
                    data-dot=dot.as_str()
                    data-away=colleague.away.to_string()
                    data-unavailable=colleague.unavailable.to_string()
                    title=dot.label()
                ></span>
                <span class="name">{colleague.name}</span>
                <button class="link" data-testid="start-private" on:click=move |_| writing_to.set(Some(id))>
                    "Chat"
                </button>
            </div>
            <Show when=move || writing_to.get() == Some(id)>
                <Suspense fallback=|| ()>
                    {Suspend::new(first_message(id, writing_to))}
                </Suspense>
            </Show>
        </li>
    }
}

/// The first message form, fetched the first time an operator starts a private chat.
#[lazy]
fn first_message(with: OperatorId, writing_to: RwSignal<Option<OperatorId>>) -> AnyView {
    view! { <FirstMessage with writing_to /> }.into_any_at_once()
}

#[component]
fn FirstMessage(with: OperatorId, writing_to: RwSignal<Option<OperatorId>>) -> impl IntoView {
    let console = expect_context::<Console>();
    let text = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let start = move || {
        let message = text.get_untracked();
        if message.trim().is_empty() || sending.get_untracked() {
            return;
        }
        sending.set(true);
        spawn_local(async move {
            let input = api::PrivateChatInput {
                with,
                message,
                client_id: Some(new_client_id()),
            };
            match api::start_private_chat(input).await {
                Ok(mine) => {
                    let chat = mine.summary.id();
                    console.model.update(|m| m.add_my_chat(mine));
                    console.open(chat);
                    writing_to.set(None);
                    console.go_to.set(Some("/chats"));
                }
                Err(err) => {
                    error.try_set(Some(err.message().to_owned()));
                    sending.try_set(false);
                }
            }
        });
    };
    view! {
        <form class="first-message" on:submit=move |ev| {
            ev.prevent_default();
            start();
        }>
            <textarea
                data-testid="private-message"
                rows="2"
                placeholder="Your first message"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                on:keydown=move |ev| {
                    if ev.key() == "Enter" && !ev.shift_key() {
                        ev.prevent_default();
                        start();
                    }
                }
            ></textarea>
            <div class="buttons">
                <button type="submit" class="primary" data-testid="private-send" disabled=move || sending.get()>
                    "Start chat"
                </button>
                <button type="button" class="link" on:click=move |_| writing_to.set(None)>"Cancel"</button>
            </div>
            {move || error.get().map(|message| view! { <p class="error">{message}</p> })}
        </form>
    }
}
