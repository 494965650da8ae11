//! Webhooks and their delivery log (admins).

use domain::WebhookId;
use domain::webhook::{Delivery, Webhook, WebhookForm};
use leptos::prelude::*;

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

/// Every webhook (admins only).
#[server(endpoint = "list_webhooks")]
pub async fn list_webhooks() -> Result<Vec<Webhook>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.webhooks(&session).await?)
}

/// Registers a webhook or changes one (admins only).
#[server(endpoint = "save_webhook", input = leptos::server_fn::codec::Json)]
pub async fn save_webhook(form: WebhookForm) -> Result<Webhook, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.save_webhook(&session, &form).await?)
}

/// Removes a webhook and its pending deliveries (admins only).
#[server(endpoint = "delete_webhook")]
pub async fn delete_webhook(id: WebhookId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.delete_webhook(&session, id).await?)
}

/// The newest webhook deliveries and how each went (admins only).
#[server(endpoint = "webhook_deliveries")]
pub async fn webhook_deliveries() -> Result<Vec<Delivery>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.webhook_deliveries(&session).await?)
}
