//! Webhooks (P4): admins register URLs that are told, by signed HTTP POSTs, when chats start,
//! get messages, are accepted or closed, and when offline messages arrive. The rules live here:
//! which events are told, what a URL must look like, which addresses count as private, how a
//! failed delivery is retried, and how a delivery is signed (Standard Webhooks).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::event::{ChatEvent, EventKind};
use crate::ids::WebhookId;
use crate::time::Timestamp;

/// Longest webhook URL.
pub const MAX_URL_CHARS: usize = 2000;
/// Webhooks an installation may have.
pub const MAX_WEBHOOKS: usize = 50;
/// A delivery is tried this many times in all before it is given up as failed.
pub const MAX_ATTEMPTS: u32 = 9;
/// Waits before the second, third… attempt (seconds): about 14 hours in all.
const BACKOFF_SECONDS: [i64; 8] = [5, 30, 120, 600, 1800, 3600, 3 * 3600, 8 * 3600];

/// What a webhook can be told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum WebhookEvent {
    /// A visitor started a chat.
    #[serde(rename = "chat.started")]
    ChatStarted,
    /// A message in a chat (visitor's or operator's; private notes are never sent).
    #[serde(rename = "chat.message")]
    Message,
    /// An operator accepted a waiting chat.
    #[serde(rename = "chat.accepted")]
    Accepted,
    /// A chat was closed.
    #[serde(rename = "chat.closed")]
    Closed,
    /// A visitor left a message while live chat was not offered.
    #[serde(rename = "offline_message.created")]
    OfflineMessage,
    /// A visitor rated a chat.
    #[serde(rename = "chat.rated")]
    Rating,
}

impl WebhookEvent {
    /// Every kind, in the order the console lists them.
    pub const ALL: [Self; 6] = [
        Self::ChatStarted,
        Self::Message,
        Self::Accepted,
        Self::Closed,
        Self::OfflineMessage,
        Self::Rating,
    ];

    /// The type as sent (`"type"` in the payload) and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChatStarted => "chat.started",
            Self::Message => "chat.message",
            Self::Accepted => "chat.accepted",
            Self::Closed => "chat.closed",
            Self::OfflineMessage => "offline_message.created",
            Self::Rating => "chat.rated",
        }
    }

    /// Reads a stored type.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == raw.trim())
    }

    /// What an admin reads beside the checkbox.
    pub fn label(self) -> &'static str {
        match self {
            Self::ChatStarted => "Chat started",
            Self::Message => "Message",
            Self::Accepted => "Chat accepted",
            Self::Closed => "Chat closed",
            Self::OfflineMessage => "Offline message",
            Self::Rating => "Rating",
        }
    }

    /// What a chat event is told as, if anything.
    pub fn of(event: &ChatEvent) -> Option<Self> {
        match &event.kind {
            EventKind::ChatStarted { .. } => Some(Self::ChatStarted),
            EventKind::MessagePosted { note: false, .. } => Some(Self::Message),
            EventKind::OperatorAccepted { .. } => Some(Self::Accepted),
            EventKind::ChatClosed { .. } => Some(Self::Closed),
            EventKind::ChatRated { .. } => Some(Self::Rating),
            _ => None,
        }
    }
}

/// A registered webhook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    /// Id.
    pub id: WebhookId,
    /// Where deliveries are POSTed.
    pub url: String,
    /// What it is told about.
    pub events: Vec<WebhookEvent>,
    /// The signing secret, `whsec_` and base64 (Standard Webhooks): the receiver verifies
    /// `webhook-signature` with it.
    pub secret: String,
    /// Whether it may be delivered to a private, loopback or link-local address.
    pub allow_private: bool,
    /// Paused webhooks are told nothing.
    pub enabled: bool,
    /// When it was registered: nothing from before is sent.
    pub created_at: Timestamp,
}

impl Webhook {
    /// Whether it is told about `event` now.
    pub fn wants(&self, event: WebhookEvent) -> bool {
        self.enabled && self.events.contains(&event)
    }
}

