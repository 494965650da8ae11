//! Automatic routing (R2): which available operator a new chat goes to, and a reason anyone
//! can read afterwards. Who is available, how loaded and how idle is the engine's to find
//! out; the order of preference and the wording of the reason live here, once.

use serde::{Deserialize, Serialize};

use crate::ids::OperatorId;
use crate::time::Timestamp;

/// How a channel's new chats find an operator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutingMode {
    /// Every available operator of the channel is told; the first to accept takes it.
    #[default]
    Manual,
    /// The chat is assigned to one operator, who accepts or declines it.
    Automatic,
}

impl RoutingMode {
    /// The mode as stored and offered in forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Automatic => "automatic",
        }
    }

    /// Parses a stored or submitted mode.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "manual" => Some(Self::Manual),
            "automatic" => Some(Self::Automatic),
            _ => None,
        }
    }
}

/// The operator a waiting chat is assigned to, until they accept it, decline it or let it pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignment {
    /// Who.
    pub operator: OperatorId,
    /// Their chat name.
    pub operator_name: String,
    /// Why them, in words.
    pub reason: String,
    /// When it was assigned: the acknowledge time runs from here.
    pub since: Timestamp,
}

/// Why an assignment passed on to someone else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PassReason {
    /// The operator declined the chat.
    Declined,
    /// The operator did not accept within the acknowledge time.
    NoAnswer,
    /// The chat waited past T2 while assigned to them.
    Escalated,
    /// The operator is no longer available (gone, unavailable, logged out).
    Unavailable,
}

impl PassReason {
    /// How a conversation line says it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Declined => "declined",
            Self::NoAnswer => "did not answer in time",
            Self::Escalated => "was passed over: the chat waited too long",
            Self::Unavailable => "is no longer available",
        }
    }
}

/// An operator who could take a chat now: online, active, not unavailable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Who.
    pub id: OperatorId,
    /// Their chat name.
    pub name: String,
    /// The languages they chat in (BCP 47 tags).
    pub languages: Vec<String>,
    /// The open visitor chats they take part in or are assigned.
    pub load: u32,
    /// How long since they last did something (milliseconds).
    pub idle_ms: i64,
}

/// The chosen operator and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// Who.
    pub operator: OperatorId,
    /// Their chat name.
    pub operator_name: String,
    /// e.g. "language en matched; 1 of 3 chats; idle 4 min; 2 other candidates".
    pub reason: String,
}

/// The primary subtag of a language tag, lower-cased: `en-GB` → `en`.
fn primary(tag: &str) -> String {
    tag.split(['-', '_'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Whether an operator chatting in `languages` speaks the visitor's `language`.
pub fn speaks(languages: &[String], language: &str) -> bool {
    let wanted = primary(language);
    !wanted.is_empty() && languages.iter().any(|l| primary(l) == wanted)
}

fn idle_words(ms: i64) -> String {
    let seconds = ms.max(0) / 1000;
    if seconds < 60 {
        format!("idle {seconds} s")
    } else {
        format!("idle {} min", seconds / 60)
    }
}

/// Picks the operator for a chat among `candidates`, leaving out those at the per-operator
/// `limit` (0: none). Preference: speaks the visitor's language, then the least loaded, then
/// the longest idle; the name breaks what is left of a tie, so the choice is reproducible.
pub fn choose(candidates: &[Candidate], language: Option<&str>, limit: u32) -> Option<Choice> {
    let language = language.map(primary).filter(|l| !l.is_empty());
    let roomy: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| limit == 0 || c.load < limit)
        .collect();
    let matched = |c: &Candidate| language.as_deref().is_some_and(|l| speaks(&c.languages, l));
    let best = roomy.iter().min_by(|a, b| {
        matched(b)
            .cmp(&matched(a))
            .then(a.load.cmp(&b.load))
            .then(b.idle_ms.cmp(&a.idle_ms))
            .then(a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            .then(a.id.0.cmp(&b.id.0))
    })?;
    let language_words = match &language {
        Some(l) if matched(best) => format!("language {l} matched"),
        Some(l) => format!("nobody available speaks {l}"),
        None => "language not given".to_owned(),
    };
    let chats = |n: u32| if n == 1 { "chat" } else { "chats" };
    let load_words = if limit > 0 {
        format!("{} of {limit} {}", best.load, chats(limit))
    } else {
        format!("{} {}", best.load, chats(best.load))
    };
    let others = roomy.len() - 1;
    let others_words = format!(
        "{others} other {}",
        if others == 1 {
            "candidate"
        } else {
            "candidates"
        }
    );
    Some(Choice {
        operator: best.id,
        operator_name: best.name.clone(),
        reason: format!(
            "{language_words}; {load_words}; {}; {others_words}",
            idle_words(best.idle_ms)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn candidate(n: u128, name: &str, languages: &[&str], load: u32, idle_min: i64) -> Candidate {
        Candidate {
            id: OperatorId(Uuid::from_u128(n)),
            name: name.into(),
            languages: languages.iter().map(|l| (*l).to_owned()).collect(),
            load,
            idle_ms: idle_min * 60_000,
        }
    }

    #[test]
    fn language_comes_first_then_load_then_idle_time() {
        let all = [
            candidate(1, "Ann", &["fr"], 0, 30),
            candidate(2, "Bob", &["en-GB", "de"], 2, 1),
            candidate(3, "Cy", &["en"], 1, 4),
            candidate(4, "Di", &["en"], 1, 9),
        ];
        let choice = choose(&all, Some("en-US"), 3).unwrap();
        assert_eq!(choice.operator_name, "Di");
        assert_eq!(
            choice.reason,
            "language en matched; 1 of 3 chats; idle 9 min; 3 other candidates"
        );
        // Without a language the least loaded wins, whatever they speak.
        let choice = choose(&all, None, 3).unwrap();
        assert_eq!(choice.operator_name, "Ann");
        assert_eq!(
            choice.reason,
            "language not given; 0 of 3 chats; idle 30 min; 3 other candidates"
        );
        // Nobody speaks it: the least loaded, and the reason says so.
        let choice = choose(&all, Some("ja"), 0).unwrap();
        assert_eq!(
            choice.reason,
            "nobody available speaks ja; 0 chats; idle 30 min; 3 other candidates"
        );
    }

    #[test]
    fn operators_at_the_limit_are_left_out() {
        let all = [
            candidate(1, "Ann", &["en"], 3, 30),
            candidate(2, "Bob", &["fr"], 2, 0),
        ];
        let choice = choose(&all, Some("en"), 3).unwrap();
        assert_eq!(choice.operator_name, "Bob");
        assert!(choice.reason.ends_with("idle 0 s; 0 other candidates"));
        assert_eq!(choose(&all[..1], Some("en"), 3), None);
        assert_eq!(choose(&[], None, 0), None);
    }

    #[test]
    fn ties_are_broken_by_name_so_the_choice_is_reproducible() {
        let all = [
            candidate(2, "bea", &[], 0, 5),
            candidate(1, "Abe", &[], 0, 5),
        ];
        assert_eq!(choose(&all, None, 0).unwrap().operator_name, "Abe");
        assert!(speaks(&["EN".to_owned()], "en-us"));
        assert!(!speaks(&["en".to_owned()], ""));
    }
}
