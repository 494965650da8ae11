//! The commit baselines: one small INSERT per transaction, back to back, on one connection.
//!
//! - SQLite: a WAL file with `synchronous = FULL` (what Switchboard's store uses: every commit
//!   waits for fsync), and `NORMAL` for comparison.
//! - PostgreSQL: a fresh database in the bench's durable cluster with `synchronous_commit = on`
//!   (the default, what Switchboard gets: every commit waits for its WAL flush), and `off` for
//!   comparison.
//!
//! They bound how many messages a single writer can commit per second on this disk (PostgreSQL
//! also groups the flushes of concurrent writers; the loop here has none).

use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::stats::{Summary, summarize};

/// Most commits one run makes, whatever its duration.
const MAX_COMMITS: usize = 1_000_000;

/// What one run measured.
#[derive(Clone, Debug)]
pub struct CommitResult {
    /// `SQLite` or `PostgreSQL`.
    pub database: &'static str,
    /// The durability setting: `synchronous=FULL`, `synchronous_commit=on`, ….
    pub setting: &'static str,
    /// Commits made.
    pub commits: usize,
    /// Wall time of the loop.
    pub elapsed: Duration,
    /// Latency of each BEGIN … INSERT … COMMIT.
    pub latency: Option<Summary>,
}

/// Commits for `duration` into a new database file in `dir`.
pub async fn run(dir: &Path, full: bool, duration: Duration) -> Result<CommitResult, String> {
    let synchronous = if full { "FULL" } else { "NORMAL" };
    let file = dir.join(format!("commit-{}.db", synchronous.to_lowercase()));
    let options = SqliteConnectOptions::new()
        .filename(&file)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(if full {
            SqliteSynchronous::Full
        } else {
            SqliteSynchronous::Normal
        });
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|err| format!("cannot open {}: {err}", file.display()))?;
    let result = commit_loop(&pool, duration).await;
    pool.close().await;
    let (samples, elapsed) = result.map_err(|err| format!("commit loop: {err}"))?;
    Ok(CommitResult {
        database: "SQLite",
        setting: if full {
            "synchronous=FULL"
        } else {
            "synchronous=NORMAL"
        },
        commits: samples.len(),
        elapsed,
        latency: summarize(samples),
    })
}

async fn commit_loop(
    pool: &sqlx::SqlitePool,
    duration: Duration,
) -> Result<(Vec<Duration>, Duration), sqlx::Error> {
    sqlx::query(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, chat TEXT NOT NULL, \
         body TEXT NOT NULL, at INTEGER NOT NULL)",
    )
    .execute(pool)
    .await?;
    let mut samples = Vec::new();
    let start = Instant::now();
    while start.elapsed() < duration && samples.len() < MAX_COMMITS {
        let began = Instant::now();
        let mut tx = pool.begin().await?;
        sqlx::query("INSERT INTO events (chat, body, at) VALUES (?, ?, ?)")
            .bind("00000000-0000-0000-0000-000000000000")
            .bind("a bench message of about the length of a chat line")
            .bind(samples.len() as i64)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        samples.push(began.elapsed());
    }
    Ok((samples, start.elapsed()))
}

/// Commits for `duration` into a new table of the empty PostgreSQL database at `url`, with
/// `synchronous_commit` on (`durable`) or off.
pub async fn run_postgres(
    url: &str,
    durable: bool,
    duration: Duration,
) -> Result<CommitResult, String> {
    let mut connection = sqlx::PgConnection::connect(url)
        .await
        .map_err(|err| format!("cannot connect to {url}: {err}"))?;
    let result = postgres_loop(&mut connection, durable, duration).await;
    let _ = connection.close().await;
    let (samples, elapsed) = result.map_err(|err| format!("commit loop: {err}"))?;
    Ok(CommitResult {
        database: "PostgreSQL",
        setting: if durable {
            "synchronous_commit=on"
        } else {
            "synchronous_commit=off"
        },
        commits: samples.len(),
        elapsed,
        latency: summarize(samples),
    })
}

async fn postgres_loop(
    connection: &mut sqlx::PgConnection,
    durable: bool,
    duration: Duration,
) -> Result<(Vec<Duration>, Duration), sqlx::Error> {
    let (table, setting) = if durable {
        ("events_durable", "on")
    } else {
        ("events_async", "off")
    };
    sqlx::query(&format!("SET synchronous_commit = {setting}"))
        .execute(&mut *connection)
        .await?;
    sqlx::query(&format!(
        "CREATE TABLE {table} (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
         chat UUID NOT NULL, body TEXT NOT NULL, at BIGINT NOT NULL)"
    ))
    .execute(&mut *connection)
    .await?;
    let insert = format!("INSERT INTO {table} (chat, body, at) VALUES ($1::uuid, $2, $3)");
    let mut samples = Vec::new();
    let start = Instant::now();
    while start.elapsed() < duration && samples.len() < MAX_COMMITS {
        let began = Instant::now();
        let mut tx = connection.begin().await?;
        sqlx::query(&insert)
            .bind("00000000-0000-0000-0000-000000000000")
            .bind("a bench message of about the length of a chat line")
            .bind(samples.len() as i64)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        samples.push(began.elapsed());
    }
    Ok((samples, start.elapsed()))
}
