//! Reports (A7): for a date range and a channel, how many chats came and how many were missed,
//! how long visitors waited for an operator, how long until the first answer, how long chats
//! lasted and how they were rated — in all and per operator. Every figure is a fold over the
//! chats' events, here, so the report reads the same on either database.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::chat::{ChatStatus, MemberRole};
use crate::error::Error;
use crate::event::{Author, ChatEvent, EventKind};
use crate::ids::{ChannelId, OperatorId};
use crate::time::Timestamp;

/// Longest range a report covers, in days.
pub const MAX_DAYS: i64 = 366;
const DAY_MS: i64 = 86_400_000;

/// What a report covers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportQuery {
    /// Chats started at or after (UTC).
    pub from: Timestamp,
    /// Chats started before.
    pub to: Timestamp,
    /// Only this channel's chats.
    #[serde(default)]
    pub channel: Option<ChannelId>,
}

impl ReportQuery {
    /// Checks the range.
    pub fn validate(&self) -> Result<(), Error> {
        if self.to <= self.from {
            return Err(Error::invalid(
                "to",
                "The end of the range is before its start.",
            ));
        }
        if self.to.0 - self.from.0 > MAX_DAYS * DAY_MS {
            return Err(Error::invalid(
                "to",
                format!("A report covers at most {MAX_DAYS} days."),
            ));
        }
        Ok(())
    }
}

/// The middle and the 90th percentile of some durations (nearest rank), in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spread {
    /// How many durations.
    pub count: u32,
    /// Half took at most this long.
    pub median_ms: Option<i64>,
    /// Nine in ten took at most this long.
    pub p90_ms: Option<i64>,
}

impl Spread {
    /// The spread of `values` (any order).
    pub fn of(mut values: Vec<i64>) -> Self {
        values.sort_unstable();
        Self {
            count: u32::try_from(values.len()).unwrap_or(u32::MAX),
            median_ms: nearest_rank(&values, 50),
            p90_ms: nearest_rank(&values, 90),
        }
    }
}

/// The `percent`th percentile of sorted values by the nearest-rank method.
fn nearest_rank(sorted: &[i64], percent: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// The figures of a set of chats.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// Chats started.
    pub chats: u32,
    /// Chats the visitor left before any operator answered.
    pub missed: u32,
    /// From the start until an operator took the chat.
    pub waiting: Spread,
    /// From the start until the first operator message.
    pub first_response: Spread,
    /// From the start until the chat closed, of the chats an operator answered.
    pub duration: Spread,
    /// Ratings given.
    pub ratings: u32,
    /// Their average in hundredths of a star (e.g. 425 for 4.25); `None` without ratings.
    pub rating_average_x100: Option<u32>,
}

/// One operator's figures: the chats they took part in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorFigures {
    /// Who.
    pub operator: OperatorId,
    /// Their name as their chats show it.
    pub name: String,
    /// Their figures (waiting: the chats they took; first response: the chats where theirs
    /// was the first answer).
    pub figures: Figures,
}

/// Chats and missed chats of one day (UTC), for the chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Day {
    /// Midnight UTC.
    pub day: Timestamp,
    /// Chats started that day.
    pub chats: u32,
    /// Of which missed.
    pub missed: u32,
}

/// A report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// What it covers.
    pub query: ReportQuery,
    /// Every chat in it.
    pub total: Figures,
    /// Per operator, by name.
    pub operators: Vec<OperatorFigures>,
    /// Per day, oldest first, every day of the range.
    pub days: Vec<Day>,
}

/// What one chat contributes, read from its events.
#[derive(Default)]
struct ChatFacts {
    started: Option<Timestamp>,
    missed: bool,
    taken: Option<(OperatorId, i64)>,
    first_answer: Option<(OperatorId, i64)>,
    closed_after: Option<i64>,
    stars: Option<u8>,
    participants: Vec<(OperatorId, String)>,
}

