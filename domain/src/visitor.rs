//! Visitors on the site (O25, V6): who is browsing now and what operators see of each, and
//! the proactive invitations an operator sends them, with the rules of their life.
//!
//! Every page with the bubble's snippet holds one live channel to the server; a visitor counts
//! as on the site while one of their pages does, and for [`VISITOR_GONE_MS`] after the last one
//! closed (a reload or a move to another page is back well within that).

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode};
use crate::ids::{ChannelId, ChatId, InvitationId, OperatorId, VisitorId};
use crate::time::Timestamp;

/// A visitor with no open page for this long has left the site (milliseconds); the server's
/// `--visitor-gone-seconds` overrides it.
pub const VISITOR_GONE_MS: i64 = 60_000;
/// How often a node marks the visitors whose pages it holds as still there (milliseconds).
pub const VISITOR_KEEP_MS: i64 = 15_000;
/// An invitation not answered within this expires (milliseconds).
pub const INVITATION_TTL_MS: i64 = 5 * 60_000;
/// Longest invitation text, in bytes.
pub const MAX_INVITATION_BYTES: usize = 2_000;
/// Visitors per page of the console's list.
pub const VISITORS_PAGE: u32 = 50;
/// Most pages kept in a visitor's trail.
pub const MAX_TRAIL: u32 = 100;
/// Longest search text of the visitor list, in bytes.
pub const MAX_VISITOR_QUERY: usize = 200;

/// A short id that tells anonymous visitors apart: the random end of their id.
pub fn short_id(id: VisitorId) -> String {
    let simple = id.0.simple().to_string();
    simple[simple.len() - 6..].to_owned()
}

/// What the list calls a visitor: their name, else "Visitor" and their short id.
pub fn label(name: Option<&str>, id: VisitorId) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => name.to_owned(),
        None => format!("Visitor {}", short_id(id)),
    }
}

/// One visitor on the site, as a badge of the console's list shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveVisitor {
    /// The visitor.
    pub id: VisitorId,
    /// Their name, or "Visitor" and a short id.
    pub label: String,
    /// Email, if known.
    pub email: Option<String>,
    /// The page they are on.
    pub page_url: Option<String>,
    /// Its title.
    pub page_title: Option<String>,
    /// Pages viewed in this visit.
    pub pages_viewed: u32,
    /// When this visit began.
    pub visit_started_at: Timestamp,
    /// The last sign of them.
    pub last_seen: Timestamp,
    /// Where they came from.
    pub referrer: Option<String>,
    /// Browser language.
    pub language: Option<String>,
    /// "Browser version on System".
    pub browser: String,
    /// The channel the site's snippet names, if any.
    pub channel: Option<ChannelId>,
    /// Its name.
    pub channel_name: Option<String>,
    /// Their open chat, if they are in one.
    pub chat_id: Option<ChatId>,
    /// Their latest invitation's state, while it matters (sent, seen, or answered lately).
    pub invitation: Option<InvitationStatus>,
}

/// Which visitors the list shows: those on the site whose name, email, page or referrer
/// contains the text, a page at a time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorFilter {
    /// Search text; empty: everyone.
    #[serde(default)]
    pub text: String,
    /// Rows to skip (a multiple of [`VISITORS_PAGE`]).
    #[serde(default)]
    pub offset: u32,
}

impl VisitorFilter {
    /// The filter as the store reads it: trimmed text, bounded.
    pub fn parse(self) -> Result<Self, Error> {
        let text = self.text.trim().to_owned();
        if text.len() > MAX_VISITOR_QUERY {
            return Err(Error::invalid(
                "text",
                format!("Search for at most {MAX_VISITOR_QUERY} bytes."),
            ));
        }
        Ok(Self {
            text,
            offset: self.offset,
        })
    }

    /// The text as a lower-case `LIKE` pattern (`\` escapes), or `None` for everyone.
    pub fn pattern(&self) -> Option<String> {
        crate::history::like_pattern(&self.text)
    }
}

/// A page of the live list, with how many visitors match in all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorList {
    /// Matching visitors on the site.
    pub total: u64,
    /// This page of them, most recently active first.
    pub visitors: Vec<LiveVisitor>,
}

/// One page a visitor opened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageVisit {
    /// The page's address.
    pub url: String,
    /// Its title.
    pub title: Option<String>,
    /// When.
    pub at: Timestamp,
}

/// One of a visitor's earlier chats, listed in their profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastChat {
    /// The chat.
    pub id: ChatId,
    /// When it began.
    pub started_at: Timestamp,
    /// Whether it is still open.
    pub open: bool,
}

/// The invitations' states as the operator follows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    /// Sent; the visitor's page has not shown it yet.
    Sent,
    /// Shown on the visitor's page.
    Seen,
    /// The visitor clicked Start Chat and opened the chat.
    Accepted,
    /// The visitor closed it.
    Declined,
    /// Not answered in time, or the visitor left.
    Expired,
}

impl InvitationStatus {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Seen => "seen",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Expired => "expired",
        }
    }

    /// Reads [`Self::as_str`] back.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Sent,
            Self::Seen,
            Self::Accepted,
            Self::Declined,
            Self::Expired,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Whether the visitor may still answer it.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Sent | Self::Seen)
    }

    /// What the console says of it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Sent => "Invitation sent",
            Self::Seen => "Invitation seen",
            Self::Accepted => "Invitation accepted",
            Self::Declined => "Invitation declined",
            Self::Expired => "Invitation expired",
        }
    }

    /// The state after the visitor's answer, or why it cannot be given: only an open
    /// invitation is answered, and "seen" never goes back over a later answer.
    pub fn answer(self, to: Self) -> Result<Self, Error> {
        let allowed = match to {
            Self::Seen => self.is_open(),
            Self::Accepted | Self::Declined => self.is_open(),
            Self::Sent | Self::Expired => false,
        };
        if allowed {
            Ok(to)
        } else {
            Err(Error::new(
                ErrorCode::InvitationClosed,
                "This invitation was answered already, or it expired.",
            ))
        }
    }
}

