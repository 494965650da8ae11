//! Instants as UTC milliseconds: one integer on the wire and in both databases, formatted by
//! the client that shows it — or, for documents the server writes (transcripts, mail), in UTC
//! here.

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, UTC.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Milliseconds elapsed from `earlier` to `self` (zero if `earlier` is later).
    pub fn millis_since(self, earlier: Timestamp) -> i64 {
        (self.0 - earlier.0).max(0)
    }

    /// "2026-12-02 07:40:05 UTC": how transcripts and mail written by the server show times.
    pub fn utc_text(self) -> String {
        let seconds = self.0.div_euclid(1000);
        let (days, of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        format!(
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
            of_day / 3600,
            of_day % 3600 / 60,
            of_day % 60
        )
    }
}

impl Timestamp {
    /// Midnight UTC of a `YYYY-MM-DD` date (as a date field gives it), or `None`.
    pub fn from_utc_date(date: &str) -> Option<Self> {
        let mut parts = date.trim().splitn(3, '-');
        let year: i64 = parts.next()?.parse().ok()?;
        let month: i64 = parts.next()?.parse().ok()?;
        let day: i64 = parts.next()?.parse().ok()?;
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        // H. Hinnant's days_from_civil.
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let mp = (month + 9) % 12;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        let at = Self(days * 86_400_000);
        // Refuse days a month does not have (31 April reads back as 1 May).
        at.utc_text()
            .starts_with(&format!("{year:04}-{month:02}-{day:02}"))
            .then_some(at)
    }
}

/// When to try again after `attempts` failed tries, waiting `waits[attempts - 1]` seconds (the
/// last wait once past the table), or `None` once `max_attempts` tries have failed: the one
/// backoff rule of every outbox (webhooks, mail).
pub fn backoff(
    waits: &[i64],
    max_attempts: u32,
    attempts: u32,
    now: Timestamp,
) -> Option<Timestamp> {
    if attempts >= max_attempts {
        return None;
    }
    let index = usize::try_from(attempts.saturating_sub(1)).unwrap_or(usize::MAX);
    let wait = waits.get(index).or(waits.last()).copied().unwrap_or(60);
    Some(Timestamp(now.0 + wait * 1000))
}

/// The proleptic Gregorian date `days` after 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_text_matches_known_instants() {
        assert_eq!(Timestamp(0).utc_text(), "1970-01-01 00:00:00 UTC");
        assert_eq!(
            Timestamp(1_764_660_005_999).utc_text(),
            "2025-12-02 07:20:05 UTC"
        );
        // A leap day, and the day before the epoch.
        assert_eq!(
            Timestamp(951_782_400_000).utc_text(),
            "2000-02-29 00:00:00 UTC"
        );
        assert_eq!(Timestamp(-1000).utc_text(), "1969-12-31 23:59:59 UTC");
    }

    #[test]
    fn dates_read_back_as_utc_midnight() {
        assert_eq!(Timestamp::from_utc_date("1970-01-01"), Some(Timestamp(0)));
        assert_eq!(
            Timestamp::from_utc_date("2000-02-29"),
            Some(Timestamp(951_782_400_000))
        );
        for bad in [
            "",
            "2026-13-01",
            "2026-04-31",
            "2025-02-29",
            "x-1-1",
            "2026-1",
        ] {
            assert_eq!(Timestamp::from_utc_date(bad), None, "{bad}");
        }
    }
}