impl ChatFacts {
    fn of(events: &[ChatEvent]) -> Self {
        let mut facts = Self::default();
        for event in events {
            let since = |at: Timestamp| facts.started.map(|s| at.millis_since(s));
            match &event.kind {
                EventKind::ChatStarted { .. } => facts.started = Some(event.at),
                EventKind::OperatorAccepted {
                    operator,
                    operator_name,
                }
                | EventKind::OperatorJoined {
                    operator,
                    operator_name,
                    role: MemberRole::Participant,
                }
                | EventKind::RoleChanged {
                    operator,
                    operator_name,
                    role: MemberRole::Participant,
                } => {
                    if facts.taken.is_none()
                        && let Some(waited) = since(event.at)
                    {
                        facts.taken = Some((*operator, waited));
                    }
                    if !facts.participants.iter().any(|(id, _)| id == operator) {
                        facts.participants.push((*operator, operator_name.clone()));
                    }
                }
                EventKind::MessagePosted {
                    author: Author::Operator { id },
                    note: false,
                    ..
                } => {
                    if facts.first_answer.is_none()
                        && let Some(after) = since(event.at)
                    {
                        facts.first_answer = Some((*id, after));
                    }
                }
                EventKind::ChatMissed { .. } => facts.missed = true,
                EventKind::StatusChanged {
                    status: ChatStatus::Closed,
                } if facts.closed_after.is_none() => facts.closed_after = since(event.at),
                EventKind::ChatRated { stars, .. } => facts.stars = Some(*stars),
                _ => {}
            }
        }
        facts
    }
}

/// Sums chats into figures.
#[derive(Default)]
struct Tally {
    chats: u32,
    missed: u32,
    waiting: Vec<i64>,
    first_response: Vec<i64>,
    duration: Vec<i64>,
    stars: Vec<u8>,
}

impl Tally {
    fn figures(self) -> Figures {
        let ratings = u32::try_from(self.stars.len()).unwrap_or(u32::MAX);
        let sum: u32 = self.stars.iter().map(|s| u32::from(*s)).sum();
        Figures {
            chats: self.chats,
            missed: self.missed,
            waiting: Spread::of(self.waiting),
            first_response: Spread::of(self.first_response),
            duration: Spread::of(self.duration),
            ratings,
            rating_average_x100: (ratings > 0).then(|| (sum * 100 + ratings / 2) / ratings),
        }
    }
}

impl Report {
    /// The report of `chats` (each chat's events, oldest first) for `query`.
    pub fn compute(query: ReportQuery, chats: &[Vec<ChatEvent>]) -> Self {
        let mut total = Tally::default();
        let mut per: BTreeMap<OperatorId, (String, Tally)> = BTreeMap::new();
        let first_day = query.from.0.div_euclid(DAY_MS);
        let last_day = (query.to.0 - 1).div_euclid(DAY_MS);
        let mut days: Vec<Day> = (first_day..=last_day)
            .map(|d| Day {
                day: Timestamp(d * DAY_MS),
                chats: 0,
                missed: 0,
            })
            .collect();
        for events in chats {
            let facts = ChatFacts::of(events);
            let Some(started) = facts.started else {
                continue;
            };
            total.chats += 1;
            let index = usize::try_from(started.0.div_euclid(DAY_MS) - first_day).ok();
            if let Some(day) = index.and_then(|i| days.get_mut(i)) {
                day.chats += 1;
                day.missed += u32::from(facts.missed);
            }
            if facts.missed {
                total.missed += 1;
            }
            if let Some((_, waited)) = facts.taken {
                total.waiting.push(waited);
            }
            if let Some((_, after)) = facts.first_answer {
                total.first_response.push(after);
            }
            // Duration counts answered chats: a missed one lasted no conversation.
            if let (Some(lasted), Some(_)) = (facts.closed_after, facts.taken) {
                total.duration.push(lasted);
            }
            total.stars.extend(facts.stars);
            for (operator, name) in &facts.participants {
                let (_, tally) = per
                    .entry(*operator)
                    .or_insert_with(|| (name.clone(), Tally::default()));
                tally.chats += 1;
                if let Some((taker, waited)) = facts.taken
                    && taker == *operator
                {
                    tally.waiting.push(waited);
                }
                if let Some((answerer, after)) = facts.first_answer
                    && answerer == *operator
                {
                    tally.first_response.push(after);
                }
                if let Some(lasted) = facts.closed_after {
                    tally.duration.push(lasted);
                }
                tally.stars.extend(facts.stars);
            }
        }
        let mut operators: Vec<OperatorFigures> = per
            .into_iter()
            .map(|(operator, (name, tally))| OperatorFigures {
                operator,
                name,
                figures: tally.figures(),
            })
            .collect();
        operators.sort_by_key(|o| o.name.to_lowercase());
        Self {
            query,
            total: total.figures(),
            operators,
            days,
        }
    }

