//! Personal access tokens (P4): what a script or an integration holds to act as its operator
//! through the operator API. The token's secret is shown once, when it is made; only its hash
//! is kept, so a listing shows names and dates, never secrets.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode};
use crate::ids::AccessTokenId;
use crate::time::Timestamp;

/// Every secret starts with this, so a leaked one is recognisable (secret scanners, logs) and
/// the server tells it from a session token at a glance.
pub const TOKEN_PREFIX: &str = "sbp_";
/// Longest token name.
pub const MAX_NAME_CHARS: usize = 80;
/// Tokens one operator may hold at once.
pub const MAX_TOKENS: usize = 50;

/// A token as listed: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessToken {
    /// Id, for revocation.
    pub id: AccessTokenId,
    /// What the operator called it ("CRM sync").
    pub name: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it was last used, if ever (marked at most once a minute).
    pub last_used_at: Option<Timestamp>,
}

/// A token just made: the only time its secret is known outside the caller's hands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccessToken {
    /// The token as listed from now on.
    pub token: AccessToken,
    /// The secret, `sbp_` and 64 hex digits: sent as `Authorization: Bearer …`.
    pub secret: String,
}

/// Whether a bearer credential is a personal access token (and not a session's token).
pub fn is_access_token(secret: &str) -> bool {
    secret.starts_with(TOKEN_PREFIX)
}

/// A token's name as given: trimmed, 1 to [`MAX_NAME_CHARS`] characters, one line.
pub fn token_name(raw: &str) -> Result<String, Error> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::new(
            ErrorCode::InvalidField,
            format!("Name the token in 1 to {MAX_NAME_CHARS} characters."),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::new(
            ErrorCode::InvalidField,
            "A token's name is one line of text.",
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_trimmed_line_of_bounded_length() {
        assert_eq!(token_name("  CRM sync ").ok().as_deref(), Some("CRM sync"));
        for bad in ["", "   ", "a\nb", "tab\there"] {
            assert_eq!(
                token_name(bad).map_err(|e| e.code),
                Err(ErrorCode::InvalidField),
                "{bad:?}"
            );
        }
        let longest = "é".repeat(MAX_NAME_CHARS);
        assert!(token_name(&longest).is_ok());
        assert!(token_name(&format!("{longest}x")).is_err());
    }

    #[test]
    fn access_tokens_are_told_from_session_tokens() {
        assert!(is_access_token("sbp_0123"));
        assert!(!is_access_token("0123abcd"));
    }
}
