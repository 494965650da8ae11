//! The message entry bar: Enter sends, Shift+Enter adds a line. Participants choose between a
//! message and a note (operators only); observers write notes. While the operator types, the
//! chat's other members are told, at most every `SIGNAL_REPEAT_MS`. Canned messages come in
//! through the picker, or by typing a whole `/shortcut` and pressing Tab or Enter.

use domain::canned::{CannedMessage, expand};
use domain::signal::SIGNAL_REPEAT_MS;
use domain::{ChatId, MemberRole, Timestamp};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::canned_picker::{
    CannedList, CannedPicker, chat_variables, expand_shortcut, insert_canned,
};
use crate::state::{Console, now};

/// The entry bar of a chat; `role` is mine in it, `notes` whether notes exist there (visitor
/// chats).
#[component]
pub fn EntryBar(chat: ChatId, role: Signal<Option<MemberRole>>, notes: bool) -> impl IntoView {
    let console = expect_context::<Console>();
    let text = RwSignal::new(String::new());
    let note_chosen = RwSignal::new(false);
    let as_note = Signal::derive(move || {
        notes && (role.get() == Some(MemberRole::Observer) || note_chosen.get())
    });
    // When the others were last told I am typing; `None` while I am not.
    let typing_since = StoredValue::new(None::<Timestamp>);

    let tell_typing = move |active: bool, note: bool| {
        spawn_local(async move {
            // Best effort: a lost signal expires on its own.
            let signal = api::ChatSignalInput {
                chat_id: chat,
                typing: Some(active),
                note,
                viewing: None,
            };
            let _ = api::chat_signal(signal).await;
        });
    };
    let stop_typing = move || {
        if let Some(Some(_)) = typing_since.try_get_value() {
            typing_since.set_value(None);
            if console.is_in(chat) {
                tell_typing(false, as_note.get_untracked());
            }
        }
    };
    let on_input = move |value: String| {
        let typed = !value.trim().is_empty();
        text.set(value);
        if !typed {
            stop_typing();
            return;
        }
        let at = now();
        let due = typing_since
            .get_value()
            .is_none_or(|last| at.millis_since(last) >= SIGNAL_REPEAT_MS);
        if due {
            typing_since.set_value(Some(at));
            tell_typing(true, as_note.get_untracked());
        }
    };
    // Queued at once (shown as "sending…" until the server has it): the box is free for the
    // next message straight away, and nothing is lost if the network or the server is down.
    let send = move || {
        let body = text.get_untracked();
        if body.trim().is_empty() {
            return;
        }
        let note = as_note.get_untracked();
        stop_typing();
        text.set(String::new());
        #[cfg(feature = "hydrate")]
        crate::outbox::browser::queue(console, chat, body, note);
        #[cfg(not(feature = "hydrate"))]
        let _ = (body, note);
    };
    on_cleanup(stop_typing);

    let canned = CannedList::from_context();
    // In the browser only: the server renders the bar without the list.
    Effect::new(move |_| canned.ensure_loaded());
    let picking = RwSignal::new(false);
    let entry = NodeRef::<html::Textarea>::new();
    let variables = move || {
        let name = console
            .me
            .with_untracked(|me| me.as_ref().map(|me| me.chat_name.clone()))
            .unwrap_or_default();
        let (visitor, channel) = console
            .model
            .with_untracked(|m| {
                let summary = &m.my_chats.iter().find(|c| c.summary.id() == chat)?.summary;
                let channel = summary
                    .chat
                    .channel
                    .and_then(|id| domain::channel::name_of(&m.channels, id))
                    .map(str::to_owned);
                Some((summary.chat.visitor_name.clone(), channel))
            })
            .unwrap_or_default();
        chat_variables(&name, &visitor, channel.as_deref())
    };
    let focus_entry = move || {
        if let Some(entry) = entry.get_untracked() {
            // Focus is a convenience; a browser that refuses it changes nothing else.
            let _ = entry.focus();
        }
    };
    // Coming into the chat (Accept, Join…) puts the cursor here, ready to answer.
    Effect::new(move |_| {
        if console.focus_entry.get() == Some(chat) && entry.get().is_some() {
            console.focus_entry.set(None);
            focus_entry();
        }
    });
    let on_pick = Callback::new(move |message: CannedMessage| {
        let expanded = expand(&message.body, &variables());
        on_input(insert_canned(&text.get_untracked(), &expanded));
        picking.set(false);
        focus_entry();
    });
    let on_close = Callback::new(move |()| {
        picking.set(false);
        focus_entry();
    });
    // The entry is exactly a known `/shortcut`: it becomes the message's text instead of being
    // sent. Answers whether it did.
    let expand_typed = move || {
        let typed = text.get_untracked();
        let expanded =
            canned.with_untracked(|messages| expand_shortcut(&typed, messages, &variables()));
        match expanded {
            Some(expanded) => {
                on_input(expanded);
                true
            }
            None => false,
        }
    };

    let toggle = move || {
        (notes && role.get() == Some(MemberRole::Participant)).then(|| {
            view! {
                <button
                    type="button"
                    class="note-toggle"
                    data-testid="note-toggle"
                    aria-label=move || {
                        if note_chosen.get() {
                            "Writing a note, seen by operators only. Switch to a message to the visitor"
                        } else {
                            "Writing a message to the visitor. Switch to a note, seen by operators only"
                        }
                    }
                    title="A note is seen by operators only"
                    on:click=move |_| {
                        stop_typing();
                        note_chosen.update(|n| *n = !*n);
                    }
                >
                    {move || if note_chosen.get() { "Note" } else { "Message" }}
                </button>
            }
        })
    };
    let placeholder = move || {
        if as_note.get() {
            "Write a note only operators see — Enter adds it"
        } else {
            "Type a message — Enter sends, Shift+Enter adds a line"
        }
    };
    view! {
        <form
            class="entry"
            class:as-note=move || as_note.get()
            on:submit=move |ev| {
                ev.prevent_default();
                send();
            }
        >
            {toggle}
            <textarea
                data-testid="entry"
                aria-label=move || if as_note.get() { "Note" } else { "Message" }
                placeholder=placeholder
                rows="2"
                node_ref=entry
                prop:value=move || text.get()
                on:input=move |ev| on_input(event_target_value(&ev))
                on:keydown=move |ev| {
                    let plain = !ev.shift_key() && !ev.ctrl_key() && !ev.alt_key() && !ev.meta_key();
                    match ev.key().as_str() {
                        "Tab" if plain && expand_typed() => ev.prevent_default(),
                        "Enter" if !ev.shift_key() => {
                            ev.prevent_default();
                            if !expand_typed() {
                                send();
                            }
                        }
                        _ => {}
                    }
                }
            ></textarea>
            <button
                type="button"
                class="canned-button"
                data-testid="canned-button"
                title="Canned messages"
                aria-label="Canned messages"
                aria-haspopup="dialog"
                aria-expanded=move || picking.get().to_string()
                on:click=move |_| {
                    let open = !picking.get_untracked();
                    if open {
                        canned.refresh();
                    }
                    picking.set(open);
                }
            >
                "Canned"
            </button>
            {move || picking.get().then(|| view! { <CannedPicker list=canned on_pick on_close /> })}
            <button type="submit" class="primary" data-testid="send">
                {move || if as_note.get() { "Add note" } else { "Send" }}
            </button>
        </form>
    }
}

/// An idempotency key for one message, so a retried send is stored once.
pub fn new_client_id() -> String {
    #[cfg(feature = "hydrate")]
    {
        // Random 32-bit halves; truncating the float is the point.
        let a = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        let b = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        format!("{:x}-{a:08x}{b:08x}", now().0)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        format!("{:x}", now().0)
    }
}
