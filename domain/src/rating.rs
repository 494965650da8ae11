//! Ratings (V12): once a chat an operator answered is over for its visitor, the visitor may
//! rate it once, 1 to 5 stars with an optional comment. The rating is an event of the chat, so
//! operators see it in the conversation, webhooks are told (`chat.rated`) and reports read it.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Fewest stars.
pub const MIN_STARS: u8 = 1;
/// Most stars.
pub const MAX_STARS: u8 = 5;
/// Longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 1000;

/// A visitor's verdict on a chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rating {
    /// 1 (poor) to 5 (excellent).
    pub stars: u8,
    /// What the visitor added, or empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
}

/// `POST /api/v1/visitor/chats/{chat_id}/rating`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RateChat {
    /// 1 to 5.
    pub stars: i64,
    /// Optional comment, at most 1000 characters.
    #[serde(default)]
    pub comment: Option<String>,
}

impl RateChat {
    /// Checks the form, naming the field at fault.
    pub fn validate(&self) -> Result<Rating, Error> {
        let stars = u8::try_from(self.stars)
            .ok()
            .filter(|s| (MIN_STARS..=MAX_STARS).contains(s))
            .ok_or_else(|| {
                Error::invalid(
                    "stars",
                    format!("Give between {MIN_STARS} and {MAX_STARS} stars."),
                )
            })?;
        let comment = self.comment.as_deref().unwrap_or("").trim();
        if comment.chars().count() > MAX_COMMENT_CHARS {
            return Err(Error::invalid(
                "comment",
                format!("Comments are limited to {MAX_COMMENT_CHARS} characters."),
            ));
        }
        if comment
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(Error::invalid(
                "comment",
                "The comment has characters that cannot be shown.",
            ));
        }
        Ok(Rating {
            stars,
            comment: comment.to_owned(),
        })
    }
}

impl Rating {
    /// "★★★★☆": the stars as a line shows them.
    pub fn stars_text(&self) -> String {
        (MIN_STARS..=MAX_STARS)
            .map(|n| if n <= self.stars { '★' } else { '☆' })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn rate(stars: i64, comment: Option<&str>) -> Result<Rating, Error> {
        RateChat {
            stars,
            comment: comment.map(str::to_owned),
        }
        .validate()
    }

    #[test]
    fn stars_outside_one_to_five_are_refused_naming_the_field() {
        for stars in [0, 6, -1, 256, i64::MAX] {
            let err = rate(stars, None).err().unwrap_or_else(|| panic!("{stars}"));
            assert_eq!(err.code, ErrorCode::InvalidField);
            assert_eq!(err.field.as_deref(), Some("stars"));
        }
        for stars in 1..=5 {
            assert_eq!(rate(stars, None).map(|r| r.stars).ok(), Some(stars as u8));
        }
    }

    #[test]
    fn comments_are_trimmed_limited_and_printable() {
        assert_eq!(
            rate(4, Some("  Quick and kind \n")).map(|r| r.comment).ok(),
            Some("Quick and kind".to_owned())
        );
        let long = "é".repeat(MAX_COMMENT_CHARS + 1);
        assert_eq!(
            rate(4, Some(&long)).err().and_then(|e| e.field),
            Some("comment".to_owned())
        );
        assert!(rate(4, Some(&"é".repeat(MAX_COMMENT_CHARS))).is_ok());
        assert!(rate(4, Some("bell\u{7}")).is_err());
        assert_eq!(
            rate(3, None).map(|r| r.stars_text()).ok(),
            Some("★★★☆☆".to_owned())
        );
    }
}
