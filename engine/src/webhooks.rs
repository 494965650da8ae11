//! Webhooks (P4): admins register URLs; chats starting, messages, acceptances and closings,
//! and offline messages are told to them as signed POSTs (Standard Webhooks: `webhook-id`,
//! `webhook-timestamp`, `webhook-signature`).
//!
//! Nothing is lost across restarts or node failures. Chat events reach a durable outbox from
//! the event log through one cursor, moved in the same transaction that queues their
//! deliveries; offline messages queue theirs in the transaction that stores them. Every node
//! then takes due deliveries under a lease, sends them, and records each try; a failed one is
//! tried again with backoff. A delivery may arrive more than once (a node dying mid-send), never
//! not at all while the receiver comes back within the retries: receivers drop repeats by
//! `webhook-id`.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use domain::console::Role;
use domain::webhook::{
    Delivery, DeliveryState, Host, MAX_WEBHOOKS, Target, Webhook, WebhookEvent, WebhookForm,
    is_public, retry_at, signed_content,
};
use domain::{Error, ErrorCode, Timestamp, WebhookId};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::operators::Session;
use crate::store::{DueDelivery, NewDelivery, StoreError, TryOutcome};
use crate::{Engine, auth, internal};

/// Events looked at per scan of the log.
const SCAN_PAGE: i64 = 500;
/// Deliveries one node takes at a time.
const CLAIM: i64 = 16;
/// How long a node holds deliveries it took: longer than a try can last.
const LEASE_MS: i64 = 60_000;
/// A receiver has this long to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How often each node looks for work.
const EVERY: Duration = Duration::from_secs(1);
/// Deliveries the console's log shows.
const LOG_SHOWN: i64 = 100;
/// Longest error text kept for a try.
const MAX_ERROR_CHARS: usize = 300;

fn no_such_webhook() -> Error {
    Error::new(ErrorCode::NotFound, "No such webhook.")
}

impl Engine {
    /// Every webhook (admins only).
    pub async fn webhooks(&self, session: &Session) -> Result<Vec<Webhook>, Error> {
        session.require_role(Role::Admin)?;
        self.store.webhooks().await.map_err(internal)
    }

    /// Registers a webhook, with a new signing secret, or changes one (admins only).
    pub async fn save_webhook(
        &self,
        session: &Session,
        form: &WebhookForm,
    ) -> Result<Webhook, Error> {
        session.require_role(Role::Admin)?;
        let (url, events) = form.validate()?;
        let existing = self.store.webhooks().await.map_err(internal)?;
        let webhook = match form.id {
            Some(id) => {
                let old = existing
                    .into_iter()
                    .find(|hook| hook.id == id)
                    .ok_or_else(no_such_webhook)?;
                Webhook {
                    url,
                    events,
                    allow_private: form.allow_private,
                    enabled: form.enabled,
                    ..old
                }
            }
            None => {
                if existing.len() >= MAX_WEBHOOKS {
                    return Err(Error::invalid(
                        "url",
                        format!("There are {MAX_WEBHOOKS} webhooks already; remove one first."),
                    ));
                }
                Webhook {
                    id: WebhookId(Uuid::now_v7()),
                    url,
                    events,
                    secret: new_secret()?,
                    allow_private: form.allow_private,
                    enabled: form.enabled,
                    created_at: self.now(),
                }
            }
        };
        self.store.save_webhook(&webhook).await.map_err(internal)?;
        self.record(session, "save_webhook", None, Some(webhook.url.clone()))
            .await;
        Ok(webhook)
    }

    /// Removes a webhook and its pending deliveries (admins only).
    pub async fn delete_webhook(&self, session: &Session, id: WebhookId) -> Result<(), Error> {
        session.require_role(Role::Admin)?;
        let url = self
            .store
            .webhooks()
            .await
            .map_err(internal)?
            .into_iter()
            .find(|hook| hook.id == id)
            .map(|hook| hook.url);
        match self.store.delete_webhook(id).await {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(no_such_webhook()),
            Err(err) => return Err(internal(err)),
        }
        self.record(session, "delete_webhook", None, url).await;
        Ok(())
    }

    /// The newest deliveries, for the delivery log (admins only).
    pub async fn webhook_deliveries(&self, session: &Session) -> Result<Vec<Delivery>, Error> {
        session.require_role(Role::Admin)?;
        self.store.deliveries(LOG_SHOWN).await.map_err(internal)
    }

