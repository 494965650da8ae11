//! Times as the console shows them. Formatted the same on the server and in the browser (UTC),
//! so hydration never disagrees.

use domain::Timestamp;

/// `HH:MM` (UTC) of a timestamp.
pub fn clock(at: Timestamp) -> String {
    let minutes_of_day = at.0.div_euclid(60_000).rem_euclid(24 * 60);
    format!("{:02}:{:02}", minutes_of_day / 60, minutes_of_day % 60)
}

/// A length of time to the minute: "less than a minute", "12 min", "2 h 5 min", "3 d 4 h".
pub fn duration(millis: i64) -> String {
    let minutes = millis.max(0) / 60_000;
    let (days, hours, minutes) = (minutes / 1_440, minutes / 60 % 24, minutes % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => "less than a minute".to_owned(),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_formats_utc_hours_and_minutes() {
        assert_eq!(clock(Timestamp(0)), "00:00");
        assert_eq!(clock(Timestamp((13 * 60 + 7) * 60_000 + 59_999)), "13:07");
        assert_eq!(clock(Timestamp(86_400_000 + 60_000)), "00:01");
    }

    #[test]
    fn duration_reads_to_the_minute() {
        let minutes = |m: i64| m * 60_000;
        assert_eq!(duration(-5), "less than a minute");
        assert_eq!(duration(59_999), "less than a minute");
        assert_eq!(duration(minutes(12)), "12 min");
        assert_eq!(duration(minutes(60)), "1 h");
        assert_eq!(duration(minutes(125)), "2 h 5 min");
        assert_eq!(duration(minutes(3 * 1_440 + 4 * 60 + 7)), "3 d 4 h");
        assert_eq!(duration(minutes(1_440 + 7)), "1 d");
    }
}
