//! The bubble's look and words as an admin sets them in the snippet generator, and the code a
//! customer pastes into their site.

use serde::{Deserialize, Serialize};

use crate::api::WidgetConfig;
use crate::error::Error;

/// Longest title or launcher label, in characters.
pub const MAX_LABEL_CHARS: usize = 60;
/// Longest greeting, in characters.
pub const MAX_GREETING_CHARS: usize = 280;

/// What the snippet generator saves and the bubble shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BubbleSettings {
    /// Title of the panel.
    pub title: String,
    /// Greeting above the start form.
    pub greeting: String,
    /// Accent colour, `#rrggbb`.
    pub color: String,
    /// The launcher button's label.
    pub launcher_label: String,
}

impl Default for BubbleSettings {
    fn default() -> Self {
        Self {
            title: "Chat with us".to_owned(),
            greeting: "Hi! How can we help you today?".to_owned(),
            color: "#2563eb".to_owned(),
            launcher_label: "Chat".to_owned(),
        }
    }
}

fn text(field: &str, value: &str, max: usize) -> Result<String, Error> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            format!("Enter 1 to {max} characters, on one line."),
        ));
    }
    Ok(value.to_owned())
}

impl BubbleSettings {
    /// Validates what the form sent; the first field at fault is named in the error.
    pub fn parse(
        title: &str,
        greeting: &str,
        color: &str,
        launcher_label: &str,
    ) -> Result<Self, Error> {
        let color = color.trim().to_ascii_lowercase();
        let valid_color = color.len() == 7
            && color.starts_with('#')
            && color[1..].chars().all(|c| c.is_ascii_hexdigit());
        let settings = Self {
            title: text("title", title, MAX_LABEL_CHARS)?,
            greeting: text("greeting", greeting, MAX_GREETING_CHARS)?,
            color: if valid_color {
                color
            } else {
                return Err(Error::invalid("color", "Pick a colour like #2563eb."));
            },
            launcher_label: text("launcher_label", launcher_label, MAX_LABEL_CHARS)?,
        };
        Ok(settings)
    }

    /// What the bubble is told at start.
    pub fn config(
        &self,
        name_required: bool,
        channels: Vec<crate::api::ChannelChoice>,
    ) -> WidgetConfig {
        WidgetConfig {
            name_required,
            channels,
            title: self.title.clone(),
            greeting: self.greeting.clone(),
            color: self.color.clone(),
            launcher_label: self.launcher_label.clone(),
            offline: None,
            assets: None,
            ice_servers: Vec::new(),
        }
    }
}

/// The code a customer pastes before `</body>` on every page, for a server at `origin`; with
/// a channel, every chat from that site starts in it (otherwise the visitor picks one).
pub fn snippet(origin: &str, channel: Option<crate::ChannelId>) -> String {
    let channel = channel
        .map(|id| format!(" data-channel=\"{id}\""))
        .unwrap_or_default();
    format!(
        "<!-- Switchboard chat bubble -->\n<script src=\"{}/widget/loader.js\" async data-switchboard{channel}></script>",
        origin.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn settings_are_validated_field_by_field() {
        let ok = BubbleSettings::parse(" Talk to us ", "Hello!", "#AABBCC", "Help")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ok.title, "Talk to us");
        assert_eq!(ok.color, "#aabbcc");
        for (args, field) in [
            (["", "g", "#000000", "l"], "title"),
            (["t", "", "#000000", "l"], "greeting"),
            (["t", "g", "blue", "l"], "color"),
            (["t", "g", "#12345", "l"], "color"),
            (["t", "g", "#12345g", "l"], "color"),
            (["t", "g", "#000000", " "], "launcher_label"),
        ] {
            let err = BubbleSettings::parse(args[0], args[1], args[2], args[3])
                .err()
                .unwrap_or_else(|| panic!("{args:?} passed"));
            assert_eq!(err.code, ErrorCode::InvalidField);
            assert_eq!(err.field.as_deref(), Some(field), "{args:?}");
        }
        let long = "x".repeat(MAX_LABEL_CHARS + 1);
        assert!(BubbleSettings::parse(&long, "g", "#000000", "l").is_err());
    }

    #[test]
    fn the_snippet_points_at_the_server() {
        assert_eq!(
            snippet("https://chat.example.com/", None),
            "<!-- Switchboard chat bubble -->\n<script src=\"https://chat.example.com/widget/loader.js\" async data-switchboard></script>"
        );
        let sales = crate::ChannelId(uuid::Uuid::from_u128(5));
        assert!(
            snippet("https://chat.example.com", Some(sales)).ends_with(&format!(
                " data-switchboard data-channel=\"{sales}\"></script>"
            ))
        );
    }
}
