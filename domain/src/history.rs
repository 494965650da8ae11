//! History (O28): past chats found by the words in their messages, the visitor's name or
//! email, an operator, the channel, a date range and the rating. The rules live here: what a
//! search may ask, how its words become a full-text query on each database (never the raw
//! input), who finds which chats, and how a match's marked excerpt is shown.

use serde::{Deserialize, Serialize};

use crate::chat::ChatStatus;
use crate::console::Role;
use crate::error::Error;
use crate::ids::{ChannelId, ChatId, OperatorId};
use crate::time::Timestamp;

/// Results a page holds.
pub const PAGE_SIZE: u32 = 20;
/// Longest text in a search field, in characters.
pub const MAX_FIELD_CHARS: usize = 200;
/// Most words a full-text search uses (the rest are ignored).
pub const MAX_WORDS: usize = 12;
/// Marks the start of a matching word in an excerpt, as the stores write it.
pub const MARK_START: char = '\u{2}';
/// Marks its end.
pub const MARK_END: char = '\u{3}';

/// The history page's search form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryQuery {
    /// Words that must all occur in one message (a word also matches longer words it begins).
    #[serde(default)]
    pub words: String,
    /// Part of the visitor's name or email.
    #[serde(default)]
    pub visitor: String,
    /// Part of the name of an operator who took part.
    #[serde(default)]
    pub operator: String,
    /// The chat's channel.
    #[serde(default)]
    pub channel: Option<ChannelId>,
    /// Started at or after (UTC milliseconds).
    #[serde(default)]
    pub from: Option<Timestamp>,
    /// Started before.
    #[serde(default)]
    pub to: Option<Timestamp>,
    /// Rated with exactly this many stars.
    #[serde(default)]
    pub rating: Option<u8>,
    /// Which page of results, from 0.
    #[serde(default)]
    pub page: u32,
}

/// Whose chats a search covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryScope {
    /// Every chat (supervisors and admins).
    All,
    /// The chats this operator has been in, in any role.
    TookPart(OperatorId),
}

impl HistoryScope {
    /// Supervisors and admins find every chat; operators those they have been in — the same
    /// rule as reading one ([`crate::transcript::may_read`]).
    pub fn of(role: Role, operator: OperatorId) -> Self {
        if crate::transcript::may_read(role, false) {
            Self::All
        } else {
            Self::TookPart(operator)
        }
    }
}

/// A checked search, ready for a store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidQuery {
    /// The words, each only letters and digits; empty: no full-text condition.
    pub words: Vec<String>,
    /// `%part%` of the visitor's name or email, lower-case, LIKE-escaped with `\`.
    pub visitor: Option<String>,
    /// `%part%` of an operator's name, the same way.
    pub operator: Option<String>,
    /// The channel.
    pub channel: Option<ChannelId>,
    /// Started at or after.
    pub from: Option<Timestamp>,
    /// Started before.
    pub to: Option<Timestamp>,
    /// Exact stars.
    pub rating: Option<u8>,
    /// Rows to skip.
    pub offset: i64,
}

impl HistoryQuery {
    /// Checks the form, naming the field at fault.
    pub fn validate(&self) -> Result<ValidQuery, Error> {
        for (field, value) in [
            ("words", &self.words),
            ("visitor", &self.visitor),
            ("operator", &self.operator),
        ] {
            if value.chars().count() > MAX_FIELD_CHARS {
                return Err(Error::invalid(
                    field,
                    format!("Searches are limited to {MAX_FIELD_CHARS} characters."),
                ));
            }
        }
        if let Some(stars) = self.rating
            && !(crate::rating::MIN_STARS..=crate::rating::MAX_STARS).contains(&stars)
        {
            return Err(Error::invalid("rating", "Ratings are 1 to 5 stars."));
        }
        if let (Some(from), Some(to)) = (self.from, self.to)
            && to <= from
        {
            return Err(Error::invalid(
                "to",
                "The end of the range is before its start.",
            ));
        }
        if self.page > 10_000 {
            return Err(Error::invalid("page", "No such page."));
        }
        Ok(ValidQuery {
            words: words(&self.words),
            visitor: like_pattern(&self.visitor),
            operator: like_pattern(&self.operator),
            channel: self.channel,
            from: self.from,
            to: self.to,
            rating: self.rating,
            offset: i64::from(self.page) * i64::from(PAGE_SIZE),
        })
    }
}

/// The search's words: runs of letters and digits, lower-case, at most [`MAX_WORDS`].
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .take(MAX_WORDS)
        .collect()
}

impl ValidQuery {
    /// The words as an SQLite FTS5 query: each a quoted prefix, all required.
    pub fn fts5(&self) -> Option<String> {
        (!self.words.is_empty()).then(|| {
            self.words
                .iter()
                .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
                .collect::<Vec<_>>()
                .join(" ")
        })
    }

    /// The words as a PostgreSQL `to_tsquery('simple', …)` text: each a prefix, all required.
    pub fn tsquery(&self) -> Option<String> {
        (!self.words.is_empty()).then(|| {
            self.words
                .iter()
                .map(|w| format!("'{}':*", w.replace('\'', "''")))
                .collect::<Vec<_>>()
                .join(" & ")
        })
    }
}