/// What an admin sends to register or change a webhook.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookForm {
    /// Set to change a webhook; `None` registers a new one.
    #[serde(default)]
    pub id: Option<WebhookId>,
    /// Its URL.
    pub url: String,
    /// What it is told about.
    #[serde(default)]
    pub events: Vec<WebhookEvent>,
    /// Allow private addresses.
    #[serde(default)]
    pub allow_private: bool,
    /// Enabled.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

impl WebhookForm {
    /// The URL and events, checked: an `http(s)` URL without credentials, and at least one
    /// event (each once, in order). A URL naming a private address literally is refused here
    /// unless allowed; names are checked when delivering, against every address they resolve
    /// to.
    pub fn validate(&self) -> Result<(String, Vec<WebhookEvent>), Error> {
        let url = self.url.trim();
        if url.is_empty() || url.chars().count() > MAX_URL_CHARS {
            return Err(Error::invalid(
                "url",
                "Enter the URL deliveries are sent to.",
            ));
        }
        let target = Target::parse(url).ok_or_else(|| {
            Error::invalid(
                "url",
                "Enter an http:// or https:// URL with a host, and no user or password.",
            )
        })?;
        if let Host::Ip(ip) = target.host
            && !self.allow_private
            && !is_public(ip)
        {
            return Err(Error::invalid(
                "url",
                "That address is private; allow private addresses to deliver there.",
            ));
        }
        let mut events = self.events.clone();
        events.sort();
        events.dedup();
        if events.is_empty() {
            return Err(Error::invalid("events", "Choose at least one event."));
        }
        Ok((url.to_owned(), events))
    }
}

/// The host of a webhook URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    /// A name, resolved when delivering.
    Name(String),
    /// An address written in the URL.
    Ip(IpAddr),
}

/// What a delivery needs to know of a URL before connecting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Its host.
    pub host: Host,
    /// Its port (the scheme's default when not written).
    pub port: u16,
}

impl Target {
    /// Reads an `http(s)://host[:port][/path][?query]` URL; `None` for anything else.
    pub fn parse(url: &str) -> Option<Self> {
        let (scheme, rest) = url.split_once("://")?;
        let default_port = match scheme.to_ascii_lowercase().as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        let authority = rest.split(['/', '?', '#']).next()?;
        if authority.is_empty()
            || authority.contains('@')
            || url.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return None;
        }
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            let (inside, after) = bracketed.split_once(']')?;
            let port = match after.strip_prefix(':') {
                Some(port) => port.parse().ok()?,
                None if after.is_empty() => default_port,
                None => return None,
            };
            (Host::Ip(IpAddr::V6(inside.parse().ok()?)), port)
        } else {
            let (name, port) = match authority.rsplit_once(':') {
                Some((name, port)) => (name, port.parse().ok()?),
                None => (authority, default_port),
            };
            if name.is_empty() {
                return None;
            }
            match name.parse::<IpAddr>() {
                Ok(ip) => (Host::Ip(ip), port),
                Err(_) => {
                    let valid = name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
                    if !valid {
                        return None;
                    }
                    (Host::Name(name.to_ascii_lowercase()), port)
                }
            }
        };
        if port == 0 {
            return None;
        }
        Some(Self { host, port })
    }
}

/// Whether an address is on the public internet: not loopback, private (RFC 1918, unique
/// local), link-local, carrier-grade NAT, unspecified, multicast, documentation or reserved,
/// nor an IPv4 address mapped into IPv6 that is one of those.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

/// When a failed delivery is tried again, after `attempts` tries so far; `None` once it has
/// been tried [`MAX_ATTEMPTS`] times.
pub fn retry_at(attempts: u32, now: Timestamp) -> Option<Timestamp> {
    crate::time::backoff(&BACKOFF_SECONDS, MAX_ATTEMPTS, attempts, now)
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its first try or a retry.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Given up after [`MAX_ATTEMPTS`] tries.
    Failed,
}

