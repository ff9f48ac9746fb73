//! How a call runs: a pooled connection through the circuit breaker, sent
//! again when the server closed it, a reply the server will not send
//! dropped, failures mapped to typed errors, and when entries are served.

use super::RedisBackend;
use super::breaker::{Opened, Ticket};
use super::failures::{
    Resend, breaks_connection, closed_by_peer, server_in_trouble, unsendable, unsendable_at,
};
use super::link::Link;
use super::pool;
use super::pool::Checkout;
use crate::error::{Error, Result};
use redis::{ConnectionLike, RedisError, RedisResult};
use std::time::Duration;

impl RedisBackend {
    /// Whether entries read now may be served. Not for a while after the
    /// server answers again following trouble (three `retry_after`s): bumps
    /// that other processes could not deliver meanwhile (owed, retried
    /// every `retry_after`), or that a failover lost on a cluster's
    /// unreachable master, may still be missing, and an entry they
    /// invalidate would validate. The versions are still read, so fills
    /// go on; reads go to the database. Nor while the breaker is open (a
    /// local tier, which needs no call to answer, asks too).
    pub(crate) fn serves_entries(&self) -> bool {
        if self.breaker.is_open() {
            return false;
        }
        let until = self
            .no_hits_until
            .load(std::sync::atomic::Ordering::Relaxed);
        // (No clock read unless there was trouble.)
        until == 0 || self.started.elapsed().as_millis() as u64 >= until
    }

    /// Runs `f` on a pooled connection, mapping failures to typed errors.
    /// While the breaker is open the call fails at once; once it is
    /// half-open, this call may be the probe. Never sent twice (see
    /// [`RedisBackend::with_conn_resending`]).
    pub(super) fn with_conn<T>(&self, f: impl FnOnce(&mut Link) -> RedisResult<T>) -> Result<T> {
        self.with_conn_probing(|conn, _| f(conn))
    }

    /// [`RedisBackend::with_conn`], telling `f` whether its call is the
    /// breaker's probe (which must wait for an answer to prove anything).
    pub(super) fn with_conn_probing<T>(
        &self,
        f: impl FnOnce(&mut Link, bool) -> RedisResult<T>,
    ) -> Result<T> {
        let mut f = Some(f);
        self.run_link(Resend::Never, |conn, probe| {
            (f.take().expect("a call that is never resent runs once"))(conn, probe)
        })
    }

    /// [`RedisBackend::with_conn_probing`] for a call that is safe to send
    /// twice (a `SET` of a value, `SET NX`, `DEL`, `EXISTS`, `PEXPIRE`; not
    /// an increment): when the pooled connection it was sent on turns out
    /// closed by the server (its idle `timeout` struck between the pool's
    /// check and the call), it is sent again on a new connection.
    pub(super) fn with_conn_resending<T>(
        &self,
        mut f: impl FnMut(&mut Link) -> RedisResult<T>,
    ) -> Result<T> {
        self.run_link(Resend::Once, |conn, _| f(conn))
    }

    /// [`RedisBackend::with_conn_resending`] for a read of `keys`, sent
    /// again on a new connection whatever connection the server closed. A
    /// read that the server answers by closing the connection twice, while
    /// a new connection answers `PING`, is a reply the server will not
    /// send (over its `client-output-buffer-limit`): its largest value is
    /// deleted ([`RedisBackend::drop_unsendable`]) and the read made again.
    pub(super) fn with_read<T>(
        &self,
        keys: &[&str],
        f: impl FnMut(&mut Link) -> RedisResult<T>,
    ) -> Result<T> {
        let mut f = f;
        self.run_link(Resend::Read(keys), |conn, _| f(conn))
    }

