//! The general settings admins keep (A5), with the rules that read them: the invitation text,
//! presence thresholds, how many chats an operator may take at once and whether visitors must
//! give their name. A channel may override what makes sense per channel.

use serde::{Deserialize, Serialize};

use crate::canned::{Variables, expand};
use crate::channel::ChannelSettings;
use crate::error::{Error, ErrorCode};

/// The invitation operators start from, as the product has always shipped it.
pub const DEFAULT_INVITATION: &str = "Hello! I'm %name%. If you have any questions or requests I'm ready to help you. Just click \"Start Chat\" button to start a conversation.";
/// Longest invitation text, in characters.
pub const MAX_INVITATION_CHARS: usize = 1000;
/// Bounds of the away threshold, in minutes.
pub const AWAY_MINUTES: (u32, u32) = (1, 240);
/// Bounds of the inactivity timeout, in minutes.
pub const INACTIVITY_MINUTES: (u32, u32) = (2, 1440);
/// Largest per-operator chat limit (0 means no limit).
pub const MAX_CHATS_LIMIT: u32 = 100;
/// Bounds of the ban after a kick, in minutes (0: no ban; at most 30 days).
pub const KICK_BAN_MINUTES: (u32, u32) = (0, 43_200);
/// Bounds of T1, when a waiting chat alerts again, in seconds.
pub const ESCALATE_SECONDS: (u32, u32) = (10, 3_600);
/// Bounds of T2, when a waiting chat reaches supervisors, in seconds.
pub const SUPERVISORS_SECONDS: (u32, u32) = (20, 86_400);
/// Bounds of the acknowledge time of an automatic assignment, in seconds.
pub const ASSIGN_ACK_SECONDS: (u32, u32) = (5, 600);
/// Bounds of how long the default password of a new or reset account works, in days.
pub const DEFAULT_PASSWORD_DAYS: (u32, u32) = (1, 90);
/// Bounds of how long closed chats are kept (days); 0 keeps them for ever.
pub const RETENTION_DAYS: (u32, u32) = (0, 36_500);

/// How present an online operator is, from how long ago they last did something (O16, O17).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Did something within the away threshold.
    Active,
    /// Online, but idle for longer than the away threshold.
    Away,
    /// Idle for longer than the inactivity timeout: counts as gone, offered nothing.
    Gone,
}

/// The general settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The default invitation; `%name%` is the operator's invitation name.
    pub invitation_text: String,
    /// An operator who sent nothing to the server for this long shows as away.
    pub away_after_minutes: u32,
    /// An operator inactive this long counts as gone: no chats are offered to them.
    pub inactivity_timeout_minutes: u32,
    /// How many open chats an operator may take part in at once; 0 means no limit.
    pub max_chats_per_operator: u32,
    /// Whether visitors must give their name to start a chat.
    pub visitor_name_required: bool,
    /// A kicked visitor cannot start another chat for this long (0: no ban).
    #[serde(default = "default_kick_ban")]
    pub kick_ban_minutes: u32,
    /// The default password of a new (or reset) account stops working this long after it
    /// was given.
    #[serde(default = "default_password_days")]
    pub default_password_days: u32,
    /// T1: a chat waiting this long alerts its operators again (seconds).
    #[serde(default = "default_escalate")]
    pub escalate_after_seconds: u32,
    /// T2: a chat waiting this long alerts supervisors and admins too (seconds).
    #[serde(default = "default_supervisors")]
    pub supervisors_after_seconds: u32,
    /// How new chats find an operator, unless their channel says otherwise (R2).
    #[serde(default)]
    pub routing: crate::routing::RoutingMode,
    /// An automatic assignment not accepted within this passes to the next candidate
    /// (seconds).
    #[serde(default = "default_assign_ack")]
    pub assign_ack_seconds: u32,
    /// Live support is on: when off, the bubble only takes messages (A1).
    #[serde(default = "yes")]
    pub live_support: bool,
    /// Closed chats are deleted, with their events, transcripts and ratings, this many days
    /// after they closed (P6); 0 keeps them for ever.
    #[serde(default)]
    pub retention_days: u32,
    /// STUN and TURN servers voice calls use to connect (V7); none: only direct (host)
    /// candidates, enough on a LAN.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ice_servers: Vec<crate::call::IceServer>,
}

fn default_assign_ack() -> u32 {
    30
}

fn yes() -> bool {
    true
}

fn default_escalate() -> u32 {
    60
}

fn default_supervisors() -> u32 {
    180
}

fn default_kick_ban() -> u32 {
    60
}

fn default_password_days() -> u32 {
    7
}

