//! The PostgreSQL [`ChatStore`]: chats, the event log (in commit order) and its consistent
//! cuts, visitors, who is in which chat, and the notices that keep nodes in step.

use async_trait::async_trait;
use domain::console::Monitoring;
use domain::{
    ChatEvent, ChatId, ChatState, EventId, EventKind, OperatorId, Timestamp, Visibility, VisitorId,
};
use sqlx::postgres::PgPool;
use sqlx::{FromRow, PgConnection, Postgres, Transaction};
use uuid::Uuid;

use super::{
    EventLock, MESSAGE_CHANNEL, NOTIFY_CHANNEL, PgStore, conflict_if_taken, is_unique_violation,
};
use crate::store::{
    ChatStore, ChatWrite, LoggedEvent, Membership, NewEvent, Notice, Notices, OperatorView,
    Revision, StoreError, StoredChat, VisitorCut, VisitorRecord, author_key, scope_from_stored,
    scope_to_stored,
};

/// Notices from the other nodes: a dedicated connection listening on both channels.
struct PgNotices {
    listener: sqlx::postgres::PgListener,
}

#[async_trait]
impl Notices for PgNotices {
    async fn next(&mut self) -> Result<Notice, StoreError> {
        match self.listener.try_recv().await? {
            Some(notification) if notification.channel() == MESSAGE_CHANNEL => {
                Ok(Notice::Message(notification.payload().to_owned()))
            }
            Some(_) => Ok(Notice::Events),
            // The connection dropped: whatever was sent meanwhile is lost.
            None => Err(StoreError::Unavailable),
        }
    }
}

/// Starts a read-only transaction that sees one snapshot throughout.
async fn begin_cut(pool: &PgPool) -> Result<Transaction<'static, Postgres>, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

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
    id: Uuid,
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
    last_seen_at: i64,
    banned_until: Option<i64>,
}

pub(super) const VISITOR_COLUMNS: &str = "id, token_hash, name, email, language, page_url, referrer, \
     fields, created_at, user_agent, page_title, last_seen_at, banned_until";

impl From<VisitorRow> for VisitorRecord {
    fn from(row: VisitorRow) -> Self {
        Self {
            id: VisitorId(row.id),
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
            last_seen_at: Timestamp(row.last_seen_at),
            banned_until: row.banned_until.map(Timestamp),
        }
    }
}

#[derive(FromRow)]
struct ChatRow {
    id: Uuid,
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
    chat_id: Uuid,
    at: i64,
    payload: String,
}