    /// The one way a call runs: see [`RedisBackend::with_conn`] and the
    /// others. A connection closed by the server instead of an answer
    /// (end of file, a reset) opens the breaker only if a new connection
    /// cannot answer a `PING` either: the server's idle `timeout` or one
    /// reply it will not send is not the server in trouble.
    pub(super) fn run_link<T>(
        &self,
        resend: Resend<'_>,
        mut f: impl FnMut(&mut Link, bool) -> RedisResult<T>,
    ) -> Result<T> {
        let Some(ticket) = self.breaker.admit() else {
            return Err(self.failing_fast());
        };
        if let super::Server::Sentinel(sentinels) = &self.server {
            // A failover announced: no connection made before is used.
            self.pool.retire_up_to(sentinels.switches());
        }
        let probe = ticket.is_probe();
        let mut conn = match self.link(probe, false) {
            Ok(conn) => conn,
            Err(e) => return Err(self.checkout_failed(ticket, e)),
        };
        let mut result = f(&mut conn, probe);
        let mut resent = false;
        if result.as_ref().is_err_and(closed_by_peer) && resend.allows(conn.reused()) {
            conn.discard();
            drop(conn);
            tracing::debug!(url = %self.shown_url, "a connection was closed by the server: sending again on a new one");
            conn = match self.link(probe, true) {
                Ok(conn) => conn,
                Err(e) => return Err(self.checkout_failed(ticket, e)),
            };
            result = f(&mut conn, probe);
            resent = true;
        }
        if result.as_ref().is_err_and(closed_by_peer) {
            conn.discard();
            drop(conn);
            // The server, or this call? A new connection's PING tells.
            let mut check = match self.checked_link(probe) {
                Ok(Some(check)) => check,
                Ok(None) => {
                    let e = result.err().expect("failed");
                    self.in_trouble(ticket, &e);
                    return Err(self.map_error(e));
                }
                Err(e) => return Err(self.checkout_failed(ticket, e)),
            };
            if let Resend::Read(keys) = resend
                && resent
            {
                self.drop_unsendable(&mut check, keys);
                result = f(&mut check, probe);
            }
            if let Err(e) = &result
                && closed_by_peer(e)
            {
                check.discard();
                result = Err(unsendable());
            }
            conn = check;
        }
        match &result {
            // Before the connection is dropped: a caller waiting for its
            // slot then finds the breaker open instead of connecting.
            Err(e) if server_in_trouble(e) => self.in_trouble(ticket, e),
            // Any answer, an error reply included, says the server works.
            _ => {
                self.answered(ticket);
            }
        }
        // A connection that failed is in an unknown state: dropped, not
        // returned. (A server's error reply leaves it usable; not under
        // Sentinel when it says the server is in trouble: `READONLY`
        // from a demoted master.)
        let sentinel = matches!(self.server, super::Server::Sentinel(_));
        if result.as_ref().is_err_and(breaks_connection)
            || !conn.is_open()
            || (sentinel && result.as_ref().is_err_and(server_in_trouble))
        {
            conn.discard();
        }
        result.map_err(|e| self.map_error(e))
    }

