//! The PostgreSQL [`AccountStore`]: operators, sessions, passwords and presence.

use async_trait::async_trait;
use domain::console::Role;
use domain::token::AccessToken;
use domain::{AccessTokenId, ChannelId, OperatorId, Timestamp};
use sqlx::FromRow;
use uuid::Uuid;

use super::{PgStore, conflict_if_taken};
use crate::store::{
    AccountStore, LoginFailures, OperatorRecord, PresentOperator, SessionRecord, StoreError,
    channels_from_stored, found,
};

impl PgStore {
    /// How many consoles an operator has open on live nodes.
    async fn open_consoles(
        &self,
        operator: OperatorId,
        live_since: Timestamp,
    ) -> Result<i64, StoreError> {
        let (open,): (Option<i64>,) = sqlx::query_as(
            "SELECT CAST(SUM(open) AS BIGINT) FROM consoles WHERE operator_id = $1 \
             AND seen_at >= $2",
        )
        .bind(operator.0)
        .bind(live_since.0)
        .fetch_one(&self.pool)
        .await?;
        Ok(open.unwrap_or_default())
    }
}

#[derive(FromRow)]
struct OperatorRow {
    id: Uuid,
    email: String,
    name: String,
    chat_name: String,
    role: String,
    password_hash: String,
    must_change_password: bool,
    disabled: bool,
    created_at: i64,
    languages: Vec<String>,
    invitation_name: String,
    password_set_at: i64,
    unavailable: bool,
    signed_off_at: Option<i64>,
    signed_off_channels: String,
}

impl TryFrom<OperatorRow> for OperatorRecord {
    type Error = StoreError;
    fn try_from(row: OperatorRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: OperatorId(row.id),
            email: row.email,
            name: row.name,
            chat_name: row.chat_name,
            role: Role::parse(&row.role)
                .ok_or_else(|| StoreError::Corrupt(format!("role {:?}", row.role)))?,
            password_hash: row.password_hash,
            must_change_password: row.must_change_password,
            disabled: row.disabled,
            created_at: Timestamp(row.created_at),
            languages: row.languages,
            invitation_name: row.invitation_name,
            password_set_at: Timestamp(row.password_set_at),
            unavailable: row.unavailable,
            signed_off_at: row.signed_off_at.map(Timestamp),
            signed_off_channels: channels_from_stored(&row.signed_off_channels)?,
        })
    }
}

const OPERATOR_COLUMNS: &str = "id, email, name, chat_name, role, password_hash, \
     must_change_password, disabled, created_at, languages, invitation_name, password_set_at, \
     unavailable, signed_off_at, signed_off_channels";

#[async_trait]
impl AccountStore for PgStore {
    async fn insert_operator(&self, operator: &OperatorRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO operators (id, email, name, chat_name, role, password_hash, \
             must_change_password, disabled, created_at, languages, invitation_name, \
             password_set_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(operator.id.0)
        .bind(&operator.email)
        .bind(&operator.name)
        .bind(&operator.chat_name)
        .bind(operator.role.as_str())
        .bind(&operator.password_hash)
        .bind(operator.must_change_password)
        .bind(operator.disabled)
        .bind(operator.created_at.0)
        .bind(&operator.languages)
        .bind(&operator.invitation_name)
        .bind(operator.password_set_at.0)
        .execute(&self.pool)
        .await
        .map_err(conflict_if_taken)?;
        Ok(())
    }

    async fn operator_count(&self) -> Result<i64, StoreError> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM operators")
            .fetch_one(&self.pool)
            .await?;
        Ok(count)
    }

    async fn operator_by_email(&self, email: &str) -> Result<Option<OperatorRecord>, StoreError> {
        let row: Option<OperatorRow> = sqlx::query_as(&format!(
            "SELECT {OPERATOR_COLUMNS} FROM operators WHERE lower(email) = lower($1)"
        ))
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        row.map(OperatorRecord::try_from).transpose()
    }

    async fn operator_by_id(&self, id: OperatorId) -> Result<Option<OperatorRecord>, StoreError> {
        let row: Option<OperatorRow> = sqlx::query_as(&format!(
            "SELECT {OPERATOR_COLUMNS} FROM operators WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(OperatorRecord::try_from).transpose()
    }

    async fn update_operator_account(
        &self,
        id: OperatorId,
        email: &str,
        name: &str,
        role: Role,
    ) -> Result<(), StoreError> {
        let done =
            sqlx::query("UPDATE operators SET email = $1, name = $2, role = $3 WHERE id = $4")
                .bind(email)
                .bind(name)
                .bind(role.as_str())
                .bind(id.0)
                .execute(&self.pool)
                .await
                .map_err(conflict_if_taken)?;
        found(done.rows_affected())
    }

    async fn update_operator_profile(
        &self,
        id: OperatorId,
        chat_name: &str,
        invitation_name: &str,
        languages: &[String],
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE operators SET chat_name = $1, invitation_name = $2, languages = $3 \
             WHERE id = $4",
        )
        .bind(chat_name)
        .bind(invitation_name)
        .bind(languages)
        .bind(id.0)
        .execute(&self.pool)
        .await?;
        found(done.rows_affected())
    }

    async fn set_unavailable(&self, id: OperatorId, unavailable: bool) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE operators SET unavailable = $1 WHERE id = $2")
            .bind(unavailable)
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        found(done.rows_affected())
    }

