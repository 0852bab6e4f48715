//! Retry policy (how many attempts, how long between them) and the seeded jitter source.

use time::Duration;

/// When and how often the engine re-sends a request that may safely be repeated (GET
/// requests and session-token requests; design §7.5).
///
/// The default is clerk-js's transport backoff with at most 3 attempts:
/// before retry 1 wait 100 ms, before retry 2 wait 700 ms, then double, each multiplied by
/// a jitter factor in [1, 2) and capped at 5 s. See [`backoff`](Self::backoff) for the
/// formula. [`ClientConfig::with_retry`](super::ClientConfig::with_retry) validates a
/// policy before the engine uses it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RetryPolicy {
    /// How many times a request is sent at most, counting the first send. `1` means never
    /// retry. Default 3. Must be at least 1.
    pub max_attempts: u32,
    /// Delay before the first retry (before jitter). Default 100 ms. Must not be negative.
    pub initial_backoff: Duration,
    /// Delay before the second retry (before jitter); each later retry multiplies it by
    /// [`multiplier`](Self::multiplier). Default 700 ms. Must not be negative.
    pub base_backoff: Duration,
    /// The longest delay ever returned, applied after jitter. Default 5 s. Must not be
    /// negative.
    pub max_backoff: Duration,
    /// Growth factor from one retry to the next, from the second retry on. Default 2.
    /// Must be at least 1.
    pub multiplier: u32,
    /// Whether delays are multiplied by a jitter factor in [1, 2). Default `true`.
    pub jitter: bool,
}

impl RetryPolicy {
    /// Default [`max_attempts`](Self::max_attempts): 3.
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
    /// Default [`initial_backoff`](Self::initial_backoff): 100 ms.
    pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::milliseconds(100);
    /// Default [`base_backoff`](Self::base_backoff): 700 ms.
    pub const DEFAULT_BASE_BACKOFF: Duration = Duration::milliseconds(700);
    /// Default [`max_backoff`](Self::max_backoff): 5 s.
    pub const DEFAULT_MAX_BACKOFF: Duration = Duration::seconds(5);
    /// Default [`multiplier`](Self::multiplier): 2.
    pub const DEFAULT_MULTIPLIER: u32 = 2;

    /// A policy that sends every request once and never retries.
    #[must_use]
    pub fn no_retries() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }

    /// The delay before retry number `retry` (1 = the first retry, that is the second
    /// send), given a uniform random `jitter_unit` in [0, 1) (from [`Jitter::next_unit`]).
    ///
    /// Formula, with `j = 1 + jitter_unit` when [`jitter`](Self::jitter) is on and `j = 1`
    /// otherwise:
    ///
    /// * `retry = 0`: zero (nothing waits before the first send);
    /// * `retry = 1`: `min(initial_backoff × j, max_backoff)`;
    /// * `retry = k ≥ 2`: `min(base_backoff × multiplier^(k−2) × j, max_backoff)`.
    ///
    /// With the defaults: 100–200 ms, 0.7–1.4 s, 1.4–2.8 s, 2.8–5 s, then 5 s. The cap is
    /// applied after jitter (as clerk-js does), so `max_backoff` is a true maximum.
    ///
    /// Pure and total: the arithmetic saturates, so any `retry` (even `u32::MAX`) gives
    /// `max_backoff` at most; a `jitter_unit` outside [0, 1) or NaN is clamped into it; a
    /// negative duration in the policy counts as zero.
    #[must_use]
    pub fn backoff(&self, retry: u32, jitter_unit: f64) -> Duration {
        let cap = nanos_of(self.max_backoff);
        let raw = match retry {
            0 => return Duration::ZERO,
            1 => nanos_of(self.initial_backoff),
            k => {
                let exponent = k.saturating_sub(2);
                match u128::from(self.multiplier).checked_pow(exponent) {
                    Some(factor) => nanos_of(self.base_backoff).saturating_mul(factor),
                    None if self.multiplier == 0 => 0,
                    None => u128::MAX,
                }
            }
        };
        let raw = raw.min(cap);
        let jittered = if self.jitter {
            // `raw` fits in 96 bits (a `time::Duration`), the fraction in 32: no overflow.
            let fraction = unit_to_fraction(jitter_unit);
            raw.saturating_add(raw.saturating_mul(fraction) >> 32)
        } else {
            raw
        };
        duration_from_nanos(jittered.min(cap))
    }
}

