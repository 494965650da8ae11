//! Times as the console shows them. Formatted the same on the server and in the browser (UTC),
//! so hydration never disagrees.

use domain::Timestamp;

/// `HH:MM` (UTC) of a timestamp.
pub fn clock(at: Timestamp) -> String {
    let minutes_of_day = at.0.div_euclid(60_000).rem_euclid(24 * 60);
    format!("{:02}:{:02}", minutes_of_day / 60, minutes_of_day % 60)
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
}
