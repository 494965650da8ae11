//! A history search's rows as both backends read them.

use domain::history::{HistoryHit, fragments};
use domain::{ChatId, ChatState, Timestamp};

use super::StoreError;

/// One chat found: its state (JSON), start, the visitor's email, its operators' names and the
/// best message's marked excerpt.
#[derive(sqlx::FromRow)]
pub(crate) struct HitRow {
    pub(crate) state: String,
    pub(crate) created_at: i64,
    pub(crate) email: Option<String>,
    pub(crate) operators: Option<String>,
    pub(crate) excerpt: Option<String>,
}

impl TryFrom<HitRow> for HistoryHit {
    type Error = StoreError;

    fn try_from(row: HitRow) -> Result<Self, StoreError> {
        let state: ChatState = serde_json::from_str(&row.state)
            .map_err(|err| StoreError::Corrupt(format!("chat state: {err}")))?;
        let chat: ChatId = state.id;
        Ok(Self {
            chat,
            visitor: state.visitor_name,
            email: row.email.filter(|e| !e.is_empty()),
            operators: row
                .operators
                .unwrap_or_default()
                .split('\u{1f}')
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .collect(),
            channel: state.channel,
            status: state.status,
            started_at: Timestamp(row.created_at),
            rating: state.rating.map(|r| r.stars),
            excerpt: row.excerpt.as_deref().map(fragments).unwrap_or_default(),
        })
    }
}
