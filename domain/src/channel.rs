//! Channels (departments): each is a queue of chats and the set of operators who serve it.
//! Admins keep them; operators join and leave them; the bubble may be bound to one or let the
//! visitor pick; the dashboard can show only the chats of my channels.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::ids::{ChannelId, OperatorId};
use crate::reach::Interest;

/// Longest channel name, in characters.
pub const MAX_CHANNEL_NAME_CHARS: usize = 60;

/// A channel as admins keep it and the console shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    /// Id (also what the snippet's `data-channel` names).
    pub id: ChannelId,
    /// Shown to operators and, in the bubble's picker, to visitors.
    pub name: String,
    /// Archived channels take no new chats and are offered to nobody.
    pub archived: bool,
    /// The operators who serve it.
    pub operators: Vec<OperatorId>,
    /// Where it differs from the general settings.
    pub settings: ChannelSettings,
}

impl Channel {
    /// Whether the operator serves this channel.
    pub fn serves(&self, operator: OperatorId) -> bool {
        self.operators.contains(&operator)
    }
}

/// Whether a chat in `channel` is for `operator` to answer (R1, R2, V11): a channel's chats are
/// for those who serve it; a chat in no channel, or in a channel nobody serves, is everyone's,
/// so that it is not missed.
pub fn answered_by(channel: Option<&Channel>, operator: OperatorId) -> bool {
    channel.is_none_or(|c| c.operators.is_empty() || c.serves(operator))
}

/// A channel's own settings; `None` means "as in the general settings".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSettings {
    /// Whether visitors must give their name to start a chat in this channel.
    #[serde(default)]
    pub visitor_name_required: Option<bool>,
    /// The invitation text operators of this channel start from.
    #[serde(default)]
    pub invitation_text: Option<String>,
    /// The name every operator of this channel signs invitations with (`%name%`), e.g. "Acme
    /// Sales"; `None`: each operator's own.
    #[serde(default)]
    pub invitation_name: Option<String>,
    /// How new chats find an operator; `None`: as in the general settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<crate::routing::RoutingMode>,
    /// When the channel takes live chats; `None`: always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<crate::hours::BusinessHours>,
}

impl ChannelSettings {
    /// Validates a channel's own settings as the form gives them: a blank invitation text
    /// means the general one, a blank invitation name each operator's.
    pub fn parse(
        visitor_name_required: Option<bool>,
        invitation_text: &str,
        invitation_name: &str,
    ) -> Result<Self, Error> {
        let text = invitation_text.trim();
        let invitation_text = if text.is_empty() {
            None
        } else {
            Some(crate::settings::parse_invitation_text(text)?)
        };
        let invitation_name = match invitation_name.trim() {
            "" => None,
            name if name.chars().count() > crate::chat::MAX_NAME_CHARS
                || name.chars().any(crate::chat::unfit_for_names) =>
            {
                return Err(Error::invalid(
                    "invitation_name",
                    format!(
                        "The name in invitations is limited to {} printable characters.",
                        crate::chat::MAX_NAME_CHARS
                    ),
                ));
            }
            name => Some(name.to_owned()),
        };
        Ok(Self {
            visitor_name_required,
            invitation_text,
            invitation_name,
            routing: None,
            hours: None,
        })
    }
}

/// What an admin submits to create (no `id`) or change a channel. The name and the texts are
/// checked when it is saved; the channel's operators are set apart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelForm {
    /// The channel to change; `None` creates one.
    #[serde(default)]
    pub id: Option<ChannelId>,
    /// Its name, as typed.
    pub name: String,
    /// Whether it is archived (ignored when creating: new channels are open).
    #[serde(default)]
    pub archived: bool,
    /// Whether visitors must give their name to start a chat in it; `None`: as in the general
    /// settings.
    #[serde(default)]
    pub name_required: Option<bool>,
    /// The invitation its operators start from, as typed; blank: the general one.
    #[serde(default)]
    pub invitation_text: String,
    /// The name its operators sign invitations with, as typed; blank: each their own.
    #[serde(default)]
    pub invitation_name: String,
    /// How its new chats find an operator; `None`: as in the general settings.
    #[serde(default)]
    pub routing: Option<crate::routing::RoutingMode>,
    /// The IANA time zone of its business hours, as typed; `None` keeps what is saved.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Its business hours as typed, e.g. `Mon-Fri 09:00-17:00`, blank: always open; `None`
    /// keeps what is saved.
    #[serde(default)]
    pub business_hours: Option<String>,
}

