//! The PostgreSQL adapter: one database shared by any number of Switchboard processes.
//!
//! It answers every call as the SQLite adapter does; what SQLite gets from having one writer,
//! this one gets from the database:
//!
//! - **Event ids in commit order.** Sequence values are handed out in the order transactions
//!   ask for them, not the order they commit, so a follower reading `events_after(n)` could see
//!   id 12 committed before id 11 and skip 11 for ever. Every transaction that records events
//!   therefore takes the transaction-scoped advisory lock [`EVENT_ORDER_LOCK`] as its first
//!   statement and draws its ids inside it. The lock is held until COMMIT (and released only
//!   after the commit is visible), so a transaction that draws larger ids commits after every
//!   one that drew smaller ids: a reader that sees an id sees every id below it that will ever
//!   exist. [`EventLock`] is the proof of holding it that appending events requires. This also
//!   serialises chat writes across processes, as SQLite's single writer does within one. The
//!   identity sequence must keep `CACHE 1` (the default).
//! - **Waking other nodes.** A batch that recorded events sends `NOTIFY` on [`NOTIFY_CHANNEL`]
//!   (empty payload) inside its transaction, so listeners hear of it only once it commits.
//! - **Refusals.** Each chat write of a batch runs in a savepoint; its own refusal (stale
//!   version, second open chat, chat limit, duplicate idempotency key) rolls back to it and
//!   leaves the rest of the batch alone, as in SQLite.
//! - **Consistent cuts.** Reads that must agree with `last_event_id` run in one
//!   `REPEATABLE READ, READ ONLY` transaction.
//!
//! Ids are `UUID`, times `BIGINT` milliseconds, flags `BOOLEAN`; JSON documents (chat state,
//! event payloads, visitor fields, settings) are the same text the SQLite adapter stores.
//! Case-insensitive keys (operator emails, channel names) are unique on `lower(…)`, and names
//! sort by `lower(…) COLLATE "C"`, which is SQLite's `NOCASE` order whatever the database's
//! locale (for ASCII; PostgreSQL also folds other letters).

use std::time::Duration;

use async_trait::async_trait;
use domain::canned::CannedMessage;
use domain::channel::{Channel, ChannelSettings};
use domain::console::{Monitoring, Role};
use domain::log::{ActionEntry, ActionFilter};
use domain::{
    CannedId, ChannelId, ChatEvent, ChatId, ChatState, EventId, EventKind, OperatorId, Timestamp,
    Visibility, VisitorId,
};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{FromRow, PgConnection, Postgres, Transaction};
use uuid::Uuid;

use super::{
    ChatWrite, LoggedEvent, Membership, NewEvent, Notice, Notices, OperatorRecord, OperatorView,
    PresentOperator, Revision, SessionRecord, Store, StoreError, StoredChat, VisitorCut,
    VisitorRecord, author_key,
};

/// The advisory lock (`pg_advisory_xact_lock`) every transaction that records events holds:
/// the bytes of `"swbevlog"`. Only this adapter takes it; no other lock in the database uses
/// the key (sqlx's migration lock is derived from the database name).
pub const EVENT_ORDER_LOCK: i64 = i64::from_be_bytes(*b"swbevlog");

/// The channel a batch that recorded events notifies on commit (empty payload).
pub const NOTIFY_CHANNEL: &str = "switchboard_events";

/// The channel nodes broadcast their messages on (signals, revocations).
pub const MESSAGE_CHANNEL: &str = "switchboard_messages";

/// The most connections one process opens.
const MAX_CONNECTIONS: u32 = 10;

/// The PostgreSQL store.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to the database at a `postgres://` URL and brings its schema up to date (sqlx
    /// holds a lock of its own while migrating, so processes may start together).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("../migrations/postgres")
            .run(&pool)
            .await
            .map_err(|err| StoreError::Database(err.into()))?;
        Ok(Self { pool })
    }

    /// Closes the pool, waiting for connections in use to come back.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// How many consoles an operator has open on live nodes.
    async fn open_consoles(
        &self,
        operator: OperatorId,
        live_since: Timestamp,
    ) -> Result<i64, StoreError> {
        let (open,): (Option<i64>,) = sqlx::query_as(
            "SELECT CAST(SUM(open) AS BIGINT) FROM consoles WHERE operator_id = $1 \
             AND seen_at >= $2",
        )
        .bind(operator.0)
        .bind(live_since.0)
        .fetch_one(&self.pool)
        .await?;
        Ok(open.unwrap_or_default())
    }

    /// Ends every connection listening for notices on this database (every node's), as a
    /// network cut would; answers how many. For tests of catching up after a lost listener.
    pub async fn terminate_listeners(&self) -> Result<i64, StoreError> {
        let (count,): (i64,) = sqlx::query_as(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
             AND query ILIKE 'LISTEN%'",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(count)
    }
}

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

