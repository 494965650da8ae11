//! The SQLite adapter: the embedded default, one file, nothing to install.
//!
//! Writes go through a pool of exactly one connection, so commands are serialised in-process
//! and never fail with SQLITE_BUSY; reads use a separate read-only pool and see the last
//! committed state (WAL mode). `synchronous = FULL`: a committed message survives a crash.
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

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use uuid::Uuid;

use super::StoreError;

/// The SQLite store.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    /// The only connection that writes.
    writer: SqlitePool,
    /// Read-only connections for queries and streams.
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating and migrating if needed) the database at a `sqlite:` URL.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        Self::migrate(options.clone()).await?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self { writer, reader })
    }

    /// Brings the schema up to date on a connection of its own with foreign keys off, as
    /// SQLite's table rebuilds require, then checks that every key still holds.
    async fn migrate(options: SqliteConnectOptions) -> Result<(), StoreError> {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect_with(&options.foreign_keys(false)).await?;
        sqlx::migrate!("../migrations/sqlite")
            .run(&mut conn)
            .await
            .map_err(|err| StoreError::Database(err.into()))?;
        let broken: Vec<(String, i64)> =
            sqlx::query_as("SELECT \"table\", rowid FROM pragma_foreign_key_check")
                .fetch_all(&mut conn)
                .await?;
        conn.close().await?;
        match broken.first() {
            None => Ok(()),
            Some((table, rowid)) => Err(StoreError::Corrupt(format!(
                "{} rows break a foreign key after migrating (first: {table} row {rowid})",
                broken.len()
            ))),
        }
    }

    /// Closes both pools, flushing the WAL.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

fn parse_uuid(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|err| StoreError::Corrupt(format!("uuid {text:?}: {err}")))
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
