//! The one error type that crosses the wire: a stable snake_case code, the HTTP status it maps
//! to, and a message that is safe to show. Internal causes are logged at the boundary, never sent.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Stable, documented error codes. Clients match on these, never on messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body or a parameter could not be read.
    BadRequest,
    /// The body is larger than the endpoint accepts.
    PayloadTooLarge,
    /// A message with no text.
    EmptyMessage,
    /// A message over [`crate::chat::MAX_MESSAGE_BYTES`].
    MessageTooLong,
    /// A name, email or other field failed validation.
    InvalidField,
    /// The visitor's name is required to start a chat.
    NameRequired,
    /// No chat with that id is visible to the caller.
    ChatNotFound,
    /// Nothing is at that address.
    NotFound,
    /// The address exists but not with that method (e.g. a POST to a GET-only call).
    MethodNotAllowed,
    /// Accept on a chat another operator already took (or that is no longer waiting).
    ChatNotWaiting,
    /// The chat is closed (or the caller's part in it has ended).
    ChatClosed,
    /// The caller is not a member of the chat.
    NotAParticipant,
    /// The visitor already has an open chat.
    ChatAlreadyOpen,
    /// Observers and watchers read; only participants post, kick, invite and the like.
    ReadOnly,
    /// The operator is already in the chat.
    AlreadyInChat,
    /// The invitation or transfer was answered, withdrawn, or never made.
    NoPendingOffer,
    /// The target has an unanswered invitation or transfer for this chat.
    OfferPending,
    /// The chat is not in a status that allows this (e.g. join a waiting chat).
    ChatNotActive,
    /// The chosen operator is not online (or does not exist).
    OperatorUnavailable,
    /// The operator already takes part in as many chats as the settings allow.
    TooManyChats,
    /// No open channel with that id.
    UnknownChannel,
    /// No valid session or visitor token.
    Unauthorized,
    /// Authenticated, but not allowed to do this.
    Forbidden,
    /// The operator still has the default password and must change it first.
    PasswordChangeRequired,
    /// Email or password wrong (deliberately not saying which).
    InvalidCredentials,
    /// The new password does not meet the policy.
    WeakPassword,
    /// Too many attempts; try again later (`retry_after` says when).
    RateLimited,
    /// A visitor removed from a chat by an operator cannot start another until the ban
    /// period ends (`retry_after` says when) or an admin lifts it.
    Banned,
    /// The request named a host this server does not answer for (`Host` header): the
    /// server's public address, or a loopback or IP address, only.
    UnknownHost,
    /// The default password was not changed in time; an admin must reset it.
    DefaultPasswordExpired,
    /// Live chat is not offered right now (switched off, outside business hours, or nobody
    /// available): leave a message instead.
    Offline,
    /// The request's origin is not allowed to call this endpoint.
    OriginNotAllowed,
    /// Something failed on the server; the cause is in the server log.
    Internal,
    /// The database cannot be reached right now; nothing was written. Retry shortly.
    Unavailable,
    /// A stream was asked to resume after an event the log does not hold (the server's data
    /// was restored or replaced): the client must load its state afresh.
    ReloadRequired,
    /// The visitor has rated this chat already.
    AlreadyRated,
    /// This server sends no email: its SMTP server is not configured.
    MailNotConfigured,
    /// The ticket is closed: reopen it first.
    TicketClosed,
    /// The ticket changed as asked already, or the chat is in it already.
    TicketConflict,
    /// No such visitor, or they are no longer on the site.
    VisitorGone,
    /// The invitation was answered already, or it expired.
    InvitationClosed,
    /// A voice call is under way in the chat already.
    CallInProgress,
    /// There is no voice call in the chat (or not one of yours).
    NoCall,
}