/// Proof that the current transaction holds [`EVENT_ORDER_LOCK`]: events are appended only
/// with one in hand.
struct EventLock(());

impl EventLock {
    /// Takes the lock; must be the transaction's first statement, so that everything it reads
    /// and every id it draws comes after the previous holder's commit.
    async fn take(tx: &mut Transaction<'_, Postgres>) -> Result<Self, StoreError> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(EVENT_ORDER_LOCK)
            .execute(&mut **tx)
            .await?;
        Ok(Self(()))
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

fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// A write refused because a unique key (email, shortcut, channel name) is taken.
fn conflict_if_taken(err: sqlx::Error) -> StoreError {
    if is_unique_violation(&err) {
        StoreError::Conflict
    } else {
        StoreError::Database(err)
    }
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
struct OperatorRow {
    id: Uuid,
    email: String,
    name: String,
    chat_name: String,
    role: String,
    password_hash: String,
    must_change_password: bool,
    disabled: bool,
    created_at: i64,
    languages: Vec<String>,
    invitation_name: String,
}

impl TryFrom<OperatorRow> for OperatorRecord {
    type Error = StoreError;
    fn try_from(row: OperatorRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: OperatorId(row.id),
            email: row.email,
            name: row.name,
            chat_name: row.chat_name,
            role: Role::parse(&row.role)
                .ok_or_else(|| StoreError::Corrupt(format!("role {:?}", row.role)))?,
            password_hash: row.password_hash,
            must_change_password: row.must_change_password,
            disabled: row.disabled,
            created_at: Timestamp(row.created_at),
            languages: row.languages,
            invitation_name: row.invitation_name,
        })
    }
}

const OPERATOR_COLUMNS: &str = "id, email, name, chat_name, role, password_hash, \
     must_change_password, disabled, created_at, languages, invitation_name";

#[derive(FromRow)]
struct VisitorRow {
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
}

const VISITOR_COLUMNS: &str = "id, token_hash, name, email, language, page_url, referrer, \
     fields, created_at, user_agent, page_title, last_seen_at";

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
}

const LOGGED_COLUMNS: &str =
    "e.id, e.chat_id, e.at, e.payload, e.visibility, c.visitor_id, e.members";

impl TryFrom<LoggedRow> for LoggedEvent {
    type Error = StoreError;
    fn try_from(row: LoggedRow) -> Result<Self, StoreError> {
        Ok(Self {
            visitor: row.visitor_id.map(VisitorId),
            visibility: Visibility::from_stored(&row.visibility)
                .ok_or_else(|| StoreError::Corrupt(format!("visibility {:?}", row.visibility)))?,
            members: row.members.into_iter().map(OperatorId).collect(),
            event: ChatEvent::try_from(row.event)?,
        })
    }
}

fn logged(rows: Vec<LoggedRow>) -> Result<Vec<LoggedEvent>, StoreError> {
    rows.into_iter().map(LoggedEvent::try_from).collect()
}

#[derive(FromRow)]
struct CannedRow {
    id: Uuid,
    owner_id: Option<Uuid>,
    title: String,
    shortcut: String,
    body: String,
}

impl From<CannedRow> for CannedMessage {
    fn from(row: CannedRow) -> Self {
        Self {
            id: CannedId(row.id),
            owner: row.owner_id.map(OperatorId),
            title: row.title,
            shortcut: row.shortcut,
            body: row.body,
        }
    }
}

#[derive(FromRow)]
struct ActionRow {
    id: i64,
    at: i64,
    operator_id: Uuid,
    operator_name: String,
    action: String,
    chat_id: Option<Uuid>,
    object: Option<String>,
    ip: Option<String>,
}

