//! Messages and notes the operator sent that the server has not confirmed yet. Sending never
//! waits on the previous message, and nothing typed is lost: each message is queued with its
//! own `client_id` (so a retry is stored once), shown as "sending…" in its chat, and sent in
//! order, again and again while the server cannot be reached.
//!
//! The queue lives in the browser's local storage, shared by the console's tabs and windows:
//! it survives a route change, a reload, and a chat window closed while its message was on its
//! way (another tab picks up what its sender left behind).
#![cfg_attr(
    not(feature = "hydrate"),
    allow(dead_code, reason = "the queue is kept and sent by the browser only")
)]

use domain::{ChatId, Timestamp};
use serde::{Deserialize, Serialize};

/// How long a message may wait with the tab that queued it before any other tab sends it (its
/// tab may have been closed).
pub const ORPHANED_AFTER_MS: i64 = 8_000;

/// A message or note on its way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    /// Its idempotency key.
    pub client_id: String,
    /// The chat it goes to.
    pub chat: ChatId,
    /// The text, as typed.
    pub body: String,
    /// A note only operators see.
    pub note: bool,
    /// When it was queued.
    pub queued_at: Timestamp,
    /// The tab that queued it.
    pub tab: String,
}

impl Outgoing {
    /// Whether `tab` should send it now: its own, or one left behind by another tab.
    pub fn due_for(&self, tab: &str, now: Timestamp) -> bool {
        self.tab == tab || now.0 - self.queued_at.0 >= ORPHANED_AFTER_MS
    }
}

/// What `tab` sends next: the first message due for it with nothing queued before it in the
/// same chat, so a chat's messages always go out in the order they were written.
pub fn next_due<'a>(queue: &'a [Outgoing], tab: &str, now: Timestamp) -> Option<&'a Outgoing> {
    queue.iter().enumerate().find_map(|(at, message)| {
        let first_of_chat = !queue[..at].iter().any(|m| m.chat == message.chat);
        (first_of_chat && message.due_for(tab, now)).then_some(message)
    })
}

/// The queue as stored: JSON; anything unreadable counts as empty.
pub fn parse(stored: Option<&str>) -> Vec<Outgoing> {
    stored
        .and_then(|text| crate::json::parse(text).ok())
        .unwrap_or_default()
}

/// The queue's stored form.
pub fn to_stored(queue: &[Outgoing]) -> String {
    serde_json::to_string(queue).unwrap_or_else(|_| "[]".to_owned())
}

#[cfg(feature = "hydrate")]
pub mod browser {
    //! The queue in local storage and the loop that sends it.

    use domain::{ChatId, ErrorCode};
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use std::cell::Cell;

    use super::{Outgoing, parse, to_stored};
    use crate::api;
    use crate::browser::{remember, remembered};
    use crate::state::{Console, now};

    const KEY: &str = "switchboard:outbox";
    const FIRST_RETRY_MS: i32 = 500;
    const MAX_RETRY_MS: i32 = 3_000;

    thread_local! {
        /// This tab's name in the queue.
        static TAB: String = crate::components::entry_bar::new_client_id();
        /// Whether this tab's loop is running.
        static SENDING: Cell<bool> = const { Cell::new(false) };
        /// Whether something asked the loop to try again at once (back online, reconnected).
        static NUDGED: Cell<bool> = const { Cell::new(false) };
    }

    fn read() -> Vec<Outgoing> {
        parse(remembered(KEY).as_deref())
    }

    /// Changes the stored queue and shows it.
    fn change(console: Console, f: impl FnOnce(&mut Vec<Outgoing>)) {
        let mut queue = read();
        f(&mut queue);
        remember(KEY, &to_stored(&queue));
        console.outbox.set(queue);
    }

    /// Queues a message and sends it as soon as it can.
    pub fn queue(console: Console, chat: ChatId, body: String, note: bool) {
        let item = Outgoing {
            client_id: crate::components::entry_bar::new_client_id(),
            chat,
            body,
            note,
            queued_at: now(),
            tab: TAB.with(Clone::clone),
        };
        change(console, |queue| queue.push(item));
        flush(console);
    }

