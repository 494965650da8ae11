//! "Ticket" in a chat's controls (O23): turn the chat into a new ticket, or append it to an
//! open one; either way the server closes the chat, and the ticket carries the conversation on.

use domain::ChatId;
use domain::ticket::{AppendChat, Ticket, TicketFilter, TicketFromChat};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::state::Console;

/// The form under the chat's controls; done, it sets `shown` to false.
#[component]
pub fn TicketForm(chat: ChatId, shown: RwSignal<bool>) -> impl IntoView {
    let console = expect_context::<Console>();
    let subject = RwSignal::new(String::new());
    let target = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let open = RwSignal::new(Vec::<Ticket>::new());
    spawn_local(async move {
        if let Ok(tickets) = api::tickets(TicketFilter::default()).await {
            open.try_set(tickets);
        }
    });
    let finish = move |number: i64, created: bool| {
        let what = if created { "opened" } else { "updated" };
        console.notice.set(Some(format!(
            "Ticket #{number} {what}; the chat is closed."
        )));
        // The chat may have closed (and its controls gone) before the answer came.
        shown.try_set(false);
    };
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let form = TicketFromChat {
            chat,
            subject: subject.get_untracked(),
        };
        spawn_local(async move {
            match api::turn_chat_into_ticket(form).await {
                Ok(view) => finish(view.ticket.number, true),
                Err(err) => console.report(&err),
            }
            busy.try_set(false);
        });
    };
    let append = move |_| {
        let Ok(ticket) = target.get_untracked().parse() else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            match api::append_chat_to_ticket(AppendChat { chat, ticket }).await {
                Ok(view) => finish(view.ticket.number, false),
                Err(err) => console.report(&err),
            }
            busy.try_set(false);
        });
    };
    view! {
        <form class="inline-form ticket-form" data-testid="ticket-form" on:submit=create>
            <input
                data-testid="ticket-subject"
                aria-label="Subject of the new ticket"
                placeholder="Subject"
                maxlength="200"
                required
                on:input=move |ev| subject.set(event_target_value(&ev))
            />
            <button type="submit" data-testid="ticket-create" disabled=move || busy.get()>
                "New ticket"
            </button>
            {move || {
                let tickets = open.get();
                (!tickets.is_empty()).then(|| view! {
                    <select
                        data-testid="ticket-existing"
                        aria-label="An open ticket to append the chat to"
                        on:change=move |ev| target.set(event_target_value(&ev))
                    >
                        <option value="">"Or append to…"</option>
                        {tickets
                            .into_iter()
                            .map(|t| view! { <option value=t.id.to_string()>{format!("#{} {}", t.number, t.subject)}</option> })
                            .collect_view()}
                    </select>
                    <button
                        type="button"
                        data-testid="ticket-append"
                        disabled=move || busy.get() || target.get().is_empty()
                        on:click=append
                    >
                        "Append"
                    </button>
                })
            }}
        </form>
    }
}