impl Default for RetryPolicy {
    /// 3 attempts; 100 ms, 700 ms, ×2, capped at 5 s; jitter on.
    fn default() -> Self {
        Self {
            max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
            initial_backoff: Self::DEFAULT_INITIAL_BACKOFF,
            base_backoff: Self::DEFAULT_BASE_BACKOFF,
            max_backoff: Self::DEFAULT_MAX_BACKOFF,
            multiplier: Self::DEFAULT_MULTIPLIER,
            jitter: true,
        }
    }
}

/// Whole nanoseconds of a duration, with negative durations as zero.
fn nanos_of(duration: Duration) -> u128 {
    u128::try_from(duration.whole_nanoseconds()).unwrap_or(0)
}

/// `unit` in [0, 1) as a 32-bit binary fraction (`unit × 2^32`), clamping out-of-range
/// values and NaN.
fn unit_to_fraction(unit: f64) -> u128 {
    if unit.is_nan() || unit <= 0.0 {
        return 0;
    }
    let scaled = unit * 4_294_967_296.0;
    if scaled >= 4_294_967_295.0 {
        4_294_967_295
    } else {
        // In range [0, 2^32 − 1): the conversion is exact in its integer part.
        scaled as u128
    }
}

/// A non-negative duration from nanoseconds, saturating at `Duration::MAX`.
fn duration_from_nanos(nanos: u128) -> Duration {
    let seconds = i64::try_from(nanos / 1_000_000_000).unwrap_or(i64::MAX);
    let subsec = i32::try_from(nanos % 1_000_000_000).unwrap_or(0);
    Duration::new(seconds, subsec)
}

/// A small deterministic pseudo-random source for retry jitter: SplitMix64.
///
/// Seeded from [`ClientConfig::jitter_seed`](super::ClientConfig::jitter_seed), so the
/// same seed gives the same delays (replays and property tests can predict them). It is
/// **not** cryptographic and must never be used for anything secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Jitter {
    /// The generator's state; advanced by a fixed odd constant on every draw.
    state: u64,
}

