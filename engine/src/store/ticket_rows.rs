//! Tickets' rows as both backends read them: ids as text (PostgreSQL casts its UUIDs), so one
//! row type and one conversion serve both.

use domain::ticket::{Article, ArticleKind, Ticket, TicketStatus};
use domain::{ChannelId, ChatId, OperatorId, TicketId, Timestamp, VisitorId};
use uuid::Uuid;

use super::{StoreError, reason_from_stored};

/// The columns every SQLite ticket query selects, with the assignee's name.
pub(crate) const TICKET_COLUMNS: &str = "t.id, t.number, t.subject, t.status, t.assignee_id, \
     o.name AS assignee_name, t.channel_id, t.visitor_id, t.name, t.email, t.reason, \
     t.created_at, t.updated_at";

/// The same on PostgreSQL, its UUIDs as text.
pub(crate) const PG_TICKET_COLUMNS: &str = "t.id::text AS id, t.number, t.subject, t.status, \
     t.assignee_id::text AS assignee_id, o.name AS assignee_name, \
     t.channel_id::text AS channel_id, t.visitor_id::text AS visitor_id, t.name, t.email, \
     t.reason, t.created_at, t.updated_at";

/// A ticket.
#[derive(sqlx::FromRow)]
pub(crate) struct TicketRow {
    id: String,
    number: i64,
    subject: String,
    status: String,
    assignee_id: Option<String>,
    assignee_name: Option<String>,
    channel_id: Option<String>,
    visitor_id: Option<String>,
    name: String,
    email: String,
    reason: Option<String>,
    created_at: i64,
    updated_at: i64,
}

/// An article.
#[derive(sqlx::FromRow)]
pub(crate) struct ArticleRow {
    kind: String,
    author: String,
    body: String,
    chat_id: Option<String>,
    recipient: Option<String>,
    created_at: i64,
}

fn uuid(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|err| StoreError::Corrupt(format!("uuid {text:?}: {err}")))
}

fn some_uuid(text: Option<&str>) -> Result<Option<Uuid>, StoreError> {
    text.map(uuid).transpose()
}

impl TryFrom<TicketRow> for Ticket {
    type Error = StoreError;

    fn try_from(row: TicketRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: TicketId(uuid(&row.id)?),
            number: row.number,
            subject: row.subject,
            status: TicketStatus::parse(&row.status)
                .ok_or_else(|| StoreError::Corrupt(format!("ticket status {:?}", row.status)))?,
            assignee: some_uuid(row.assignee_id.as_deref())?.map(OperatorId),
            assignee_name: row.assignee_name,
            channel: some_uuid(row.channel_id.as_deref())?.map(ChannelId),
            visitor: some_uuid(row.visitor_id.as_deref())?.map(VisitorId),
            name: row.name,
            email: row.email,
            reason: row.reason.as_deref().map(reason_from_stored).transpose()?,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
        })
    }
}

impl TryFrom<ArticleRow> for Article {
    type Error = StoreError;

    fn try_from(row: ArticleRow) -> Result<Self, StoreError> {
        Ok(Self {
            kind: ArticleKind::parse(&row.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("article kind {:?}", row.kind)))?,
            author: row.author,
            body: row.body,
            chat: some_uuid(row.chat_id.as_deref())?.map(ChatId),
            recipient: row.recipient,
            created_at: Timestamp(row.created_at),
        })
    }
}

/// The status filter as SQL, on `t`: open and pending ones unless one is asked for.
pub(crate) fn status_condition(status: Option<TicketStatus>) -> String {
    match status {
        Some(status) => format!("t.status = '{}'", status.as_str()),
        None => "t.status <> 'closed'".to_owned(),
    }
}
