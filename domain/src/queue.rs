//! The queue a waiting visitor stands in (V4): one per channel (chats in no channel form their
//! own), oldest first, and a wait estimated from how fast operators have been taking chats.
//! The positions are derived from the waiting chats themselves, so every node computes the
//! same ones from the database.

use serde::{Deserialize, Serialize};

use crate::ids::{ChannelId, ChatId, VisitorId};
use crate::time::Timestamp;

/// How far back accepted chats count for the wait estimate (milliseconds).
pub const ESTIMATE_WINDOW_MS: i64 = 30 * 60 * 1000;

/// A waiting chat, as far as the queue cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Queued {
    /// The chat.
    pub chat: ChatId,
    /// Its visitor, who is told their place.
    pub visitor: Option<VisitorId>,
    /// Its channel's queue (`None`: the queue of chats in no channel).
    pub channel: Option<ChannelId>,
    /// When it started waiting.
    pub since: Timestamp,
}

/// A visitor's place in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePlace {
    /// 1-based position in the chat's channel.
    pub position: u32,
    /// Roughly how long until an operator takes the chat, if operators have taken any chats
    /// lately.
    pub estimated_wait_seconds: Option<u32>,
}

/// How fast chats have been taken lately: `accepted` chats in the last `window_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pace {
    /// Chats operators accepted in the window.
    pub accepted: u32,
    /// The window (milliseconds).
    pub window_ms: i64,
}

impl Pace {
    /// The wait of the chat at `position`: at the recent pace, `position` chats are taken in
    /// `position × window / accepted`. `None` when nothing was taken lately (no basis).
    pub fn estimate(self, position: u32) -> Option<u32> {
        if self.accepted == 0 {
            return None;
        }
        let millis = i64::from(position) * self.window_ms / i64::from(self.accepted);
        u32::try_from((millis + 999) / 1000).ok()
    }
}

/// The place of every waiting chat: by channel, oldest first (ties by id, which is
/// time-ordered too).
pub fn places(waiting: &[Queued], pace: Pace) -> Vec<(Queued, QueuePlace)> {
    let mut ordered: Vec<Queued> = waiting.to_vec();
    ordered.sort_by_key(|q| (q.channel, q.since, q.chat));
    let mut out = Vec::with_capacity(ordered.len());
    let mut position = 0;
    let mut channel = None;
    for (i, queued) in ordered.into_iter().enumerate() {
        if i == 0 || queued.channel != channel {
            channel = queued.channel;
            position = 0;
        }
        position += 1;
        out.push((
            queued,
            QueuePlace {
                position,
                estimated_wait_seconds: pace.estimate(position),
            },
        ));
    }
    out
}

/// The place of one chat, if it is waiting.
pub fn place_of(chat: ChatId, waiting: &[Queued], pace: Pace) -> Option<QueuePlace> {
    places(waiting, pace)
        .into_iter()
        .find(|(q, _)| q.chat == chat)
        .map(|(_, place)| place)
}

/// The waiting chats whose position differs between two views of the queue (before and after
/// a chat left it, joined it or moved to another channel), with their new place: who must be
/// told.
pub fn moved(before: &[Queued], after: &[Queued], pace: Pace) -> Vec<(Queued, QueuePlace)> {
    let old = places(before, pace);
    places(after, pace)
        .into_iter()
        .filter(|(queued, place)| {
            !old.iter().any(|(was, old_place)| {
                was.chat == queued.chat && old_place.position == place.position
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(n: u128, channel: Option<u128>, since: i64) -> Queued {
        Queued {
            chat: ChatId(uuid::Uuid::from_u128(n)),
            visitor: Some(VisitorId(uuid::Uuid::from_u128(100 + n))),
            channel: channel.map(|c| ChannelId(uuid::Uuid::from_u128(1000 + c))),
            since: Timestamp(since),
        }
    }

    const NONE: Pace = Pace {
        accepted: 0,
        window_ms: ESTIMATE_WINDOW_MS,
    };

    #[test]
    fn positions_count_per_channel_oldest_first() {
        let waiting = [
            chat(1, Some(1), 30),
            chat(2, None, 10),
            chat(3, Some(1), 20),
            chat(4, None, 40),
            chat(5, Some(2), 50),
        ];
        let place = |n: usize| place_of(waiting[n].chat, &waiting, NONE).map(|p| p.position);
        assert_eq!(place(0), Some(2));
        assert_eq!(place(1), Some(1));
        assert_eq!(place(2), Some(1));
        assert_eq!(place(3), Some(2));
        assert_eq!(place(4), Some(1));
        assert_eq!(place_of(chat(9, None, 0).chat, &waiting, NONE), None);
    }

    #[test]
    fn only_those_behind_a_chat_that_leaves_are_told() {
        let before = [
            chat(1, None, 1),
            chat(2, None, 2),
            chat(3, None, 3),
            chat(4, Some(1), 4),
        ];
        // The first is accepted: the two behind it move up; the other channel is untouched.
        let after = [before[1], before[2], before[3]];
        let told: Vec<_> = moved(&before, &after, NONE)
            .into_iter()
            .map(|(q, p)| (q.chat, p.position))
            .collect();
        assert_eq!(told, [(before[1].chat, 1), (before[2].chat, 2)]);
        // The last leaves: nobody moves.
        assert!(moved(&after, &after[..2], NONE).is_empty());
        // A chat moved to channel 1 keeps the time it has waited, so it goes ahead of the
        // younger one there: both are told, and the one behind it in its old queue.
        let mut moved_chat = before[1];
        moved_chat.channel = before[3].channel;
        let after = [before[0], moved_chat, before[2], before[3]];
        let told: Vec<_> = moved(&before, &after, NONE)
            .into_iter()
            .map(|(q, p)| (q.chat, p.position))
            .collect();
        assert_eq!(
            told,
            [
                (before[2].chat, 2),
                (moved_chat.chat, 1),
                (before[3].chat, 2)
            ]
        );
    }

    #[test]
    fn the_wait_follows_the_recent_pace() {
        let pace = Pace {
            accepted: 6,
            window_ms: ESTIMATE_WINDOW_MS,
        };
        // Six chats in 30 minutes: one every 5 minutes.
        assert_eq!(pace.estimate(1), Some(300));
        assert_eq!(pace.estimate(3), Some(900));
        assert_eq!(NONE.estimate(1), None);
    }
}
