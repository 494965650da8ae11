//! Business hours (V11): the weekly schedule during which a channel takes live chats, in its
//! own time zone. Outside it the bubble offers "Leave a message" instead. The schedule is
//! written as admins say it — `Mon-Fri 09:00-17:30, Sat 10:00-14:00` — and checked here; which
//! local day and time it is in the zone is the server's to work out.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Day names, Monday first, as the schedule is written.
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One day's opening, in minutes after local midnight: open from `open` until before `close`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    /// First minute open.
    pub open: u16,
    /// First minute closed again (up to 1440, midnight).
    pub close: u16,
}

/// A channel's week: the openings of each day, Monday first, in an IANA time zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessHours {
    /// e.g. `Europe/Paris`; checked against the time zone database by the server.
    pub time_zone: String,
    /// Openings per day, Monday first; a day with none is closed.
    pub days: [Vec<Opening>; 7],
}

fn invalid(message: impl Into<String>) -> Error {
    Error::invalid("business_hours", message)
}

fn parse_day(name: &str) -> Result<usize, Error> {
    let lower = name.trim().to_ascii_lowercase();
    DAYS.iter()
        .position(|d| lower.starts_with(d) && DAYS_LONG.iter().any(|l| l.starts_with(&lower)))
        .ok_or_else(|| {
            invalid(format!(
                "\"{}\" is not a day: write Mon, Tue… Sun.",
                name.trim()
            ))
        })
}

const DAYS_LONG: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

fn parse_time(text: &str) -> Result<u16, Error> {
    let bad = || invalid(format!("\"{}\" is not a time: write 09:00.", text.trim()));
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h > 24 || (h == 24 && m > 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn format_time(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

impl BusinessHours {
    /// Reads a schedule such as `Mon-Fri 09:00-17:30, Sat 10:00-14:00` (entries separated by
    /// commas, semicolons or new lines; a day range wraps past Sunday). `None` when the
    /// schedule is blank: the channel is always open.
    pub fn parse(time_zone: &str, schedule: &str) -> Result<Option<Self>, Error> {
        let entries: Vec<&str> = schedule
            .split([',', ';', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        if entries.is_empty() {
            return Ok(None);
        }
        let time_zone = time_zone.trim();
        if time_zone.is_empty()
            || time_zone.len() > 64
            || time_zone.chars().any(char::is_whitespace)
        {
            return Err(Error::invalid(
                "time_zone",
                "Give the time zone of the business hours, e.g. Europe/Paris.",
            ));
        }
        let mut days: [Vec<Opening>; 7] = Default::default();
        for entry in entries {
            let (when, times) = entry.split_once(char::is_whitespace).ok_or_else(|| {
                invalid(format!(
                    "\"{entry}\": write a day and hours, e.g. Mon 09:00-17:00."
                ))
            })?;
            let (first, last) = match when.split_once('-') {
                Some((a, b)) => (parse_day(a)?, parse_day(b)?),
                None => (parse_day(when)?, parse_day(when)?),
            };
            let (open, close) = times
                .trim()
                .split_once('-')
                .ok_or_else(|| invalid(format!("\"{entry}\": write the hours as 09:00-17:00.")))?;
            let opening = Opening {
                open: parse_time(open)?,
                close: parse_time(close)?,
            };
            if opening.close <= opening.open {
                return Err(invalid(format!(
                    "\"{entry}\": closing comes after opening (use 24:00 for midnight)."
                )));
            }
            let mut day = first;
            loop {
                let list = &mut days[day];
                if list
                    .iter()
                    .any(|o| opening.open < o.close && o.open < opening.close)
                {
                    return Err(invalid(format!(
                        "\"{entry}\" overlaps other hours of {}.",
                        DAYS_LONG[day]
                    )));
                }
                list.push(opening);
                list.sort_by_key(|o| o.open);
                if day == last {
                    break;
                }
                day = (day + 1) % 7;
            }
        }
        Ok(Some(Self {
            time_zone: time_zone.to_owned(),
            days,
        }))
    }

    /// Whether the channel is open on `weekday` (0 = Monday) at `minute` after local midnight.
    pub fn is_open(&self, weekday: usize, minute: u16) -> bool {
        self.days
            .get(weekday)
            .is_some_and(|day| day.iter().any(|o| o.open <= minute && minute < o.close))
    }

    /// The schedule written back the way [`BusinessHours::parse`] reads it, one day per entry.
    pub fn schedule(&self) -> String {
        let mut entries = Vec::new();
        for (day, openings) in self.days.iter().enumerate() {
            for o in openings {
                let name = DAYS[day];
                let mut name = name.to_owned();
                if let Some(first) = name.get_mut(..1) {
                    first.make_ascii_uppercase();
                }
                entries.push(format!(
                    "{name} {}-{}",
                    format_time(o.open),
                    format_time(o.close)
                ));
            }
        }
        entries.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(result: Result<Option<BusinessHours>, Error>) -> Option<String> {
        result.err().and_then(|e| e.field)
    }

    #[test]
    fn a_week_is_read_and_written_back() {
        let hours = BusinessHours::parse("Europe/Paris", "Mon-Fri 09:00-17:30; sat 10:00-14:00")
            .unwrap()
            .unwrap();
        assert!(hours.is_open(0, 9 * 60));
        assert!(hours.is_open(4, 17 * 60 + 29));
        assert!(!hours.is_open(4, 17 * 60 + 30));
        assert!(!hours.is_open(0, 8 * 60 + 59));
        assert!(hours.is_open(5, 10 * 60));
        assert!(!hours.is_open(6, 12 * 60));
        let again = BusinessHours::parse("Europe/Paris", &hours.schedule())
            .unwrap()
            .unwrap();
        assert_eq!(again, hours);
        assert!(hours.schedule().starts_with("Mon 09:00-17:30, Tue"));
    }

    #[test]
    fn ranges_wrap_and_days_may_have_several_openings() {
        let hours = BusinessHours::parse(
            "UTC",
            "Fri-Mon 00:00-24:00\nWed 08:00-12:00, Wednesday 13:00-17:00",
        )
        .unwrap()
        .unwrap();
        assert!(hours.is_open(6, 1439) && hours.is_open(0, 0) && hours.is_open(4, 0));
        assert!(!hours.is_open(1, 600));
        assert!(hours.is_open(2, 8 * 60) && !hours.is_open(2, 12 * 60 + 30));
        assert!(hours.is_open(2, 13 * 60));
    }

    #[test]
    fn blank_is_always_open_and_mistakes_name_the_field() {
        assert_eq!(BusinessHours::parse("", "  "), Ok(None));
        for bad in [
            "Mon",
            "Mon 9-17",
            "Funday 09:00-17:00",
            "Mon 17:00-09:00",
            "Mon 09:00-25:00",
            "Mon 09:00-12:00, Mon 11:00-13:00",
            "M 09:00-10:00",
        ] {
            assert_eq!(
                field(BusinessHours::parse("UTC", bad)).as_deref(),
                Some("business_hours"),
                "{bad}"
            );
        }
        assert_eq!(
            field(BusinessHours::parse(" ", "Mon 09:00-17:00")).as_deref(),
            Some("time_zone")
        );
    }
}
