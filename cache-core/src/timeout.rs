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
}
