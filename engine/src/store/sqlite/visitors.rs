//! The SQLite [`VisitorStore`].

use async_trait::async_trait;
use domain::visitor::{Invitation, InvitationStatus, PageVisit, PastChat, VisitorFilter};
use domain::{ChannelId, ChatId, InvitationId, OperatorId, Timestamp, VisitorId};
use sqlx::FromRow;

use super::chats::{VISITOR_COLUMNS, VisitorRow};
use super::{SqliteStore, is_unique_violation, parse_uuid};
use crate::store::{LiveVisitorRecord, PageViewRecord, StoreError, VisitorRecord, VisitorStore};

/// The live list's extra columns, read beside the visitor's own.
const LIVE_COLUMNS: &str = "visit_started_at, pages_viewed, channel_id, \
     (SELECT name FROM channels WHERE channels.id = visitors.channel_id) AS channel_name, \
     (SELECT id FROM chats WHERE chats.visitor_id = visitors.id AND chats.visitor_open) AS open_chat, \
     (SELECT status || ' ' || expires_at || ' ' || sent_at FROM invitations \
        WHERE invitations.visitor_id = visitors.id ORDER BY sent_at DESC LIMIT 1) AS invitation";

/// Matches the live list's search (`?` is the lower-case pattern, or NULL for all).
const LIVE_MATCH: &str = "(?2 IS NULL OR lower(COALESCE(name, '')) LIKE ?2 ESCAPE '\\' \
     OR lower(COALESCE(email, '')) LIKE ?2 ESCAPE '\\' \
     OR lower(COALESCE(page_url, '')) LIKE ?2 ESCAPE '\\' \
     OR lower(COALESCE(page_title, '')) LIKE ?2 ESCAPE '\\' \
     OR lower(COALESCE(referrer, '')) LIKE ?2 ESCAPE '\\')";

#[derive(FromRow)]
struct LiveRow {
    #[sqlx(flatten)]
    visitor: VisitorRow,
    visit_started_at: i64,
    pages_viewed: i64,
    channel_id: Option<String>,
    channel_name: Option<String>,
    open_chat: Option<String>,
    invitation: Option<String>,
}

impl TryFrom<LiveRow> for LiveVisitorRecord {
    type Error = StoreError;
    fn try_from(row: LiveRow) -> Result<Self, StoreError> {
        Ok(Self {
            visitor: VisitorRecord::try_from(row.visitor)?,
            visit_started_at: Timestamp(row.visit_started_at),
            pages_viewed: u32::try_from(row.pages_viewed).unwrap_or(u32::MAX),
            channel: row
                .channel_id
                .as_deref()
                .map(parse_uuid)
                .transpose()?
                .map(ChannelId),
            channel_name: row.channel_name,
            open_chat: row
                .open_chat
                .as_deref()
                .map(parse_uuid)
                .transpose()?
                .map(ChatId),
            invitation: crate::store::parse_latest_invitation(row.invitation.as_deref()),
        })
    }
}

#[derive(FromRow)]
struct InvitationRow {
    id: String,
    visitor_id: String,
    operator_id: String,
    operator_name: String,
    message: String,
    status: String,
    sent_at: i64,
    expires_at: i64,
    chat_id: Option<String>,
}

const INVITATION_COLUMNS: &str = "id, visitor_id, operator_id, operator_name, message, status, \
     sent_at, expires_at, chat_id";

impl TryFrom<InvitationRow> for Invitation {
    type Error = StoreError;
    fn try_from(row: InvitationRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: InvitationId(parse_uuid(&row.id)?),
            visitor_id: VisitorId(parse_uuid(&row.visitor_id)?),
            operator_id: OperatorId(parse_uuid(&row.operator_id)?),
            operator_name: row.operator_name,
            message: row.message,
            status: InvitationStatus::parse(&row.status)
                .ok_or_else(|| StoreError::Corrupt(format!("invitation status {}", row.status)))?,
            sent_at: Timestamp(row.sent_at),
            expires_at: Timestamp(row.expires_at),
            chat_id: row
                .chat_id
                .as_deref()
                .map(parse_uuid)
                .transpose()?
                .map(ChatId),
        })
    }
}

