//! Offline messages (V11): when live chat is not offered — switched off (A1), outside the
//! channel's business hours, or nobody available — the bubble takes a message instead. It
//! becomes a ticket (O23) that operators answer by email and close.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode};
use crate::ids::{ChannelId, TicketId, VisitorId};
use crate::time::Timestamp;

/// Longest offline message, in characters.
pub const MAX_OFFLINE_MESSAGE_CHARS: usize = 4000;

/// Why live chat is not offered now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OfflineReason {
    /// An admin switched live support off.
    Off,
    /// Outside the channel's business hours.
    OutsideHours,
    /// No operator of the channel is available.
    NobodyAvailable,
    /// Live chat was offered: the visitor asked for a follow-up after a chat (V10).
    FollowUpRequest,
}

impl OfflineReason {
    /// What the visitor reads above the form.
    pub fn explain(self) -> &'static str {
        match self {
            Self::Off => "Live chat is not available right now.",
            Self::OutsideHours => "We are closed right now.",
            Self::NobodyAvailable => "All our operators are away right now.",
            Self::FollowUpRequest => "Anything more we can do for you?",
        }
    }
}

/// Whether live chat is offered, and why not.
pub fn offline_reason(
    live_support: bool,
    within_hours: bool,
    anyone: bool,
) -> Option<OfflineReason> {
    if !live_support {
        Some(OfflineReason::Off)
    } else if !within_hours {
        Some(OfflineReason::OutsideHours)
    } else if !anyone {
        Some(OfflineReason::NobodyAvailable)
    } else {
        None
    }
}

/// The refusal of a live chat start while it is not offered.
pub fn offline_error(reason: OfflineReason) -> Error {
    Error::new(
        ErrorCode::Offline,
        format!("{} Please leave a message.", reason.explain()),
    )
}

/// The "Leave a message" form as the bubble posts it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfflineMessage {
    /// The visitor's name (optional).
    #[serde(default)]
    pub name: Option<String>,
    /// Where the answer goes.
    pub email: String,
    /// The message.
    pub message: String,
    /// The channel it is for, if the bubble is bound to one or the visitor picked one.
    #[serde(default)]
    pub channel: Option<ChannelId>,
}

/// A validated offline message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidOfflineMessage {
    /// Name, or empty.
    pub name: String,
    /// Email address.
    pub email: String,
    /// Text.
    pub message: String,
}

impl OfflineMessage {
    /// Checks the form, naming the field at fault.
    pub fn validate(&self) -> Result<ValidOfflineMessage, Error> {
        let name =
            crate::chat::parse_display_name(self.name.as_deref(), false)?.unwrap_or_default();
        let email = crate::mail::parse_address("email", &self.email)?;
        let message = self.message.trim();
        if message.is_empty() {
            return Err(Error::invalid("message", "Please write your message."));
        }
        if message.chars().count() > MAX_OFFLINE_MESSAGE_CHARS {
            return Err(Error::invalid(
                "message",
                format!("Messages are limited to {MAX_OFFLINE_MESSAGE_CHARS} characters."),
            ));
        }
        Ok(ValidOfflineMessage {
            name,
            email,
            message: message.to_owned(),
        })
    }
}

/// A message left in the bubble, as the visitor wrote it and as the `offline_message` webhook
/// tells of it; it opens a ticket with the same id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    /// Id.
    pub id: TicketId,
    /// The visitor who left it.
    pub visitor: Option<VisitorId>,
    /// The channel it is for.
    pub channel: Option<ChannelId>,
    /// The visitor's name, or empty.
    pub name: String,
    /// Where to answer.
    pub email: String,
    /// What they wrote.
    pub message: String,
    /// Why live chat was not offered.
    pub reason: OfflineReason,
    /// When it was left.
    pub created_at: Timestamp,
    /// When an operator closed it, and who.
    pub closed: Option<(Timestamp, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(email: &str, message: &str) -> OfflineMessage {
        OfflineMessage {
            name: Some(" Vera ".into()),
            email: email.into(),
            message: message.into(),
            channel: None,
        }
    }

    #[test]
    fn the_form_needs_an_address_and_a_message() {
        let ok = form(" vera@example.org ", " Call me back ")
            .validate()
            .unwrap();
        assert_eq!(
            (ok.name.as_str(), ok.email.as_str(), ok.message.as_str()),
            ("Vera", "vera@example.org", "Call me back")
        );
        for (email, message, field) in [
            ("vera", "hi", "email"),
            ("vera@localhost", "hi", "email"),
            ("a b@example.org", "hi", "email"),
            ("vera@example.org", "  ", "message"),
        ] {
            let err = form(email, message).validate().unwrap_err();
            assert_eq!(err.field.as_deref(), Some(field), "{email} {message}");
        }
        let long = "x".repeat(MAX_OFFLINE_MESSAGE_CHARS + 1);
        assert!(form("v@example.org", &long).validate().is_err());
    }

    #[test]
    fn reasons_come_in_order() {
        assert_eq!(
            offline_reason(false, false, false),
            Some(OfflineReason::Off)
        );
        assert_eq!(
            offline_reason(true, false, true),
            Some(OfflineReason::OutsideHours)
        );
        assert_eq!(
            offline_reason(true, true, false),
            Some(OfflineReason::NobodyAvailable)
        );
        assert_eq!(offline_reason(true, true, true), None);
    }
}
