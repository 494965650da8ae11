//! How many failed logins an account and an address may have before logins from them wait:
//! the rule both the engine and the documentation state, in one place. Failures are kept in
//! the database, so every node counts the same ones.

use crate::time::Timestamp;

/// The window failed logins are counted over (milliseconds).
pub const LOGIN_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failed logins for one account within the window before its logins wait.
pub const FAILED_LOGINS_PER_ACCOUNT: u32 = 10;
/// Failed logins from one address within the window before its logins wait (higher: an
/// office shares one address).
pub const FAILED_LOGINS_PER_ADDRESS: u32 = 30;

/// Seconds a login must wait, given `count` failures within the window of which the oldest
/// was at `oldest`, against `limit`; `None` when it may go ahead.
pub fn login_wait(
    count: u32,
    oldest: Option<Timestamp>,
    limit: u32,
    now: Timestamp,
) -> Option<u64> {
    if count < limit {
        return None;
    }
    let free_at = oldest.map_or(now.0, |at| at.0 + LOGIN_WINDOW_MS);
    let millis = (free_at - now.0).max(1000);
    Some(u64::try_from((millis + 999) / 1000).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_opens_when_the_oldest_failure_leaves_the_window() {
        let now = Timestamp(10_000_000);
        assert_eq!(login_wait(9, Some(now), 10, now), None);
        let oldest = Timestamp(now.0 - 5 * 60 * 1000);
        assert_eq!(login_wait(10, Some(oldest), 10, now), Some(600));
        // A failure just about to leave the window still makes the next login wait a second.
        let leaving = Timestamp(now.0 - LOGIN_WINDOW_MS + 10);
        assert_eq!(login_wait(12, Some(leaving), 10, now), Some(1));
    }
}