impl DeliveryState {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    /// Reads a stored state.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// One delivery, as the console's delivery log shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Its number.
    pub id: i64,
    /// To which webhook.
    pub webhook: WebhookId,
    /// The webhook's URL.
    pub url: String,
    /// `webhook-id`: the same on every try, so receivers can drop repeats.
    pub message_id: String,
    /// What it tells.
    pub event: WebhookEvent,
    /// Where it stands.
    pub state: DeliveryState,
    /// Tries so far.
    pub attempts: u32,
    /// When it was queued.
    pub created_at: Timestamp,
    /// When it was last tried.
    pub last_attempt_at: Option<Timestamp>,
    /// The receiver's last status code, if it answered.
    pub last_status: Option<u16>,
    /// Why the last try failed, if it did.
    pub last_error: Option<String>,
    /// When it is tried next, while pending.
    pub next_attempt_at: Option<Timestamp>,
}

/// The Standard Webhooks signature of a delivery: `v1,` and the base64 HMAC-SHA256, keyed with
/// the secret's decoded bytes, of `{message id}.{unix seconds}.{body}`. The signing itself is
/// the caller's (it needs a MAC); this is the text signed.
pub fn signed_content(message_id: &str, timestamp_seconds: i64, body: &str) -> String {
    format!("{message_id}.{timestamp_seconds}.{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(url: &str, events: &[WebhookEvent]) -> WebhookForm {
        WebhookForm {
            url: url.into(),
            events: events.to_vec(),
            enabled: true,
            ..WebhookForm::default()
        }
    }

    #[test]
    fn urls_are_http_with_a_host_and_no_credentials() {
        let ok = form("https://hooks.example.com/in?x=1", &[WebhookEvent::Message]);
        assert_eq!(
            ok.validate().map(|(url, _)| url),
            Ok("https://hooks.example.com/in?x=1".to_owned())
        );
        for bad in [
            "",
            "ftp://example.com/",
            "https://",
            "https://user:pw@example.com/",
            "https://exa mple.com/",
            "https://example.com:0/",
            "https://example.com:99999/",
            "javascript:alert(1)",
            "https://exa_mple.com/",
        ] {
            assert_eq!(
                form(bad, &[WebhookEvent::Message])
                    .validate()
                    .map_err(|e| e.field),
                Err(Some("url".to_owned())),
                "{bad}"
            );
        }
        assert_eq!(
            form("https://example.com/", &[])
                .validate()
                .map_err(|e| e.field),
            Err(Some("events".to_owned()))
        );
    }

    #[test]
    fn private_addresses_need_the_admins_consent() {
        for private in [
            "http://127.0.0.1:8080/",
            "http://10.1.2.3/",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::ffff:192.168.0.1]/",
            "http://0.0.0.0/",
            "http://100.64.0.1/",
            "http://[fd00::1]/",
        ] {
            let mut hook = form(private, &[WebhookEvent::Closed]);
            assert!(hook.validate().is_err(), "{private}");
            hook.allow_private = true;
            assert!(hook.validate().is_ok(), "{private}");
        }
        assert!(is_public(
            "93.184.216.34".parse().unwrap_or(IpAddr::from([0; 4]))
        ));
        assert!(is_public(
            "2606:4700::1".parse().unwrap_or(IpAddr::from([0; 4]))
        ));
    }

    #[test]
    fn targets_read_host_and_port() {
        assert_eq!(
            Target::parse("https://Hooks.Example.com/x"),
            Some(Target {
                host: Host::Name("hooks.example.com".into()),
                port: 443
            })
        );
        assert_eq!(
            Target::parse("http://[::1]:81/"),
            Some(Target {
                host: Host::Ip("::1".parse().unwrap_or(IpAddr::from([0; 4]))),
                port: 81
            })
        );
    }

    #[test]
    fn retries_back_off_then_give_up() {
        let now = Timestamp(1_000_000);
        assert_eq!(retry_at(1, now), Some(Timestamp(1_005_000)));
        assert_eq!(retry_at(2, now), Some(Timestamp(1_030_000)));
        assert!(retry_at(MAX_ATTEMPTS - 1, now).is_some());
        assert_eq!(retry_at(MAX_ATTEMPTS, now), None);
    }

    #[test]
    fn events_and_their_names_round_trip() {
        for kind in WebhookEvent::ALL {
            assert_eq!(WebhookEvent::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }
}