    /// The report as CSV (RFC 4180): a row for all chats, then one per operator.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "operator,chats,missed,waiting_median_s,waiting_p90_s,first_response_median_s,\
             first_response_p90_s,duration_median_s,duration_p90_s,ratings,rating_average\r\n",
        );
        let rows = std::iter::once(("All operators", &self.total))
            .chain(self.operators.iter().map(|o| (o.name.as_str(), &o.figures)));
        for (name, f) in rows {
            let seconds = |ms: Option<i64>| {
                ms.map(|ms| format!("{}.{:03}", ms / 1000, ms % 1000))
                    .unwrap_or_default()
            };
            let average = f
                .rating_average_x100
                .map(|x| format!("{}.{:02}", x / 100, x % 100))
                .unwrap_or_default();
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{}\r\n",
                csv_field(name),
                f.chats,
                f.missed,
                seconds(f.waiting.median_ms),
                seconds(f.waiting.p90_ms),
                seconds(f.first_response.median_ms),
                seconds(f.first_response.p90_ms),
                seconds(f.duration.median_ms),
                seconds(f.duration.p90_ms),
                f.ratings,
                average
            ));
        }
        out
    }
}

impl Report {
    /// Chats and missed chats per day as an SVG bar chart (drawn by the server, so the console
    /// carries no charting code). Only numbers and dates go into it.
    pub fn chart_svg(&self) -> String {
        const WIDTH: i64 = 720;
        const HEIGHT: i64 = 220;
        const LEFT: i64 = 40;
        const BOTTOM: i64 = 24;
        const TOP: i64 = 12;
        let days = i64::try_from(self.days.len()).unwrap_or(1).max(1);
        let top = self
            .days
            .iter()
            .map(|d| i64::from(d.chats))
            .max()
            .unwrap_or(0)
            .max(1);
        let plot = HEIGHT - BOTTOM - TOP;
        let slot = (WIDTH - LEFT) / days;
        let bar = (slot * 3 / 4).max(1);
        let y = |n: i64| TOP + plot - n * plot / top;
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
             width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" font-family=\"sans-serif\" \
             font-size=\"11\"><title>Chats and missed chats per day</title>\
             <line x1=\"{LEFT}\" y1=\"{}\" x2=\"{WIDTH}\" y2=\"{}\" stroke=\"#9ca3af\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{top}</text>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\">0</text>",
            TOP + plot,
            TOP + plot,
            LEFT - 6,
            TOP + 10,
            LEFT - 6,
            TOP + plot
        );
        for (i, day) in self.days.iter().enumerate() {
            let x = LEFT + i64::try_from(i).unwrap_or(0) * slot + (slot - bar) / 2;
            let date: String = day.day.utc_text().chars().take(10).collect();
            let (chats, missed) = (i64::from(day.chats), i64::from(day.missed));
            svg.push_str(&format!(
                "<g><title>{date}: {chats} chats, {missed} missed</title>\
                 <rect x=\"{x}\" y=\"{}\" width=\"{bar}\" height=\"{}\" fill=\"#2563eb\"/>\
                 <rect x=\"{x}\" y=\"{}\" width=\"{bar}\" height=\"{}\" fill=\"#dc2626\"/></g>",
                y(chats),
                TOP + plot - y(chats),
                y(missed),
                TOP + plot - y(missed),
            ));
        }
        if let (Some(first), Some(last)) = (self.days.first(), self.days.last()) {
            let first: String = first.day.utc_text().chars().take(10).collect();
            let last: String = last.day.utc_text().chars().take(10).collect();
            svg.push_str(&format!(
                "<text x=\"{LEFT}\" y=\"{}\">{first}</text>\
                 <text x=\"{WIDTH}\" y=\"{}\" text-anchor=\"end\">{last}</text>",
                HEIGHT - 6,
                HEIGHT - 6
            ));
        }
        svg.push_str("</svg>");
        svg
    }
}