    /// Shows the stored queue (another tab changed it) and sends what is due.
    pub fn refresh(console: Console) {
        console.outbox.set(read());
        flush(console);
    }

    /// Sends what is due now, unless this tab is sending already (then it is told to hurry).
    pub fn flush(console: Console) {
        NUDGED.set(true);
        if SENDING.replace(true) {
            return;
        }
        spawn_local(async move {
            send_all(console).await;
            SENDING.set(false);
        });
    }

    async fn send_all(console: Console) {
        let mut delay = FIRST_RETRY_MS;
        loop {
            NUDGED.set(false);
            let tab = TAB.with(Clone::clone);
            let queue = read();
            let Some(next) = super::next_due(&queue, &tab, now()).cloned() else {
                console.outbox.set(read());
                return;
            };
            match api::post_message(api::PostMessageInput {
                chat_id: next.chat,
                body: next.body.clone(),
                client_id: Some(next.client_id.clone()),
                note: next.note,
            })
            .await
            {
                Ok(event) => {
                    delay = FIRST_RETRY_MS;
                    console.model.update(|m| m.record(&event));
                    change(console, |queue| {
                        queue.retain(|m| m.client_id != next.client_id)
                    });
                }
                // Out of reach: keep it, and try again (at once when the network is back).
                Err(err) if err.code() == ErrorCode::Unavailable => {
                    let mut waited = 0;
                    while waited < delay && !NUDGED.get() {
                        sleep(100).await;
                        waited += 100;
                    }
                    delay = (delay * 2).min(MAX_RETRY_MS);
                }
                Err(err) => {
                    change(console, |queue| {
                        queue.retain(|m| m.client_id != next.client_id)
                    });
                    let preview: String = next.body.chars().take(40).collect();
                    console
                        .notice
                        .set(Some(format!("Not sent: “{preview}” — {}", err.message())));
                }
            }
        }
    }

    async fn sleep(millis: i32) {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            let _ =
                window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, millis);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn item(tab: &str, at: i64) -> Outgoing {
        Outgoing {
            client_id: format!("{tab}-{at}"),
            chat: ChatId(Uuid::from_u128(1)),
            body: "hello".into(),
            note: false,
            queued_at: Timestamp(at),
            tab: tab.into(),
        }
    }

    #[test]
    fn a_tab_sends_its_own_at_once_and_others_once_orphaned() {
        let mine = item("a", 1_000);
        let theirs = item("b", 1_000);
        assert!(mine.due_for("a", Timestamp(1_000)));
        assert!(!theirs.due_for("a", Timestamp(1_000 + ORPHANED_AFTER_MS - 1)));
        assert!(theirs.due_for("a", Timestamp(1_000 + ORPHANED_AFTER_MS)));
    }

    #[test]
    fn a_chat_s_messages_go_out_in_the_order_they_were_written() {
        let mut theirs = item("b", 1_000);
        let mut mine = item("a", 1_001);
        let mut other_chat = item("a", 1_002);
        other_chat.chat = ChatId(Uuid::from_u128(2));
        let queue = vec![theirs.clone(), mine.clone(), other_chat.clone()];
        // Another tab's message comes first in that chat: mine waits; the other chat's goes.
        assert_eq!(next_due(&queue, "a", Timestamp(1_500)), Some(&other_chat));
        // Once theirs is left behind, this tab sends it first.
        let later = Timestamp(1_000 + ORPHANED_AFTER_MS);
        assert_eq!(next_due(&queue, "a", later), Some(&theirs));
        theirs.tab = "a".into();
        mine.tab = "a".into();
        assert_eq!(next_due(&[mine.clone()], "a", Timestamp(0)), Some(&mine));
        assert_eq!(next_due(&[], "a", later), None);
    }

    #[test]
    fn the_stored_queue_reads_back_and_garbage_reads_as_empty() {
        let queue = vec![item("a", 1), item("b", 2)];
        assert_eq!(parse(Some(&to_stored(&queue))), queue);
        assert!(parse(Some("not json")).is_empty());
        assert!(parse(None).is_empty());
    }
}