/// The settings form as an admin submits it: the texts and numbers as typed, checked by
/// [`Settings::parse`], which names the first field at fault.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsForm {
    /// The invitation text.
    pub invitation_text: String,
    /// Minutes.
    pub away_after_minutes: String,
    /// Minutes.
    pub inactivity_timeout_minutes: String,
    /// A count, blank or 0 for no limit.
    pub max_chats_per_operator: String,
    /// Whether visitors must give their name to start a chat.
    #[serde(default)]
    pub visitor_name_required: bool,
    /// Minutes, 0 for no ban.
    pub kick_ban_minutes: String,
    /// Days.
    pub default_password_days: String,
    /// Seconds (T1).
    #[serde(default)]
    pub escalate_after_seconds: String,
    /// Seconds (T2).
    #[serde(default)]
    pub supervisors_after_seconds: String,
    /// How new chats find an operator, unless their channel says otherwise.
    #[serde(default)]
    pub routing: crate::routing::RoutingMode,
    /// Seconds.
    #[serde(default)]
    pub assign_ack_seconds: String,
    /// Live support on: when off, the bubble only takes messages.
    #[serde(default = "yes")]
    pub live_support: bool,
    /// Days, blank or 0 to keep closed chats for ever.
    #[serde(default)]
    pub retention_days: String,
    /// One server per line: `stun:host:port`, or `turn:host:port username credential`.
    #[serde(default)]
    pub ice_servers: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            invitation_text: DEFAULT_INVITATION.to_owned(),
            away_after_minutes: 5,
            inactivity_timeout_minutes: 30,
            max_chats_per_operator: 0,
            visitor_name_required: true,
            kick_ban_minutes: default_kick_ban(),
            default_password_days: default_password_days(),
            escalate_after_seconds: default_escalate(),
            supervisors_after_seconds: default_supervisors(),
            routing: crate::routing::RoutingMode::Manual,
            assign_ack_seconds: default_assign_ack(),
            live_support: true,
            retention_days: 0,
            ice_servers: Vec::new(),
        }
    }
}

/// Validates an invitation text: not blank, at most [`MAX_INVITATION_CHARS`].
pub fn parse_invitation_text(text: &str) -> Result<String, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(
            "invitation_text",
            "Write the invitation visitors receive.",
        ));
    }
    if text.chars().count() > MAX_INVITATION_CHARS {
        return Err(Error::invalid(
            "invitation_text",
            format!("Invitations are limited to {MAX_INVITATION_CHARS} characters."),
        ));
    }
    Ok(text.to_owned())
}

fn minutes(field: &str, value: &str, bounds: (u32, u32), what: &str) -> Result<u32, Error> {
    whole(field, value, bounds, what, "minutes")
}

fn whole(
    field: &str,
    value: &str,
    (low, high): (u32, u32),
    what: &str,
    unit: &str,
) -> Result<u32, Error> {
    match value.trim().parse::<u32>() {
        Ok(n) if (low..=high).contains(&n) => Ok(n),
        _ => Err(Error::invalid(
            field,
            format!("{what} must be a whole number of {unit} from {low} to {high}."),
        )),
    }
}

