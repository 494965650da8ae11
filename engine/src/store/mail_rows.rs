//! The outbox's rows as both backends read them (the same columns and types in each).

use domain::Timestamp;
use domain::mail::{MailPurpose, MailState, OutboxEntry};
use sqlx::FromRow;

use super::{DueMail, StoreError};

/// A mail taken to send.
#[derive(FromRow)]
pub(crate) struct DueRow {
    id: i64,
    recipient: String,
    subject: String,
    body: String,
    attempts: i32,
}

/// A mail as the console's outbox lists it.
#[derive(FromRow)]
pub(crate) struct EntryRow {
    id: i64,
    recipient: String,
    subject: String,
    purpose: String,
    state: String,
    attempts: i32,
    created_at: i64,
    last_attempt_at: Option<i64>,
    last_error: Option<String>,
}

impl From<DueRow> for DueMail {
    fn from(row: DueRow) -> Self {
        Self {
            id: row.id,
            recipient: row.recipient,
            subject: row.subject,
            body: row.body,
            attempts: u32::try_from(row.attempts).unwrap_or_default(),
        }
    }
}

impl TryFrom<EntryRow> for OutboxEntry {
    type Error = StoreError;

    fn try_from(row: EntryRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            recipient: row.recipient,
            subject: row.subject,
            purpose: MailPurpose::parse(&row.purpose)
                .ok_or_else(|| StoreError::Corrupt(format!("mail purpose {:?}", row.purpose)))?,
            state: MailState::parse(&row.state)
                .ok_or_else(|| StoreError::Corrupt(format!("mail state {:?}", row.state)))?,
            attempts: u32::try_from(row.attempts).unwrap_or_default(),
            created_at: Timestamp(row.created_at),
            last_attempt_at: row.last_attempt_at.map(Timestamp),
            last_error: row.last_error,
        })
    }
}