/// `%text%` for a case-insensitive LIKE (`\` escapes), or `None` for a blank field.
pub fn like_pattern(text: &str) -> Option<String> {
    let text = text.trim().to_lowercase();
    (!text.is_empty()).then(|| {
        let escaped: String = text
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        format!("%{escaped}%")
    })
}

/// A piece of an excerpt: matching words are marked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fragment {
    /// The text.
    pub text: String,
    /// Whether it matched the search.
    pub hit: bool,
}

/// Splits an excerpt the store marked with [`MARK_START`] and [`MARK_END`] into fragments.
pub fn fragments(marked: &str) -> Vec<Fragment> {
    let mut out: Vec<Fragment> = Vec::new();
    let mut hit = false;
    let mut current = String::new();
    for c in marked.chars() {
        if c == MARK_START || c == MARK_END {
            if !current.is_empty() {
                out.push(Fragment {
                    text: std::mem::take(&mut current),
                    hit,
                });
            }
            hit = c == MARK_START;
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        out.push(Fragment { text: current, hit });
    }
    out
}

/// One chat found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryHit {
    /// The chat.
    pub chat: ChatId,
    /// The visitor's name as given in the chat.
    pub visitor: String,
    /// Their email, if they gave one.
    pub email: Option<String>,
    /// The operators who have been in it.
    pub operators: Vec<String>,
    /// Its channel.
    pub channel: Option<ChannelId>,
    /// Its status now.
    pub status: ChatStatus,
    /// When it started.
    pub started_at: Timestamp,
    /// The visitor's stars, if they rated it.
    pub rating: Option<u8>,
    /// The best matching message, with the matching words marked (a words search only).
    pub excerpt: Vec<Fragment>,
}

/// A page of results, best first (newest first without words).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    /// The chats.
    pub hits: Vec<HistoryHit>,
    /// The page shown, from 0.
    pub page: u32,
    /// Whether a next page has more.
    pub more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn words_become_quoted_prefixes_and_never_query_syntax() {
        let q = HistoryQuery {
            words: "Refund \"OR\" order-42 NEAR(x) ' ; DROP Ünïcödé 你好".into(),
            ..HistoryQuery::default()
        }
        .validate()
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            q.words,
            [
                "refund",
                "or",
                "order",
                "42",
                "near",
                "x",
                "drop",
                "ünïcödé",
                "你好"
            ]
        );
        assert_eq!(
            q.fts5().as_deref(),
            Some(
                "\"refund\"* \"or\"* \"order\"* \"42\"* \"near\"* \"x\"* \"drop\"* \"ünïcödé\"* \"你好\"*"
            )
        );
        assert!(
            q.tsquery()
                .unwrap_or_default()
                .starts_with("'refund':* & 'or':*")
        );
        let none = HistoryQuery::default()
            .validate()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((none.fts5(), none.tsquery()), (None, None));
        assert_eq!(words(&"w ".repeat(40)).len(), MAX_WORDS);
    }

    #[test]
    fn like_patterns_escape_wildcards_and_fields_are_checked() {
        let q = HistoryQuery {
            visitor: " 100%_Vera\\ ".into(),
            operator: "  ".into(),
            page: 2,
            ..HistoryQuery::default()
        }
        .validate()
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(q.visitor.as_deref(), Some("%100\\%\\_vera\\\\%"));
        assert_eq!(q.operator, None);
        assert_eq!(q.offset, 40);
        for (query, field) in [
            (
                HistoryQuery {
                    words: "x".repeat(MAX_FIELD_CHARS + 1),
                    ..HistoryQuery::default()
                },
                "words",
            ),
            (
                HistoryQuery {
                    rating: Some(6),
                    ..HistoryQuery::default()
                },
                "rating",
            ),
            (
                HistoryQuery {
                    from: Some(Timestamp(10)),
                    to: Some(Timestamp(5)),
                    ..HistoryQuery::default()
                },
                "to",
            ),
        ] {
            let err = query.validate().err().unwrap_or_else(|| panic!("{field}"));
            assert_eq!(err.code, ErrorCode::InvalidField);
            assert_eq!(err.field.as_deref(), Some(field));
        }
    }

    #[test]
    fn excerpts_split_at_the_marks() {
        let marked =
            format!("I want a {MARK_START}refund{MARK_END} for {MARK_START}order{MARK_END}");
        let parts = fragments(&marked);
        let hits: Vec<&str> = parts
            .iter()
            .filter(|f| f.hit)
            .map(|f| f.text.as_str())
            .collect();
        assert_eq!(hits, ["refund", "order"]);
        assert_eq!(
            parts.iter().map(|f| f.text.as_str()).collect::<String>(),
            "I want a refund for order"
        );
        assert!(fragments("").is_empty());
    }

    #[test]
    fn supervisors_search_everything_and_operators_their_own() {
        let me = OperatorId(uuid::Uuid::from_u128(7));
        assert_eq!(
            HistoryScope::of(Role::Operator, me),
            HistoryScope::TookPart(me)
        );
        assert_eq!(HistoryScope::of(Role::Supervisor, me), HistoryScope::All);
        assert_eq!(HistoryScope::of(Role::Admin, me), HistoryScope::All);
    }
}