impl From<ActionRow> for ActionEntry {
    fn from(row: ActionRow) -> Self {
        Self {
            id: row.id,
            at: Timestamp(row.at),
            operator: OperatorId(row.operator_id),
            operator_name: row.operator_name,
            action: row.action,
            chat: row.chat_id.map(ChatId),
            object: row.object,
            ip: row.ip,
        }
    }
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
        monitoring: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.id, c.state, c.version, c.created_at, p.read_up_to, p.monitoring \
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
                 visibility, members) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(chat.id.0)
            .bind(at.0)
            .bind(kind.name())
            .bind(payload)
            .bind(author)
            .bind(client_id)
            .bind(new.visibility.to_stored())
            .bind(members)
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
impl Store for PgStore {
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

    async fn insert_operator(&self, operator: &OperatorRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO operators (id, email, name, chat_name, role, password_hash, \
             must_change_password, disabled, created_at, languages, invitation_name) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(operator.id.0)
        .bind(&operator.email)
        .bind(&operator.name)
        .bind(&operator.chat_name)
        .bind(operator.role.as_str())
        .bind(&operator.password_hash)
        .bind(operator.must_change_password)
        .bind(operator.disabled)
        .bind(operator.created_at.0)
        .bind(&operator.languages)
        .bind(&operator.invitation_name)
        .execute(&self.pool)
        .await
        .map_err(conflict_if_taken)?;
        Ok(())
    }

