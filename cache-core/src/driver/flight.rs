//! Single-flight: concurrent misses on one key (and one stamp) in one
//! process run one load; the others wait for its result.

use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

/// The result of a flight: the fill's bytes, or `None` when the leader
/// failed (the followers then load for themselves).
pub(crate) type Landing = Option<Bytes>;

#[derive(Default)]
struct Flight {
    landed: Mutex<Option<Landing>>,
    /// Wakes the followers waiting on a thread.
    cv: Condvar,
    /// Wakes the followers waiting as tasks (the async driver).
    wakers: Mutex<Vec<Waker>>,
}

/// The flights in the air, by key.
#[derive(Default)]
pub(crate) struct Flights {
    in_air: Mutex<HashMap<String, Arc<Flight>>>,
}

/// What a caller is in a flight.
pub(crate) enum Role<'a> {
    /// Runs the load; must [`Leader::land`] (dropping lands a failure).
    Leader(Leader<'a>),
    /// Waits for the leader.
    Follower(Follower),
}

pub(crate) struct Leader<'a> {
    flights: &'a Flights,
    key: String,
    flight: Arc<Flight>,
    landed: bool,
}

pub(crate) struct Follower {
    flight: Arc<Flight>,
}

impl Flights {
    pub(crate) fn join(&self, key: String) -> Role<'_> {
        let mut in_air = self.in_air.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(flight) = in_air.get(&key) {
            return Role::Follower(Follower {
                flight: flight.clone(),
            });
        }
        let flight = Arc::new(Flight::default());
        in_air.insert(key.clone(), flight.clone());
        Role::Leader(Leader {
            flights: self,
            key,
            flight,
            landed: false,
        })
    }
}

impl Flights {
    /// A leader of a flight nobody can join (it is not in the air).
    pub(crate) fn alone(&self, key: String) -> Leader<'_> {
        Leader {
            flights: self,
            key,
            flight: Arc::new(Flight::default()),
            landed: false,
        }
    }
}

impl Leader<'_> {
    /// Hands the result to the followers and ends the flight.
    pub(crate) fn land(mut self, result: Landing) {
        self.finish(result);
    }

    /// Takes no more followers (those that joined still get the result): a
    /// caller that joins from now on leads a flight of its own.
    pub(crate) fn close(&self) {
        let mut in_air = self
            .flights
            .in_air
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if in_air
            .get(&self.key)
            .is_some_and(|f| Arc::ptr_eq(f, &self.flight))
        {
            in_air.remove(&self.key);
        }
    }

    fn finish(&mut self, result: Landing) {
        if self.landed {
            return;
        }
        self.landed = true;
        self.close();
        *self.flight.landed.lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
        self.flight.cv.notify_all();
        let wakers =
            std::mem::take(&mut *self.flight.wakers.lock().unwrap_or_else(|p| p.into_inner()));
        wakers.into_iter().for_each(Waker::wake);
    }
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        self.finish(None);
    }
}

impl Follower {
    /// The leader's result, waited for without blocking the thread (the
    /// caller bounds the wait); `None` when it failed.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn landing(&self) -> impl std::future::Future<Output = Landing> + Send + '_ {
        std::future::poll_fn(move |cx| {
            // The waker is registered before the result is looked at, so a
            // landing in between wakes it.
            let mut wakers = self.flight.wakers.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(result) = self
                .flight
                .landed
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
            {
                return Poll::Ready(result.clone());
            }
            if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
                wakers.push(cx.waker().clone());
            }
            Poll::Pending
        })
    }

    /// The leader's result; `None` when it failed or did not land within `max`.
    pub(crate) fn wait(&self, max: Duration) -> Landing {
        let deadline = crate::timeout::deadline(max);
        let mut landed = self.flight.landed.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(result) = landed.as_ref() {
                return result.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            landed = self
                .flight
                .cv
                .wait_timeout(landed, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn followers_get_the_leaders_result_and_a_dropped_leader_fails_them() {
        let flights = Flights::default();
        let Role::Leader(leader) = flights.join("k".into()) else {
            panic!("first is the leader")
        };
        let Role::Follower(follower) = flights.join("k".into()) else {
            panic!("second follows")
        };
        leader.land(Some(Bytes::from_static(b"v")));
        assert_eq!(
            follower.wait(Duration::from_secs(1)),
            Some(Bytes::from_static(b"v"))
        );
        let Role::Leader(leader) = flights.join("k".into()) else {
            panic!("a new flight")
        };
        let Role::Follower(follower) = flights.join("k".into()) else {
            panic!("follows")
        };
        drop(leader);
        assert_eq!(follower.wait(Duration::from_secs(1)), None);
        // A closed flight keeps its followers; a later caller leads anew,
        // and the closed one's landing leaves the new flight in the air.
        let Role::Leader(closed) = flights.join("c".into()) else {
            panic!()
        };
        let Role::Follower(early) = flights.join("c".into()) else {
            panic!()
        };
        closed.close();
        let Role::Leader(late) = flights.join("c".into()) else {
            panic!("a closed flight takes no follower")
        };
        closed.land(Some(Bytes::from_static(b"old")));
        assert_eq!(
            early.wait(Duration::from_secs(1)),
            Some(Bytes::from_static(b"old"))
        );
        let Role::Follower(_) = flights.join("c".into()) else {
            panic!("the new flight is still in the air")
        };
        drop(late);
        let Role::Leader(_slow) = flights.join("j".into()) else {
            panic!()
        };
        let Role::Follower(follower) = flights.join("j".into()) else {
            panic!()
        };
        assert_eq!(
            follower.wait(Duration::from_millis(20)),
            None,
            "bounded wait"
        );
    }
}