impl Settings {
    /// Validates the settings form, naming the first field at fault.
    pub fn parse(form: &SettingsForm) -> Result<Self, Error> {
        let invitation_text = parse_invitation_text(&form.invitation_text)?;
        let away_after_minutes = &form.away_after_minutes;
        let inactivity_timeout_minutes = &form.inactivity_timeout_minutes;
        let max_chats_per_operator = &form.max_chats_per_operator;
        let away = minutes(
            "away_after_minutes",
            away_after_minutes,
            AWAY_MINUTES,
            "The away threshold",
        )?;
        let inactivity = minutes(
            "inactivity_timeout_minutes",
            inactivity_timeout_minutes,
            INACTIVITY_MINUTES,
            "The inactivity timeout",
        )?;
        if inactivity <= away {
            return Err(Error::invalid(
                "inactivity_timeout_minutes",
                "The inactivity timeout must be longer than the away threshold.",
            ));
        }
        let max_chats = match max_chats_per_operator.trim() {
            "" => 0,
            text => match text.parse::<u32>() {
                Ok(n) if n <= MAX_CHATS_LIMIT => n,
                _ => {
                    return Err(Error::invalid(
                        "max_chats_per_operator",
                        format!(
                            "Give a number of chats from 1 to {MAX_CHATS_LIMIT}, or 0 for no limit."
                        ),
                    ));
                }
            },
        };
        let kick_ban_minutes = minutes(
            "kick_ban_minutes",
            &form.kick_ban_minutes,
            KICK_BAN_MINUTES,
            "The ban after a kick",
        )?;
        let default_password_days = whole(
            "default_password_days",
            &form.default_password_days,
            DEFAULT_PASSWORD_DAYS,
            "The default password's lifetime",
            "days",
        )?;
        let escalate_after_seconds = whole(
            "escalate_after_seconds",
            &form.escalate_after_seconds,
            ESCALATE_SECONDS,
            "The second alert",
            "seconds",
        )?;
        let supervisors_after_seconds = whole(
            "supervisors_after_seconds",
            &form.supervisors_after_seconds,
            SUPERVISORS_SECONDS,
            "The supervisors' alert",
            "seconds",
        )?;
        if supervisors_after_seconds <= escalate_after_seconds {
            return Err(Error::invalid(
                "supervisors_after_seconds",
                "Supervisors are alerted after the second alert: choose a longer time.",
            ));
        }
        let assign_ack_seconds = whole(
            "assign_ack_seconds",
            &form.assign_ack_seconds,
            ASSIGN_ACK_SECONDS,
            "The time to accept an assigned chat",
            "seconds",
        )?;
        let retention_days = match form.retention_days.trim() {
            "" => 0,
            days => whole(
                "retention_days",
                days,
                RETENTION_DAYS,
                "How long closed chats are kept",
                "days (0: for ever)",
            )?,
        };
        let ice_servers = crate::call::IceServer::parse_lines(&form.ice_servers)?;
        Ok(Self {
            retention_days,
            ice_servers,
            routing: form.routing,
            assign_ack_seconds,
            live_support: form.live_support,
            escalate_after_seconds,
            supervisors_after_seconds,
            invitation_text,
            away_after_minutes: away,
            inactivity_timeout_minutes: inactivity,
            max_chats_per_operator: max_chats,
            visitor_name_required: form.visitor_name_required,
            kick_ban_minutes,
            default_password_days,
        })
    }

    /// The form showing these settings.
    pub fn form(&self) -> SettingsForm {
        SettingsForm {
            invitation_text: self.invitation_text.clone(),
            away_after_minutes: self.away_after_minutes.to_string(),
            inactivity_timeout_minutes: self.inactivity_timeout_minutes.to_string(),
            max_chats_per_operator: self.max_chats_per_operator.to_string(),
            visitor_name_required: self.visitor_name_required,
            kick_ban_minutes: self.kick_ban_minutes.to_string(),
            default_password_days: self.default_password_days.to_string(),
            escalate_after_seconds: self.escalate_after_seconds.to_string(),
            supervisors_after_seconds: self.supervisors_after_seconds.to_string(),
            routing: self.routing,
            assign_ack_seconds: self.assign_ack_seconds.to_string(),
            live_support: self.live_support,
            retention_days: self.retention_days.to_string(),
            ice_servers: crate::call::IceServer::to_lines(&self.ice_servers),
        }
    }

    /// How a channel with `channel` settings (or no channel) routes its new chats.
    pub fn routing_of(&self, channel: Option<&ChannelSettings>) -> crate::routing::RoutingMode {
        channel.and_then(|c| c.routing).unwrap_or(self.routing)
    }

    /// How long an assignee has to accept (milliseconds).
    pub fn assign_ack_ms(&self) -> i64 {
        i64::from(self.assign_ack_seconds) * 1000
    }

    /// When waiting chats alert again, for the console.
    pub fn escalation(&self) -> crate::console::Escalation {
        crate::console::Escalation {
            after_ms: i64::from(self.escalate_after_seconds) * 1000,
            supervisors_after_ms: i64::from(self.supervisors_after_seconds) * 1000,
            routing: self.routing,
        }
    }

    /// How long a kick bars the visitor from starting another chat (milliseconds).
    pub fn kick_ban_ms(&self) -> i64 {
        i64::from(self.kick_ban_minutes) * 60_000
    }

    /// How long the default password works after it was given (milliseconds).
    pub fn default_password_ms(&self) -> i64 {
        i64::from(self.default_password_days) * 24 * 60 * 60_000
    }

    /// Whether a visitor must give their name to start a chat in a channel with `channel`
    /// settings (or in no channel).
    pub fn name_required(&self, channel: Option<&ChannelSettings>) -> bool {
        channel
            .and_then(|c| c.visitor_name_required)
            .unwrap_or(self.visitor_name_required)
    }