    /// A new connection that answered a `PING`, or `None` when the server
    /// did not answer one. A check connection closed before its answer
    /// (every connection killed by `CLIENT KILL`, the second time) is
    /// asked again on one more: the server accepted it, which is doubt,
    /// not proof, and an open breaker would hold this process's tag writes
    /// back for `retry_after` while other processes go on hitting the
    /// entries they were to invalidate. A connect failure, a timeout or an
    /// error reply is proof at once.
    fn checked_link(
        &self,
        probe: bool,
    ) -> std::result::Result<Option<pool::Pooled<'_, Link>>, Checkout<RedisError>> {
        for attempt in 0..2 {
            let mut check = self.link(probe, true)?;
            match redis::cmd("PING").query::<String>(&mut *check) {
                Ok(_) => return Ok(Some(check)),
                Err(e) => {
                    check.discard();
                    if attempt == 1 || !closed_by_peer(&e) {
                        break;
                    }
                }
            }
        }
        Ok(None)
    }

    /// A connection from the pool (with `new`, a new one), for a call that
    /// gives up waiting when the breaker opens unless it is the `probe`.
    pub(super) fn link(
        &self,
        probe: bool,
        new: bool,
    ) -> std::result::Result<pool::Pooled<'_, Link>, Checkout<RedisError>> {
        let give_up = || !probe && self.breaker.is_open();
        if new {
            self.pool
                .get_new(self.connect_timeout, || self.open_link(), give_up)
        } else {
            self.pool
                .get(self.connect_timeout, || self.open_link(), give_up)
        }
    }

    /// The error of a call that got no connection (a connection that
    /// cannot be made opens the breaker).
    pub(super) fn checkout_failed(&self, ticket: Ticket<'_>, e: Checkout<RedisError>) -> Error {
        match e {
            Checkout::Connect(e) => {
                self.in_trouble(ticket, &e);
                Error::Unavailable {
                    reason: format!("cannot connect to {}: {e}", self.shown_url),
                }
            }
            Checkout::GaveUp => self.failing_fast(),
            // (A probe's ticket dropped unreported opens the breaker again.)
            Checkout::Busy => Error::Unavailable {
                reason: format!(
                    "every connection to {} stayed busy for {:?}",
                    self.shown_url, self.connect_timeout
                ),
            },
        }
    }

    /// After a read of `keys` was answered by closing the connection
    /// twice (while the server answers): deletes its largest value when it
    /// is most of the reply (`STRLEN`, then `UNLINK`, on `conn`), counted
    /// ([`RedisBackend::dropped`]) and logged (at most once a minute).
    pub(super) fn drop_unsendable(&self, conn: &mut Link, keys: &[&str]) {
        let mut pipe = redis::pipe();
        for key in keys {
            pipe.cmd("STRLEN").arg(*key);
        }
        let Ok(lengths) = pipe.query::<Vec<u64>>(conn) else {
            return;
        };
        let Some(at) = unsendable_at(&lengths) else {
            return;
        };
        if redis::cmd("UNLINK")
            .arg(keys[at])
            .query::<u64>(conn)
            .is_ok_and(|n| n > 0)
        {
            self.dropped_one(keys[at], lengths[at]);
        }
    }

    /// Counts and logs an entry deleted because the server would not send it.
    pub(super) fn dropped_one(&self, key: &str, len: u64) {
        static LOGGED: crate::log_limit::LogLimit = crate::log_limit::LogLimit::new();
        self.dropped
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(left_out) = LOGGED.check(Duration::from_secs(60)) {
            tracing::warn!(
                url = %self.shown_url, key, bytes = len,
                "Redis closed the connection instead of sending a cache entry (over its \
                 client-output-buffer-limit?): the entry was deleted (counted in `undecodable`){left_out}"
            );
        }
    }

    /// Entries deleted because the server would not send them.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A call got an answer: a probe's closes the breaker, and entries are
    /// served again after the grace (see [`RedisBackend::serves_entries`]).
    pub(super) fn answered(&self, ticket: Ticket<'_>) {
        if ticket.succeeded() {
            let grace = self.breaker.retry_after() * 3;
            let until = self.started.elapsed() + grace;
            self.no_hits_until.fetch_max(
                until.as_millis() as u64,
                std::sync::atomic::Ordering::Relaxed,
            );
            tracing::info!(
                url = %self.shown_url, ?grace,
                "cache backend answers again: entries are served again after the grace"
            );
            self.report_breaker(false);
        }
    }

    /// Opens the breaker after `error`; when that is news, closes the idle
    /// connections too (after a restart they are all dead, and each would
    /// fail a probe in turn). Under Sentinel, the master is asked again.
    pub(super) fn in_trouble(&self, ticket: Ticket<'_>, error: &RedisError) {
        let retry_after = self.breaker.retry_after();
        // The breaker opens first: callers woken by the closing of idle
        // connections then fail fast instead of connecting.
        let opened = ticket.failed();
        if matches!(opened, Opened::Already) {
            return;
        }
        match opened {
            Opened::Now => {
                tracing::warn!(
                    url = %self.shown_url, %error, ?retry_after,
                    "cache backend in trouble: calls fail fast until a probe gets an answer"
                );
                self.report_breaker(true);
            }
            _ => tracing::debug!(url = %self.shown_url, %error, "cache backend probe failed"),
        }
        match &self.server {
            // Under Sentinel, trouble may be a failover: the next
            // connection asks the sentinels again, and none made before is
            // used again (a demoted master answers reads, and a probe
            // there would close the breaker).
            super::Server::Sentinel(sentinels) => {
                sentinels.forget();
                self.pool.retire_all();
            }
            _ => self.pool.drain_idle(),
        }
    }

    /// With the `metrics` feature: the breaker's state as a gauge
    /// (`cache_breaker_open{url}`: 1 open, 0 closed) and its transitions
    /// (`cache_breaker_transitions_total{url, to = open|closed}`).
    fn report_breaker(&self, open: bool) {
        self.report_breaker_state(open);
        #[cfg(feature = "metrics")]
        {
            let (url, to) = (
                self.shown_url.to_string(),
                if open { "open" } else { "closed" },
            );
            metrics::counter!("cache_breaker_transitions_total", "url" => url, "to" => to)
                .increment(1);
        }
    }

    /// The breaker's state gauge alone.
    fn report_breaker_state(&self, open: bool) {
        #[cfg(feature = "metrics")]
        {
            let url = self.shown_url.to_string();
            metrics::gauge!("cache_breaker_open", "url" => url).set(f64::from(u8::from(open)));
        }
        #[cfg(not(feature = "metrics"))]
        let _ = open;
    }

    /// When the store is made: the breaker closed, no transition yet (so
    /// that a dashboard finds its series before the first).
    pub(super) fn report_breaker_made(&self) {
        self.report_breaker_state(false);
        #[cfg(feature = "metrics")]
        for to in ["open", "closed"] {
            let url = self.shown_url.to_string();
            metrics::counter!("cache_breaker_transitions_total", "url" => url, "to" => to)
                .increment(0);
        }
    }

    pub(super) fn failing_fast(&self) -> Error {
        Error::Unavailable {
            reason: format!(
                "{} failed moments ago; calls fail fast until a probe (one every {:?}) gets an answer",
                self.shown_url,
                self.breaker.retry_after()
            ),
        }
    }

    pub(super) fn map_error(&self, e: RedisError) -> Error {
        if e.is_timeout() {
            Error::Timeout {
                timeout: self.response_timeout,
            }
        } else if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() {
            Error::Unavailable {
                reason: e.to_string(),
            }
        } else {
            Error::Backend {
                reason: e.to_string(),
            }
        }
    }
}
