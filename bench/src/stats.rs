//! Percentiles, computed from every sample (nearest rank on the sorted samples).

use std::time::Duration;

/// Latency summary of a set of samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Number of samples.
    pub count: usize,
    /// Median.
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest sample.
    pub max: Duration,
}

/// Summarises `samples`; `None` when there are none.
pub fn summarize(mut samples: Vec<Duration>) -> Option<Summary> {
    samples.sort_unstable();
    let max = *samples.last()?;
    Some(Summary {
        count: samples.len(),
        p50: percentile(&samples, 50.0),
        p90: percentile(&samples, 90.0),
        p99: percentile(&samples, 99.0),
        max,
    })
}

/// Nearest-rank percentile of sorted, non-empty samples: the smallest sample with at least `p`
/// percent of the samples at or below it.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    sorted.get(index).copied().unwrap_or_default()
}

/// Milliseconds with two decimals.
pub fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_millis(v)).collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let summary = summarize(millis(&(1..=100).rev().collect::<Vec<_>>())).unwrap();
        assert_eq!(summary.count, 100);
        assert_eq!(summary.p50, Duration::from_millis(50));
        assert_eq!(summary.p90, Duration::from_millis(90));
        assert_eq!(summary.p99, Duration::from_millis(99));
        assert_eq!(summary.max, Duration::from_millis(100));
    }

    #[test]
    fn small_sets() {
        assert_eq!(summarize(Vec::new()), None);
        let one = summarize(millis(&[7])).unwrap();
        assert_eq!(
            (one.p50, one.p99, one.max),
            (millis(&[7])[0], millis(&[7])[0], millis(&[7])[0])
        );
        let two = summarize(millis(&[1, 9])).unwrap();
        assert_eq!(two.p50, Duration::from_millis(1));
        assert_eq!(two.p90, Duration::from_millis(9));
    }

    #[test]
    fn formats_milliseconds() {
        assert_eq!(ms(Duration::from_micros(1234)), "1.23");
    }
}