    /// The invitation an operator starts from: the channel's own text or the general one, with
    /// `%name%` (the channel's invitation name, else the operator's) and `%channel%` filled in.
    /// Other variables stay visible, so the operator sees them before sending.
    pub fn invitation(
        &self,
        channel: Option<(&str, &ChannelSettings)>,
        operator_name: &str,
    ) -> String {
        let text = channel
            .and_then(|(_, settings)| settings.invitation_text.as_deref())
            .unwrap_or(&self.invitation_text);
        let name = channel
            .and_then(|(_, settings)| settings.invitation_name.as_deref())
            .unwrap_or(operator_name);
        expand(
            text,
            &Variables {
                name: Some(name.to_owned()),
                visitor: None,
                channel: channel.map(|(name, _)| name.to_owned()),
            },
        )
    }

    /// An online operator's availability after `idle_ms` milliseconds without activity.
    pub fn availability(&self, idle_ms: i64) -> Availability {
        let minutes = |m: u32| i64::from(m) * 60_000;
        if idle_ms > minutes(self.inactivity_timeout_minutes) {
            Availability::Gone
        } else if idle_ms > minutes(self.away_after_minutes) {
            Availability::Away
        } else {
            Availability::Active
        }
    }

    /// Whether an operator already in `open_chats` open chats may take on another.
    pub fn admits_another_chat(&self, open_chats: usize) -> Result<(), Error> {
        let limit = self.max_chats_per_operator;
        if limit == 0 || open_chats < usize::try_from(limit).unwrap_or(usize::MAX) {
            return Ok(());
        }
        Err(self.chat_limit_reached())
    }

