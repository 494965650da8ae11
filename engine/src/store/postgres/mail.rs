//! The PostgreSQL [`MailStore`]: the durable outbox of mail.

use async_trait::async_trait;
use domain::mail::{MailPurpose, OutboxEntry};
use domain::{ChatId, Timestamp};

use super::PgStore;
use crate::store::mail_rows::{DueRow, EntryRow};
use crate::store::{DueMail, MailOutcome, MailStore, NewMail, StoreError};

#[async_trait]
impl MailStore for PgStore {
    async fn insert_mail(&self, mail: &NewMail) -> Result<i64, StoreError> {
        let mut conn = self.pool.acquire().await?;
        insert_mail(&mut conn, mail).await
    }

    async fn mail_count(&self, chat: ChatId, purpose: MailPurpose) -> Result<i64, StoreError> {
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM mail_outbox WHERE chat_id = $1 AND purpose = $2")
                .bind(chat.0)
                .bind(purpose.as_str())
                .fetch_one(&self.pool)
                .await?;
        Ok(count)
    }

    async fn claim_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<DueMail>, StoreError> {
        let rows: Vec<DueRow> = sqlx::query_as(
            "UPDATE mail_outbox SET lease_until = $1 WHERE id IN (\
             SELECT id FROM mail_outbox WHERE state = 'pending' AND next_attempt_at <= $2 \
             AND (lease_until IS NULL OR lease_until < $2) ORDER BY next_attempt_at, id \
             LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING id, recipient, subject, body, attempts",
        )
        .bind(lease_until.0)
        .bind(now.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(DueMail::from).collect())
    }

    async fn finish_mail(&self, id: i64, outcome: &MailOutcome) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE mail_outbox SET state = $1, attempts = $2, next_attempt_at = \
             COALESCE($3, next_attempt_at), lease_until = NULL, last_attempt_at = $4, \
             last_error = $5 WHERE id = $6",
        )
        .bind(outcome.state.as_str())
        .bind(i32::try_from(outcome.attempts).unwrap_or(i32::MAX))
        .bind(outcome.next_attempt_at.map(|t| t.0))
        .bind(outcome.at.0)
        .bind(outcome.error.as_deref())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn outbox(&self, limit: i64) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows: Vec<EntryRow> = sqlx::query_as(
            "SELECT id, recipient, subject, purpose, state, attempts, created_at, \
             last_attempt_at, last_error FROM mail_outbox ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(OutboxEntry::try_from).collect()
    }
}

/// Queues a mail on a connection or inside a transaction, so that the mail and what it tells
/// of commit together.
pub(super) async fn insert_mail(
    conn: &mut sqlx::PgConnection,
    mail: &NewMail,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO mail_outbox (recipient, subject, body, purpose, chat_id, created_at, \
             next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(&mail.recipient)
    .bind(&mail.subject)
    .bind(&mail.body)
    .bind(mail.purpose.as_str())
    .bind(mail.chat.map(|c| c.0))
    .bind(mail.created_at.0)
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}