#[async_trait]
impl VisitorStore for SqliteStore {
    async fn record_page_view(
        &self,
        id: VisitorId,
        page: &PageViewRecord<'_>,
        at: Timestamp,
        new_visit: bool,
        keep_trail: u32,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "UPDATE visitors SET \
               pages_viewed = CASE WHEN ?1 OR visit_started_at = 0 \
                 THEN 1 ELSE pages_viewed + 1 END, \
               referrer = CASE WHEN ?1 OR visit_started_at = 0 \
                 THEN ?2 ELSE referrer END, \
               visit_started_at = CASE WHEN ?1 OR visit_started_at = 0 \
                 THEN ?3 ELSE visit_started_at END, \
               page_url = ?4, page_title = ?5, language = COALESCE(?6, language), \
               channel_id = (SELECT id FROM channels WHERE id = ?7), last_seen_at = ?3 \
             WHERE id = ?8",
        )
        .bind(new_visit)
        .bind(page.referrer)
        .bind(at.0)
        .bind(page.url)
        .bind(page.title)
        .bind(page.language)
        .bind(page.channel.map(|c| c.to_string()))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO visitor_pages (visitor_id, url, title, at) VALUES (?, ?, ?, ?)")
            .bind(id.to_string())
            .bind(page.url)
            .bind(page.title)
            .bind(at.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM visitor_pages WHERE visitor_id = ?1 AND rowid NOT IN \
             (SELECT rowid FROM visitor_pages WHERE visitor_id = ?1 \
              ORDER BY at DESC, rowid DESC LIMIT ?2)",
        )
        .bind(id.to_string())
        .bind(i64::from(keep_trail))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn departed_chats(
        &self,
        gone_before: Timestamp,
        limit: u32,
    ) -> Result<Vec<(ChatId, VisitorId)>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT chats.id, visitors.id FROM chats JOIN visitors ON visitors.id = chats.visitor_id \
             WHERE chats.visitor_open AND visitors.last_seen_at < ? LIMIT ?",
        )
        .bind(gone_before.0)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|(chat, visitor)| {
                Ok((ChatId(parse_uuid(&chat)?), VisitorId(parse_uuid(&visitor)?)))
            })
            .collect()
    }

    async fn set_visitor_contact(
        &self,
        id: VisitorId,
        name: Option<&str>,
        email: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE visitors SET name = COALESCE(?1, name), email = COALESCE(?2, email) WHERE id = ?3")
            .bind(name)
            .bind(email)
            .bind(id.to_string())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn keep_visitors(&self, ids: &[VisitorId], at: Timestamp) -> Result<(), StoreError> {
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "UPDATE visitors SET last_seen_at = ? WHERE last_seen_at < ? AND id IN ({marks})"
            );
            let mut query = sqlx::query(&sql).bind(at.0).bind(at.0);
            for id in chunk {
                query = query.bind(id.to_string());
            }
            query.execute(&self.writer).await?;
        }
        Ok(())
    }

    async fn live_visitors(
        &self,
        since: Timestamp,
        filter: &VisitorFilter,
        limit: u32,
    ) -> Result<(u64, Vec<LiveVisitorRecord>), StoreError> {
        let pattern = filter.pattern();
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM visitors WHERE last_seen_at >= ?1 AND {LIVE_MATCH}"
        ))
        .bind(since.0)
        .bind(&pattern)
        .fetch_one(&self.reader)
        .await?;
        let rows: Vec<LiveRow> = sqlx::query_as(&format!(
            "SELECT {VISITOR_COLUMNS}, {LIVE_COLUMNS} FROM visitors \
             WHERE last_seen_at >= ?1 AND {LIVE_MATCH} \
             ORDER BY visit_started_at DESC, id DESC LIMIT ?3 OFFSET ?4"
        ))
        .bind(since.0)
        .bind(&pattern)
        .bind(i64::from(limit))
        .bind(i64::from(filter.offset))
        .fetch_all(&self.reader)
        .await?;
        let visitors = rows
            .into_iter()
            .map(LiveVisitorRecord::try_from)
            .collect::<Result<_, _>>()?;
        Ok((u64::try_from(total).unwrap_or_default(), visitors))
    }

    async fn live_visitor(&self, id: VisitorId) -> Result<Option<LiveVisitorRecord>, StoreError> {
        let row: Option<LiveRow> = sqlx::query_as(&format!(
            "SELECT {VISITOR_COLUMNS}, {LIVE_COLUMNS} FROM visitors WHERE id = ?"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?;
        row.map(LiveVisitorRecord::try_from).transpose()
    }

    async fn visitor_trail(&self, id: VisitorId, limit: u32) -> Result<Vec<PageVisit>, StoreError> {
        let rows: Vec<(String, Option<String>, i64)> = sqlx::query_as(
            "SELECT url, title, at FROM visitor_pages WHERE visitor_id = ? \
             ORDER BY at DESC, rowid DESC LIMIT ?",
        )
        .bind(id.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(url, title, at)| PageVisit {
                url,
                title,
                at: Timestamp(at),
            })
            .collect())
    }

    async fn visitor_chat_list(
        &self,
        id: VisitorId,
        limit: u32,
    ) -> Result<Vec<PastChat>, StoreError> {
        let rows: Vec<(String, i64, String)> = sqlx::query_as(
            "SELECT id, created_at, status FROM chats WHERE visitor_id = ? \
             ORDER BY created_at DESC, rowid DESC LIMIT ?",
        )
        .bind(id.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|(id, at, status)| {
                Ok(PastChat {
                    id: ChatId(parse_uuid(&id)?),
                    started_at: Timestamp(at),
                    open: status != "closed",
                })
            })
            .collect()
    }

    async fn insert_invitation(&self, invitation: &Invitation) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "UPDATE invitations SET status = 'expired', updated_at = ?1 \
             WHERE visitor_id = ?2 AND status IN ('sent', 'seen')",
        )
        .bind(invitation.sent_at.0)
        .bind(invitation.visitor_id.to_string())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO invitations (id, visitor_id, operator_id, operator_name, message, \
             status, sent_at, expires_at, updated_at, chat_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?7, NULL)",
        )
        .bind(invitation.id.to_string())
        .bind(invitation.visitor_id.to_string())
        .bind(invitation.operator_id.to_string())
        .bind(&invitation.operator_name)
        .bind(&invitation.message)
        .bind(invitation.status.as_str())
        .bind(invitation.sent_at.0)
        .bind(invitation.expires_at.0)
        .execute(&mut *tx)
        .await
        .map_err(|err| {
            if is_unique_violation(&err) {
                StoreError::Conflict
            } else {
                StoreError::Database(err)
            }
        })?;
        tx.commit().await?;
        Ok(())
    }

    async fn invitation(&self, id: InvitationId) -> Result<Option<Invitation>, StoreError> {
        let row: Option<InvitationRow> = sqlx::query_as(&format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations WHERE id = ?"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.writer)
        .await?;
        row.map(Invitation::try_from).transpose()
    }

    async fn latest_invitation(
        &self,
        visitor: VisitorId,
    ) -> Result<Option<Invitation>, StoreError> {
        let row: Option<InvitationRow> = sqlx::query_as(&format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations WHERE visitor_id = ? \
             ORDER BY sent_at DESC LIMIT 1"
        ))
        .bind(visitor.to_string())
        .fetch_optional(&self.reader)
        .await?;
        row.map(Invitation::try_from).transpose()
    }

    async fn answer_invitation(
        &self,
        id: InvitationId,
        from: InvitationStatus,
        to: InvitationStatus,
        chat: Option<ChatId>,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE invitations SET status = ?1, chat_id = COALESCE(?2, chat_id), updated_at = ?3 \
             WHERE id = ?4 AND status = ?5 AND (status NOT IN ('sent', 'seen') OR expires_at > ?3)",
        )
        .bind(to.as_str())
        .bind(chat.map(|c| c.to_string()))
        .bind(at.0)
        .bind(id.to_string())
        .bind(from.as_str())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