    async fn set_operator_disabled(
        &self,
        id: OperatorId,
        disabled: bool,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE operators SET disabled = $1 WHERE id = $2")
            .bind(disabled)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        found(done.rows_affected())?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE operator_id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn record_login_failure(
        &self,
        email: &str,
        ip: &str,
        at: Timestamp,
        forget_before: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE at < $1")
            .bind(forget_before.0)
            .execute(&self.pool)
            .await?;
        sqlx::query("INSERT INTO login_failures (at, email, ip) VALUES ($1, $2, $3)")
            .bind(at.0)
            .bind(email)
            .bind(ip)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn login_failures(
        &self,
        email: &str,
        ip: &str,
        since: Timestamp,
    ) -> Result<LoginFailures, StoreError> {
        let row: (i64, Option<i64>, i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*) FILTER (WHERE email = $1), MIN(at) FILTER (WHERE email = $1), \
             COUNT(*) FILTER (WHERE ip = $2), MIN(at) FILTER (WHERE ip = $2) \
             FROM login_failures WHERE at >= $3 AND (email = $1 OR ip = $2)",
        )
        .bind(email)
        .bind(ip)
        .bind(since.0)
        .fetch_one(&self.pool)
        .await?;
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(LoginFailures {
            by_email: (count(row.0), row.1.map(Timestamp)),
            by_address: (count(row.2), row.3.map(Timestamp)),
        })
    }

    async fn clear_login_failures(&self, email: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE email = $1")
            .bind(email)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_password(
        &self,
        id: OperatorId,
        password_hash: &str,
        must_change: bool,
        keep_session: Option<&str>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE operators SET password_hash = $1, must_change_password = $2, \
             password_set_at = $3 WHERE id = $4",
        )
        .bind(password_hash)
        .bind(must_change)
        .bind(at.0)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM sessions WHERE operator_id = $1 AND token_hash <> $2")
            .bind(id.0)
            .bind(keep_session.unwrap_or_default())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn insert_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, operator_id, created_at, last_seen_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&session.token_hash)
        .bind(session.operator_id.0)
        .bind(session.created_at.0)
        .bind(session.last_seen_at.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(
        &self,
        token_hash: &str,
    ) -> Result<Option<(SessionRecord, OperatorRecord)>, StoreError> {
        let row: Option<(Uuid, i64, i64)> = sqlx::query_as(
            "SELECT operator_id, created_at, last_seen_at FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some((operator_id, created_at, last_seen_at)) = row else {
            return Ok(None);
        };
        let operator_id = OperatorId(operator_id);
        let Some(operator) = self.operator_by_id(operator_id).await? else {
            return Ok(None);
        };
        Ok(Some((
            SessionRecord {
                token_hash: token_hash.to_owned(),
                operator_id,
                created_at: Timestamp(created_at),
                last_seen_at: Timestamp(last_seen_at),
            },
            operator,
        )))
    }

    async fn touch_session(&self, token_hash: &str, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(at.0)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn insert_access_token(
        &self,
        operator: OperatorId,
        token: &AccessToken,
        token_hash: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO access_tokens (id, operator_id, name, token_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token.id.0)
        .bind(operator.0)
        .bind(&token.name)
        .bind(token_hash)
        .bind(token.created_at.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn access_tokens(&self, operator: OperatorId) -> Result<Vec<AccessToken>, StoreError> {
        let rows: Vec<(Uuid, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, name, created_at, last_used_at FROM access_tokens \
             WHERE operator_id = $1 ORDER BY created_at DESC, id",
        )
        .bind(operator.0)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, name, created_at, last_used_at)| {
                Ok(AccessToken {
                    id: AccessTokenId(id),
                    name,
                    created_at: Timestamp(created_at),
                    last_used_at: last_used_at.map(Timestamp),
                })
            })
            .collect()
    }

    async fn access_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(AccessToken, OperatorRecord)>, StoreError> {
        let row: Option<(Uuid, Uuid, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, operator_id, name, created_at, last_used_at FROM access_tokens \
             WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some((id, operator_id, name, created_at, last_used_at)) = row else {
            return Ok(None);
        };
        let Some(operator) = self.operator_by_id(OperatorId(operator_id)).await? else {
            return Ok(None);
        };
        let token = AccessToken {
            id: AccessTokenId(id),
            name,
            created_at: Timestamp(created_at),
            last_used_at: last_used_at.map(Timestamp),
        };
        Ok(Some((token, operator)))
    }

    async fn touch_access_token(&self, token_hash: &str, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE access_tokens SET last_used_at = $1 WHERE token_hash = $2")
            .bind(at.0)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_access_token(
        &self,
        operator: OperatorId,
        id: AccessTokenId,
    ) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM access_tokens WHERE id = $1 AND operator_id = $2")
            .bind(id.0)
            .bind(operator.0)
            .execute(&self.pool)
            .await?;
        found(done.rows_affected())
    }

    async fn operators(&self) -> Result<Vec<OperatorRecord>, StoreError> {
        let rows: Vec<OperatorRow> = sqlx::query_as(&format!(
            "SELECT {OPERATOR_COLUMNS} FROM operators \
             ORDER BY lower(name) COLLATE \"C\", email COLLATE \"C\""
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(OperatorRecord::try_from).collect()
    }

    async fn open_console(
        &self,
        operator: OperatorId,
        node: Uuid,
        at: Timestamp,
        live_since: Timestamp,
    ) -> Result<i64, StoreError> {
        sqlx::query(
            "INSERT INTO consoles (operator_id, node, open, seen_at) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (operator_id, node) DO UPDATE SET open = consoles.open + 1, \
             seen_at = excluded.seen_at",
        )
        .bind(operator.0)
        .bind(node)
        .bind(at.0)
        .execute(&self.pool)
        .await?;
        self.open_consoles(operator, live_since).await
    }

    async fn close_console(
        &self,
        operator: OperatorId,
        node: Uuid,
        live_since: Timestamp,
    ) -> Result<i64, StoreError> {
        sqlx::query(
            "UPDATE consoles SET open = open - 1 WHERE operator_id = $1 AND node = $2 \
             AND open > 0",
        )
        .bind(operator.0)
        .bind(node)
        .execute(&self.pool)
        .await?;
        self.open_consoles(operator, live_since).await
    }

    async fn keep_consoles(
        &self,
        node: Uuid,
        at: Timestamp,
        forget_before: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE consoles SET seen_at = $1 WHERE node = $2")
            .bind(at.0)
            .bind(node)
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM consoles WHERE seen_at < $1 OR open <= 0")
            .bind(forget_before.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn present_operators(
        &self,
        live_since: Timestamp,
    ) -> Result<Vec<PresentOperator>, StoreError> {
        #[derive(FromRow)]
        struct Row {
            #[sqlx(flatten)]
            operator: OperatorRow,
            active_at: i64,
        }
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {OPERATOR_COLUMNS}, active_at FROM operators WHERE NOT disabled AND id IN \
             (SELECT operator_id FROM consoles WHERE seen_at >= $1 \
             GROUP BY operator_id HAVING SUM(open) > 0)"
        ))
        .bind(live_since.0)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(PresentOperator {
                    operator: OperatorRecord::try_from(row.operator)?,
                    active_at: Timestamp(row.active_at),
                })
            })
            .collect()
    }

    async fn note_active(&self, operator: OperatorId, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE operators SET active_at = $1 WHERE id = $2")
            .bind(at.0)
            .bind(operator.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
    async fn sign_off(
        &self,
        id: OperatorId,
        at: Timestamp,
        idle_before: Timestamp,
    ) -> Result<Option<Vec<ChannelId>>, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Only one node signs an operator off, and only if they are still idle.
        let done = sqlx::query(
            "UPDATE operators SET signed_off_at = $1, signed_off_channels = \
             COALESCE((SELECT string_agg(channel_id::text, ',') FROM channel_operators WHERE operator_id = $2), '') \
             WHERE id = $3 AND signed_off_at IS NULL AND active_at < $4",
        )
        .bind(at.0)
        .bind(id.0)
        .bind(id.0)
        .bind(idle_before.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let (channels,): (String,) =
            sqlx::query_as("SELECT signed_off_channels FROM operators WHERE id = $1")
                .bind(id.0)
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query("DELETE FROM channel_operators WHERE operator_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        channels_from_stored(&channels).map(Some)
    }

    async fn rejoin(&self, id: OperatorId, at: Timestamp) -> Result<Vec<ChannelId>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let row: Option<(Option<i64>, String)> = sqlx::query_as(
            "SELECT signed_off_at, signed_off_channels FROM operators WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((Some(_), channels)) = row else {
            return Ok(Vec::new());
        };
        let mut back = Vec::new();
        for channel in channels_from_stored(&channels)? {
            // Channels archived or deleted meanwhile are not rejoined.
            let done = sqlx::query(
                "INSERT INTO channel_operators (channel_id, operator_id) \
                 SELECT id, $1 FROM channels WHERE id = $2 AND archived = FALSE \
                 ON CONFLICT DO NOTHING",
            )
            .bind(id.0)
            .bind(channel.0)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() > 0 {
                back.push(channel);
            }
        }
        sqlx::query(
            "UPDATE operators SET signed_off_at = NULL, signed_off_channels = '', active_at = $1 \
             WHERE id = $2",
        )
        .bind(at.0)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(back)
    }
}
