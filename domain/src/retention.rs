//! Retention (P6): how long closed chats are kept, and what a visitor's data is when an admin
//! exports it or erases it on request.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::chat::ChatStatus;
use crate::event::ChatEvent;
use crate::ids::{ChatId, VisitorId};
use crate::time::Timestamp;

/// A day, in milliseconds.
const DAY_MS: i64 = 86_400_000;

/// Chats closed before this instant are deleted now, or `None` when they are kept for ever.
pub fn purge_before(retention_days: u32, now: Timestamp) -> Option<Timestamp> {
    (retention_days > 0).then(|| Timestamp(now.0 - i64::from(retention_days) * DAY_MS))
}

/// Everything kept about one visitor, as an admin exports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorExport {
    /// When the export was made.
    pub exported_at: Timestamp,
    /// The visitor.
    pub visitor: VisitorData,
    /// Their chats, oldest first, each with every event (private notes included).
    pub chats: Vec<ExportedChat>,
    /// The messages they left while live chat was not offered.
    pub messages: Vec<ExportedMessage>,
}

/// What is kept about the visitor themselves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorData {
    /// Id.
    pub id: VisitorId,
    /// Name, if given.
    pub name: Option<String>,
    /// Email, if given.
    pub email: Option<String>,
    /// Browser language.
    pub language: Option<String>,
    /// The browser, as its User-Agent said.
    pub user_agent: Option<String>,
    /// The page they were last on, and its title.
    pub page_url: Option<String>,
    /// Its title.
    pub page_title: Option<String>,
    /// Where they came from.
    pub referrer: Option<String>,
    /// Custom fields from the site.
    pub fields: BTreeMap<String, String>,
    /// First seen.
    pub created_at: Timestamp,
    /// Last seen.
    pub last_seen_at: Timestamp,
}

/// One of the visitor's chats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedChat {
    /// The chat.
    pub id: ChatId,
    /// Its status.
    pub status: ChatStatus,
    /// Its events, oldest first.
    pub events: Vec<ChatEvent>,
}

/// A message the visitor left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedMessage {
    /// The name they gave.
    pub name: String,
    /// Where the answer goes.
    pub email: String,
    /// The message.
    pub message: String,
    /// When.
    pub left_at: Timestamp,
}

/// What erasing a visitor deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erased {
    /// Chats, with their events.
    pub chats: u64,
    /// Messages left offline.
    pub messages: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chats_are_kept_for_ever_or_for_the_given_days() {
        let now = Timestamp(100 * DAY_MS);
        assert_eq!(purge_before(0, now), None);
        assert_eq!(purge_before(30, now), Some(Timestamp(70 * DAY_MS)));
    }
}
