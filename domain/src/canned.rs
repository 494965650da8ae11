//! Canned messages: prepared answers an operator inserts by picking them or by typing their
//! `/shortcut`. Shared ones are kept by supervisors and admins; each operator also has their
//! own. Variables in the text are filled in when the message is inserted.

use serde::{Deserialize, Serialize};

use crate::chat::MAX_MESSAGE_BYTES;
use crate::error::{Error, ErrorCode};
use crate::ids::{CannedId, OperatorId};

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 80;
/// Longest shortcut, in characters, without the slash.
pub const MAX_SHORTCUT_CHARS: usize = 32;

/// A canned message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedMessage {
    /// Id.
    pub id: CannedId,
    /// `None` for a shared message; the operator's id for a personal one.
    pub owner: Option<OperatorId>,
    /// What the picker lists.
    pub title: String,
    /// Typed as `/shortcut` in the entry bar (stored without the slash).
    pub shortcut: String,
    /// The text, with `%variables%`.
    pub body: String,
}

/// What an operator submits for a canned message, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CannedInput {
    /// Title.
    pub title: String,
    /// Shortcut without the slash, lower case.
    pub shortcut: String,
    /// Text.
    pub body: String,
}

impl CannedInput {
    /// Validates a title, a shortcut (with or without its slash: letters, digits, `-`, `_`)
    /// and a text.
    pub fn parse(title: &str, shortcut: &str, body: &str) -> Result<Self, Error> {
        let title = title.trim();
        if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
            return Err(Error::new(
                ErrorCode::InvalidField,
                format!("The title must be 1 to {MAX_TITLE_CHARS} characters."),
            ));
        }
        let shortcut = shortcut.trim().trim_start_matches('/').to_lowercase();
        let valid = !shortcut.is_empty()
            && shortcut.chars().count() <= MAX_SHORTCUT_CHARS
            && shortcut
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(Error::new(
                ErrorCode::InvalidField,
                format!("The shortcut must be 1 to {MAX_SHORTCUT_CHARS} letters, digits, - or _."),
            ));
        }
        let body = body.trim();
        if body.is_empty() || body.len() > MAX_MESSAGE_BYTES {
            return Err(Error::new(
                ErrorCode::InvalidField,
                format!("The text must be 1 to {MAX_MESSAGE_BYTES} bytes."),
            ));
        }
        Ok(Self {
            title: title.to_owned(),
            shortcut,
            body: body.to_owned(),
        })
    }
}

/// The values the variables of a canned message stand for, where known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Variables {
    /// `%name%`: the operator's chat name.
    pub name: Option<String>,
    /// `%visitor%`: the visitor's name.
    pub visitor: Option<String>,
    /// `%channel%`: the chat's channel.
    pub channel: Option<String>,
}

impl Variables {
    fn value(&self, variable: &str) -> Option<&str> {
        match variable {
            "name" => self.name.as_deref(),
            "visitor" => self.visitor.as_deref(),
            "channel" => self.channel.as_deref(),
            _ => None,
        }
    }
}

/// Fills in `%name%`, `%visitor%` and `%channel%`. Anything else between percent signs, and a
/// variable whose value is unknown here, stays as it is, so the operator sees it before sending.
pub fn expand(body: &str, variables: &Variables) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find('%') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let variable = after
            .find('%')
            .map(|end| &after[..end])
            .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        match variable.and_then(|v| variables.value(v).map(|value| (v, value))) {
            Some((variable, value)) => {
                out.push_str(value);
                rest = &after[variable.len() + 1..];
            }
            None => {
                out.push('%');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The canned message a typed `/shortcut` stands for: the operator's own first, then a shared
/// one.
pub fn by_shortcut<'a>(messages: &'a [CannedMessage], typed: &str) -> Option<&'a CannedMessage> {
    let shortcut = typed.trim().strip_prefix('/')?.to_lowercase();
    messages
        .iter()
        .filter(|m| m.shortcut == shortcut)
        .min_by_key(|m| m.owner.is_none())
}