impl TryFrom<EventRow> for ChatEvent {
    type Error = StoreError;
    fn try_from(row: EventRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: EventId(row.id),
            chat_id: ChatId(row.chat_id),
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
    visitor_id: Option<Uuid>,
    members: Vec<Uuid>,
    dashboard: Option<String>,
}

const LOGGED_COLUMNS: &str =
    "e.id, e.chat_id, e.at, e.payload, e.visibility, c.visitor_id, e.members, e.dashboard";

impl TryFrom<LoggedRow> for LoggedEvent {
    type Error = StoreError;
    fn try_from(row: LoggedRow) -> Result<Self, StoreError> {
        Ok(Self {
            visitor: row.visitor_id.map(VisitorId),
            visibility: Visibility::from_stored(&row.visibility)
                .ok_or_else(|| StoreError::Corrupt(format!("visibility {:?}", row.visibility)))?,
            members: row.members.into_iter().map(OperatorId).collect(),
            dashboard: scope_from_stored(row.dashboard.as_deref())?,
            event: ChatEvent::try_from(row.event)?,
        })
    }
}

fn logged(rows: Vec<LoggedRow>) -> Result<Vec<LoggedEvent>, StoreError> {
    rows.into_iter().map(LoggedEvent::try_from).collect()
}

/// Open visitor chats an operator takes part in as a participant, for the per-operator limit.
const PARTICIPATING_COUNT: &str = "SELECT COUNT(*) FROM participants p \
     JOIN chats c ON c.id = p.chat_id WHERE p.operator_id = $1 AND p.present \
     AND p.role = 'participant' AND c.visitor_id IS NOT NULL \
     AND c.status IN ('waiting', 'active')";

async fn last_event_id(conn: &mut PgConnection) -> Result<EventId, StoreError> {
    let (id,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM events")
        .fetch_one(&mut *conn)
        .await?;
    Ok(EventId(id.unwrap_or_default()))
}

async fn chat_events(
    conn: &mut PgConnection,
    chat: ChatId,
) -> Result<Vec<LoggedEvent>, StoreError> {
    let rows: Vec<LoggedRow> = sqlx::query_as(&format!(
        "SELECT {LOGGED_COLUMNS} FROM events e JOIN chats c ON c.id = e.chat_id \
         WHERE e.chat_id = $1 ORDER BY e.id"
    ))
    .bind(chat.0)
    .fetch_all(&mut *conn)
    .await?;
    logged(rows)
}

async fn open_chats(conn: &mut PgConnection) -> Result<Vec<StoredChat>, StoreError> {
    let rows: Vec<ChatRow> = sqlx::query_as(&format!(
        "SELECT {CHAT_COLUMNS} FROM chats WHERE status <> 'closed' \
         AND visitor_id IS NOT NULL ORDER BY created_at, seq"
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(StoredChat::try_from).collect()
}

async fn latest_chat_of_visitor(
    conn: &mut PgConnection,
    visitor: VisitorId,
) -> Result<Option<StoredChat>, StoreError> {
    let row: Option<ChatRow> = sqlx::query_as(&format!(
        "SELECT {CHAT_COLUMNS} FROM chats WHERE visitor_id = $1 \
         ORDER BY created_at DESC, seq DESC LIMIT 1"
    ))
    .bind(visitor.0)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(StoredChat::try_from).transpose()
}

async fn chats_of_operator(
    conn: &mut PgConnection,
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
         WHERE p.operator_id = $1 AND p.present AND c.status <> 'closed' \
         ORDER BY p.joined_at, p.seq",
    )
    .bind(operator.0)
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

impl PgStore {
    /// Appends events inside a transaction that holds the event-order lock, answering them
    /// with their ids.
    async fn append_events(
        tx: &mut Transaction<'_, Postgres>,
        _lock: &EventLock,
        chat: &ChatState,
        events: &[NewEvent],
        at: Timestamp,
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
            let members: Vec<Uuid> = new.members.iter().map(|m| m.0).collect();
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO events (chat_id, at, kind, payload, author_key, client_id, \
                 visibility, members, dashboard) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 RETURNING id",
            )
            .bind(chat.id.0)
            .bind(at.0)
            .bind(kind.name())
            .bind(payload)
            .bind(author)
            .bind(client_id)
            .bind(new.visibility.to_stored())
            .bind(members)
            .bind(scope_to_stored(new.dashboard.as_ref())?)
            .fetch_one(&mut **tx)
            .await
            .map_err(conflict_if_taken)?;
            stored.push(LoggedEvent {
                event: ChatEvent {
                    id: EventId(id),
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
        tx: &mut Transaction<'_, Postgres>,
        lock: &EventLock,
        write: &ChatWrite,
        at: Timestamp,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        match write {
            ChatWrite::Create { chat, events } => {
                sqlx::query(
                    "INSERT INTO chats (id, visitor_id, status, state, version, created_at, \
                     updated_at, visitor_open) VALUES ($1, $2, $3, $4, 1, $5, $6, $7)",
                )
                .bind(chat.id.0)
                .bind(chat.visitor.map(|v| v.0))
                .bind(chat.status.as_str())
                .bind(state_json(chat)?)
                .bind(at.0)
                .bind(at.0)
                .bind(chat.open_for_visitor())
                .execute(&mut **tx)
                .await
                .map_err(already_open_if_taken)?;
                Self::sync_participants(tx, chat, at).await?;
                Self::append_events(tx, lock, chat, events, at).await
            }
            ChatWrite::Append {
                chat,
                expected,
                events,
            } => {
                let still: Option<(i32,)> =
                    sqlx::query_as("SELECT 1 FROM chats WHERE id = $1 AND state = $2")
                        .bind(chat.id.0)
                        .bind(&expected.0)
                        .fetch_optional(&mut **tx)
                        .await?;
                if still.is_none() {
                    return Err(StoreError::Conflict);
                }
                Self::append_events(tx, lock, chat, events, at).await
            }
            ChatWrite::Update {
                chat,
                expected,
                events,
                capacity,
            } => {
                let done = sqlx::query(
                    "UPDATE chats SET status = $1, state = $2, version = version + 1, \
                     updated_at = $3, visitor_open = $4 WHERE id = $5 AND state = $6",
                )
                .bind(chat.status.as_str())
                .bind(state_json(chat)?)
                .bind(at.0)
                .bind(chat.open_for_visitor())
                .bind(chat.id.0)
                .bind(&expected.0)
                .execute(&mut **tx)
                .await
                .map_err(already_open_if_taken)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Conflict);
                }
                if let Some(capacity) = capacity {
                    // Whoever writes this operator's chats next waits for this commit, so the
                    // count below sees every chat they have joined, from any process.
                    sqlx::query("SELECT 1 FROM operators WHERE id = $1 FOR UPDATE")
                        .bind(capacity.operator.0)
                        .execute(&mut **tx)
                        .await?;
                }
                Self::sync_participants(tx, chat, at).await?;
                if let Some(capacity) = capacity {
                    let (count,): (i64,) = sqlx::query_as(PARTICIPATING_COUNT)
                        .bind(capacity.operator.0)
                        .fetch_one(&mut **tx)
                        .await?;
                    if count > i64::from(capacity.max) {
                        return Err(StoreError::AtCapacity);
                    }
                }
                Self::append_events(tx, lock, chat, events, at).await
            }
        }
    }

    /// Mirrors the state's members into `participants`, which indexes who is in which chat.
    async fn sync_participants(
        tx: &mut Transaction<'_, Postgres>,
        chat: &ChatState,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        for member in &chat.members {
            sqlx::query(
                "INSERT INTO participants (chat_id, operator_id, joined_at, role, present) \
                 VALUES ($1, $2, $3, $4, TRUE) ON CONFLICT (chat_id, operator_id) \
                 DO UPDATE SET role = excluded.role, present = TRUE, joined_at = \
                 CASE WHEN participants.present THEN participants.joined_at \
                 ELSE excluded.joined_at END",
            )
            .bind(chat.id.0)
            .bind(member.id.0)
            .bind(at.0)
            .bind(member.role.as_str())
            .execute(&mut **tx)
            .await?;
        }
        let present: Vec<Uuid> = chat.members.iter().map(|m| m.id.0).collect();
        sqlx::query(
            "UPDATE participants SET present = FALSE WHERE chat_id = $1 AND present \
             AND operator_id <> ALL($2)",
        )
        .bind(chat.id.0)
        .bind(present)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Runs one write of a batch in a savepoint: its own refusal rolls back to it and is its
    /// answer; the database failing is the batch's.
    async fn write_in_savepoint(
        tx: &mut Transaction<'_, Postgres>,
        lock: &EventLock,
        write: &ChatWrite,
        at: Timestamp,
    ) -> Result<Result<Vec<LoggedEvent>, StoreError>, StoreError> {
        sqlx::query("SAVEPOINT chat_write")
            .execute(&mut **tx)
            .await?;
        match Self::write_chat(tx, lock, write, at).await {
            Ok(logged) => {
                sqlx::query("RELEASE SAVEPOINT chat_write")
                    .execute(&mut **tx)
                    .await?;
                Ok(Ok(logged))
            }
            Err(err) if err.is_unavailable() => Err(err),
            Err(refused) => {
                // PostgreSQL refuses every statement after an error until this.
                sqlx::query("ROLLBACK TO SAVEPOINT chat_write")
                    .execute(&mut **tx)
                    .await?;
                sqlx::query("RELEASE SAVEPOINT chat_write")
                    .execute(&mut **tx)
                    .await?;
                Ok(Err(refused))
            }
        }
    }
}

#[async_trait]
impl ChatStore for PgStore {
    fn is_shared(&self) -> bool {
        true
    }

    async fn notices(&self) -> Result<Option<Box<dyn Notices>>, StoreError> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool).await?;
        listener
            .listen_all([NOTIFY_CHANNEL, MESSAGE_CHANNEL])
            .await?;
        Ok(Some(Box::new(PgNotices { listener })))
    }

    async fn broadcast(&self, message: &str) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(MESSAGE_CHANNEL)
            .bind(message)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn insert_visitor(&self, visitor: &VisitorRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO visitors (id, token_hash, name, email, language, page_url, referrer, \
             fields, created_at, user_agent, page_title, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(visitor.id.0)
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
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn visitor_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<VisitorRecord>, StoreError> {
        let row: Option<VisitorRow> = sqlx::query_as(&format!(
            "SELECT {VISITOR_COLUMNS} FROM visitors WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(VisitorRecord::from))
    }

    async fn visitor_by_id(&self, id: VisitorId) -> Result<Option<VisitorRecord>, StoreError> {
        let row: Option<VisitorRow> = sqlx::query_as(&format!(
            "SELECT {VISITOR_COLUMNS} FROM visitors WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(VisitorRecord::from))
    }

    async fn visitors_by_email(&self, email: &str) -> Result<Vec<VisitorRecord>, StoreError> {
        let rows: Vec<VisitorRow> = sqlx::query_as(&format!(
            "SELECT {VISITOR_COLUMNS} FROM visitors WHERE lower(email) = lower($1) \
             ORDER BY created_at DESC LIMIT 50"
        ))
        .bind(email)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(VisitorRecord::from).collect())
    }

    async fn touch_visitor(&self, id: VisitorId, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE visitors SET last_seen_at = $1 WHERE id = $2")
            .bind(at.0)
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_visitor_ban(
        &self,
        id: VisitorId,
        until: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE visitors SET banned_until = $1 WHERE id = $2")
            .bind(until.map(|t| t.0))
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn banned_visitors(&self, now: Timestamp) -> Result<Vec<VisitorRecord>, StoreError> {
        let rows: Vec<VisitorRow> = sqlx::query_as(&format!(
            "SELECT {VISITOR_COLUMNS} FROM visitors WHERE banned_until > $1 \
             ORDER BY banned_until LIMIT 500"
        ))
        .bind(now.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(VisitorRecord::from).collect())
    }

    async fn visitors_seen_since(
        &self,
        since: Timestamp,
        limit: i64,
    ) -> Result<Vec<VisitorRecord>, StoreError> {
        let rows: Vec<VisitorRow> = sqlx::query_as(&format!(
            "SELECT {VISITOR_COLUMNS} FROM visitors WHERE last_seen_at >= $1 \
             ORDER BY last_seen_at DESC LIMIT $2"
        ))
        .bind(since.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(VisitorRecord::from).collect())
    }

    async fn chat(&self, id: ChatId) -> Result<Option<StoredChat>, StoreError> {
        let row: Option<ChatRow> =
            sqlx::query_as(&format!("SELECT {CHAT_COLUMNS} FROM chats WHERE id = $1"))
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
        row.map(StoredChat::try_from).transpose()
    }

    async fn latest_chat_of_visitor(
        &self,
        visitor: VisitorId,
    ) -> Result<Option<StoredChat>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        latest_chat_of_visitor(&mut conn, visitor).await
    }

    async fn commit_chats(
        &self,
        writes: &[ChatWrite],
        at: Timestamp,
    ) -> Result<Vec<Result<Vec<LoggedEvent>, StoreError>>, StoreError> {
        let mut tx = self.pool.begin().await?;
        // First, before anything is read or an id is drawn (see the module's doc). Nearly
        // every write records events, so every batch takes it.
        let lock = EventLock::take(&mut tx).await?;
        let mut answers = Vec::with_capacity(writes.len());
        for write in writes {
            answers.push(Self::write_in_savepoint(&mut tx, &lock, write, at).await?);
        }
        let recorded = answers
            .iter()
            .any(|answer| answer.as_ref().is_ok_and(|events| !events.is_empty()));
        if recorded {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(NOTIFY_CHANNEL)
                .execute(&mut *tx)
                .await?;
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
             WHERE chat_id = $1 AND author_key = $2 AND client_id = $3",
        )
        .bind(chat.0)
        .bind(author_key)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(ChatEvent::try_from).transpose()
    }

    async fn chat_events(&self, chat: ChatId) -> Result<Vec<LoggedEvent>, StoreError> {
        let mut conn = self.pool.acquire().await?;
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
             WHERE c.visitor_id = $1 AND e.id > $2 AND e.visibility = 'everyone' \
             ORDER BY e.id LIMIT $3"
        ))
        .bind(visitor.0)
        .bind(after.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        logged(rows)
    }

    async fn events_for_operator(
        &self,
        operator: OperatorId,
        after: EventId,
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        // Dashboard changes of visitor chats: every kind but those that only concern a chat's
        // members (see `domain::reach`).
        let rows: Vec<LoggedRow> = sqlx::query_as(&format!(
            "SELECT {LOGGED_COLUMNS} FROM events e JOIN chats c ON c.id = e.chat_id \
             WHERE e.id > $1 AND ((c.visitor_id IS NOT NULL AND e.kind <> ALL($2)) \
             OR e.chat_id IN (SELECT chat_id FROM participants WHERE operator_id = $3)) \
             ORDER BY e.id LIMIT $4"
        ))
        .bind(after.0)
        .bind(&domain::reach::CHAT_ONLY_KINDS[..])
        .bind(operator.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        logged(rows)
    }

    async fn events_after(
        &self,
        after: EventId,
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let rows: Vec<LoggedRow> = sqlx::query_as(&format!(
            "SELECT {LOGGED_COLUMNS} FROM events e JOIN chats c ON c.id = e.chat_id \
             WHERE e.id > $1 ORDER BY e.id LIMIT $2"
        ))
        .bind(after.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        logged(rows)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn last_event_id(&self) -> Result<EventId, StoreError> {
        let mut conn = self.pool.acquire().await?;
        last_event_id(&mut conn).await
    }

    async fn operator_view(&self, operator: OperatorId) -> Result<OperatorView, StoreError> {
        let mut tx = begin_cut(&self.pool).await?;
        let last_event_id = last_event_id(&mut tx).await?;
        let open = open_chats(&mut tx).await?;
        let mine = chats_of_operator(&mut tx, operator).await?;
        let rows: Vec<LoggedRow> = sqlx::query_as(&format!(
            "SELECT {LOGGED_COLUMNS} FROM events e \
             JOIN participants p ON p.chat_id = e.chat_id JOIN chats c ON c.id = e.chat_id \
             WHERE p.operator_id = $1 AND p.present AND c.status <> 'closed' ORDER BY e.id"
        ))
        .bind(operator.0)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(OperatorView {
            last_event_id,
            open,
            mine,
            events: logged(rows)?,
        })
    }

    async fn member_chat(
        &self,
        operator: OperatorId,
        chat: ChatId,
    ) -> Result<Option<(Membership, Vec<LoggedEvent>)>, StoreError> {
        let mut tx = begin_cut(&self.pool).await?;
        let membership = chats_of_operator(&mut tx, operator)
            .await?
            .into_iter()
            .find(|m| m.chat.state.id == chat);
        let Some(membership) = membership else {
            tx.commit().await?;
            return Ok(None);
        };
        let events = chat_events(&mut tx, chat).await?;
        tx.commit().await?;
        Ok(Some((membership, events)))
    }

    async fn took_part(&self, operator: OperatorId, chat: ChatId) -> Result<bool, StoreError> {
        let row: Option<(i32,)> =
            sqlx::query_as("SELECT 1 FROM participants WHERE chat_id = $1 AND operator_id = $2")
                .bind(chat.0)
                .bind(operator.0)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }

    async fn visitor_cut(&self, visitor: VisitorId) -> Result<VisitorCut, StoreError> {
        let mut tx = begin_cut(&self.pool).await?;
        let last_event_id = last_event_id(&mut tx).await?;
        let latest = match latest_chat_of_visitor(&mut tx, visitor).await? {
            Some(chat) => {
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
        let mut conn = self.pool.acquire().await?;
        open_chats(&mut conn).await
    }

    async fn waiting_chats(&self) -> Result<Vec<StoredChat>, StoreError> {
        let rows: Vec<ChatRow> = sqlx::query_as(&format!(
            "SELECT {CHAT_COLUMNS} FROM chats WHERE status = 'waiting' \
             AND visitor_id IS NOT NULL ORDER BY created_at, seq"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(StoredChat::try_from).collect()
    }

    async fn waiting_count(&self) -> Result<i64, StoreError> {
        let (count,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM chats WHERE status = 'waiting' AND visitor_id IS NOT NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(count)
    }

    async fn accepted_since(&self, since: Timestamp) -> Result<u32, StoreError> {
        let (count,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM events WHERE kind = 'operator_accepted' AND at >= $1",
        )
        .bind(since.0)
        .fetch_one(&self.pool)
        .await?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    async fn chats_of_operator(&self, operator: OperatorId) -> Result<Vec<Membership>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        chats_of_operator(&mut conn, operator).await
    }

    async fn set_monitoring(
        &self,
        chat: ChatId,
        operator: OperatorId,
        monitoring: Monitoring,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE participants SET monitoring = $1 WHERE chat_id = $2 AND operator_id = $3",
        )
        .bind(monitoring.as_str())
        .bind(chat.0)
        .bind(operator.0)
        .execute(&self.pool)
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
            "UPDATE participants SET read_up_to = $1 \
             WHERE chat_id = $2 AND operator_id = $3 AND read_up_to < $1",
        )
        .bind(up_to.0)
        .bind(chat.0)
        .bind(operator.0)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn mark_seen_by_visitor(
        &self,
        chat: ChatId,
        up_to: EventId,
    ) -> Result<Option<bool>, StoreError> {
        let exists: Option<(i32,)> =
            sqlx::query_as("SELECT 1 FROM events WHERE id = $1 AND chat_id = $2")
                .bind(up_to.0)
                .bind(chat.0)
                .fetch_optional(&self.pool)
                .await?;
        if exists.is_none() {
            return Ok(None);
        }
        let done = sqlx::query(
            "UPDATE chats SET visitor_seen_up_to = $1 WHERE id = $2 AND visitor_seen_up_to < $1",
        )
        .bind(up_to.0)
        .bind(chat.0)
        .execute(&self.pool)
        .await?;
        Ok(Some(done.rows_affected() > 0))
    }

    async fn operators_seen(&self, chat: ChatId) -> Result<EventId, StoreError> {
        let (up_to,): (i64,) = sqlx::query_as(
            "SELECT COALESCE(MAX(read_up_to), 0)::BIGINT FROM participants \
             WHERE chat_id = $1 AND role = 'participant'",
        )
        .bind(chat.0)
        .fetch_one(&self.pool)
        .await?;
        Ok(EventId(up_to))
    }
}
