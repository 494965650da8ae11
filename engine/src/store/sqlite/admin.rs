//! The SQLite [`AdminStore`]: canned messages, the action log, channels and settings.

use async_trait::async_trait;
use domain::canned::CannedMessage;
use domain::channel::{Channel, ChannelSettings};
use domain::log::{ActionEntry, ActionFilter};
use domain::{CannedId, ChannelId, ChatId, OperatorId, Timestamp};
use sqlx::{FromRow, Sqlite};

use super::{SqliteStore, conflict_if_taken, parse_uuid};
use crate::store::{AdminStore, StoreError};

#[derive(FromRow)]
struct CannedRow {
    id: String,
    owner_id: Option<String>,
    title: String,
    shortcut: String,
    body: String,
}

impl TryFrom<CannedRow> for CannedMessage {
    type Error = StoreError;
    fn try_from(row: CannedRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: CannedId(parse_uuid(&row.id)?),
            owner: row
                .owner_id
                .as_deref()
                .map(parse_uuid)
                .transpose()?
                .map(OperatorId),
            title: row.title,
            shortcut: row.shortcut,
            body: row.body,
        })
    }
}

#[derive(FromRow)]
struct ActionRow {
    id: i64,
    at: i64,
    operator_id: String,
    operator_name: String,
    action: String,
    chat_id: Option<String>,
    object: Option<String>,
    ip: Option<String>,
}

impl TryFrom<ActionRow> for ActionEntry {
    type Error = StoreError;
    fn try_from(row: ActionRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            at: Timestamp(row.at),
            operator: OperatorId(parse_uuid(&row.operator_id)?),
            operator_name: row.operator_name,
            action: row.action,
            chat: row
                .chat_id
                .as_deref()
                .map(parse_uuid)
                .transpose()?
                .map(ChatId),
            object: row.object,
            ip: row.ip,
        })
    }
}

#[async_trait]
impl AdminStore for SqliteStore {
    async fn canned_for(&self, operator: OperatorId) -> Result<Vec<CannedMessage>, StoreError> {
        let rows: Vec<CannedRow> = sqlx::query_as(
            "SELECT id, owner_id, title, shortcut, body FROM canned_messages \
             WHERE owner_id IS NULL OR owner_id = ? ORDER BY title COLLATE NOCASE, id",
        )
        .bind(operator.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(CannedMessage::try_from).collect()
    }

    async fn canned(&self, id: CannedId) -> Result<Option<CannedMessage>, StoreError> {
        let row: Option<CannedRow> = sqlx::query_as(
            "SELECT id, owner_id, title, shortcut, body FROM canned_messages WHERE id = ?",
        )
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?;
        row.map(CannedMessage::try_from).transpose()
    }

    async fn save_canned(&self, message: &CannedMessage, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO canned_messages (id, owner_id, title, shortcut, body, created_at, \
             updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET \
             title = excluded.title, shortcut = excluded.shortcut, body = excluded.body, \
             updated_at = excluded.updated_at",
        )
        .bind(message.id.to_string())
        .bind(message.owner.map(|o| o.to_string()))
        .bind(&message.title)
        .bind(&message.shortcut)
        .bind(&message.body)
        .bind(at.0)
        .bind(at.0)
        .execute(&self.writer)
        .await
        .map_err(conflict_if_taken)?;
        Ok(())
    }

    async fn delete_canned(&self, id: CannedId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM canned_messages WHERE id = ?")
            .bind(id.to_string())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn insert_action(&self, entry: &ActionEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO action_log (at, operator_id, operator_name, action, chat_id, object, ip) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(entry.at.0)
        .bind(entry.operator.to_string())
        .bind(&entry.operator_name)
        .bind(&entry.action)
        .bind(entry.chat.map(|c| c.to_string()))
        .bind(&entry.object)
        .bind(&entry.ip)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn actions(
        &self,
        filter: &ActionFilter,
        limit: i64,
    ) -> Result<Vec<ActionEntry>, StoreError> {
        let mut query = sqlx::QueryBuilder::<Sqlite>::new(
            "SELECT id, at, operator_id, operator_name, action, chat_id, object, ip \
             FROM action_log WHERE 1 = 1",
        );
        if let Some(operator) = filter.operator {
            query
                .push(" AND operator_id = ")
                .push_bind(operator.to_string());
        }
        if let Some(chat) = filter.chat {
            query.push(" AND chat_id = ").push_bind(chat.to_string());
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
        let rows: Vec<ActionRow> = query.build_query_as().fetch_all(&self.reader).await?;
        rows.into_iter().map(ActionEntry::try_from).collect()
    }

    async fn channels(&self) -> Result<Vec<Channel>, StoreError> {
        #[derive(FromRow)]
        struct Row {
            id: String,
            name: String,
            archived: bool,
            settings: String,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, name, archived, settings FROM channels ORDER BY name COLLATE NOCASE, id",
        )
        .fetch_all(&self.reader)
        .await?;
        let members: Vec<(String, String)> =
            sqlx::query_as("SELECT channel_id, operator_id FROM channel_operators")
                .fetch_all(&self.reader)
                .await?;
        rows.into_iter()
            .map(|row| {
                let settings: ChannelSettings = serde_json::from_str(&row.settings)
                    .map_err(|err| StoreError::Corrupt(format!("channel settings: {err}")))?;
                let operators = members
                    .iter()
                    .filter(|(channel, _)| *channel == row.id)
                    .map(|(_, operator)| parse_uuid(operator).map(OperatorId))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Channel {
                    id: ChannelId(parse_uuid(&row.id)?),
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
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
             archived = excluded.archived, settings = excluded.settings, \
             updated_at = excluded.updated_at",
        )
        .bind(channel.id.to_string())
        .bind(&channel.name)
        .bind(channel.archived)
        .bind(settings)
        .bind(at.0)
        .bind(at.0)
        .execute(&self.writer)
        .await
        .map_err(conflict_if_taken)?;
        Ok(())
    }

    async fn set_channel_operators(
        &self,
        channel: ChannelId,
        operators: &[OperatorId],
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM channel_operators WHERE channel_id = ?")
            .bind(channel.to_string())
            .execute(&mut *tx)
            .await?;
        for operator in operators {
            sqlx::query(
                "INSERT OR IGNORE INTO channel_operators (channel_id, operator_id) VALUES (?, ?)",
            )
            .bind(channel.to_string())
            .bind(operator.to_string())
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
            "INSERT OR IGNORE INTO channel_operators (channel_id, operator_id) VALUES (?, ?)"
        } else {
            "DELETE FROM channel_operators WHERE channel_id = ? AND operator_id = ?"
        };
        sqlx::query(sql)
            .bind(channel.to_string())
            .bind(operator.to_string())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.map(|(value,)| value))
    }

    async fn save_setting(&self, key: &str, value: &str, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
             updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value)
        .bind(at.0)
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}