    /// The deliveries telling of an offline message, for the store to queue with it.
    pub(crate) async fn offline_message_deliveries(
        &self,
        follow_up: &domain::followup::FollowUp,
    ) -> Result<Vec<NewDelivery>, Error> {
        let hooks = self.store.webhooks().await.map_err(internal)?;
        let at = follow_up.created_at;
        let message_id = format!("msg_fu{}", follow_up.id.0.simple());
        let payload = payload(WebhookEvent::OfflineMessage, at, follow_up);
        Ok(hooks
            .iter()
            .filter(|hook| hook.wants(WebhookEvent::OfflineMessage))
            .map(|hook| NewDelivery {
                webhook: hook.id,
                message_id: message_id.clone(),
                event: WebhookEvent::OfflineMessage,
                payload: payload.clone(),
                created_at: at,
            })
            .collect())
    }

    /// Queues the deliveries of the chat events logged since the cursor, and moves it. Answers
    /// how many events it looked at.
    pub async fn scan_for_webhooks(&self) -> Result<usize, Error> {
        let mut seen = 0;
        loop {
            let from = self.store.webhook_cursor().await.map_err(internal)?;
            let hooks: Vec<Webhook> = self
                .store
                .webhooks()
                .await
                .map_err(internal)?
                .into_iter()
                .filter(|hook| hook.enabled)
                .collect();
            let events = if hooks.is_empty() {
                Vec::new()
            } else {
                self.store
                    .events_after(from, SCAN_PAGE)
                    .await
                    .map_err(internal)?
            };
            // With no webhook to tell, the cursor simply keeps up with the log.
            let to = match events.last() {
                Some(last) => last.event.id,
                None if hooks.is_empty() => self.store.last_event_id().await.map_err(internal)?,
                None => return Ok(seen),
            };
            if to <= from {
                return Ok(seen);
            }
            let mut deliveries = Vec::new();
            for logged in &events {
                let event = &logged.event;
                let Some(kind) = WebhookEvent::of(event) else {
                    continue;
                };
                let body = payload(kind, event.at, event);
                for hook in hooks
                    .iter()
                    .filter(|hook| hook.wants(kind) && event.at >= hook.created_at)
                {
                    deliveries.push(NewDelivery {
                        webhook: hook.id,
                        message_id: format!("msg_ev{}", event.id.0),
                        event: kind,
                        payload: body.clone(),
                        created_at: self.now(),
                    });
                }
            }
            if !self
                .store
                .enqueue_deliveries(from, to, &deliveries)
                .await
                .map_err(internal)?
            {
                // Another node moved the cursor meanwhile: look again from where it is.
                continue;
            }
            seen += events.len();
            if i64::try_from(events.len()).unwrap_or(i64::MAX) < SCAN_PAGE {
                return Ok(seen);
            }
        }
    }

    /// Sends the deliveries due now that no other node holds; answers how many were tried.
    pub async fn deliver_webhooks(&self) -> Result<usize, Error> {
        let now = self.now();
        let due = self
            .store
            .claim_deliveries(now, Timestamp(now.0 + LEASE_MS), CLAIM)
            .await
            .map_err(internal)?;
        let tried = due.len();
        let mut sends = tokio::task::JoinSet::new();
        for delivery in due {
            let engine = self.clone();
            sends.spawn(async move { engine.try_delivery(delivery).await });
        }
        while sends.join_next().await.is_some() {}
        Ok(tried)
    }

    /// Sends one delivery and records how it went.
    async fn try_delivery(&self, delivery: DueDelivery) {
        let result = send(&delivery, self.now()).await;
        let at = self.now();
        let attempts = delivery.attempts + 1;
        let outcome = match result {
            Ok(status) => TryOutcome {
                at,
                attempts,
                state: DeliveryState::Delivered,
                next_attempt_at: None,
                status: Some(status),
                error: None,
            },
            Err((status, error)) => {
                let next = retry_at(attempts, at);
                TryOutcome {
                    at,
                    attempts,
                    state: if next.is_some() {
                        DeliveryState::Pending
                    } else {
                        DeliveryState::Failed
                    },
                    next_attempt_at: next,
                    status,
                    error: Some(error.chars().take(MAX_ERROR_CHARS).collect()),
                }
            }
        };
        if let Err(err) = self.store.finish_delivery(delivery.id, &outcome).await {
            tracing::warn!(error = %err, delivery = delivery.id, "recording a webhook try");
        }
    }

    /// Scans and delivers until nothing is left to do now (tests, and each round of the
    /// background task).
    pub async fn run_webhooks(&self) -> Result<(), Error> {
        self.scan_for_webhooks().await?;
        while self.deliver_webhooks().await? > 0 {}
        Ok(())
    }

    pub(crate) fn start_webhooks(&self) {
        let engine = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(EVERY).await;
                if let Err(err) = engine.run_webhooks().await {
                    tracing::debug!(error = %err, "webhooks");
                }
            }
        });
    }
}

