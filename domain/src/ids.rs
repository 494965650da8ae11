//! Typed identifiers, so a chat id can never be passed where an operator id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// One conversation between a visitor and operators.
    ChatId
);
uuid_id!(
    /// A console user: operator, supervisor or admin.
    OperatorId
);
uuid_id!(
    /// Someone on a customer's website, known by the token in their bubble.
    VisitorId
);
uuid_id!(
    /// A canned message.
    CannedId
);
uuid_id!(
    /// A ticket: something to follow up after the live moment (O23).
    TicketId
);
uuid_id!(
    /// A personal access token: how a script or an integration acts as its operator.
    AccessTokenId
);
uuid_id!(
    /// A URL told about chats by signed HTTP POSTs.
    WebhookId
);
uuid_id!(
    /// A proactive invitation an operator sent a visitor on the site (O25).
    InvitationId
);
uuid_id!(
    /// A channel (department): a queue of chats and the operators who serve it.
    ChannelId
);

/// Position of an event in the global event log. Strictly increasing in commit order, so it
/// doubles as the SSE `id` a reconnecting client resumes from.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct EventId(pub i64);

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for EventId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse().map(Self)
    }
}
