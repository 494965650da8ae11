//! The PostgreSQL [`RetentionStore`]: purging closed chats, and a visitor's export and erasure.

use std::collections::HashMap;

use async_trait::async_trait;
use domain::{ChatEvent, ChatId, ChatState, Timestamp, VisitorId};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::PgStore;
use crate::store::{RetentionStore, StoreError, events_by_chat};

/// Deletes chats with everything that hangs off them.
async fn delete_chats(tx: &mut Transaction<'_, Postgres>, ids: &[Uuid]) -> Result<(), StoreError> {
    for table in [
        "DELETE FROM events WHERE chat_id = ANY($1)",
        "DELETE FROM participants WHERE chat_id = ANY($1)",
        "DELETE FROM mail_outbox WHERE chat_id = ANY($1)",
        "DELETE FROM chats WHERE id = ANY($1)",
    ] {
        sqlx::query(table).bind(ids).execute(&mut **tx).await?;
    }
    Ok(())
}

#[async_trait]
impl RetentionStore for PgStore {
    async fn purge_closed_before(&self, before: Timestamp, limit: i64) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let ids: Vec<(Uuid,)> = sqlx::query_as(
            "SELECT id FROM chats WHERE status = 'closed' AND updated_at < $1 \
             ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        )
        .bind(before.0)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let ids: Vec<Uuid> = ids.into_iter().map(|(id,)| id).collect();
        delete_chats(&mut tx, &ids).await?;
        tx.commit().await?;
        Ok(u64::try_from(ids.len()).unwrap_or(u64::MAX))
    }

    async fn visitor_chats(
        &self,
        visitor: VisitorId,
    ) -> Result<Vec<(ChatState, Vec<ChatEvent>)>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let states: Vec<(Uuid, String)> = sqlx::query_as(
            "SELECT id, state FROM chats WHERE visitor_id = $1 ORDER BY created_at, id",
        )
        .bind(visitor.0)
        .fetch_all(&mut *tx)
        .await?;
        let rows: Vec<(Uuid, i64, i64, String)> = sqlx::query_as(
            "SELECT e.chat_id, e.id, e.at, e.payload FROM events e JOIN chats c \
             ON c.id = e.chat_id WHERE c.visitor_id = $1 ORDER BY e.chat_id, e.id",
        )
        .bind(visitor.0)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut events: HashMap<ChatId, Vec<ChatEvent>> = events_by_chat(
            rows.into_iter()
                .map(|(chat, id, at, payload)| (ChatId(chat), id, at, payload)),
        )?
        .into_iter()
        .filter_map(|chat| Some((chat.first()?.chat_id, chat)))
        .collect();
        states
            .into_iter()
            .map(|(id, state)| {
                let state: ChatState = serde_json::from_str(&state)
                    .map_err(|err| StoreError::Corrupt(format!("chat state: {err}")))?;
                Ok((state, events.remove(&ChatId(id)).unwrap_or_default()))
            })
            .collect()
    }

    async fn visitor_messages(
        &self,
        visitor: VisitorId,
    ) -> Result<Vec<(String, String, String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT t.name, t.email, a.body, a.created_at FROM ticket_articles a \
             JOIN tickets t ON t.id = a.ticket_id \
             WHERE t.visitor_id = $1 AND a.kind = 'message' ORDER BY a.created_at, a.id",
        )
        .bind(visitor.0)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn erase_visitor(&self, visitor: VisitorId) -> Result<(u64, u64), StoreError> {
        let mut tx = self.pool.begin().await?;
        let ids: Vec<(Uuid,)> = sqlx::query_as("SELECT id FROM chats WHERE visitor_id = $1")
            .bind(visitor.0)
            .fetch_all(&mut *tx)
            .await?;
        let ids: Vec<Uuid> = ids.into_iter().map(|(id,)| id).collect();
        delete_chats(&mut tx, &ids).await?;
        // The visitor's tickets go with them, articles and all (the key cascades).
        let messages = sqlx::query("DELETE FROM tickets WHERE visitor_id = $1")
            .bind(visitor.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let gone = sqlx::query("DELETE FROM visitors WHERE id = $1")
            .bind(visitor.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok((u64::try_from(ids.len()).unwrap_or(u64::MAX), messages))
    }
}
