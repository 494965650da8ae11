//! Retention (P6): closed chats older than the admins' setting are deleted by a purge every
//! node runs every hour (deleting is idempotent, so nodes need not agree on who does it), and
//! admins export or erase one visitor's data on request, each recorded in the action log.

use std::collections::BTreeMap;
use std::time::Duration;

use domain::console::Role;
use domain::retention::{
    Erased, ExportedChat, ExportedMessage, VisitorData, VisitorExport, purge_before,
};
use domain::{ChatStatus, Error, ErrorCode, Timestamp, VisitorId};

use crate::operators::Session;
use crate::store::{StoreError, VisitorRecord};
use crate::{Engine, internal};

/// Chats deleted per transaction.
const PURGE_BATCH: i64 = 500;
/// How often each node purges.
const EVERY: Duration = Duration::from_secs(3600);

fn no_such_visitor() -> Error {
    Error::new(ErrorCode::NotFound, "No such visitor.")
}

fn data_of(visitor: &VisitorRecord) -> VisitorData {
    VisitorData {
        id: visitor.id,
        name: visitor.name.clone(),
        email: visitor.email.clone(),
        language: visitor.language.clone(),
        user_agent: visitor.user_agent.clone(),
        page_url: visitor.page_url.clone(),
        page_title: visitor.page_title.clone(),
        referrer: visitor.referrer.clone(),
        fields: serde_json::from_str::<BTreeMap<String, String>>(&visitor.fields_json)
            .unwrap_or_default(),
        created_at: visitor.created_at,
        last_seen_at: visitor.last_seen_at,
    }
}

impl Engine {
    /// Deletes the closed chats past the retention the settings give; answers how many.
    pub async fn purge_expired(&self) -> Result<u64, Error> {
        let settings = self.settings().await?;
        let Some(before) = purge_before(settings.retention_days, self.now()) else {
            return Ok(0);
        };
        let mut total = 0;
        loop {
            let purged = self
                .store
                .purge_closed_before(before, PURGE_BATCH)
                .await
                .map_err(internal)?;
            total += purged;
            if purged < u64::try_from(PURGE_BATCH).unwrap_or(u64::MAX) {
                break;
            }
        }
        if total > 0 {
            tracing::info!(chats = total, "purged closed chats past their retention");
        }
        Ok(total)
    }

    pub(crate) fn start_purging(&self) {
        let engine = self.clone();
        tokio::spawn(async move {
            // A minute after start, then every hour.
            tokio::time::sleep(Duration::from_secs(60)).await;
            loop {
                if let Err(err) = engine.purge_expired().await {
                    tracing::warn!(error = %err, "purging closed chats");
                }
                tokio::time::sleep(EVERY).await;
            }
        });
    }

    /// Finds visitors by id or email address (admins only), for export or erasure.
    pub async fn find_visitors(
        &self,
        session: &Session,
        text: &str,
    ) -> Result<Vec<VisitorData>, Error> {
        session.require_role(Role::Admin)?;
        let text = text.trim();
        let found = match text.parse::<VisitorId>() {
            Ok(id) => self
                .store
                .visitor_by_id(id)
                .await
                .map_err(internal)?
                .into_iter()
                .collect(),
            Err(_) if text.contains('@') => {
                self.store.visitors_by_email(text).await.map_err(internal)?
            }
            Err(_) => {
                return Err(Error::invalid(
                    "visitor",
                    "Give the visitor's id or the email address they gave.",
                ));
            }
        };
        Ok(found.iter().map(data_of).collect())
    }

    /// Everything kept about a visitor (admins only), recorded in the action log.
    pub async fn export_visitor(
        &self,
        session: &Session,
        visitor: VisitorId,
    ) -> Result<VisitorExport, Error> {
        session.require_role(Role::Admin)?;
        let record = self
            .store
            .visitor_by_id(visitor)
            .await
            .map_err(internal)?
            .ok_or_else(no_such_visitor)?;
        let chats = self
            .store
            .visitor_chats(visitor)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|(state, events)| ExportedChat {
                id: state.id,
                status: state.status,
                events,
            })
            .collect();
        let messages = self
            .store
            .visitor_messages(visitor)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|(name, email, message, at)| ExportedMessage {
                name,
                email,
                message,
                left_at: Timestamp(at),
            })
            .collect();
        self.record(session, "export_visitor", None, Some(visitor.to_string()))
            .await;
        Ok(VisitorExport {
            exported_at: self.now(),
            visitor: data_of(&record),
            chats,
            messages,
        })
    }

    /// Erases a visitor on request (admins only): the visitor, their chats with every event,
    /// transcript mail and rating, and their messages; recorded in the action log. A visitor
    /// in a chat that is not closed is refused until it is.
    pub async fn erase_visitor(
        &self,
        session: &Session,
        visitor: VisitorId,
    ) -> Result<Erased, Error> {
        session.require_role(Role::Admin)?;
        if let Some(latest) = self
            .store
            .latest_chat_of_visitor(visitor)
            .await
            .map_err(internal)?
            && latest.state.status != ChatStatus::Closed
        {
            return Err(Error::new(
                ErrorCode::ChatNotActive,
                "This visitor's chat is not closed yet: close it, then erase the visitor.",
            ));
        }
        let (chats, messages) = match self.store.erase_visitor(visitor).await {
            Ok(counts) => counts,
            Err(StoreError::NotFound) => return Err(no_such_visitor()),
            Err(err) => return Err(internal(err)),
        };
        self.record(session, "erase_visitor", None, Some(visitor.to_string()))
            .await;
        Ok(Erased { chats, messages })
    }
}