    async fn operator_count(&self) -> Result<i64, StoreError> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM operators")
            .fetch_one(&self.pool)
            .await?;
        Ok(count)
    }

    async fn operator_by_email(&self, email: &str) -> Result<Option<OperatorRecord>, StoreError> {
        let row: Option<OperatorRow> = sqlx::query_as(&format!(
            "SELECT {OPERATOR_COLUMNS} FROM operators WHERE lower(email) = lower($1)"
        ))
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        row.map(OperatorRecord::try_from).transpose()
    }

    async fn operator_by_id(&self, id: OperatorId) -> Result<Option<OperatorRecord>, StoreError> {
        let row: Option<OperatorRow> = sqlx::query_as(&format!(
            "SELECT {OPERATOR_COLUMNS} FROM operators WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(OperatorRecord::try_from).transpose()
    }

    async fn update_operator(&self, operator: &OperatorRecord) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE operators SET email = $1, name = $2, chat_name = $3, role = $4, \
             disabled = $5, languages = $6, invitation_name = $7 WHERE id = $8",
        )
        .bind(&operator.email)
        .bind(&operator.name)
        .bind(&operator.chat_name)
        .bind(operator.role.as_str())
        .bind(operator.disabled)
        .bind(&operator.languages)
        .bind(&operator.invitation_name)
        .bind(operator.id.0)
        .execute(&self.pool)
        .await
        .map_err(conflict_if_taken)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn canned_for(&self, operator: OperatorId) -> Result<Vec<CannedMessage>, StoreError> {
        let rows: Vec<CannedRow> = sqlx::query_as(
            "SELECT id, owner_id, title, shortcut, body FROM canned_messages \
             WHERE owner_id IS NULL OR owner_id = $1 ORDER BY lower(title) COLLATE \"C\", id",
        )
        .bind(operator.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(CannedMessage::from).collect())
    }

    async fn canned(&self, id: CannedId) -> Result<Option<CannedMessage>, StoreError> {
        let row: Option<CannedRow> = sqlx::query_as(
            "SELECT id, owner_id, title, shortcut, body FROM canned_messages WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(CannedMessage::from))
    }

    async fn save_canned(&self, message: &CannedMessage, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO canned_messages (id, owner_id, title, shortcut, body, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET \
             title = excluded.title, shortcut = excluded.shortcut, body = excluded.body, \
             updated_at = excluded.updated_at",
        )
        .bind(message.id.0)
        .bind(message.owner.map(|o| o.0))
        .bind(&message.title)
        .bind(&message.shortcut)
        .bind(&message.body)
        .bind(at.0)
        .bind(at.0)
        .execute(&self.pool)
        .await
        .map_err(conflict_if_taken)?;
        Ok(())
    }

    async fn delete_canned(&self, id: CannedId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM canned_messages WHERE id = $1")
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn insert_action(&self, entry: &ActionEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO action_log (at, operator_id, operator_name, action, chat_id, object, ip) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(entry.at.0)
        .bind(entry.operator.0)
        .bind(&entry.operator_name)
        .bind(&entry.action)
        .bind(entry.chat.map(|c| c.0))
        .bind(&entry.object)
        .bind(&entry.ip)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn actions(
        &self,
        filter: &ActionFilter,
        limit: i64,
    ) -> Result<Vec<ActionEntry>, StoreError> {
        let mut query = sqlx::QueryBuilder::<Postgres>::new(
            "SELECT id, at, operator_id, operator_name, action, chat_id, object, ip \
             FROM action_log WHERE TRUE",
        );
        if let Some(operator) = filter.operator {
            query.push(" AND operator_id = ").push_bind(operator.0);
        }
        if let Some(chat) = filter.chat {
            query.push(" AND chat_id = ").push_bind(chat.0);
        }
        if let Some(action) = &filter.action {
            query.push(" AND action = ").push_bind(action.clone());
        }
        if let Some(from) = filter.from {
            query.push(" AND at >= ").push_bind(from.0);
        }
        if let Some(to) = filter.to {
            query.push(" AND at < ").push_bind(to.0);
        }
        if let Some(before) = filter.before {
            query.push(" AND id < ").push_bind(before);
        }
        query.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
        let rows: Vec<ActionRow> = query.build_query_as().fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(ActionEntry::from).collect())
    }

    async fn channels(&self) -> Result<Vec<Channel>, StoreError> {
        #[derive(FromRow)]
        struct Row {
            id: Uuid,
            name: String,
            archived: bool,
            settings: String,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, name, archived, settings FROM channels \
             ORDER BY lower(name) COLLATE \"C\", id",
        )
        .fetch_all(&self.pool)
        .await?;
        let members: Vec<(Uuid, Uuid)> =
            sqlx::query_as("SELECT channel_id, operator_id FROM channel_operators")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|row| {
                let settings: ChannelSettings = serde_json::from_str(&row.settings)
                    .map_err(|err| StoreError::Corrupt(format!("channel settings: {err}")))?;
                let operators = members
                    .iter()
                    .filter(|(channel, _)| *channel == row.id)
                    .map(|(_, operator)| OperatorId(*operator))
                    .collect();
                Ok(Channel {
                    id: ChannelId(row.id),
                    name: row.name,
                    archived: row.archived,
                    operators,
                    settings,
                })
            })
            .collect()
    }

    async fn save_channel(&self, channel: &Channel, at: Timestamp) -> Result<(), StoreError> {
        let settings = serde_json::to_string(&channel.settings)
            .map_err(|err| StoreError::Corrupt(format!("channel settings: {err}")))?;
        sqlx::query(
            "INSERT INTO channels (id, name, archived, settings, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
             archived = excluded.archived, settings = excluded.settings, \
             updated_at = excluded.updated_at",
        )
        .bind(channel.id.0)
        .bind(&channel.name)
        .bind(channel.archived)
        .bind(settings)
        .bind(at.0)
        .bind(at.0)
        .execute(&self.pool)
        .await
        .map_err(conflict_if_taken)?;
        Ok(())
    }

    async fn set_channel_operators(
        &self,
        channel: ChannelId,
        operators: &[OperatorId],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM channel_operators WHERE channel_id = $1")
            .bind(channel.0)
            .execute(&mut *tx)
            .await?;
        for operator in operators {
            sqlx::query(
                "INSERT INTO channel_operators (channel_id, operator_id) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(channel.0)
            .bind(operator.0)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn set_channel_member(
        &self,
        channel: ChannelId,
        operator: OperatorId,
        serves: bool,
    ) -> Result<(), StoreError> {
        let sql = if serves {
            "INSERT INTO channel_operators (channel_id, operator_id) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM channel_operators WHERE channel_id = $1 AND operator_id = $2"
        };
        sqlx::query(sql)
            .bind(channel.0)
            .bind(operator.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(value,)| value))
    }

    async fn save_setting(&self, key: &str, value: &str, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
             updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value)
        .bind(at.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_sessions_of(&self, operator: OperatorId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE operator_id = $1")
            .bind(operator.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_password(
        &self,
        id: OperatorId,
        password_hash: &str,
        must_change: bool,
        keep_session: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE operators SET password_hash = $1, must_change_password = $2 WHERE id = $3",
        )
        .bind(password_hash)
        .bind(must_change)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM sessions WHERE operator_id = $1 AND token_hash <> $2")
            .bind(id.0)
            .bind(keep_session.unwrap_or_default())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn insert_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, operator_id, created_at, last_seen_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&session.token_hash)
        .bind(session.operator_id.0)
        .bind(session.created_at.0)
        .bind(session.last_seen_at.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(
        &self,
        token_hash: &str,
    ) -> Result<Option<(SessionRecord, OperatorRecord)>, StoreError> {
        let row: Option<(Uuid, i64, i64)> = sqlx::query_as(
            "SELECT operator_id, created_at, last_seen_at FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some((operator_id, created_at, last_seen_at)) = row else {
            return Ok(None);
        };
        let operator_id = OperatorId(operator_id);
        let Some(operator) = self.operator_by_id(operator_id).await? else {
            return Ok(None);
        };
        Ok(Some((
            SessionRecord {
                token_hash: token_hash.to_owned(),
                operator_id,
                created_at: Timestamp(created_at),
                last_seen_at: Timestamp(last_seen_at),
            },
            operator,
        )))
    }

    async fn touch_session(&self, token_hash: &str, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(at.0)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
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

    async fn visitor_page(
        &self,
        id: VisitorId,
        url: &str,
        title: Option<&str>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE visitors SET page_url = $1, page_title = $2, last_seen_at = $3 WHERE id = $4",
        )
        .bind(url)
        .bind(title)
        .bind(at.0)
        .bind(id.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn operators(&self) -> Result<Vec<OperatorRecord>, StoreError> {
        let rows: Vec<OperatorRow> = sqlx::query_as(&format!(
            "SELECT {OPERATOR_COLUMNS} FROM operators \
             ORDER BY lower(name) COLLATE \"C\", email COLLATE \"C\""
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(OperatorRecord::try_from).collect()
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

    async fn open_console(
        &self,
        operator: OperatorId,
        node: Uuid,
        at: Timestamp,
        live_since: Timestamp,
    ) -> Result<i64, StoreError> {
        sqlx::query(
            "INSERT INTO consoles (operator_id, node, open, seen_at) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (operator_id, node) DO UPDATE SET open = consoles.open + 1, \
             seen_at = excluded.seen_at",
        )
        .bind(operator.0)
        .bind(node)
        .bind(at.0)
        .execute(&self.pool)
        .await?;
        self.open_consoles(operator, live_since).await
    }

    async fn close_console(
        &self,
        operator: OperatorId,
        node: Uuid,
        live_since: Timestamp,
    ) -> Result<i64, StoreError> {
        sqlx::query(
            "UPDATE consoles SET open = open - 1 WHERE operator_id = $1 AND node = $2 \
             AND open > 0",
        )
        .bind(operator.0)
        .bind(node)
        .execute(&self.pool)
        .await?;
        self.open_consoles(operator, live_since).await
    }

    async fn keep_consoles(
        &self,
        node: Uuid,
        at: Timestamp,
        forget_before: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE consoles SET seen_at = $1 WHERE node = $2")
            .bind(at.0)
            .bind(node)
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM consoles WHERE seen_at < $1 OR open <= 0")
            .bind(forget_before.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn present_operators(
        &self,
        live_since: Timestamp,
    ) -> Result<Vec<PresentOperator>, StoreError> {
        #[derive(FromRow)]
        struct Row {
            #[sqlx(flatten)]
            operator: OperatorRow,
            active_at: i64,
        }
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {OPERATOR_COLUMNS}, active_at FROM operators WHERE NOT disabled AND id IN \
             (SELECT operator_id FROM consoles WHERE seen_at >= $1 \
             GROUP BY operator_id HAVING SUM(open) > 0)"
        ))
        .bind(live_since.0)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(PresentOperator {
                    operator: OperatorRecord::try_from(row.operator)?,
                    active_at: Timestamp(row.active_at),
                })
            })
            .collect()
    }

    async fn note_active(&self, operator: OperatorId, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE operators SET active_at = $1 WHERE id = $2")
            .bind(at.0)
            .bind(operator.0)
            .execute(&self.pool)
            .await?;
        Ok(())
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
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE participants SET read_up_to = GREATEST(read_up_to, $1) \
             WHERE chat_id = $2 AND operator_id = $3",
        )
        .bind(up_to.0)
        .bind(chat.0)
        .bind(operator.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
