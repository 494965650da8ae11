//! The PostgreSQL [`HistoryStore`]: a GIN-indexed tsvector of each message (`events.search`).

use async_trait::async_trait;
use domain::history::{HistoryHit, HistoryScope, ValidQuery};
use uuid::Uuid;

use domain::{ChannelId, ChatEvent, ChatId, Timestamp};

use super::PgStore;
use crate::store::history_rows::HitRow;
use crate::store::{HistoryStore, REPORT_KINDS, StoreError, events_by_chat};

/// One query whether or not the search has words (`$1`); `$2`… are the filters.
const SEARCH: &str = "WITH q AS (SELECT to_tsquery('simple', $1::text) AS query \
     WHERE $1::text IS NOT NULL), \
    hits AS (SELECT e.chat_id, e.id, ts_rank(e.search, q.query) AS rank FROM events e, q \
     WHERE e.kind = 'message_posted' AND e.search @@ q.query), \
    best AS (SELECT chat_id, MAX(rank) AS rank FROM hits GROUP BY chat_id) \
    SELECT c.state, c.created_at, v.email, \
     (SELECT string_agg(o.name, chr(31) ORDER BY p.joined_at) FROM participants p \
      JOIN operators o ON o.id = p.operator_id \
      WHERE p.chat_id = c.id AND p.role = 'participant') AS operators, \
     (SELECT ts_headline('simple', e.payload::jsonb ->> 'body', q.query, \
        'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', MaxWords=24, MinWords=8') \
      FROM hits h JOIN events e ON e.id = h.id, q WHERE h.chat_id = c.id \
      ORDER BY h.rank DESC, h.id LIMIT 1) AS excerpt \
    FROM chats c LEFT JOIN best ON best.chat_id = c.id \
    LEFT JOIN visitors v ON v.id = c.visitor_id \
    WHERE c.visitor_id IS NOT NULL \
    AND ($1::text IS NULL OR best.chat_id IS NOT NULL) \
    AND ($2::text IS NULL OR lower(c.state::jsonb ->> 'visitor_name') LIKE $2 \
         OR lower(COALESCE(v.email, '')) LIKE $2 OR lower(COALESCE(v.name, '')) LIKE $2) \
    AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM participants p JOIN operators o \
         ON o.id = p.operator_id WHERE p.chat_id = c.id AND p.role = 'participant' \
         AND (lower(o.name) LIKE $3 OR lower(o.chat_name) LIKE $3))) \
    AND ($4::text IS NULL OR c.state::jsonb ->> 'channel' = $4) \
    AND ($5::bigint IS NULL OR c.created_at >= $5) \
    AND ($6::bigint IS NULL OR c.created_at < $6) \
    AND ($7::int IS NULL OR (c.state::jsonb -> 'rating' ->> 'stars')::int = $7) \
    AND ($8::uuid IS NULL OR EXISTS (SELECT 1 FROM participants p WHERE p.chat_id = c.id \
         AND p.operator_id = $8)) \
    ORDER BY best.rank DESC NULLS LAST, c.created_at DESC, c.id DESC LIMIT $9 OFFSET $10";

#[async_trait]
impl HistoryStore for PgStore {
    async fn search_history(
        &self,
        query: &ValidQuery,
        scope: HistoryScope,
        limit: i64,
    ) -> Result<Vec<HistoryHit>, StoreError> {
        let scope: Option<Uuid> = match scope {
            HistoryScope::All => None,
            HistoryScope::TookPart(operator) => Some(operator.0),
        };
        let rows: Vec<HitRow> = sqlx::query_as(SEARCH)
            .bind(query.tsquery())
            .bind(query.visitor.as_deref())
            .bind(query.operator.as_deref())
            .bind(query.channel.map(|c| c.to_string()))
            .bind(query.from.map(|t| t.0))
            .bind(query.to.map(|t| t.0))
            .bind(query.rating.map(i32::from))
            .bind(scope)
            .bind(limit)
            .bind(query.offset)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(HistoryHit::try_from).collect()
    }

    async fn index_messages(&self, _limit: i64) -> Result<u64, StoreError> {
        // The tsvector is a generated column: indexed in the commit itself.
        Ok(0)
    }

    async fn report_chats(
        &self,
        from: Timestamp,
        to: Timestamp,
        channel: Option<ChannelId>,
    ) -> Result<Vec<Vec<ChatEvent>>, StoreError> {
        let rows: Vec<(Uuid, i64, i64, String)> = sqlx::query_as(&format!(
            "SELECT e.chat_id, e.id, e.at, e.payload FROM events e \
             JOIN chats c ON c.id = e.chat_id \
             WHERE c.visitor_id IS NOT NULL AND c.created_at >= $1 AND c.created_at < $2 \
             AND ($3::text IS NULL OR c.state::jsonb ->> 'channel' = $3) \
             AND e.kind IN ({REPORT_KINDS}) ORDER BY e.chat_id, e.id"
        ))
        .bind(from.0)
        .bind(to.0)
        .bind(channel.map(|c| c.to_string()))
        .fetch_all(&self.pool)
        .await?;
        events_by_chat(
            rows.into_iter()
                .map(|(chat, id, at, payload)| (ChatId(chat), id, at, payload)),
        )
    }
}