    /// The refusal of one chat more than the per-operator limit.
    pub fn chat_limit_reached(&self) -> Error {
        let limit = self.max_chats_per_operator;
        Error::new(
            ErrorCode::TooManyChats,
            format!(
                "You already take part in as many chats as allowed at once ({limit}). Finish one first."
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(
        invitation_text: &str,
        away: &str,
        inactivity: &str,
        max: &str,
        name_required: bool,
    ) -> Result<Settings, Error> {
        Settings::parse(&SettingsForm {
            invitation_text: invitation_text.into(),
            away_after_minutes: away.into(),
            inactivity_timeout_minutes: inactivity.into(),
            max_chats_per_operator: max.into(),
            visitor_name_required: name_required,
            kick_ban_minutes: "60".into(),
            default_password_days: "7".into(),
            escalate_after_seconds: "60".into(),
            supervisors_after_seconds: "180".into(),
            routing: crate::routing::RoutingMode::Manual,
            assign_ack_seconds: "30".into(),
            live_support: true,
            retention_days: String::new(),
            ice_servers: String::new(),
        })
    }

    #[test]
    fn retention_is_for_ever_unless_a_number_of_days_is_given() {
        let mut form = Settings::default().form();
        assert_eq!(Settings::default().retention_days, 0);
        for (given, days) in [("", 0), (" 0 ", 0), ("30", 30), ("36500", 36_500)] {
            form.retention_days = given.into();
            assert_eq!(Settings::parse(&form).map(|s| s.retention_days), Ok(days));
        }
        for bad in ["-1", "36501", "a year"] {
            form.retention_days = bad.into();
            assert_eq!(
                field(Settings::parse(&form)).as_deref(),
                Some("retention_days")
            );
        }
    }

    #[test]
    fn ban_and_default_password_lifetimes_are_bounded() {
        let mut form = Settings::default().form();
        assert_eq!(Settings::parse(&form), Ok(Settings::default()));
        form.kick_ban_minutes = "0".into();
        assert_eq!(Settings::parse(&form).map(|s| s.kick_ban_ms()), Ok(0));
        for bad in ["-1", "43201", "soon", ""] {
            form.kick_ban_minutes = bad.into();
            assert_eq!(
                field(Settings::parse(&form)).as_deref(),
                Some("kick_ban_minutes")
            );
        }
        form.kick_ban_minutes = "30".into();
        for bad in ["0", "91", "week"] {
            form.default_password_days = bad.into();
            assert_eq!(
                field(Settings::parse(&form)).as_deref(),
                Some("default_password_days")
            );
        }
        form.default_password_days = "1".into();
        assert_eq!(
            Settings::parse(&form).map(|s| s.default_password_ms()),
            Ok(86_400_000)
        );
        form.escalate_after_seconds = "120".into();
        form.supervisors_after_seconds = "120".into();
        assert_eq!(
            field(Settings::parse(&form)).as_deref(),
            Some("supervisors_after_seconds")
        );
        form.escalate_after_seconds = "5".into();
        assert_eq!(
            field(Settings::parse(&form)).as_deref(),
            Some("escalate_after_seconds")
        );
        // Settings saved before these existed read as the defaults.
        let old = r#"{"invitation_text":"Hi","away_after_minutes":5,"inactivity_timeout_minutes":30,"max_chats_per_operator":0,"visitor_name_required":true}"#;
        let read: Settings = serde_json::from_str(old).unwrap_or_default();
        assert_eq!((read.kick_ban_minutes, read.default_password_days), (60, 7));
        assert_eq!(read.escalation(), crate::console::Escalation::default());
    }

    fn field(result: Result<Settings, Error>) -> Option<String> {
        result.err().and_then(|e| e.field)
    }

    #[test]
    fn defaults_follow_the_product() {
        let settings = Settings::default();
        assert!(settings.invitation_text.starts_with("Hello! I'm %name%."));
        assert_eq!(settings.inactivity_timeout_minutes, 30);
        assert_eq!(settings.max_chats_per_operator, 0);
    }

    #[test]
    fn each_invalid_field_is_named() {
        let ok = parse("Hi, %name%", "5", "30", "4", false);
        assert_eq!(
            ok.ok()
                .map(|s| (s.away_after_minutes, s.max_chats_per_operator)),
            Some((5, 4))
        );
        assert_eq!(
            field(parse(" ", "5", "30", "0", true)).as_deref(),
            Some("invitation_text")
        );
        assert_eq!(
            field(parse(&"x".repeat(1001), "5", "30", "0", true)).as_deref(),
            Some("invitation_text")
        );
        for away in ["0", "241", "five", "-1", ""] {
            assert_eq!(
                field(parse("Hi", away, "300", "0", true)).as_deref(),
                Some("away_after_minutes"),
                "{away}"
            );
        }
        for inactivity in ["1", "1441", "5", "4", "x"] {
            assert_eq!(
                field(parse("Hi", "5", inactivity, "0", true)).as_deref(),
                Some("inactivity_timeout_minutes"),
                "{inactivity}"
            );
        }
        for max in ["101", "-1", "lots"] {
            assert_eq!(
                field(parse("Hi", "5", "30", max, true)).as_deref(),
                Some("max_chats_per_operator"),
                "{max}"
            );
        }
        assert_eq!(
            parse("Hi", "5", "30", "", true)
                .ok()
                .map(|s| s.max_chats_per_operator),
            Some(0)
        );
    }

    #[test]
    fn invitation_fills_name_and_channel_and_keeps_unknown_variables() {
        let settings = Settings::default();
        assert!(
            settings
                .invitation(None, "Ann")
                .starts_with("Hello! I'm Ann. If you have")
        );
        let sales = ChannelSettings {
            invitation_text: Some("%name% from %channel%, %visitor%? %x%".into()),
            ..ChannelSettings::default()
        };
        assert_eq!(
            settings.invitation(Some(("Sales", &sales)), "Ann"),
            "Ann from Sales, %visitor%? %x%"
        );
        let signed = ChannelSettings {
            invitation_name: Some("Acme Sales".into()),
            ..ChannelSettings::default()
        };
        assert!(
            settings
                .invitation(Some(("Sales", &signed)), "Ann")
                .starts_with("Hello! I'm Acme Sales.")
        );
        let inherit = ChannelSettings::default();
        assert!(
            settings
                .invitation(Some(("Sales", &inherit)), "Bo")
                .starts_with("Hello! I'm Bo.")
        );
    }

    #[test]
    fn name_requirement_is_per_channel_where_set() {
        let settings = Settings {
            visitor_name_required: false,
            ..Settings::default()
        };
        assert!(!settings.name_required(None));
        let strict = ChannelSettings {
            visitor_name_required: Some(true),
            ..ChannelSettings::default()
        };
        assert!(settings.name_required(Some(&strict)));
        assert!(!settings.name_required(Some(&ChannelSettings::default())));
    }

    #[test]
    fn idle_operators_turn_away_then_gone() {
        let settings = Settings::default();
        assert_eq!(settings.availability(0), Availability::Active);
        assert_eq!(settings.availability(5 * 60_000), Availability::Active);
        assert_eq!(settings.availability(5 * 60_000 + 1), Availability::Away);
        assert_eq!(settings.availability(30 * 60_000), Availability::Away);
        assert_eq!(settings.availability(30 * 60_000 + 1), Availability::Gone);
    }

    #[test]
    fn capacity_is_checked_only_with_a_limit() {
        let unlimited = Settings::default();
        assert!(unlimited.admits_another_chat(1000).is_ok());
        let two = Settings {
            max_chats_per_operator: 2,
            ..Settings::default()
        };
        assert!(two.admits_another_chat(1).is_ok());
        let err = two.admits_another_chat(2).err().map(|e| e.code);
        assert_eq!(err, Some(ErrorCode::TooManyChats));
    }
}
