//! The SQLite [`ChatStore`]: chats, the event log and its consistent cuts, visitors, and who is
//! in which chat (membership, read markers, monitoring).

use async_trait::async_trait;
use domain::console::Monitoring;
use domain::{
    ChatEvent, ChatId, ChatState, EventId, EventKind, OperatorId, Timestamp, Visibility, VisitorId,
};
use sqlx::{FromRow, Sqlite, SqliteConnection, Transaction};

use super::{SqliteStore, conflict_if_taken, is_unique_violation, parse_uuid};
use crate::store::{
    ChatStore, ChatWrite, LoggedEvent, Membership, NewEvent, OperatorView, Revision, StoreError,
    StoredChat, VisitorCut, VisitorRecord, author_key, scope_from_stored, scope_to_stored,
};

/// A chat write refused because its visitor already has an open chat (a unique index).
fn already_open_if_taken(err: sqlx::Error) -> StoreError {
    if is_unique_violation(&err) {
        StoreError::AlreadyOpen
    } else {
        StoreError::Database(err)
    }
}

#[derive(FromRow)]
pub(super) struct VisitorRow {
    id: String,
    token_hash: String,
    name: Option<String>,
    email: Option<String>,
    language: Option<String>,
    page_url: Option<String>,
    referrer: Option<String>,
    fields: String,
    created_at: i64,
    user_agent: Option<String>,
    page_title: Option<String>,
    last_seen_at: Option<i64>,
    banned_until: Option<i64>,
}

pub(super) const VISITOR_COLUMNS: &str = "id, token_hash, name, email, language, page_url, referrer, \
     fields, created_at, user_agent, page_title, last_seen_at, banned_until";

impl TryFrom<VisitorRow> for VisitorRecord {
    type Error = StoreError;
    fn try_from(row: VisitorRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: VisitorId(parse_uuid(&row.id)?),
            token_hash: row.token_hash,
            name: row.name,
            email: row.email,
            language: row.language,
            page_url: row.page_url,
            referrer: row.referrer,
            fields_json: row.fields,
            created_at: Timestamp(row.created_at),
            user_agent: row.user_agent,
            page_title: row.page_title,
            last_seen_at: Timestamp(row.last_seen_at.unwrap_or(row.created_at)),
            banned_until: row.banned_until.map(Timestamp),
        })
    }
}

#[derive(FromRow)]
struct ChatRow {
    id: String,
    state: String,
    version: i64,
    created_at: i64,
}

const CHAT_COLUMNS: &str = "id, state, version, created_at";

impl TryFrom<ChatRow> for StoredChat {
    type Error = StoreError;
    fn try_from(row: ChatRow) -> Result<Self, StoreError> {
        Ok(Self {
            state: serde_json::from_str(&row.state)
                .map_err(|err| StoreError::Corrupt(format!("chat {}: {err}", row.id)))?,
            version: row.version,
            revision: Revision(row.state.clone()),
            created_at: Timestamp(row.created_at),
        })
    }
}

#[derive(FromRow)]
struct EventRow {
    id: i64,
    chat_id: String,
    at: i64,
    payload: String,
}

impl TryFrom<EventRow> for ChatEvent {
    type Error = StoreError;
    fn try_from(row: EventRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: EventId(row.id),
            chat_id: ChatId(parse_uuid(&row.chat_id)?),
            at: Timestamp(row.at),
            kind: serde_json::from_str(&row.payload)
                .map_err(|err| StoreError::Corrupt(format!("event {}: {err}", row.id)))?,
        })
    }
}

/// An event row with its chat's visitor, as the streams need it.
#[derive(FromRow)]
struct LoggedRow {
    #[sqlx(flatten)]
    event: EventRow,
    visibility: String,
    visitor_id: Option<String>,
    members: String,
    dashboard: Option<String>,
}

const LOGGED_COLUMNS: &str =
    "e.id, e.chat_id, e.at, e.payload, e.visibility, c.visitor_id, e.members, e.dashboard";

