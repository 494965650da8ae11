//! History (O28) and reports (A7): operators search past chats and read them, within what they
//! may see — supervisors and admins every chat, operators the chats they have been in — and
//! supervisors and admins read the figures of a date range.

use domain::Error;
use domain::console::Role;
use domain::history::{HistoryPage, HistoryQuery, HistoryScope, PAGE_SIZE};
use domain::report::{Report, ReportQuery};

use crate::operators::Session;
use crate::{Engine, internal};

/// Events the search indexer looks at per transaction.
const INDEX_BATCH: i64 = 2000;
/// How often each node brings new messages into the search index.
const INDEX_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

impl Engine {
    /// A page of past visitor chats matching the search, best match first (newest first
    /// without words), each with its best message's excerpt.
    pub async fn search_history(
        &self,
        session: &Session,
        query: &HistoryQuery,
    ) -> Result<HistoryPage, Error> {
        session.require_ready()?;
        let valid = query.validate()?;
        // Whatever the background indexer has not reached yet is indexed first, so a search
        // finds every message committed before it.
        self.index_messages().await?;
        let scope = HistoryScope::of(session.operator.role, session.operator.id);
        let page = usize::try_from(PAGE_SIZE).unwrap_or(20);
        let mut hits = self
            .store
            .search_history(&valid, scope, i64::from(PAGE_SIZE) + 1)
            .await
            .map_err(internal)?;
        let more = hits.len() > page;
        hits.truncate(page);
        Ok(HistoryPage {
            hits,
            page: query.page,
            more,
        })
    }

    /// Brings every committed message into the search index (SQLite indexes after the
    /// commit, in batches; PostgreSQL in the commit).
    pub async fn index_messages(&self) -> Result<(), Error> {
        while self
            .store
            .index_messages(INDEX_BATCH)
            .await
            .map_err(internal)?
            >= u64::try_from(INDEX_BATCH).unwrap_or(u64::MAX)
        {}
        Ok(())
    }

    pub(crate) fn start_indexing(&self) {
        let engine = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(INDEX_EVERY).await;
                if let Err(err) = engine.index_messages().await {
                    tracing::debug!(error = %err, "indexing messages for search");
                }
            }
        });
    }

    /// The report of a date range and channel (supervisors and admins), computed from the
    /// chats' events.
    pub async fn report(&self, session: &Session, query: &ReportQuery) -> Result<Report, Error> {
        session.require_role(Role::Supervisor)?;
        query.validate()?;
        let chats = self
            .store
            .report_chats(query.from, query.to, query.channel)
            .await
            .map_err(internal)?;
        Ok(Report::compute(query.clone(), &chats))
    }
}
