//! One line of a conversation as an operator reads it: a message (a note looks different) or
//! the line `describe` gives every other event.

use domain::{Author, ChatEvent, EventKind, OperatorId, Viewer};
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;

use crate::components::time::clock;

/// An event of a chat, as `me` reads it.
#[component]
pub fn EventLine(event: ChatEvent, me: OperatorId) -> impl IntoView {
    let at = clock(event.at);
    match event.kind {
        EventKind::MessagePosted {
            author,
            author_name,
            body,
            note,
            ..
        } => {
            let own = author == Author::Operator { id: me };
            let who = match author {
                Author::Visitor => "visitor",
                Author::Operator { .. } => "operator",
            };
            let class = match (own, note) {
                (_, true) => "message note",
                (true, false) => "message own",
                (false, false) => "message",
            };
            view! {
                <div class=class data-testid="message" data-author=who data-note=note.then_some("true")>
                    <div class="meta">
                        {note.then(|| view! { <span class="note-label">"Note"</span> })}
                        <span class="author">{author_name}</span>
                        <time>{at}</time>
                    </div>
                    <div class="body">{body}</div>
                </div>
            }
            .into_any_at_once()
        }
        other => match other.describe(Viewer::Operator(me)) {
            Some(text) => view! {
                <div class="system" data-testid="message" data-author="system">
                    <span class="visually-hidden">"Chat event: "</span>
                    <span>{text}</span>
                    <time>{at}</time>
                </div>
            }
            .into_any_at_once(),
            None => ().into_any_at_once(),
        },
    }
}
