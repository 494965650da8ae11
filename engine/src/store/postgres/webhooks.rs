//! The PostgreSQL [`WebhookStore`]: webhooks, the cursor over the event log, and the outbox of
//! deliveries.

use async_trait::async_trait;
use domain::webhook::{Delivery, DeliveryState, Webhook, WebhookEvent};
use domain::{EventId, Timestamp, WebhookId};
use sqlx::FromRow;
use uuid::Uuid;

use super::PgStore;
use crate::store::{
    DueDelivery, NewDelivery, StoreError, TryOutcome, WebhookStore, events_from_stored,
    events_to_stored, found,
};

#[derive(FromRow)]
struct HookRow {
    id: Uuid,
    url: String,
    events: String,
    secret: String,
    allow_private: bool,
    enabled: bool,
    created_at: i64,
}

#[derive(FromRow)]
struct DeliveryRow {
    id: i64,
    webhook_id: Uuid,
    url: String,
    message_id: String,
    event_type: String,
    state: String,
    attempts: i32,
    created_at: i64,
    last_attempt_at: Option<i64>,
    last_status: Option<i32>,
    last_error: Option<String>,
    next_attempt_at: Option<i64>,
}

#[derive(FromRow)]
struct DueRow {
    id: i64,
    message_id: String,
    payload: String,
    attempts: i32,
    url: String,
    secret: String,
    allow_private: bool,
}

#[async_trait]
impl WebhookStore for PgStore {
    async fn webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
        let rows: Vec<HookRow> = sqlx::query_as(
            "SELECT id, url, events, secret, allow_private, enabled, created_at FROM webhooks \
             ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(Webhook {
                    id: WebhookId(row.id),
                    events: events_from_stored(&row.events),
                    url: row.url,
                    secret: row.secret,
                    allow_private: row.allow_private,
                    enabled: row.enabled,
                    created_at: Timestamp(row.created_at),
                })
            })
            .collect()
    }

    async fn save_webhook(&self, webhook: &Webhook) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO webhooks (id, url, events, secret, allow_private, enabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (id) DO UPDATE SET url = excluded.url, events = excluded.events, \
             allow_private = excluded.allow_private, enabled = excluded.enabled",
        )
        .bind(webhook.id.0)
        .bind(&webhook.url)
        .bind(events_to_stored(&webhook.events))
        .bind(&webhook.secret)
        .bind(webhook.allow_private)
        .bind(webhook.enabled)
        .bind(webhook.created_at.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_webhook(&self, id: WebhookId) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        found(done.rows_affected())?;
        tx.commit().await?;
        Ok(())
    }

    async fn webhook_cursor(&self) -> Result<EventId, StoreError> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT after_event FROM webhook_cursor WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        Ok(EventId(row.map_or(0, |(after,)| after)))
    }

    async fn enqueue_deliveries(
        &self,
        from: EventId,
        to: EventId,
        deliveries: &[NewDelivery],
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let moved = sqlx::query(
            "UPDATE webhook_cursor SET after_event = $1 WHERE id = 1 AND after_event = $2",
        )
        .bind(to.0)
        .bind(from.0)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            return Ok(false);
        }
        insert_deliveries(&mut tx, deliveries).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let ids: Vec<(i64,)> = sqlx::query_as(
            "UPDATE webhook_deliveries SET lease_until = $1 WHERE id IN (\
             SELECT id FROM webhook_deliveries WHERE state = 'pending' \
             AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until < $2) \
             ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING id",
        )
        .bind(lease_until.0)
        .bind(now.0)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut due = Vec::with_capacity(ids.len());
        for (id,) in ids {
            let row: DueRow = sqlx::query_as(
                "SELECT d.id, d.message_id, d.payload, d.attempts, w.url, w.secret, \
                 w.allow_private FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
                 WHERE d.id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            due.push(DueDelivery {
                id: row.id,
                message_id: row.message_id,
                payload: row.payload,
                attempts: u32::try_from(row.attempts).unwrap_or_default(),
                url: row.url,
                secret: row.secret,
                allow_private: row.allow_private,
            });
        }
        tx.commit().await?;
        Ok(due)
    }

    async fn finish_delivery(&self, id: i64, outcome: &TryOutcome) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE webhook_deliveries SET state = $1, attempts = $2, \
             next_attempt_at = $3, lease_until = NULL, last_attempt_at = $4, \
             last_status = $5, last_error = $6 WHERE id = $7",
        )
        .bind(outcome.state.as_str())
        .bind(i32::try_from(outcome.attempts).unwrap_or(i32::MAX))
        .bind(outcome.next_attempt_at.map(|t| t.0))
        .bind(outcome.at.0)
        .bind(outcome.status.map(i32::from))
        .bind(outcome.error.as_deref())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn deliveries(&self, limit: i64) -> Result<Vec<Delivery>, StoreError> {
        let rows: Vec<DeliveryRow> = sqlx::query_as(
            "SELECT d.id, d.webhook_id, w.url, d.message_id, d.event_type, d.state, d.attempts, \
             d.created_at, d.last_attempt_at, d.last_status, d.last_error, d.next_attempt_at \
             FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             ORDER BY d.id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(Delivery {
                    id: row.id,
                    webhook: WebhookId(row.webhook_id),
                    url: row.url,
                    message_id: row.message_id,
                    event: WebhookEvent::parse(&row.event_type).ok_or_else(|| {
                        StoreError::Corrupt(format!("webhook event {:?}", row.event_type))
                    })?,
                    state: DeliveryState::parse(&row.state).ok_or_else(|| {
                        StoreError::Corrupt(format!("delivery state {:?}", row.state))
                    })?,
                    attempts: u32::try_from(row.attempts).unwrap_or_default(),
                    created_at: Timestamp(row.created_at),
                    last_attempt_at: row.last_attempt_at.map(Timestamp),
                    last_status: row.last_status.and_then(|s| u16::try_from(s).ok()),
                    last_error: row.last_error,
                    next_attempt_at: row.next_attempt_at.map(Timestamp),
                })
            })
            .collect()
    }
}

/// Queues deliveries inside a transaction; one already queued (same webhook and message) is
/// kept as it is.
pub(super) async fn insert_deliveries(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    deliveries: &[NewDelivery],
) -> Result<(), StoreError> {
    for delivery in deliveries {
        sqlx::query(
            "INSERT INTO webhook_deliveries (webhook_id, message_id, event_type, payload, \
             created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (webhook_id, message_id) DO NOTHING",
        )
        .bind(delivery.webhook.0)
        .bind(&delivery.message_id)
        .bind(delivery.event.as_str())
        .bind(&delivery.payload)
        .bind(delivery.created_at.0)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