impl Jitter {
    /// A generator starting from `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The next number, uniform in [0, 1) with 53 bits of precision.
    pub fn next_unit(&mut self) -> f64 {
        // 53 random bits fit exactly in an f64 mantissa.
        (self.next_u64() >> 11) as f64 / 9_007_199_254_740_992.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    fn ms(n: i64) -> Duration {
        Duration::milliseconds(n)
    }

    #[test]
    fn defaults() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.max_attempts, 3);
        assert_eq!(policy.initial_backoff, ms(100));
        assert_eq!(policy.base_backoff, ms(700));
        assert_eq!(policy.max_backoff, Duration::seconds(5));
        assert_eq!(policy.multiplier, 2);
        assert!(policy.jitter);
        assert_eq!(RetryPolicy::no_retries().max_attempts, 1);
    }

    #[test]
    fn backoff_without_jitter_matches_clerk_js() {
        let policy = RetryPolicy { jitter: false, ..RetryPolicy::default() };
        let expected = [0, 100, 700, 1_400, 2_800, 5_000, 5_000];
        for (retry, want) in expected.into_iter().enumerate() {
            let retry = u32::try_from(retry).unwrap();
            assert_eq!(policy.backoff(retry, 0.0), ms(want), "retry {retry}");
            // The unit is ignored when jitter is off.
            assert_eq!(policy.backoff(retry, 0.99), ms(want), "retry {retry}");
        }
        assert_eq!(policy.backoff(u32::MAX, 0.5), ms(5_000));
    }

    #[test]
    fn backoff_with_jitter_lower_middle_upper() {
        let policy = RetryPolicy::default();
        // jitter_unit 0 → factor 1.
        let low = [100, 700, 1_400, 2_800, 5_000, 5_000];
        // jitter_unit 0.5 → factor 1.5 (exact in binary).
        let mid = [150, 1_050, 2_100, 4_200, 5_000, 5_000];
        for retry in 1..=6u32 {
            let index = usize::try_from(retry - 1).unwrap();
            assert_eq!(policy.backoff(retry, 0.0), ms(low[index]), "retry {retry}");
            assert_eq!(policy.backoff(retry, 0.5), ms(mid[index]), "retry {retry}");
            // Just below 1 → just below double, still capped.
            let high = policy.backoff(retry, 0.999_999);
            assert!(high >= ms(low[index]) && high <= ms(5_000), "retry {retry}");
            assert!(high < ms(low[index]) * 2, "retry {retry}");
        }
        // retry 4 with factor ~2 hits the cap (2.8 s × 2 > 5 s).
        assert_eq!(policy.backoff(4, 0.999), ms(5_000));
        assert_eq!(policy.backoff(u32::MAX, 0.999), ms(5_000));
        assert_eq!(policy.backoff(u32::MAX, 0.0), ms(5_000));
    }

    #[test]
    fn backoff_is_total_on_odd_inputs() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff(1, f64::NAN), ms(100));
        assert_eq!(policy.backoff(1, -3.0), ms(100));
        assert!(policy.backoff(1, 7.0) < ms(200));
        assert!(policy.backoff(1, f64::INFINITY) < ms(200));

        let huge = RetryPolicy {
            max_backoff: Duration::MAX,
            base_backoff: Duration::MAX,
            initial_backoff: Duration::MAX,
            multiplier: u32::MAX,
            ..RetryPolicy::default()
        };
        assert_eq!(huge.backoff(u32::MAX, 0.999), Duration::MAX);
        assert_eq!(huge.backoff(1, 0.999), Duration::MAX);

        let negative = RetryPolicy {
            initial_backoff: Duration::seconds(-1),
            max_backoff: Duration::seconds(-1),
            ..RetryPolicy::default()
        };
        assert_eq!(negative.backoff(1, 0.5), Duration::ZERO);
        assert_eq!(negative.backoff(9, 0.5), Duration::ZERO);

        let flat = RetryPolicy { multiplier: 1, jitter: false, ..RetryPolicy::default() };
        assert_eq!(flat.backoff(u32::MAX, 0.0), ms(700));
        let zero = RetryPolicy { multiplier: 0, jitter: false, ..RetryPolicy::default() };
        assert_eq!(zero.backoff(2, 0.0), ms(700));
        assert_eq!(zero.backoff(u32::MAX, 0.0), Duration::ZERO);
    }

    #[test]
    fn jitter_is_deterministic_per_seed() {
        let mut a = Jitter::new(42);
        let mut b = Jitter::new(42);
        let first: Vec<f64> = (0..16).map(|_| a.next_unit()).collect();
        let second: Vec<f64> = (0..16).map(|_| b.next_unit()).collect();
        assert_eq!(first, second);
        let mut c = Jitter::new(43);
        let other: Vec<f64> = (0..16).map(|_| c.next_unit()).collect();
        assert_ne!(first, other);
        assert!(first.iter().all(|u| (0.0..1.0).contains(u)));
    }

    #[test]
    fn jitter_matches_splitmix64_reference() {
        // Reference outputs of SplitMix64 for seed 0 (Vigna's published generator).
        let mut jitter = Jitter::new(0);
        assert_eq!(jitter.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(jitter.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(jitter.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn jitter_units_spread_over_the_interval() {
        let mut jitter = Jitter::new(7);
        let units: Vec<f64> = (0..1_000).map(|_| jitter.next_unit()).collect();
        assert!(units.iter().all(|u| (0.0..1.0).contains(u)));
        let below_half = units.iter().filter(|u| **u < 0.5).count();
        assert!((400..600).contains(&below_half), "{below_half}");
    }
}
