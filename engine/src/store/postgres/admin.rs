//! The PostgreSQL [`AdminStore`]: canned messages, the action log, channels and settings.

use async_trait::async_trait;
use domain::canned::CannedMessage;
use domain::channel::{Channel, ChannelSettings};
use domain::log::{ActionEntry, ActionFilter};
use domain::{CannedId, ChannelId, ChatId, OperatorId, Timestamp};
use sqlx::{FromRow, Postgres};
use uuid::Uuid;

use super::{PgStore, conflict_if_taken};
use crate::store::{AdminStore, StoreError};

#[derive(FromRow)]
struct CannedRow {
    id: Uuid,
    owner_id: Option<Uuid>,
    title: String,
    shortcut: String,
    body: String,
}

impl From<CannedRow> for CannedMessage {
    fn from(row: CannedRow) -> Self {
        Self {
            id: CannedId(row.id),
            owner: row.owner_id.map(OperatorId),
            title: row.title,
            shortcut: row.shortcut,
            body: row.body,
        }
    }
}

#[derive(FromRow)]
struct ActionRow {
    id: i64,
    at: i64,
    operator_id: Uuid,
    operator_name: String,
    action: String,
    chat_id: Option<Uuid>,
    object: Option<String>,
    ip: Option<String>,
}

impl From<ActionRow> for ActionEntry {
    fn from(row: ActionRow) -> Self {
        Self {
            id: row.id,
            at: Timestamp(row.at),
            operator: OperatorId(row.operator_id),
            operator_name: row.operator_name,
            action: row.action,
            chat: row.chat_id.map(ChatId),
            object: row.object,
            ip: row.ip,
        }
    }
}

#[async_trait]
impl AdminStore for PgStore {
    async fn canned_for(&self, operator: OperatorId) -> Result<Vec<CannedMessage>, StoreError> {
        let rows: Vec<CannedRow> = sqlx::query_as(
            "SELECT id, owner_id, title, shortcut, body FROM canned_messages \
             WHERE owner_id IS NULL OR owner_id = $1 ORDER BY lower(title) COLLATE \"C\", id",
        )
        .bind(operator.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(CannedMessage::from).collect())
    }

    async fn canned(&self, id: CannedId) -> Result<Option<CannedMessage>, StoreError> {
        let row: Option<CannedRow> = sqlx::query_as(
            "SELECT id, owner_id, title, shortcut, body FROM canned_messages WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(CannedMessage::from))
    }

    async fn save_canned(&self, message: &CannedMessage, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO canned_messages (id, owner_id, title, shortcut, body, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET \
             title = excluded.title, shortcut = excluded.shortcut, body = excluded.body, \
             updated_at = excluded.updated_at",
        )
        .bind(message.id.0)
        .bind(message.owner.map(|o| o.0))
        .bind(&message.title)
        .bind(&message.shortcut)
        .bind(&message.body)
        .bind(at.0)
        .bind(at.0)
        .execute(&self.pool)
        .await
        .map_err(conflict_if_taken)?;
        Ok(())
    }

    async fn delete_canned(&self, id: CannedId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM canned_messages WHERE id = $1")
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn insert_action(&self, entry: &ActionEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO action_log (at, operator_id, operator_name, action, chat_id, object, ip) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(entry.at.0)
        .bind(entry.operator.0)
        .bind(&entry.operator_name)
        .bind(&entry.action)
        .bind(entry.chat.map(|c| c.0))
        .bind(&entry.object)
        .bind(&entry.ip)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn actions(
        &self,
        filter: &ActionFilter,
        limit: i64,
    ) -> Result<Vec<ActionEntry>, StoreError> {
        let mut query = sqlx::QueryBuilder::<Postgres>::new(
            "SELECT id, at, operator_id, operator_name, action, chat_id, object, ip \
             FROM action_log WHERE TRUE",
        );
        if let Some(operator) = filter.operator {
            query.push(" AND operator_id = ").push_bind(operator.0);
        }
        if let Some(chat) = filter.chat {
            query.push(" AND chat_id = ").push_bind(chat.0);
        }
        if let Some(action) = &filter.action {
            query.push(" AND action = ").push_bind(action.clone());
        }
        if let Some(from) = filter.from {
            query.push(" AND at >= ").push_bind(from.0);
        }
        if let Some(to) = filter.to {
            query.push(" AND at < ").push_bind(to.0);
        }
        if let Some(before) = filter.before {
            query.push(" AND id < ").push_bind(before);
        }
        query.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
        let rows: Vec<ActionRow> = query.build_query_as().fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(ActionEntry::from).collect())
    }

    async fn channels(&self) -> Result<Vec<Channel>, StoreError> {
        #[derive(FromRow)]
        struct Row {
            id: Uuid,
            name: String,
            archived: bool,
            settings: String,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, name, archived, settings FROM channels \
             ORDER BY lower(name) COLLATE \"C\", id",
        )
        .fetch_all(&self.pool)
        .await?;
        let members: Vec<(Uuid, Uuid)> =
            sqlx::query_as("SELECT channel_id, operator_id FROM channel_operators")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|row| {
                let settings: ChannelSettings = serde_json::from_str(&row.settings)
                    .map_err(|err| StoreError::Corrupt(format!("channel settings: {err}")))?;
                let operators = members
                    .iter()
                    .filter(|(channel, _)| *channel == row.id)
                    .map(|(_, operator)| OperatorId(*operator))
                    .collect();
                Ok(Channel {
                    id: ChannelId(row.id),
                    name: row.name,
                    archived: row.archived,
                    operators,
                    settings,
                })
            })
            .collect()
    }

    async fn save_channel(&self, channel: &Channel, at: Timestamp) -> Result<(), StoreError> {
        let settings = serde_json::to_string(&channel.settings)
            .map_err(|err| StoreError::Corrupt(format!("channel settings: {err}")))?;
        sqlx::query(
            "INSERT INTO channels (id, name, archived, settings, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
             archived = excluded.archived, settings = excluded.settings, \
             updated_at = excluded.updated_at",
        )
        .bind(channel.id.0)
        .bind(&channel.name)
        .bind(channel.archived)
        .bind(settings)
        .bind(at.0)
        .bind(at.0)
        .execute(&self.pool)
        .await
        .map_err(conflict_if_taken)?;
        Ok(())
    }

    async fn set_channel_operators(
        &self,
        channel: ChannelId,
        operators: &[OperatorId],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM channel_operators WHERE channel_id = $1")
            .bind(channel.0)
            .execute(&mut *tx)
            .await?;
        for operator in operators {
            sqlx::query(
                "INSERT INTO channel_operators (channel_id, operator_id) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(channel.0)
            .bind(operator.0)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn set_channel_member(
        &self,
        channel: ChannelId,
        operator: OperatorId,
        serves: bool,
    ) -> Result<(), StoreError> {
        let sql = if serves {
            "INSERT INTO channel_operators (channel_id, operator_id) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM channel_operators WHERE channel_id = $1 AND operator_id = $2"
        };
        sqlx::query(sql)
            .bind(channel.0)
            .bind(operator.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(value,)| value))
    }

    async fn save_setting(&self, key: &str, value: &str, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
             updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value)
        .bind(at.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
