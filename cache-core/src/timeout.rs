//! How long an entry lives, and deadlines that cannot overflow.

use std::time::{Duration, Instant};

/// The longest lifetime any entry is stored with (100 years): longer ones,
/// up to `Duration::MAX`, are clamped to it, so that no deadline computed
/// from a caller's duration can overflow (and Redis accepts it in ms).
pub const MAX_TTL: Duration = Duration::from_secs(100 * 365 * 86_400);

/// `d`, at most [`MAX_TTL`].
pub(crate) fn clamp(d: Duration) -> Duration {
    d.min(MAX_TTL)
}

/// The instant `d` from now (`d` clamped to [`MAX_TTL`]: never a panic).
pub(crate) fn deadline(d: Duration) -> Instant {
    Instant::now() + clamp(d)
}

/// Milliseconds on a coarse monotonic clock (Linux's
/// `CLOCK_MONOTONIC_COARSE`: the time of the last scheduler tick, read
/// from the vDSO in a few nanoseconds, where `Instant::now()` costs ~20;
/// elsewhere `Instant`). It may lag real time by one tick (1-4 ms), two
/// when a tick is missed (up to 7 ms seen): the in-process store's
/// deadlines, which it reads on every hit, are kept to within that.
pub(crate) fn coarse_now_ms() -> u64 {
    clock_ns(true) / 1_000_000
}

/// Nanoseconds on the monotonic clock (Linux's `CLOCK_MONOTONIC`, read
/// from the vDSO; elsewhere `Instant`), as a plain integer: what a check
/// on every hit reads without `Instant`'s checked subtraction and
/// 128-bit conversion (~80 instructions of a tiered hit's ~1,450).
pub(crate) fn monotonic_ns() -> u64 {
    clock_ns(false)
}

/// Nanoseconds on Linux's `CLOCK_MONOTONIC_COARSE` (`coarse`) or
/// `CLOCK_MONOTONIC`; elsewhere, or if the clock cannot be read, since the
/// first read of an `Instant`.
fn clock_ns(coarse: bool) -> u64 {
    #[cfg(target_os = "linux")]
    {
        let clock = if coarse {
            libc::CLOCK_MONOTONIC_COARSE
        } else {
            libc::CLOCK_MONOTONIC
        };
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `now` is a valid, writable timespec; both clock ids are
        // constants Linux has had since 2.6.32.
        if unsafe { libc::clock_gettime(clock, &mut now) } == 0 {
            return (now.tv_sec as u64)
                .wrapping_mul(1_000_000_000)
                .wrapping_add(now.tv_nsec as u64);
        }
    }
    let _ = coarse;
    static BASE: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let base = *BASE.get_or_init(Instant::now);
    u64::try_from(base.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// The deadline `d` from now on [`coarse_now_ms`]'s clock (`d` clamped to
/// [`MAX_TTL`], rounded up to a millisecond).
pub(crate) fn coarse_deadline_ms(d: Duration) -> u64 {
    let ms = clamp(d).as_nanos().div_ceil(1_000_000);
    coarse_now_ms().saturating_add(u64::try_from(ms).unwrap_or(u64::MAX))
}

/// The lifetime of a stored entry, as Django's `timeout` argument.
///
/// A zero duration means "do not store" (and `set` removes what was there),
/// as in Django.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Timeout {
    /// The cache's configured default timeout.
    #[default]
    Default,
    /// Never expires (it may still be evicted by a bounded backend).
    Never,
    /// Expires after this long. Zero means do not store.
    After(Duration),
}

impl From<Duration> for Timeout {
    fn from(d: Duration) -> Self {
        Timeout::After(d)
    }
}

impl From<Option<Duration>> for Timeout {
    /// `None` means never expire, as Django's `timeout=None`.
    fn from(d: Option<Duration>) -> Self {
        d.map_or(Timeout::Never, Timeout::After)
    }
}

/// A resolved lifetime: `None` never expires, `Some(d)` expires after `d`
/// (`d` is never zero: zero was resolved to "do not store" before).
pub type Ttl = Option<Duration>;

/// What a write should do once the default is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lifetime {
    /// Store with this lifetime.
    Store(Ttl),
    /// Do not store (a zero timeout).
    Skip,
}

impl Timeout {
    /// Applies the cache's default (itself `None` for never).
    pub(crate) fn resolve(self, default: Ttl) -> Lifetime {
        let ttl = match self {
            Timeout::Default => default,
            Timeout::Never => None,
            Timeout::After(d) => Some(clamp(d)),
        };
        match ttl {
            Some(d) if d.is_zero() => Lifetime::Skip,
            ttl => Lifetime::Store(ttl),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_means_skip_and_default_applies() {
        let five = Some(Duration::from_secs(5));
        assert_eq!(Timeout::Default.resolve(five), Lifetime::Store(five));
        assert_eq!(Timeout::Default.resolve(None), Lifetime::Store(None));
        assert_eq!(Timeout::Never.resolve(five), Lifetime::Store(None));
        assert_eq!(Timeout::After(Duration::ZERO).resolve(five), Lifetime::Skip);
        assert_eq!(
            Timeout::Default.resolve(Some(Duration::ZERO)),
            Lifetime::Skip
        );
        assert_eq!(Timeout::from(None), Timeout::Never);
    }

    #[test]
    fn the_longest_durations_are_clamped_not_overflowed() {
        assert_eq!(
            Timeout::After(Duration::MAX).resolve(None),
            Lifetime::Store(Some(MAX_TTL))
        );
        assert!(deadline(Duration::MAX) > Instant::now());
    }

    #[test]
    fn the_coarse_clock_moves_forward_with_time_and_never_back() {
        let (start, at) = (coarse_now_ms(), Instant::now());
        std::thread::sleep(Duration::from_millis(50));
        let slept = u64::try_from(at.elapsed().as_millis()).unwrap();
        let now = coarse_now_ms();
        // At most a tick (10 ms at HZ=100) behind the precise clock.
        assert!(now + 11 >= start + slept, "{start} {now} {slept}");
        let mut last = now;
        for _ in 0..1_000 {
            let next = coarse_now_ms();
            assert!(next >= last);
            last = next;
        }
        // A deadline is never before its lifetime has started.
        assert!(coarse_deadline_ms(Duration::from_millis(1)) > start);
        assert!(coarse_deadline_ms(Duration::MAX) - coarse_now_ms() > 1 << 40);
    }
}