/// A new signing secret: `whsec_` and 24 random bytes, base64.
fn new_secret() -> Result<String, Error> {
    let bytes = auth::random_bytes::<24>().map_err(|err| {
        tracing::error!(error = %err, "no randomness for a webhook secret");
        Error::internal()
    })?;
    Ok(format!("whsec_{}", BASE64.encode(bytes)))
}

/// The body of a delivery: `{"type", "timestamp", "data"}`.
fn payload(kind: WebhookEvent, at: Timestamp, data: &impl serde::Serialize) -> String {
    let timestamp = jiff::Timestamp::from_millisecond(at.0)
        .map(|t| t.to_string())
        .unwrap_or_default();
    serde_json::json!({
        "type": kind.as_str(),
        "timestamp": timestamp,
        "data": data,
    })
    .to_string()
}

/// The `webhook-signature` header's value for a body.
pub fn sign(secret: &str, message_id: &str, timestamp_seconds: i64, body: &str) -> Option<String> {
    let key = BASE64.decode(secret.strip_prefix("whsec_")?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(signed_content(message_id, timestamp_seconds, body).as_bytes());
    Some(format!("v1,{}", BASE64.encode(mac.finalize().into_bytes())))
}

/// Resolves names to public addresses only: a webhook URL whose name points into the private
/// network (or is moved there later, DNS rebinding) is not connected to.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|address| is_public(address.ip()))
                .collect();
            if found.is_empty() {
                return Err(
                    "the host has no public address (private addresses are not allowed \
                            for this webhook)"
                        .into(),
                );
            }
            let addresses: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addresses)
        })
    }
}

/// The HTTP clients: one that reaches only public addresses, one for webhooks an admin allowed
/// private addresses for. Redirects are not followed: a delivery answered 3xx failed.
fn client(allow_private: bool) -> Option<&'static reqwest::Client> {
    static PUBLIC: OnceLock<Option<reqwest::Client>> = OnceLock::new();
    static ANY: OnceLock<Option<reqwest::Client>> = OnceLock::new();
    let build = |private: bool| {
        let builder = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Switchboard-Webhooks/", env!("CARGO_PKG_VERSION")));
        let builder = if private {
            builder
        } else {
            builder.dns_resolver(std::sync::Arc::new(PublicOnly))
        };
        builder
            .build()
            .map_err(|err| tracing::error!(error = %err, "webhook HTTP client"))
            .ok()
    };
    if allow_private {
        ANY.get_or_init(|| build(true)).as_ref()
    } else {
        PUBLIC.get_or_init(|| build(false)).as_ref()
    }
}

/// One try: the receiver's 2xx status, or its status (if it answered) and what went wrong.
async fn send(delivery: &DueDelivery, now: Timestamp) -> Result<u16, (Option<u16>, String)> {
    let target =
        Target::parse(&delivery.url).ok_or_else(|| (None, "the URL is not valid".to_owned()))?;
    if let Host::Ip(ip) = target.host
        && !delivery.allow_private
        && !is_public(ip)
    {
        return Err((
            None,
            "private addresses are not allowed for this webhook".into(),
        ));
    }
    let client = client(delivery.allow_private)
        .ok_or_else(|| (None, "no HTTP client could be built".to_owned()))?;
    let seconds = now.0.div_euclid(1000);
    let signature = sign(
        &delivery.secret,
        &delivery.message_id,
        seconds,
        &delivery.payload,
    )
    .ok_or_else(|| (None, "the webhook's secret is not valid".to_owned()))?;
    let response = client
        .post(&delivery.url)
        .header("content-type", "application/json")
        .header("webhook-id", &delivery.message_id)
        .header("webhook-timestamp", seconds.to_string())
        .header("webhook-signature", signature)
        .body(delivery.payload.clone())
        .send()
        .await
        .map_err(|err| (None, describe(&err)))?;
    let status = response.status();
    if status.is_success() {
        Ok(status.as_u16())
    } else {
        Err((
            Some(status.as_u16()),
            format!("the receiver answered {status}"),
        ))
    }
}

/// A send error with its causes, as the delivery log shows it.
fn describe(err: &reqwest::Error) -> String {
    let mut text = if err.is_timeout() {
        "no answer within 10 s".to_owned()
    } else if err.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(sign("no prefix", "m", 1, body), None);
    }

    #[test]
    fn secrets_are_fresh_and_decodable() {
        let a = new_secret().unwrap_or_default();
        let b = new_secret().unwrap_or_default();
        assert_ne!(a, b);
        assert!(sign(&a, "m", 1, "{}").is_some());
    }
}
