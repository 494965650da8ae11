//! The SQLite [`TicketStore`].

use async_trait::async_trait;
use domain::ticket::{Article, Ticket, TicketFilter, TicketScope, TicketStatus, TicketView};
use domain::{OperatorId, TicketId};

use super::{SqliteStore, is_unique_violation};
use crate::store::ticket_rows::{ArticleRow, TICKET_COLUMNS, TicketRow, status_condition};
use crate::store::{
    NewArticle, NewDelivery, NewMail, NewTicket, StoreError, TicketChange, TicketStore,
    reason_to_stored,
};

async fn insert_article(
    conn: &mut sqlx::SqliteConnection,
    id: TicketId,
    article: &NewArticle,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ticket_articles (ticket_id, kind, author, body, chat_id, recipient, \
         created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(id.to_string())
    .bind(article.kind.as_str())
    .bind(&article.author)
    .bind(&article.body)
    .bind(article.chat.map(|c| c.to_string()))
    .bind(&article.recipient)
    .bind(article.created_at.0)
    .execute(&mut *conn)
    .await
    .map_err(|err| {
        if is_unique_violation(&err) {
            StoreError::Conflict
        } else {
            StoreError::Database(err)
        }
    })?;
    Ok(())
}

/// `Conflict` when a conditional update touched nothing but the ticket exists.
async fn moved_or_missing(
    conn: &mut sqlx::SqliteConnection,
    id: TicketId,
) -> Result<StoreError, StoreError> {
    let exists: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM tickets WHERE id = ?1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(if exists.is_some() {
        StoreError::Conflict
    } else {
        StoreError::NotFound
    })
}

#[async_trait]
impl TicketStore for SqliteStore {
    async fn insert_ticket(
        &self,
        ticket: &NewTicket,
        first: &NewArticle,
        deliveries: &[NewDelivery],
    ) -> Result<i64, StoreError> {
        let mut tx = self.writer.begin().await?;
        let (number,): (i64,) = sqlx::query_as(
            "INSERT INTO tickets (id, number, subject, status, assignee_id, channel_id, \
             visitor_id, name, email, reason, created_at, updated_at) \
             VALUES (?1, (SELECT COALESCE(MAX(number), 0) + 1 FROM tickets), ?2, 'open', ?3, \
             ?4, ?5, ?6, ?7, ?8, ?9, ?9) RETURNING number",
        )
        .bind(ticket.id.to_string())
        .bind(&ticket.subject)
        .bind(ticket.assignee.map(|o| o.to_string()))
        .bind(ticket.channel.map(|c| c.to_string()))
        .bind(ticket.visitor.map(|v| v.to_string()))
        .bind(&ticket.name)
        .bind(&ticket.email)
        .bind(ticket.reason.map(reason_to_stored))
        .bind(ticket.created_at.0)
        .fetch_one(&mut *tx)
        .await?;
        insert_article(&mut tx, ticket.id, first).await?;
        super::webhooks::insert_deliveries(&mut tx, deliveries).await?;
        tx.commit().await?;
        Ok(number)
    }

    async fn tickets(
        &self,
        filter: TicketFilter,
        scope: &TicketScope,
        me: OperatorId,
        limit: i64,
    ) -> Result<Vec<Ticket>, StoreError> {
        let (reach, channels) = match scope {
            TicketScope::All => ("1", String::from("[]")),
            TicketScope::Operator { channels, .. } => (
                "(t.assignee_id = ?1 OR t.channel_id IS NULL \
                 OR t.channel_id IN (SELECT value FROM json_each(?2)))",
                serde_json::to_string(
                    &channels.iter().map(ToString::to_string).collect::<Vec<_>>(),
                )
                .unwrap_or_default(),
            ),
        };
        let mine = if filter.mine {
            "t.assignee_id = ?1"
        } else {
            "1"
        };
        let rows: Vec<TicketRow> = sqlx::query_as(&format!(
            "SELECT {TICKET_COLUMNS} FROM tickets t LEFT JOIN operators o ON o.id = t.assignee_id \
             WHERE {} AND {reach} AND {mine} \
             ORDER BY t.updated_at DESC, t.number DESC LIMIT ?3",
            status_condition(filter.status)
        ))
        .bind(me.to_string())
        .bind(channels)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(Ticket::try_from).collect()
    }

    async fn ticket(&self, id: TicketId) -> Result<Option<TicketView>, StoreError> {
        let row: Option<TicketRow> = sqlx::query_as(&format!(
            "SELECT {TICKET_COLUMNS} FROM tickets t LEFT JOIN operators o ON o.id = t.assignee_id \
             WHERE t.id = ?1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let articles: Vec<ArticleRow> = sqlx::query_as(
            "SELECT kind, author, body, chat_id, recipient, created_at FROM ticket_articles \
             WHERE ticket_id = ?1 ORDER BY id",
        )
        .bind(id.to_string())
        .fetch_all(&self.reader)
        .await?;
        Ok(Some(TicketView {
            ticket: Ticket::try_from(row)?,
            articles: articles
                .into_iter()
                .map(Article::try_from)
                .collect::<Result<_, _>>()?,
        }))
    }

    async fn update_ticket(
        &self,
        id: TicketId,
        expected: TicketStatus,
        change: &TicketChange,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE tickets SET status = ?1, assignee_id = ?2, channel_id = ?3, updated_at = ?4 \
             WHERE id = ?5 AND status = ?6",
        )
        .bind(change.status.as_str())
        .bind(change.assignee.map(|o| o.to_string()))
        .bind(change.channel.map(|c| c.to_string()))
        .bind(change.at.0)
        .bind(id.to_string())
        .bind(expected.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(moved_or_missing(&mut tx, id).await?);
        }
        tx.commit().await?;
        Ok(())
    }

    async fn add_article(
        &self,
        id: TicketId,
        expected: TicketStatus,
        status: TicketStatus,
        article: &NewArticle,
        mail: Option<&NewMail>,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE tickets SET status = ?1, updated_at = ?2 WHERE id = ?3 AND status = ?4",
        )
        .bind(status.as_str())
        .bind(article.created_at.0)
        .bind(id.to_string())
        .bind(expected.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(moved_or_missing(&mut tx, id).await?);
        }
        insert_article(&mut tx, id, article).await?;
        if let Some(mail) = mail {
            super::mail::insert_mail(&mut tx, mail).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
