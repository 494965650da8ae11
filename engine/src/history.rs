//! History (O28) and reports (A7): operators search past chats and read them, within what they
//! may see — supervisors and admins every chat, operators the chats they have been in — and
//! supervisors and admins read the figures of a date range.

use domain::Error;
use domain::console::Role;
use domain::history::{HistoryPage, HistoryQuery, HistoryScope, PAGE_SIZE};
use domain::report::{Report, ReportQuery};

use crate::operators::Session;
use crate::{Engine, internal};

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