/// Messages whose title, shortcut or text contains `query` (case-insensitive), personal first.
pub fn search<'a>(messages: &'a [CannedMessage], query: &str) -> Vec<&'a CannedMessage> {
    let query = query.trim().trim_start_matches('/').to_lowercase();
    let mut found: Vec<&CannedMessage> = messages
        .iter()
        .filter(|m| {
            query.is_empty()
                || m.title.to_lowercase().contains(&query)
                || m.shortcut.contains(&query)
                || m.body.to_lowercase().contains(&query)
        })
        .collect();
    found.sort_by_key(|m| (m.owner.is_none(), m.title.to_lowercase()));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn vars() -> Variables {
        Variables {
            name: Some("Ann".into()),
            visitor: Some("Vera".into()),
            channel: None,
        }
    }

    #[test]
    fn known_variables_are_filled_and_the_rest_left_visible() {
        let cases = [
            ("Hello! I'm %name%.", "Hello! I'm Ann."),
            ("Hi %visitor%, %name% here", "Hi Vera, Ann here"),
            ("%name%%visitor%", "AnnVera"),
            ("Sales: %channel%", "Sales: %channel%"),
            ("Dear %customer%, %name%", "Dear %customer%, Ann"),
            ("100% sure, %name%", "100% sure, Ann"),
            ("50%% off", "50%% off"),
            ("trailing %", "trailing %"),
            ("%na me%", "%na me%"),
            ("no variables", "no variables"),
            ("ünïcode %name% ✓", "ünïcode Ann ✓"),
        ];
        for (body, expected) in cases {
            assert_eq!(expand(body, &vars()), expected, "{body}");
        }
        let with_channel = Variables {
            channel: Some("Sales".into()),
            ..vars()
        };
        assert_eq!(expand("Sales: %channel%", &with_channel), "Sales: Sales");
    }

    #[test]
    fn input_is_validated_and_shortcuts_normalised() {
        let ok = CannedInput::parse(" Greeting ", "/Hello", " Hi %visitor% ")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ok.shortcut, "hello");
        assert_eq!(ok.body, "Hi %visitor%");
        for (title, shortcut, body) in [
            ("", "x", "y"),
            ("t", "", "y"),
            ("t", "with space", "y"),
            ("t", "x", "  "),
            ("t", &"s".repeat(MAX_SHORTCUT_CHARS + 1), "y"),
        ] {
            assert!(
                CannedInput::parse(title, shortcut, body).is_err(),
                "{shortcut:?}"
            );
        }
    }

    #[test]
    fn a_personal_shortcut_wins_over_a_shared_one() {
        let me = OperatorId(Uuid::from_u128(1));
        let message = |n: u128, owner, shortcut: &str, title: &str| CannedMessage {
            id: CannedId(Uuid::from_u128(n)),
            owner,
            title: title.into(),
            shortcut: shortcut.into(),
            body: format!("body {n}"),
        };
        let list = vec![
            message(1, None, "hi", "Shared hello"),
            message(2, Some(me), "hi", "My hello"),
            message(3, None, "bye", "Goodbye"),
        ];
        assert_eq!(by_shortcut(&list, "/hi").map(|m| m.id.0.as_u128()), Some(2));
        assert_eq!(
            by_shortcut(&list, "/BYE").map(|m| m.id.0.as_u128()),
            Some(3)
        );
        assert!(by_shortcut(&list, "hi").is_none());
        assert!(by_shortcut(&list, "/nope").is_none());
        let found: Vec<u128> = search(&list, "hello")
            .iter()
            .map(|m| m.id.0.as_u128())
            .collect();
        assert_eq!(found, vec![2, 1]);
        assert_eq!(search(&list, "").len(), 3);
        assert_eq!(search(&list, "/by").len(), 1);
    }
}