impl ErrorCode {
    /// The HTTP status this code is answered with.
    pub fn http_status(self) -> u16 {
        match self {
            Self::BadRequest
            | Self::EmptyMessage
            | Self::MessageTooLong
            | Self::InvalidField
            | Self::NameRequired
            | Self::UnknownChannel
            | Self::WeakPassword
            | Self::ReloadRequired => 400,
            Self::UnknownHost => 421,
            Self::PayloadTooLarge => 413,
            Self::Unauthorized | Self::InvalidCredentials | Self::DefaultPasswordExpired => 401,
            Self::Forbidden
            | Self::NotAParticipant
            | Self::OriginNotAllowed
            | Self::ReadOnly
            | Self::Banned => 403,
            Self::PasswordChangeRequired => 403,
            Self::ChatNotFound | Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::ChatNotWaiting
            | Self::ChatClosed
            | Self::ChatAlreadyOpen
            | Self::AlreadyInChat
            | Self::NoPendingOffer
            | Self::OfferPending
            | Self::ChatNotActive
            | Self::OperatorUnavailable
            | Self::TooManyChats
            | Self::Offline
            | Self::AlreadyRated
            | Self::MailNotConfigured
            | Self::TicketClosed
            | Self::TicketConflict
            | Self::VisitorGone
            | Self::InvitationClosed
            | Self::CallInProgress
            | Self::NoCall => 409,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::Unavailable => 503,
        }
    }

    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::PayloadTooLarge => "payload_too_large",
            Self::EmptyMessage => "empty_message",
            Self::MessageTooLong => "message_too_long",
            Self::InvalidField => "invalid_field",
            Self::NameRequired => "name_required",
            Self::ChatNotFound => "chat_not_found",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::ChatNotWaiting => "chat_not_waiting",
            Self::ChatClosed => "chat_closed",
            Self::NotAParticipant => "not_a_participant",
            Self::ChatAlreadyOpen => "chat_already_open",
            Self::ReadOnly => "read_only",
            Self::AlreadyInChat => "already_in_chat",
            Self::NoPendingOffer => "no_pending_offer",
            Self::OfferPending => "offer_pending",
            Self::ChatNotActive => "chat_not_active",
            Self::OperatorUnavailable => "operator_unavailable",
            Self::TooManyChats => "too_many_chats",
            Self::UnknownChannel => "unknown_channel",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::PasswordChangeRequired => "password_change_required",
            Self::InvalidCredentials => "invalid_credentials",
            Self::WeakPassword => "weak_password",
            Self::RateLimited => "rate_limited",
            Self::Banned => "banned",
            Self::UnknownHost => "unknown_host",
            Self::DefaultPasswordExpired => "default_password_expired",
            Self::Offline => "offline",
            Self::OriginNotAllowed => "origin_not_allowed",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
            Self::ReloadRequired => "reload_required",
            Self::AlreadyRated => "already_rated",
            Self::MailNotConfigured => "mail_not_configured",
            Self::TicketClosed => "ticket_closed",
            Self::TicketConflict => "ticket_conflict",
            Self::VisitorGone => "visitor_gone",
            Self::InvitationClosed => "invitation_closed",
            Self::CallInProgress => "call_in_progress",
            Self::NoCall => "no_call",
        }
    }
}

/// An error safe to send to any client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Error {
    /// Machine-readable code.
    pub code: ErrorCode,
    /// Human-readable explanation, safe to show.
    pub message: String,
    /// The form field at fault, when a single field failed validation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `rate_limited` and `banned`: seconds until trying again can succeed (also sent as
    /// the `Retry-After` header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl Error {
    /// An error with the given code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// A `rate_limited` error: try again in `seconds` (at least one).
    pub fn rate_limited(seconds: u64, message: impl Into<String>) -> Self {
        Self {
            retry_after: Some(seconds.max(1)),
            ..Self::new(ErrorCode::RateLimited, message)
        }
    }

    /// An `invalid_field` error about one named form field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_owned()),
            ..Self::new(ErrorCode::InvalidField, message)
        }
    }

    /// The generic internal error; the cause must already have been logged.
    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal, "Something went wrong on the server.")
    }

    /// The database is out of reach; the cause must already have been logged.
    pub fn unavailable() -> Self {
        Self::new(
            ErrorCode::Unavailable,
            "The service is briefly unavailable; please try again.",
        )
    }

    /// No valid credentials.
    pub fn unauthorized() -> Self {
        Self::new(ErrorCode::Unauthorized, "Please log in.")
    }
}

/// The JSON body of every error response: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// The error.
    pub error: Error,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_codes_match_serde_names() {
        for code in [
            ErrorCode::BadRequest,
            ErrorCode::ChatNotWaiting,
            ErrorCode::PasswordChangeRequired,
            ErrorCode::Internal,
            ErrorCode::Unavailable,
            ErrorCode::NotFound,
            ErrorCode::MethodNotAllowed,
            ErrorCode::ReloadRequired,
            ErrorCode::Banned,
            ErrorCode::UnknownHost,
            ErrorCode::DefaultPasswordExpired,
            ErrorCode::AlreadyRated,
            ErrorCode::MailNotConfigured,
            ErrorCode::TicketClosed,
            ErrorCode::TicketConflict,
            ErrorCode::VisitorGone,
            ErrorCode::InvitationClosed,
            ErrorCode::CallInProgress,
            ErrorCode::NoCall,
        ] {
            let json = serde_json::to_string(&code).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn client_errors_are_4xx_and_internal_is_500() {
        assert_eq!(ErrorCode::ChatNotWaiting.http_status(), 409);
        assert_eq!(ErrorCode::Unauthorized.http_status(), 401);
        assert_eq!(ErrorCode::Internal.http_status(), 500);
        assert_eq!(ErrorCode::Unavailable.http_status(), 503);
        assert_eq!(ErrorCode::NotFound.http_status(), 404);
        assert_eq!(ErrorCode::MethodNotAllowed.http_status(), 405);
        assert_eq!(ErrorCode::ReloadRequired.http_status(), 400);
    }
}
