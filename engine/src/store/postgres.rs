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
//!
//! The queries are in a file per area of the port: `chats`, `accounts`, `admin`.

mod accounts;
mod admin;
mod chats;
mod history;
mod mail;
mod retention;
mod tickets;
mod visitors;
mod webhooks;

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use super::StoreError;

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
        // A node that stalls inside a transaction would hold the event-order lock and stop
        // every node's chat writes: the database ends such a transaction, and a write that
        // waits on the lock for this long fails instead of queueing for ever.
        let options = url.parse::<sqlx::postgres::PgConnectOptions>()?.options([
            ("idle_in_transaction_session_timeout", "30s"),
            ("lock_timeout", "30s"),
        ]);
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
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