/// The stored form of an event's members: their ids, comma-separated.
fn members_text(members: &[OperatorId]) -> String {
    members
        .iter()
        .map(|m| m.0.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_members(text: &str) -> Result<Vec<OperatorId>, StoreError> {
    text.split(',')
        .filter(|id| !id.is_empty())
        .map(|id| parse_uuid(id).map(OperatorId))
        .collect()
}

impl TryFrom<LoggedRow> for LoggedEvent {
    type Error = StoreError;
    fn try_from(row: LoggedRow) -> Result<Self, StoreError> {
        Ok(Self {
            visitor: row
                .visitor_id
                .as_deref()
                .map(parse_uuid)
                .transpose()?
                .map(VisitorId),
            visibility: Visibility::from_stored(&row.visibility)
                .ok_or_else(|| StoreError::Corrupt(format!("visibility {:?}", row.visibility)))?,
            members: parse_members(&row.members)?,
            dashboard: scope_from_stored(row.dashboard.as_deref())?,
            event: ChatEvent::try_from(row.event)?,
        })
    }
}

/// Open visitor chats an operator takes part in as a participant, for the per-operator limit.
const PARTICIPATING_COUNT: &str = "SELECT COUNT(*) FROM participants p \
     JOIN chats c ON c.id = p.chat_id WHERE p.operator_id = ? AND p.present = 1 \
     AND p.role = 'participant' AND c.visitor_id IS NOT NULL \
     AND c.status IN ('waiting', 'active')";

/// The event kinds that are not dashboard changes, as an SQL list (see `domain::reach`).
fn chat_only_kinds() -> String {
    domain::reach::CHAT_ONLY_KINDS
        .iter()
        .map(|kind| format!("'{kind}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn last_event_id(conn: &mut SqliteConnection) -> Result<EventId, StoreError> {
    let (id,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM events")
        .fetch_one(&mut *conn)
        .await?;
    Ok(EventId(id.unwrap_or_default()))
}

async fn chat_events(
    conn: &mut SqliteConnection,
    chat: ChatId,
) -> Result<Vec<LoggedEvent>, StoreError> {
    let rows: Vec<LoggedRow> = sqlx::query_as(&format!(
        "SELECT {LOGGED_COLUMNS} FROM events e JOIN chats c ON c.id = e.chat_id \
         WHERE e.chat_id = ? ORDER BY e.id"
    ))
    .bind(chat.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(LoggedEvent::try_from).collect()
}

async fn open_chats(conn: &mut SqliteConnection) -> Result<Vec<StoredChat>, StoreError> {
    let rows: Vec<ChatRow> = sqlx::query_as(&format!(
        "SELECT {CHAT_COLUMNS} FROM chats WHERE status <> 'closed' \
         AND visitor_id IS NOT NULL ORDER BY created_at, rowid"
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(StoredChat::try_from).collect()
}

async fn chats_of_operator(
    conn: &mut SqliteConnection,
    operator: OperatorId,
) -> Result<Vec<Membership>, StoreError> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        chat: ChatRow,
        read_up_to: i64,
        visitor_seen_up_to: i64,
        monitoring: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.id, c.state, c.version, c.created_at, p.read_up_to, c.visitor_seen_up_to, \
         p.monitoring \
         FROM participants p JOIN chats c ON c.id = p.chat_id \
         WHERE p.operator_id = ? AND p.present = 1 AND c.status <> 'closed' \
         ORDER BY p.joined_at, p.rowid",
    )
    .bind(operator.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Membership {
                monitoring: Monitoring::parse(&row.monitoring).ok_or_else(|| {
                    StoreError::Corrupt(format!("monitoring {:?}", row.monitoring))
                })?,
                read_up_to: EventId(row.read_up_to),
                visitor_seen_up_to: EventId(row.visitor_seen_up_to),
                chat: StoredChat::try_from(row.chat)?,
            })
        })
        .collect()
}

fn state_json(chat: &ChatState) -> Result<String, StoreError> {
    serde_json::to_string(chat).map_err(|err| StoreError::Corrupt(format!("chat state: {err}")))
}

impl SqliteStore {
    /// Appends events inside a transaction, answering them with their ids.
    ///
    /// With `only_if`, the first event is written only while the chat is still in that
    /// revision (else `Conflict`, nothing written): the check and the write are one statement.
    async fn append_events(
        tx: &mut Transaction<'_, Sqlite>,
        chat: &ChatState,
        events: &[NewEvent],
        at: Timestamp,
        mut only_if: Option<&Revision>,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let mut stored = Vec::with_capacity(events.len());
        for new in events {
            let kind = &new.kind;
            let payload = serde_json::to_string(kind)
                .map_err(|err| StoreError::Corrupt(format!("event payload: {err}")))?;
            let (author, client_id) = match kind {
                EventKind::MessagePosted {
                    author, client_id, ..
                } => (Some(author_key(author, chat.visitor)), client_id.clone()),
                _ => (None, None),
            };
            let guard = only_if.take();
            let sql = if guard.is_some() {
                "INSERT INTO events (chat_id, at, kind, payload, author_key, client_id, \
                 visibility, members, dashboard) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? \
                 WHERE EXISTS (SELECT 1 FROM chats WHERE id = ? AND state = ?) RETURNING id"
            } else {
                "INSERT INTO events (chat_id, at, kind, payload, author_key, client_id, \
                 visibility, members, dashboard) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
            };
            let mut insert = sqlx::query_as(sql)
                .bind(chat.id.to_string())
                .bind(at.0)
                .bind(kind.name())
                .bind(payload)
                .bind(author)
                .bind(client_id)
                .bind(new.visibility.to_stored())
                .bind(members_text(&new.members))
                .bind(scope_to_stored(new.dashboard.as_ref())?);
            if let Some(revision) = guard {
                insert = insert.bind(chat.id.to_string()).bind(&revision.0);
            }
            let id: Option<(i64,)> = insert
                .fetch_optional(&mut **tx)
                .await
                .map_err(conflict_if_taken)?;
            let Some(id) = id else {
                return Err(StoreError::Conflict);
            };
            stored.push(LoggedEvent {
                event: ChatEvent {
                    id: EventId(id.0),
                    chat_id: chat.id,
                    at,
                    kind: kind.clone(),
                },
                visitor: chat.visitor,
                visibility: new.visibility,
                members: new.members.clone(),
                dashboard: new.dashboard.clone(),
            });
        }
        Ok(stored)
    }

    /// One chat write inside the batch's transaction; the caller undoes it on error.
    async fn write_chat(
        tx: &mut Transaction<'_, Sqlite>,
        write: &ChatWrite,
        at: Timestamp,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        match write {
            ChatWrite::Create { chat, events } => {
                sqlx::query(
                    "INSERT INTO chats (id, visitor_id, status, state, version, created_at, \
                     updated_at, visitor_open) VALUES (?, ?, ?, ?, 1, ?, ?, ?)",
                )
                .bind(chat.id.to_string())
                .bind(chat.visitor.map(|v| v.to_string()))
                .bind(chat.status.as_str())
                .bind(state_json(chat)?)
                .bind(at.0)
                .bind(at.0)
                .bind(chat.open_for_visitor())
                .execute(&mut **tx)
                .await
                .map_err(already_open_if_taken)?;
                Self::sync_participants(tx, chat, at).await?;
                Self::append_events(tx, chat, events, at, None).await
            }
            ChatWrite::Append {
                chat,
                expected,
                events,
            } => Self::append_events(tx, chat, events, at, Some(expected)).await,
            ChatWrite::Update {
                chat,
                expected,
                events,
                capacity,
            } => {
                let done = sqlx::query(
                    "UPDATE chats SET status = ?, state = ?, version = version + 1, \
                     updated_at = ?, visitor_open = ? WHERE id = ? AND state = ?",
                )
                .bind(chat.status.as_str())
                .bind(state_json(chat)?)
                .bind(at.0)
                .bind(chat.open_for_visitor())
                .bind(chat.id.to_string())
                .bind(&expected.0)
                .execute(&mut **tx)
                .await
                .map_err(already_open_if_taken)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Conflict);
                }
                Self::sync_participants(tx, chat, at).await?;
                if let Some(capacity) = capacity {
                    let (count,): (i64,) = sqlx::query_as(PARTICIPATING_COUNT)
                        .bind(capacity.operator.to_string())
                        .fetch_one(&mut **tx)
                        .await?;
                    if count > i64::from(capacity.max) {
                        return Err(StoreError::AtCapacity);
                    }
                }
                Self::append_events(tx, chat, events, at, None).await
            }
        }
    }

    /// Mirrors the state's members into `participants`, which indexes who is in which chat.
    async fn sync_participants(
        tx: &mut Transaction<'_, Sqlite>,
        chat: &ChatState,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let id = chat.id.to_string();
        for member in &chat.members {
            sqlx::query(
                "INSERT INTO participants (chat_id, operator_id, joined_at, role, present) \
                 VALUES (?, ?, ?, ?, 1) ON CONFLICT (chat_id, operator_id) \
                 DO UPDATE SET role = excluded.role, present = 1, joined_at = \
                 CASE WHEN participants.present = 1 THEN participants.joined_at \
                 ELSE excluded.joined_at END",
            )
            .bind(&id)
            .bind(member.id.to_string())
            .bind(at.0)
            .bind(member.role.as_str())
            .execute(&mut **tx)
            .await?;
        }
        let present: Vec<String> = chat.members.iter().map(|m| m.id.to_string()).collect();
        let present = serde_json::to_string(&present)
            .map_err(|err| StoreError::Corrupt(format!("members: {err}")))?;
        sqlx::query(
            "UPDATE participants SET present = 0 WHERE chat_id = ? AND present = 1 \
             AND operator_id NOT IN (SELECT value FROM json_each(?))",
        )
        .bind(&id)
        .bind(present)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

#[async_trait]
impl ChatStore for SqliteStore {
    async fn insert_visitor(&self, visitor: &VisitorRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO visitors (id, token_hash, name, email, language, page_url, referrer, \
             fields, created_at, user_agent, page_title, last_seen_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(visitor.id.to_string())
        .bind(&visitor.token_hash)
        .bind(&visitor.name)
        .bind(&visitor.email)
        .bind(&visitor.language)
        .bind(&visitor.page_url)
        .bind(&visitor.referrer)
        .bind(&visitor.fields_json)
        .bind(visitor.created_at.0)
        .bind(&visitor.user_agent)
        .bind(&visitor.page_title)
        .bind(visitor.last_seen_at.0)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn visitor_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<VisitorRecord>, StoreError> {
        let row: Option<VisitorRow> = sqlx::query_as(&format!(
            "SELECT {VISITOR_COLUMNS} FROM visitors WHERE token_hash = ?"
        ))
        .bind(token_hash)
        .fetch_optional(&self.reader)
        .await?;
        row.map(VisitorRecord::try_from).transpose()
    }

    async fn visitor_by_id(&self, id: VisitorId) -> Result<Option<VisitorRecord>, StoreError> {
        let row: Option<VisitorRow> = sqlx::query_as(&format!(
            "SELECT {VISITOR_COLUMNS} FROM visitors WHERE id = ?"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?;
        row.map(VisitorRecord::try_from).transpose()
    }

    async fn visitors_by_email(&self, email: &str) -> Result<Vec<VisitorRecord>, StoreError> {
        let rows: Vec<VisitorRow> = sqlx::query_as(&format!(
            "SELECT {VISITOR_COLUMNS} FROM visitors WHERE email = ? COLLATE NOCASE \
             ORDER BY created_at DESC LIMIT 50"
        ))
        .bind(email)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(VisitorRecord::try_from).collect()
    }

    async fn touch_visitor(&self, id: VisitorId, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE visitors SET last_seen_at = ? WHERE id = ?")
            .bind(at.0)
            .bind(id.to_string())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn set_visitor_ban(
        &self,
        id: VisitorId,
        until: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE visitors SET banned_until = ? WHERE id = ?")
            .bind(until.map(|t| t.0))
            .bind(id.to_string())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn banned_visitors(&self, now: Timestamp) -> Result<Vec<VisitorRecord>, StoreError> {
        let rows: Vec<VisitorRow> = sqlx::query_as(&format!(
            "SELECT {VISITOR_COLUMNS} FROM visitors WHERE banned_until > ? \
             ORDER BY banned_until LIMIT 500"
        ))
        .bind(now.0)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(VisitorRecord::try_from).collect()
    }

    async fn visitors_seen_since(
        &self,
        since: Timestamp,
        limit: i64,
    ) -> Result<Vec<VisitorRecord>, StoreError> {
        let rows: Vec<VisitorRow> = sqlx::query_as(&format!(
            "SELECT {VISITOR_COLUMNS} FROM visitors WHERE last_seen_at >= ? \
             ORDER BY last_seen_at DESC LIMIT ?"
        ))
        .bind(since.0)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(VisitorRecord::try_from).collect()
    }

    async fn chat(&self, id: ChatId) -> Result<Option<StoredChat>, StoreError> {
        let row: Option<ChatRow> =
            sqlx::query_as(&format!("SELECT {CHAT_COLUMNS} FROM chats WHERE id = ?"))
                .bind(id.to_string())
                .fetch_optional(&self.reader)
                .await?;
        row.map(StoredChat::try_from).transpose()
    }

    async fn latest_chat_of_visitor(
        &self,
        visitor: VisitorId,
    ) -> Result<Option<StoredChat>, StoreError> {
        let row: Option<ChatRow> = sqlx::query_as(&format!(
            "SELECT {CHAT_COLUMNS} FROM chats WHERE visitor_id = ? \
             ORDER BY created_at DESC, rowid DESC LIMIT 1"
        ))
        .bind(visitor.to_string())
        .fetch_optional(&self.reader)
        .await?;
        row.map(StoredChat::try_from).transpose()
    }

    async fn commit_chats(
        &self,
        writes: &[ChatWrite],
        at: Timestamp,
    ) -> Result<Vec<Result<Vec<LoggedEvent>, StoreError>>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let mut answers = Vec::with_capacity(writes.len());
        for write in writes {
            // One guarded INSERT needs no savepoint: a statement SQLite refuses writes
            // nothing and leaves the transaction as it was.
            if matches!(write, ChatWrite::Append { events, .. } if events.len() == 1) {
                match Self::write_chat(&mut tx, write, at).await {
                    Err(err) if err.is_unavailable() => return Err(err),
                    answer => answers.push(answer),
                }
                continue;
            }
            sqlx::query("SAVEPOINT chat_write")
                .execute(&mut *tx)
                .await?;
            match Self::write_chat(&mut tx, write, at).await {
                Ok(logged) => {
                    sqlx::query("RELEASE chat_write").execute(&mut *tx).await?;
                    answers.push(Ok(logged));
                }
                // The database itself failing fails the whole batch; anything else is this
                // write's own refusal.
                Err(err) if err.is_unavailable() => return Err(err),
                Err(refused) => {
                    sqlx::query("ROLLBACK TO chat_write")
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("RELEASE chat_write").execute(&mut *tx).await?;
                    answers.push(Err(refused));
                }
            }
        }
        tx.commit().await?;
        Ok(answers)
    }

    async fn message_by_client_id(
        &self,
        chat: ChatId,
        author_key: &str,
        client_id: &str,
    ) -> Result<Option<ChatEvent>, StoreError> {
        let row: Option<EventRow> = sqlx::query_as(
            "SELECT id, chat_id, at, payload FROM events \
             WHERE chat_id = ? AND author_key = ? AND client_id = ?",
        )
        .bind(chat.to_string())
        .bind(author_key)
        .bind(client_id)
        .fetch_optional(&self.reader)
        .await?;
        row.map(ChatEvent::try_from).transpose()
    }

    async fn chat_events(&self, chat: ChatId) -> Result<Vec<LoggedEvent>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        chat_events(&mut conn, chat).await
    }

    async fn events_for_visitor(
        &self,
        visitor: VisitorId,
        after: EventId,
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let rows: Vec<LoggedRow> = sqlx::query_as(&format!(
            "SELECT {LOGGED_COLUMNS} FROM events e JOIN chats c ON c.id = e.chat_id \
             WHERE c.visitor_id = ? AND e.id > ? AND e.visibility = 'everyone' \
             ORDER BY e.id LIMIT ?"
        ))
        .bind(visitor.to_string())
        .bind(after.0)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(LoggedEvent::try_from).collect()
    }

    async fn events_for_operator(
        &self,
        operator: OperatorId,
        after: EventId,
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let rows: Vec<LoggedRow> = sqlx::query_as(&format!(
            "SELECT {LOGGED_COLUMNS} FROM events e JOIN chats c ON c.id = e.chat_id \
             WHERE e.id > ? AND ((c.visitor_id IS NOT NULL AND e.kind NOT IN ({chat_only})) \
             OR e.chat_id IN (SELECT chat_id FROM participants WHERE operator_id = ?)) \
             ORDER BY e.id LIMIT ?",
            chat_only = chat_only_kinds(),
        ))
        .bind(after.0)
        .bind(operator.to_string())
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(LoggedEvent::try_from).collect()
    }

    async fn events_after(
        &self,
        after: EventId,
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let rows: Vec<LoggedRow> = sqlx::query_as(&format!(
            "SELECT {LOGGED_COLUMNS} FROM events e JOIN chats c ON c.id = e.chat_id \
             WHERE e.id > ? ORDER BY e.id LIMIT ?"
        ))
        .bind(after.0)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(LoggedEvent::try_from).collect()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn last_event_id(&self) -> Result<EventId, StoreError> {
        let mut conn = self.reader.acquire().await?;
        last_event_id(&mut conn).await
    }

    async fn operator_view(&self, operator: OperatorId) -> Result<OperatorView, StoreError> {
        let mut tx = self.reader.begin().await?;
        let last_event_id = last_event_id(&mut tx).await?;
        let open = open_chats(&mut tx).await?;
        let mine = chats_of_operator(&mut tx, operator).await?;
        let rows: Vec<LoggedRow> = sqlx::query_as(&format!(
            "SELECT {LOGGED_COLUMNS} FROM events e \
             JOIN participants p ON p.chat_id = e.chat_id JOIN chats c ON c.id = e.chat_id \
             WHERE p.operator_id = ? AND p.present = 1 AND c.status <> 'closed' ORDER BY e.id"
        ))
        .bind(operator.to_string())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(OperatorView {
            last_event_id,
            open,
            mine,
            events: rows
                .into_iter()
                .map(LoggedEvent::try_from)
                .collect::<Result<_, _>>()?,
        })
    }

    async fn member_chat(
        &self,
        operator: OperatorId,
        chat: ChatId,
    ) -> Result<Option<(Membership, Vec<LoggedEvent>)>, StoreError> {
        let mut tx = self.reader.begin().await?;
        let membership = chats_of_operator(&mut tx, operator)
            .await?
            .into_iter()
            .find(|m| m.chat.state.id == chat);
        let Some(membership) = membership else {
            return Ok(None);
        };
        let events = chat_events(&mut tx, chat).await?;
        tx.commit().await?;
        Ok(Some((membership, events)))
    }

    async fn took_part(&self, operator: OperatorId, chat: ChatId) -> Result<bool, StoreError> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM participants WHERE chat_id = ? AND operator_id = ?")
                .bind(chat.to_string())
                .bind(operator.to_string())
                .fetch_optional(&self.reader)
                .await?;
        Ok(row.is_some())
    }

    async fn visitor_cut(&self, visitor: VisitorId) -> Result<VisitorCut, StoreError> {
        let mut tx = self.reader.begin().await?;
        let last_event_id = last_event_id(&mut tx).await?;
        let row: Option<ChatRow> = sqlx::query_as(&format!(
            "SELECT {CHAT_COLUMNS} FROM chats WHERE visitor_id = ? \
             ORDER BY created_at DESC, rowid DESC LIMIT 1"
        ))
        .bind(visitor.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let latest = match row {
            Some(row) => {
                let chat = StoredChat::try_from(row)?;
                let events = chat_events(&mut tx, chat.state.id).await?;
                Some((chat, events))
            }
            None => None,
        };
        tx.commit().await?;
        Ok(VisitorCut {
            last_event_id,
            latest,
        })
    }

    async fn open_chats(&self) -> Result<Vec<StoredChat>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        open_chats(&mut conn).await
    }

    async fn waiting_chats(&self) -> Result<Vec<StoredChat>, StoreError> {
        let rows: Vec<ChatRow> = sqlx::query_as(&format!(
            "SELECT {CHAT_COLUMNS} FROM chats WHERE status = 'waiting' \
             AND visitor_id IS NOT NULL ORDER BY created_at, rowid"
        ))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(StoredChat::try_from).collect()
    }

    async fn waiting_count(&self) -> Result<i64, StoreError> {
        let (count,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM chats WHERE status = 'waiting' AND visitor_id IS NOT NULL",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok(count)
    }

    async fn accepted_since(&self, since: Timestamp) -> Result<u32, StoreError> {
        let (count,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM events WHERE kind = 'operator_accepted' AND at >= ?",
        )
        .bind(since.0)
        .fetch_one(&self.reader)
        .await?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    async fn chats_of_operator(&self, operator: OperatorId) -> Result<Vec<Membership>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        chats_of_operator(&mut conn, operator).await
    }

    async fn set_monitoring(
        &self,
        chat: ChatId,
        operator: OperatorId,
        monitoring: Monitoring,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE participants SET monitoring = ? WHERE chat_id = ? AND operator_id = ?")
            .bind(monitoring.as_str())
            .bind(chat.to_string())
            .bind(operator.to_string())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn mark_read(
        &self,
        chat: ChatId,
        operator: OperatorId,
        up_to: EventId,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE participants SET read_up_to = ?1 \
             WHERE chat_id = ?2 AND operator_id = ?3 AND read_up_to < ?1",
        )
        .bind(up_to.0)
        .bind(chat.to_string())
        .bind(operator.to_string())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn mark_seen_by_visitor(
        &self,
        chat: ChatId,
        up_to: EventId,
    ) -> Result<Option<bool>, StoreError> {
        let exists: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM events WHERE id = ?1 AND chat_id = ?2")
                .bind(up_to.0)
                .bind(chat.to_string())
                .fetch_optional(&self.reader)
                .await?;
        if exists.is_none() {
            return Ok(None);
        }
        let done = sqlx::query(
            "UPDATE chats SET visitor_seen_up_to = ?1 WHERE id = ?2 AND visitor_seen_up_to < ?1",
        )
        .bind(up_to.0)
        .bind(chat.to_string())
        .execute(&self.writer)
        .await?;
        Ok(Some(done.rows_affected() > 0))
    }

    async fn operators_seen(&self, chat: ChatId) -> Result<EventId, StoreError> {
        let (up_to,): (i64,) = sqlx::query_as(
            "SELECT COALESCE(MAX(read_up_to), 0) FROM participants \
             WHERE chat_id = ?1 AND role = 'participant'",
        )
        .bind(chat.to_string())
        .fetch_one(&self.reader)
        .await?;
        Ok(EventId(up_to))
    }
}