/// Validates a channel name: not blank, at most [`MAX_CHANNEL_NAME_CHARS`] printable
/// characters. Whether it is unique is the store's answer.
pub fn parse_name(name: &str) -> Result<String, Error> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "Give the channel a name."));
    }
    if name.chars().count() > MAX_CHANNEL_NAME_CHARS
        || name.chars().any(crate::chat::unfit_for_names)
    {
        return Err(Error::invalid(
            "name",
            format!("Channel names are limited to {MAX_CHANNEL_NAME_CHARS} printable characters."),
        ));
    }
    Ok(name.to_owned())
}

/// Which chats the dashboard lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelFilter {
    /// Every channel's chats.
    #[default]
    All,
    /// Chats of the channels I serve, and chats in no channel (everyone's).
    Mine,
}

impl ChannelFilter {
    /// The filter as sent and remembered.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Mine => "mine",
        }
    }

    /// Parses a remembered filter.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::All, Self::Mine]
            .into_iter()
            .find(|f| f.as_str() == s)
    }

    /// What a console with this filter streams, for an operator who serves `mine`.
    pub fn interest(self, mine: Vec<ChannelId>) -> Interest {
        match self {
            Self::All => Interest::All,
            Self::Mine => Interest::Channels(mine),
        }
    }
}

/// The channels `operator` serves, archived ones left out.
pub fn channels_of(channels: &[Channel], operator: OperatorId) -> Vec<ChannelId> {
    channels
        .iter()
        .filter(|c| !c.archived && c.serves(operator))
        .map(|c| c.id)
        .collect()
}

/// A channel's name, for showing a chat's channel.
pub fn name_of(channels: &[Channel], id: ChannelId) -> Option<&str> {
    channels
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn channel(n: u128, archived: bool, operators: &[u128]) -> Channel {
        Channel {
            id: ChannelId(Uuid::from_u128(n)),
            name: format!("C{n}"),
            archived,
            operators: operators
                .iter()
                .map(|o| OperatorId(Uuid::from_u128(*o)))
                .collect(),
            settings: ChannelSettings::default(),
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  Sales ").ok().as_deref(), Some("Sales"));
        for bad in ["", "   ", "a\u{7}b", &"x".repeat(61)] {
            let err = parse_name(bad).err().unwrap_or_else(|| panic!("{bad:?}"));
            assert_eq!(err.field.as_deref(), Some("name"));
        }
        assert!(parse_name(&"é".repeat(60)).is_ok());
    }

    #[test]
    fn my_channels_filter_keeps_mine_and_unassigned_chats() {
        let me = OperatorId(Uuid::from_u128(7));
        let channels = [
            channel(1, false, &[7, 8]),
            channel(2, false, &[8]),
            channel(3, true, &[7]),
        ];
        let mine = channels_of(&channels, me);
        assert_eq!(mine, vec![ChannelId(Uuid::from_u128(1))]);
        let sales = Some(ChannelId(Uuid::from_u128(1)));
        let support = Some(ChannelId(Uuid::from_u128(2)));
        let my_channels = ChannelFilter::Mine.interest(mine.clone());
        assert!(my_channels.admits(sales));
        assert!(!my_channels.admits(support));
        assert!(my_channels.admits(None));
        assert!(ChannelFilter::All.interest(mine).admits(support));
        assert_eq!(ChannelFilter::parse("mine"), Some(ChannelFilter::Mine));
        assert_eq!(ChannelFilter::parse("other"), None);
    }

    #[test]
    fn channel_settings_inherit_unless_set() {
        let inherit = ChannelSettings::parse(None, "  ", " ").unwrap_or_default();
        assert_eq!(inherit, ChannelSettings::default());
        let own = ChannelSettings::parse(Some(false), "Hi, %name% from sales", " Acme Sales ")
            .unwrap_or_default();
        assert_eq!(own.visitor_name_required, Some(false));
        assert_eq!(
            own.invitation_text.as_deref(),
            Some("Hi, %name% from sales")
        );
        assert_eq!(own.invitation_name.as_deref(), Some("Acme Sales"));
        let err = ChannelSettings::parse(Some(true), "", &"n".repeat(81)).err();
        assert_eq!(
            err.and_then(|e| e.field).as_deref(),
            Some("invitation_name")
        );
    }

    #[test]
    fn a_channel_form_reads_with_only_its_name() {
        let form: ChannelForm = serde_json::from_str(r#"{"name": "Sales"}"#).unwrap_or_default();
        assert_eq!(form.name, "Sales");
        assert_eq!((form.name_required, form.routing), (None, None));
        assert_eq!((form.time_zone, form.business_hours), (None, None));
        let form: Result<ChannelForm, _> =
            serde_json::from_str(r#"{"name": "Sales", "name_required": "maybe"}"#);
        assert!(form.is_err(), "a choice that is not a bool is refused");
    }
}
