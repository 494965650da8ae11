//! Waiting visitors' places in their queues (V4): read from the waiting chats in the database
//! whenever asked, and told to the visitors whose place a change moved, as `queue` signals on
//! every node. The rule (per channel, oldest first, the estimate) is `domain::queue`'s.

use domain::queue::{ESTIMATE_WINDOW_MS, Pace, QueuePlace, Queued};
use domain::reach::SignalReach;
use domain::{ChatId, ChatState, ChatStatus, Error, Signal, Timestamp};

use crate::store::StoredChat;
use crate::{Engine, internal};

fn queued(chat: &StoredChat) -> Queued {
    queued_as(&chat.state, chat.created_at)
}

fn queued_as(state: &ChatState, since: Timestamp) -> Queued {
    Queued {
        chat: state.id,
        visitor: state.visitor,
        channel: state.channel,
        since,
    }
}

impl Engine {
    /// Every waiting chat and the recent pace of accepts.
    async fn queues(&self) -> Result<(Vec<Queued>, Pace), Error> {
        let waiting = self.store.waiting_chats().await.map_err(internal)?;
        let since = Timestamp(self.now().0 - ESTIMATE_WINDOW_MS);
        let accepted = self.store.accepted_since(since).await.map_err(internal)?;
        let pace = Pace {
            accepted,
            window_ms: ESTIMATE_WINDOW_MS,
        };
        Ok((waiting.iter().map(queued).collect(), pace))
    }

    /// A chat's place in its queue, if it is waiting.
    pub(crate) async fn queue_place(&self, chat: ChatId) -> Result<Option<QueuePlace>, Error> {
        let (waiting, pace) = self.queues().await?;
        Ok(domain::queue::place_of(chat, &waiting, pace))
    }

    /// After a committed change took a chat out of a queue, put it in one or moved it between
    /// channels: tells every waiting visitor whose place moved. Runs after the answer, off the
    /// caller's path; a visitor who misses it reads their place on their next load.
    pub(crate) fn queue_changed(&self, before: &ChatState, after: &ChatState, since: Timestamp) {
        let waiting = |state: &ChatState| state.status == ChatStatus::Waiting;
        let moved = waiting(before) != waiting(after) || before.channel != after.channel;
        if !moved || !(waiting(before) || waiting(after)) {
            return;
        }
        let engine = self.clone();
        let (before, after) = (before.clone(), after.clone());
        tokio::spawn(async move {
            let (now_waiting, pace) = match engine.queues().await {
                Ok(queues) => queues,
                Err(_) => return,
            };
            // The queues as they were: the same, with this chat as it was before the change.
            let mut was_waiting: Vec<Queued> = now_waiting
                .iter()
                .copied()
                .filter(|q| q.chat != after.id)
                .collect();
            if waiting(&before) {
                was_waiting.push(queued_as(&before, since));
            }
            for (queued, place) in domain::queue::moved(&was_waiting, &now_waiting, pace) {
                let Some(visitor) = queued.visitor else {
                    continue;
                };
                let signal = Signal::Queue {
                    chat_id: queued.chat,
                    position: place.position,
                    estimated_wait_seconds: place.estimated_wait_seconds,
                };
                engine.signal(signal, SignalReach::visitor(visitor));
            }
        });
    }
}