/// A CSV field, quoted when it must be; a leading `=`, `+`, `-` or `@` is defused so a
/// spreadsheet never runs a name as a formula.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ChatId, EventId};
    use uuid::Uuid;

    const T0: i64 = 1_800_000_000_000 - 1_800_000_000_000 % DAY_MS;

    fn ann() -> OperatorId {
        OperatorId(Uuid::from_u128(1))
    }
    fn bob() -> OperatorId {
        OperatorId(Uuid::from_u128(2))
    }

    fn at(seconds: i64, kind: EventKind) -> ChatEvent {
        ChatEvent {
            id: EventId(seconds),
            chat_id: ChatId(Uuid::nil()),
            at: Timestamp(T0 + seconds * 1000),
            kind,
        }
    }

    fn started(s: i64) -> ChatEvent {
        at(
            s,
            EventKind::ChatStarted {
                visitor: None,
                visitor_name: "V".into(),
                channel: None,
            },
        )
    }
    fn accepted(s: i64, who: OperatorId, name: &str) -> ChatEvent {
        at(
            s,
            EventKind::OperatorAccepted {
                operator: who,
                operator_name: name.into(),
            },
        )
    }
    fn says(s: i64, who: OperatorId, note: bool) -> ChatEvent {
        at(
            s,
            EventKind::MessagePosted {
                author: Author::Operator { id: who },
                author_name: "x".into(),
                body: "hi".into(),
                client_id: None,
                note,
            },
        )
    }
    fn closed(s: i64) -> ChatEvent {
        at(
            s,
            EventKind::StatusChanged {
                status: ChatStatus::Closed,
            },
        )
    }
    fn rated(s: i64, stars: u8) -> ChatEvent {
        at(
            s,
            EventKind::ChatRated {
                stars,
                comment: String::new(),
            },
        )
    }

    /// Four chats: Ann takes two (waits 10 s and 30 s), Bob one (waits 60 s, joined by Ann
    /// later), one missed after 45 s.
    fn fixture() -> Vec<Vec<ChatEvent>> {
        vec![
            vec![
                started(0),
                accepted(10, ann(), "Ann"),
                says(12, ann(), true),
                says(20, ann(), false),
                closed(300),
                rated(310, 5),
            ],
            vec![
                started(1000),
                accepted(1030, ann(), "Ann"),
                says(1090, ann(), false),
                closed(1600),
                rated(1610, 4),
            ],
            vec![
                started(2000),
                accepted(2060, bob(), "Bob"),
                at(
                    2070,
                    EventKind::OperatorJoined {
                        operator: ann(),
                        operator_name: "Ann".into(),
                        role: MemberRole::Participant,
                    },
                ),
                says(2075, ann(), false),
                says(2080, bob(), false),
                closed(2900),
                rated(2910, 2),
            ],
            vec![
                started(90_000),
                at(90_045, EventKind::VisitorLeft),
                at(90_045, EventKind::ChatMissed { waited_ms: 45_000 }),
                closed(90_045),
            ],
        ]
    }

    fn query() -> ReportQuery {
        ReportQuery {
            from: Timestamp(T0),
            to: Timestamp(T0 + 2 * DAY_MS),
            channel: None,
        }
    }

    #[test]
    fn figures_of_a_known_fixture() {
        let report = Report::compute(query(), &fixture());
        let t = &report.total;
        assert_eq!((t.chats, t.missed), (4, 1));
        // Waits 10, 30, 60 s: median 30 s, p90 60 s.
        assert_eq!(
            t.waiting,
            Spread {
                count: 3,
                median_ms: Some(30_000),
                p90_ms: Some(60_000)
            }
        );
        // First answers 20 s (the note does not count), 90 s, 75 s (Ann's, before Bob's).
        assert_eq!(t.first_response.median_ms, Some(75_000));
        assert_eq!(t.first_response.p90_ms, Some(90_000));
        // Durations 300, 600, 900 s (the missed chat had no conversation).
        assert_eq!(t.duration.count, 3);
        assert_eq!(t.duration.median_ms, Some(600_000));
        assert_eq!(t.duration.p90_ms, Some(900_000));
        // (5 + 4 + 2) / 3 = 3.67
        assert_eq!((t.ratings, t.rating_average_x100), (3, Some(367)));

        let names: Vec<&str> = report.operators.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["Ann", "Bob"]);
        let ann = &report.operators[0].figures;
        assert_eq!(ann.chats, 3);
        assert_eq!(ann.waiting.count, 2, "the chats she took");
        assert_eq!(
            ann.first_response.count, 3,
            "her answer came first in all three"
        );
        assert_eq!(ann.rating_average_x100, Some(367));
        let bob = &report.operators[1].figures;
        assert_eq!((bob.chats, bob.waiting.median_ms), (1, Some(60_000)));
        assert_eq!(bob.first_response.count, 0);

        assert_eq!(report.days.len(), 2);
        assert_eq!((report.days[0].chats, report.days[0].missed), (3, 0));
        assert_eq!((report.days[1].chats, report.days[1].missed), (1, 1));
    }

    #[test]
    fn an_empty_range_has_no_figures_and_ranges_are_checked() {
        let report = Report::compute(query(), &[]);
        assert_eq!(report.total, Figures::default());
        assert!(report.operators.is_empty());
        assert!(
            ReportQuery {
                from: Timestamp(10),
                to: Timestamp(10),
                channel: None
            }
            .validate()
            .is_err()
        );
        assert!(
            ReportQuery {
                from: Timestamp(0),
                to: Timestamp((MAX_DAYS + 1) * DAY_MS),
                channel: None
            }
            .validate()
            .is_err()
        );
        assert!(query().validate().is_ok());
    }

    #[test]
    fn the_chart_has_a_bar_pair_per_day() {
        let svg = Report::compute(query(), &fixture()).chart_svg();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert_eq!(svg.matches("<rect").count(), 4, "{svg}");
        assert!(svg.contains(": 3 chats, 0 missed</title>"), "{svg}");
        assert!(svg.contains(": 1 chats, 1 missed</title>"), "{svg}");
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn csv_has_a_row_per_operator_and_defuses_formulas() {
        let mut report = Report::compute(query(), &fixture());
        report.operators[1].name = "=HYPERLINK(\"x\"), Bob".into();
        let csv = report.to_csv();
        let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("operator,chats,missed,"));
        assert_eq!(
            lines[1],
            "All operators,4,1,30.000,60.000,75.000,90.000,600.000,900.000,3,3.67"
        );
        assert!(
            lines[3].starts_with("\"'=HYPERLINK(\"\"x\"\"), Bob\",1,0,60.000"),
            "{}",
            lines[3]
        );
    }
}
