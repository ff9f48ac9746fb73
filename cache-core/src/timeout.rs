//! How long an entry lives.

use std::time::Duration;

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
            Timeout::After(d) => Some(d),
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
}
