//! Email (V10, O23): what a mail the server sends may look like, how the SMTP connection is
//! secured, and how a mail that could not be handed to the SMTP server is retried. Mail leaves
//! through a durable outbox, so a mail-server outage delays mail and loses none.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::time::Timestamp;

/// Longest address accepted (RFC 5321's path limit).
pub const MAX_ADDRESS_CHARS: usize = 254;
/// A mail is tried this many times in all before it is given up as failed.
pub const MAX_ATTEMPTS: u32 = 10;
/// Waits before the second, third… attempt (seconds): about a day in all.
const BACKOFF_SECONDS: [i64; 9] = [10, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600];

/// How the connection to the SMTP server is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same host or network.
    None,
}

impl SmtpTls {
    /// Every mode, as flags and the console list them.
    pub const ALL: [Self; 3] = [Self::Starttls, Self::Tls, Self::None];

    /// The mode as written in flags and settings.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starttls => "starttls",
            Self::Tls => "tls",
            Self::None => "none",
        }
    }

    /// Reads a mode written by [`Self::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|mode| mode.as_str().eq_ignore_ascii_case(raw.trim()))
    }

    /// The port used when none is given.
    pub fn default_port(self) -> u16 {
        match self {
            Self::Starttls => 587,
            Self::Tls => 465,
            Self::None => 25,
        }
    }
}

/// Checks an email address as a form field named `field`: one `@`, a dotted domain, no spaces,
/// nothing that could break a mail header. Answers it trimmed.
pub fn parse_address(field: &str, raw: &str) -> Result<String, Error> {
    let address = raw.trim();
    let valid = address.chars().count() <= MAX_ADDRESS_CHARS
        && !address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
        && address.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if valid {
        Ok(address.to_owned())
    } else {
        Err(Error::invalid(
            field,
            "Please give an email address we can write to.",
        ))
    }
}

/// Why a mail is sent: shown in the console's outbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailPurpose {
    /// A visitor asked for their chat's transcript.
    Transcript,
    /// An operator sent a chat's transcript to its visitor.
    ChatByEmail,
    /// An admin's "Send test email".
    Test,
    /// An operator's reply from a ticket (O23).
    TicketReply,
}

impl MailPurpose {
    /// Every purpose.
    pub const ALL: [Self; 4] = [
        Self::Transcript,
        Self::ChatByEmail,
        Self::Test,
        Self::TicketReply,
    ];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Transcript => "transcript",
            Self::ChatByEmail => "chat_by_email",
            Self::Test => "test",
            Self::TicketReply => "ticket_reply",
        }
    }

    /// Reads the stored form.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == raw)
    }

    /// What the console's outbox says.
    pub fn label(self) -> &'static str {
        match self {
            Self::Transcript => "Transcript (visitor's request)",
            Self::ChatByEmail => "Chat sent by an operator",
            Self::Test => "Test email",
            Self::TicketReply => "Reply from a ticket",
        }
    }
}

/// Where a mail in the outbox stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailState {
    /// Waiting for its first or next try.
    Pending,
    /// Accepted by the SMTP server.
    Sent,
    /// Given up after [`MAX_ATTEMPTS`] tries, or refused for good.
    Failed,
}

impl MailState {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    /// Reads the stored form.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Pending, Self::Sent, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// A mail in the outbox, as the console lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Its number.
    pub id: i64,
    /// To whom.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Why it is sent.
    pub purpose: MailPurpose,
    /// Where it stands.
    pub state: MailState,
    /// Tries so far.
    pub attempts: u32,
    /// When it was queued.
    pub created_at: Timestamp,
    /// When it was last tried.
    pub last_attempt_at: Option<Timestamp>,
    /// Why the last try failed.
    pub last_error: Option<String>,
}

/// The mail set-up and the latest mails, for the admins' Email page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailOverview {
    /// The SMTP server as `host:port (tls)`, or `None` when mail is not set up.
    pub server: Option<String>,
    /// The login, if any (never the password).
    pub username: Option<String>,
    /// The sender.
    pub from: Option<String>,
    /// The newest mails, newest first.
    pub outbox: Vec<OutboxEntry>,
}

/// The admin's "Send test email" form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestMail {
    /// To whom; the admin's own address when empty.
    #[serde(default)]
    pub to: String,
}

/// `POST /api/v1/visitor/chats/{chat_id}/transcript/email`: where the visitor wants their
/// transcript; the address they gave before when absent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EmailTranscript {
    /// The address.
    #[serde(default)]
    pub email: Option<String>,
}

/// When to try a mail again after `attempts` failed tries, or `None` to give up.
pub fn retry_at(attempts: u32, now: Timestamp) -> Option<Timestamp> {
    crate::time::backoff(&BACKOFF_SECONDS, MAX_ATTEMPTS, attempts, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_that_could_break_a_header_are_refused() {
        assert_eq!(
            parse_address("email", "  ann@example.com ").ok(),
            Some("ann@example.com".to_owned())
        );
        assert!(parse_address("email", "zoë@exämple.org").is_ok());
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "ann@.example.com",
            "ann@example.com.",
            "a b@example.com",
            "ann@example.com\r\nBcc: x@evil.test",
            "ann@example.com, bob@example.com",
            "<ann@example.com>",
            "ann@x@example.com",
        ] {
            let err = parse_address("email", bad).err();
            assert_eq!(
                err.and_then(|e| e.field),
                Some("email".to_owned()),
                "{bad:?}"
            );
        }
        assert!(parse_address("email", &format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn retries_back_off_and_stop() {
        let now = Timestamp(1_000_000);
        assert_eq!(retry_at(1, now), Some(Timestamp(1_010_000)));
        assert_eq!(retry_at(2, now), Some(Timestamp(1_060_000)));
        assert_eq!(
            retry_at(9, now),
            Some(Timestamp(1_000_000 + 12 * 3_600_000))
        );
        assert_eq!(retry_at(MAX_ATTEMPTS, now), None);
    }

    #[test]
    fn tls_modes_read_back_and_pick_their_ports() {
        for mode in SmtpTls::ALL {
            assert_eq!(SmtpTls::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(SmtpTls::parse(" STARTTLS "), Some(SmtpTls::Starttls));
        assert_eq!(SmtpTls::parse("ssl"), None);
        assert_eq!(SmtpTls::Tls.default_port(), 465);
        for purpose in MailPurpose::ALL {
            assert_eq!(MailPurpose::parse(purpose.as_str()), Some(purpose));
        }
    }
}
