//! Operator accounts as admins manage them and as each operator sees their own profile.

use serde::{Deserialize, Serialize};

use crate::console::Role;
use crate::error::{Error, ErrorCode};
use crate::ids::{OperatorId, VisitorId};
use crate::time::Timestamp;

/// Most chat languages an operator can list.
pub const MAX_LANGUAGES: usize = 16;

/// A visitor barred from starting chats after a kick, as admins see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BannedVisitor {
    /// Who.
    pub visitor_id: VisitorId,
    /// The name they gave, if any.
    pub name: Option<String>,
    /// The last page they were on.
    pub page_url: Option<String>,
    /// When the ban ends.
    pub banned_until: Timestamp,
}

/// A new operator account as an admin submits it (A2), or an account's changed email, name and
/// role. The email and name are checked when it is saved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOperator {
    /// Login email, as typed.
    pub email: String,
    /// The user's name, as typed.
    pub name: String,
    /// What they may do.
    pub role: Role,
}

/// An operator account, without secrets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorAccount {
    /// Who.
    pub id: OperatorId,
    /// Login email.
    pub email: String,
    /// Full name.
    pub name: String,
    /// Online chat name shown to visitors; empty means the name.
    pub chat_name: String,
    /// Role.
    pub role: Role,
    /// A disabled operator cannot log in; their sessions ended when they were disabled.
    pub disabled: bool,
    /// Still on the default password.
    pub must_change_password: bool,
    /// Languages they chat in (e.g. `en`, `de-AT`), for routing.
    pub languages: Vec<String>,
    /// The name used in invitation texts (`%name%`); empty means the chat name.
    pub invitation_name: String,
    /// When the account was created.
    pub created_at: Timestamp,
}

impl OperatorAccount {
    /// The name visitors see.
    pub fn shown_name(&self) -> &str {
        if self.chat_name.trim().is_empty() {
            &self.name
        } else {
            &self.chat_name
        }
    }
}

/// Reads a comma- or space-separated list of language tags (`en, de-AT`): letters and digits
/// in groups of 1 to 8 joined by `-`, at most [`MAX_LANGUAGES`], duplicates dropped.
pub fn parse_languages(text: &str) -> Result<Vec<String>, Error> {
    let mut languages: Vec<String> = Vec::new();
    for tag in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
    {
        let valid = tag.split('-').all(|part| {
            (1..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
        }) && tag
            .split('-')
            .next()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_alphabetic()));
        if !valid {
            return Err(Error::new(
                ErrorCode::InvalidField,
                format!("{tag:?} is not a language code like en or de-AT."),
            ));
        }
        let tag = tag.to_owned();
        if !languages.iter().any(|l| l.eq_ignore_ascii_case(&tag)) {
            languages.push(tag);
        }
    }
    if languages.len() > MAX_LANGUAGES {
        return Err(Error::new(
            ErrorCode::InvalidField,
            format!("List at most {MAX_LANGUAGES} languages."),
        ));
    }
    Ok(languages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_tags_separated_by_commas_or_spaces() {
        assert_eq!(
            parse_languages(" en, de-AT  fr,EN "),
            Ok(vec!["en".to_owned(), "de-AT".to_owned(), "fr".to_owned()])
        );
        assert_eq!(parse_languages(""), Ok(vec![]));
        for bad in ["english!", "e n-", "12", "de--AT", "abcdefghi"] {
            assert!(parse_languages(bad).is_err(), "{bad}");
        }
        let many: Vec<String> = ('a'..='q').map(|c| format!("l{c}")).collect();
        assert_eq!(many.len(), MAX_LANGUAGES + 1);
        assert!(parse_languages(&many.join(",")).is_err());
    }
}