/// An invitation as stored: its state is read through [`Invitation::status_at`], which
/// counts one left open past its time as expired.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invitation {
    /// Id.
    pub id: InvitationId,
    /// Whom it invites.
    pub visitor_id: VisitorId,
    /// Who sent it.
    pub operator_id: OperatorId,
    /// The name it is signed with.
    pub operator_name: String,
    /// Its text.
    pub message: String,
    /// The state last recorded.
    pub status: InvitationStatus,
    /// When it was sent.
    pub sent_at: Timestamp,
    /// When it expires unanswered.
    pub expires_at: Timestamp,
    /// The chat it opened, once accepted.
    pub chat_id: Option<ChatId>,
}

impl Invitation {
    /// Its state at `now`.
    pub fn status_at(&self, now: Timestamp) -> InvitationStatus {
        if self.status.is_open() && now >= self.expires_at {
            InvitationStatus::Expired
        } else {
            self.status
        }
    }
}

/// What an operator sends: whom, with which text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteVisitor {
    /// The visitor on the site.
    pub visitor_id: VisitorId,
    /// The text, as the operator left it.
    pub message: String,
}

/// An invitation's text as sent: trimmed, not empty, bounded.
pub fn parse_invitation_text(text: &str) -> Result<String, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::new(
            ErrorCode::EmptyMessage,
            "Write the invitation first.",
        ));
    }
    if text.len() > MAX_INVITATION_BYTES {
        return Err(Error::new(
            ErrorCode::MessageTooLong,
            format!("An invitation holds at most {MAX_INVITATION_BYTES} bytes."),
        ));
    }
    Ok(text.to_owned())
}

/// The visitor's answer to "Open chat with operator".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AcceptInvitation {
    /// The chat name they give (optional).
    #[serde(default)]
    pub name: Option<String>,
    /// Their email (optional, V3).
    #[serde(default)]
    pub email: Option<String>,
    /// They chose a voice chat (V7): the chat opens with a request that the operator call them.
    #[serde(default)]
    pub voice: bool,
}

/// A visitor's profile in the console: what the badge shows, their trail and earlier chats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorProfile {
    /// As on the list (the visitor may have left meanwhile).
    pub visitor: LiveVisitor,
    /// Whether they are on the site now.
    pub online: bool,
    /// Everything kept about them, for the visitor tree.
    pub info: crate::console::VisitorInfo,
    /// Pages opened, newest first.
    pub trail: Vec<PageVisit>,
    /// Their chats, newest first.
    pub chats: Vec<PastChat>,
    /// Their latest invitation.
    pub invitation: Option<Invitation>,
    /// The invitation text this operator starts from, `%name%` filled in.
    pub default_invitation: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn anonymous_visitors_get_a_short_id() {
        let id = VisitorId(Uuid::from_u128(0xabc_def123));
        assert_eq!(label(None, id), "Visitor def123");
        assert_eq!(label(Some("  "), id), "Visitor def123");
        assert_eq!(label(Some("Vera"), id), "Vera");
    }

    #[test]
    fn only_open_invitations_are_answered() {
        use InvitationStatus::*;
        assert_eq!(Sent.answer(Seen).ok(), Some(Seen));
        assert_eq!(Seen.answer(Seen).ok(), Some(Seen));
        assert_eq!(Seen.answer(Accepted).ok(), Some(Accepted));
        assert_eq!(Sent.answer(Declined).ok(), Some(Declined));
        for closed in [Accepted, Declined, Expired] {
            for to in [Seen, Accepted, Declined] {
                let err = closed.answer(to).err().map(|e| e.code);
                assert_eq!(
                    err,
                    Some(ErrorCode::InvitationClosed),
                    "{closed:?} -> {to:?}"
                );
            }
        }
        assert!(Sent.answer(Expired).is_err());
        assert_eq!(InvitationStatus::parse("seen"), Some(Seen));
        assert_eq!(InvitationStatus::parse("nope"), None);
    }

    #[test]
    fn an_unanswered_invitation_expires() {
        let invitation = Invitation {
            id: InvitationId(Uuid::nil()),
            visitor_id: VisitorId(Uuid::nil()),
            operator_id: OperatorId(Uuid::nil()),
            operator_name: "Olga".into(),
            message: "Hi".into(),
            status: InvitationStatus::Seen,
            sent_at: Timestamp(0),
            expires_at: Timestamp(100),
            chat_id: None,
        };
        assert_eq!(invitation.status_at(Timestamp(99)), InvitationStatus::Seen);
        assert_eq!(
            invitation.status_at(Timestamp(100)),
            InvitationStatus::Expired
        );
        let accepted = Invitation {
            status: InvitationStatus::Accepted,
            ..invitation
        };
        assert_eq!(
            accepted.status_at(Timestamp(500)),
            InvitationStatus::Accepted
        );
    }

    #[test]
    fn invitation_text_is_checked() {
        assert_eq!(
            parse_invitation_text("   ").err().map(|e| e.code),
            Some(ErrorCode::EmptyMessage)
        );
        let long = "x".repeat(MAX_INVITATION_BYTES + 1);
        assert_eq!(
            parse_invitation_text(&long).err().map(|e| e.code),
            Some(ErrorCode::MessageTooLong)
        );
    }
}
