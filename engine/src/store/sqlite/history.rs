//! The SQLite [`HistoryStore`]: FTS5 over messages (`message_search`, kept by a trigger).

use async_trait::async_trait;
use domain::history::{HistoryHit, HistoryScope, ValidQuery};

use domain::{ChannelId, ChatEvent, ChatId, Timestamp};

use super::{SqliteStore, parse_uuid};
use crate::store::history_rows::HitRow;
use crate::store::{HistoryStore, REPORT_KINDS, StoreError, events_by_chat};

/// The chats' columns and the conditions every search applies; `?2`… are the filters.
const CHOSEN: &str = "c.state, c.created_at, v.email, \
    (SELECT group_concat(o.name, char(31)) FROM participants p JOIN operators o \
     ON o.id = p.operator_id WHERE p.chat_id = c.id AND p.role = 'participant') AS operators";
const FILTERS: &str = "c.visitor_id IS NOT NULL \
    AND (?2 IS NULL OR lower(json_extract(c.state, '$.visitor_name')) LIKE ?2 ESCAPE '\\' \
         OR lower(COALESCE(v.email, '')) LIKE ?2 ESCAPE '\\' \
         OR lower(COALESCE(v.name, '')) LIKE ?2 ESCAPE '\\') \
    AND (?3 IS NULL OR EXISTS (SELECT 1 FROM participants p JOIN operators o \
         ON o.id = p.operator_id WHERE p.chat_id = c.id AND p.role = 'participant' \
         AND (lower(o.name) LIKE ?3 ESCAPE '\\' OR lower(o.chat_name) LIKE ?3 ESCAPE '\\'))) \
    AND (?4 IS NULL OR json_extract(c.state, '$.channel') = ?4) \
    AND (?5 IS NULL OR c.created_at >= ?5) \
    AND (?6 IS NULL OR c.created_at < ?6) \
    AND (?7 IS NULL OR json_extract(c.state, '$.rating.stars') = ?7) \
    AND (?8 IS NULL OR EXISTS (SELECT 1 FROM participants p WHERE p.chat_id = c.id \
         AND p.operator_id = ?8))";

#[async_trait]
impl HistoryStore for SqliteStore {
    async fn search_history(
        &self,
        query: &ValidQuery,
        scope: HistoryScope,
        limit: i64,
    ) -> Result<Vec<HistoryHit>, StoreError> {
        let sql = match query.fts5() {
            Some(_) => format!(
                "WITH hits AS (SELECT chat_id, rank, \
                 snippet(message_search, 0, char(2), char(3), '…', 16) AS excerpt \
                 FROM message_search WHERE message_search MATCH ?1), \
                 best AS (SELECT chat_id, MIN(rank) AS rank FROM hits GROUP BY chat_id) \
                 SELECT {CHOSEN}, (SELECT h.excerpt FROM hits h WHERE h.chat_id = c.id \
                 ORDER BY h.rank LIMIT 1) AS excerpt \
                 FROM best JOIN chats c ON c.id = best.chat_id \
                 LEFT JOIN visitors v ON v.id = c.visitor_id \
                 WHERE {FILTERS} ORDER BY best.rank, c.created_at DESC LIMIT ?9 OFFSET ?10"
            ),
            None => format!(
                "SELECT {CHOSEN}, NULL AS excerpt FROM chats c \
                 LEFT JOIN visitors v ON v.id = c.visitor_id \
                 WHERE ?1 IS NULL AND {FILTERS} \
                 ORDER BY c.created_at DESC, c.id DESC LIMIT ?9 OFFSET ?10"
            ),
        };
        let scope = match scope {
            HistoryScope::All => None,
            HistoryScope::TookPart(operator) => Some(operator.to_string()),
        };
        let rows: Vec<HitRow> = sqlx::query_as(&sql)
            .bind(query.fts5())
            .bind(query.visitor.as_deref())
            .bind(query.operator.as_deref())
            .bind(query.channel.map(|c| c.to_string()))
            .bind(query.from.map(|t| t.0))
            .bind(query.to.map(|t| t.0))
            .bind(query.rating.map(i64::from))
            .bind(scope)
            .bind(limit)
            .bind(query.offset)
            .fetch_all(&self.reader)
            .await?;
        rows.into_iter().map(HistoryHit::try_from).collect()
    }

    async fn index_messages(&self, limit: i64) -> Result<u64, StoreError> {
        // Looked at on a reader first: the writer is taken only when there is work.
        let (after, newest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT after_event FROM search_cursor WHERE id = 1), (SELECT MAX(id) FROM events)",
        )
        .fetch_one(&self.reader)
        .await?;
        if newest.is_none_or(|newest| newest <= after) {
            return Ok(0);
        }
        let mut tx = self.writer.begin().await?;
        let (after,): (i64,) = sqlx::query_as("SELECT after_event FROM search_cursor WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        let (upto, seen): (Option<i64>, i64) = sqlx::query_as(
            "SELECT MAX(id), COUNT(*) FROM (SELECT id FROM events WHERE id > ?1 ORDER BY id \
             LIMIT ?2)",
        )
        .bind(after)
        .bind(limit)
        .fetch_one(&mut *tx)
        .await?;
        let Some(upto) = upto else {
            return Ok(0);
        };
        sqlx::query(
            "INSERT INTO message_search (rowid, body, chat_id) \
             SELECT id, json_extract(payload, '$.body'), chat_id FROM events \
             WHERE id > ?1 AND id <= ?2 AND kind = 'message_posted'",
        )
        .bind(after)
        .bind(upto)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE search_cursor SET after_event = ?1 WHERE id = 1")
            .bind(upto)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(u64::try_from(seen).unwrap_or_default())
    }

    async fn report_chats(
        &self,
        from: Timestamp,
        to: Timestamp,
        channel: Option<ChannelId>,
    ) -> Result<Vec<Vec<ChatEvent>>, StoreError> {
        let rows: Vec<(String, i64, i64, String)> = sqlx::query_as(&format!(
            "SELECT e.chat_id, e.id, e.at, e.payload FROM events e \
             JOIN chats c ON c.id = e.chat_id \
             WHERE c.visitor_id IS NOT NULL AND c.created_at >= ?1 AND c.created_at < ?2 \
             AND (?3 IS NULL OR json_extract(c.state, '$.channel') = ?3) \
             AND e.kind IN ({REPORT_KINDS}) ORDER BY e.chat_id, e.id"
        ))
        .bind(from.0)
        .bind(to.0)
        .bind(channel.map(|c| c.to_string()))
        .fetch_all(&self.reader)
        .await?;
        let rows = rows
            .into_iter()
            .map(|(chat, id, at, payload)| Ok((ChatId(parse_uuid(&chat)?), id, at, payload)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        events_by_chat(rows)
    }
}
