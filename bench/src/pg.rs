//! The bench's PostgreSQL: one throwaway, durable PostgreSQL 15 cluster per run
//! ([`PgCluster::start_durable`]: PostgreSQL's default durability, so every commit waits for
//! its WAL flush), started on first use; every PostgreSQL row and the commit baseline get a
//! fresh database of their own in it. A watcher process started with it stops it and deletes
//! its files once the bench exits, however it exits.
//!
//! `test-support` reports failures by panicking (it is test support); here they are caught at
//! the task boundary and become errors of the row that needed the database.

use std::path::PathBuf;
use std::sync::Arc;

use test_support::PgCluster;
use tokio::sync::OnceCell;

use crate::system;

/// The cluster of a run, started when a row first needs it.
#[derive(Debug, Default)]
pub struct Postgres {
    cluster: OnceCell<Result<Arc<PgCluster>, String>>,
}

/// Where the cluster runs, for the report.
#[derive(Clone, Debug)]
pub struct Described {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Its data folder.
    pub data: PathBuf,
    /// The file system holding it.
    pub filesystem: String,
    /// `SHOW server_version`, `fsync`, `synchronous_commit`, `full_page_writes`, `wal_sync_method`.
    pub settings: String,
}

impl Postgres {
    /// The cluster, started on the first call (which blocks a worker thread for the few
    /// seconds `initdb` and `pg_ctl start` take).
    pub async fn cluster(&self) -> Result<Arc<PgCluster>, String> {
        self.cluster
            .get_or_init(|| async {
                eprintln!("[postgres] starting a durable PostgreSQL 15 cluster");
                let cluster = tokio::task::spawn_blocking(PgCluster::start_durable)
                    .await
                    .map(Arc::new)
                    .map_err(|err| format!("cannot start the PostgreSQL cluster: {err}"))?;
                eprintln!(
                    "[postgres] listening on 127.0.0.1:{}, data in {}",
                    cluster.port,
                    cluster.data.display()
                );
                Ok(cluster)
            })
            .await
            .clone()
    }

    /// A new, empty database in the cluster (starting it if need be): its URL.
    pub async fn new_database(&self) -> Result<String, String> {
        let cluster = self.cluster().await?;
        tokio::spawn(async move { cluster.new_database().await })
            .await
            .map_err(|err| format!("cannot create a PostgreSQL database: {err}"))
    }

    /// The cluster, if it was started, with its durability settings as the server reports
    /// them.
    pub async fn describe(&self) -> Option<Described> {
        let cluster = self.cluster.get()?.as_ref().ok()?.clone();
        let url = cluster.url("postgres");
        let settings = read_settings(&url)
            .await
            .unwrap_or_else(|err| format!("settings unreadable: {err}"));
        Some(Described {
            port: cluster.port,
            filesystem: system::filesystem_of(&cluster.data).unwrap_or_else(|| "unknown".into()),
            data: cluster.data.clone(),
            settings,
        })
    }
}

async fn read_settings(url: &str) -> Result<String, sqlx::Error> {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(url).await?;
    let mut shown = Vec::new();
    for name in [
        "server_version",
        "fsync",
        "synchronous_commit",
        "full_page_writes",
        "wal_sync_method",
    ] {
        let (value,): (String,) = sqlx::query_as(&format!("SHOW {name}"))
            .fetch_one(&mut connection)
            .await?;
        shown.push(format!("{name}={value}"));
    }
    connection.close().await?;
    Ok(shown.join(", "))
}
