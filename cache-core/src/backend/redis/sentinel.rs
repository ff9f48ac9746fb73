//! Redis Sentinel: the master of a named service, asked of the sentinels
//! (`SENTINEL MASTER`: the latest configuration epoch's), checked (`ROLE`
//! says `master`, as Sentinel's client guidelines ask), and remembered until a failure
//! says it may have moved ([`Sentinels::forget`]) or a sentinel announces
//! a failover (`+promoted-slave`, `+switch-master`, listened to by a
//! thread of its own,
//! [`Sentinels::watch`]): the next connection asks again, and connections
//! to the old master are not used again.
//!
//! Written here rather than through redis-rs's `sentinel` module: its
//! synchronous discovery connects to sentinels and masters without a
//! deadline, so one sentinel that hangs would hang every connection
//! attempt; these calls run over this crate's plain transport, each with
//! the store's connect and response timeouts.

use super::plain::{PlainConn, Target};
use redis::{RedisConnectionInfo, RedisError, RedisResult};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// The sentinels of one service, and its master as last found.
pub(crate) struct Sentinels {
    /// `host:port` of each sentinel, asked in turn.
    nodes: Vec<(String, u16)>,
    /// The master's name in the sentinels' configuration.
    service: String,
    /// How to talk to the sentinels (their password, if any; no database).
    sentinel_settings: RedisConnectionInfo,
    /// How to talk to the master (database, user name, password).
    pub(crate) settings: RedisConnectionInfo,
    connect_timeout: Duration,
    response_timeout: Duration,
    /// The master as last found, and what else the asking needs.
    state: Mutex<State>,
    /// Held while the sentinels are asked, so that one caller asks; with
    /// when the last asking failed and why (a caller that waited for it
    /// takes that answer instead of asking again).
    asking: Mutex<Option<(Instant, String)>>,
    /// Failovers announced by the sentinels so far (counted once the new
    /// master is remembered).
    switches: AtomicU64,
}

/// What [`Sentinels`] remembers.
#[derive(Default)]
struct State {
    /// The master as last found; `None`: ask again.
    master: Option<(String, u16)>,
    /// Bumped by every forget and announcement: an asking begun before
    /// does not store (or share the failure of) what it found.
    epoch: u64,
    /// The master an announcement replaced, and when: refused for
    /// [`DEPOSED_FOR`], while sentinels that have not heard yet may still
    /// name it and it still says it is a master.
    deposed: Option<((String, u16), Instant)>,
}

/// How long a replaced master is refused (Sentinel demotes a live one
/// within about ten seconds).
const DEPOSED_FOR: Duration = Duration::from_secs(30);

impl Sentinels {
    pub(crate) fn new(
        nodes: Vec<(String, u16)>,
        service: String,
        settings: RedisConnectionInfo,
        sentinel_settings: RedisConnectionInfo,
        connect_timeout: Duration,
        response_timeout: Duration,
    ) -> Self {
        Sentinels {
            nodes,
            service,
            sentinel_settings,
            settings,
            connect_timeout,
            response_timeout,
            state: Mutex::new(State::default()),
            asking: Mutex::new(None),
            switches: AtomicU64::new(0),
        }
    }

    /// Failovers announced so far: connections made before a change of it
    /// may go to a master that is being demoted.
    pub(crate) fn switches(&self) -> u64 {
        self.switches.load(Ordering::Acquire)
    }

    /// Starts a thread per sentinel that listens to it for failover
    /// announcements of this service ([`announcement`]), so that a failover
    /// is followed at once, not when the old master fails a call: a master
    /// demoted by a manual failover answers as one for up to ten seconds
    /// (until the sentinels reconfigure it), and only the sentinel that
    /// led the failover announces it at once (the others within about two
    /// seconds), while processes that ask meanwhile write to the new
    /// master. The threads end once the store is dropped.
    pub(crate) fn watch(self: &Arc<Self>) {
        for (host, port) in self.nodes.clone() {
            let weak = Arc::downgrade(self);
            let spawned = std::thread::Builder::new()
                .name("cache-sentinel-watch".into())
                .spawn(move || {
                    loop {
                        let Some(sentinels) = weak.upgrade() else {
                            return;
                        };
                        let settings = sentinels.sentinel_settings.clone();
                        let timeout = sentinels.connect_timeout;
                        drop(sentinels);
                        if let Err(e) = listen(&weak, &host, port, settings, timeout) {
                            tracing::debug!(sentinel = %host, port, error = %e, "cache: not listening to a sentinel");
                            std::thread::sleep(WATCH_RETRY);
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "cache: cannot start a Sentinel watch: failovers are followed when the old master fails");
            }
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A sentinel announced that `new` replaced `old` as the master: `new`
    /// is remembered, `old` refused for a while, and then the failover is
    /// counted (once per new master: `+promoted-slave` and
    /// `+switch-master` announce the same one).
    fn switched(&self, old: (String, u16), new: (String, u16)) {
        {
            let mut state = self.state();
            if state.master.as_ref() == Some(&new) {
                return;
            }
            state.master = Some(new.clone());
            state.deposed = Some((old, Instant::now()));
            state.epoch += 1;
        }
        tracing::info!(
            service = %self.service, host = %new.0, port = new.1,
            "cache: Redis Sentinel announced a failover"
        );
        self.switches.fetch_add(1, Ordering::Release);
    }

    /// The master as last found, without asking (`None`: not known now).
    pub(crate) fn known(&self) -> Option<(String, u16)> {
        self.state().master.clone()
    }

    /// The master: as last found, or asked of the sentinels now (each
    /// call bounded by the timeouts; blocking).
    pub(crate) fn master(&self) -> RedisResult<(String, u16)> {
        if let Some(master) = self.known() {
            return Ok(master);
        }
        let waited_from = Instant::now();
        let epoch_waited = self.state().epoch;
        let mut asking = self.asking.lock().unwrap_or_else(|p| p.into_inner());
        let (known, epoch, deposed) = {
            let state = self.state();
            let deposed = state
                .deposed
                .clone()
                .filter(|(_, when)| when.elapsed() < DEPOSED_FOR)
                .map(|(address, _)| address);
            (state.master.clone(), state.epoch, deposed)
        };
        if let Some(master) = known {
            return Ok(master);
        }
        // Asked and failed while this caller waited, with nothing
        // forgotten or announced since: the same answer, at once (hung
        // sentinels cost their deadlines once, not once per waiting caller).
        if let Some((when, why)) = asking.as_ref()
            && *when >= waited_from
            && epoch == epoch_waited
        {
            return Err(not_found(why.clone()));
        }
        let found = match self.ask_all(deposed.as_ref()) {
            Ok(found) => found,
            Err(e) => {
                *asking = Some((Instant::now(), e.to_string()));
                return Err(e);
            }
        };
        let mut state = self.state();
        if state.epoch != epoch {
            // Forgotten or announced while asking: what was found may be
            // the old master.
            return state.master.clone().ok_or_else(|| {
                not_found("the master moved while the sentinels were asked".into())
            });
        }
        tracing::info!(
            service = %self.service, host = %found.0, port = found.1,
            "cache: Redis Sentinel names the master"
        );
        state.master = Some(found.clone());
        Ok(found)
    }

    /// Forgets the master (a failure may mean a failover): the next
    /// connection asks the sentinels again.
    pub(crate) fn forget(&self) {
        let mut state = self.state();
        state.master = None;
        state.epoch += 1;
    }

    /// A redis-rs client for the master (for the async twin's multiplexed
    /// connections).
    #[cfg(feature = "tokio")]
    pub(crate) fn client_for(&self, host: &str, port: u16) -> RedisResult<redis::Client> {
        use redis::{ConnectionAddr, IntoConnectionInfo};
        let info = ConnectionAddr::Tcp(host.to_owned(), port)
            .into_connection_info()?
            .set_redis_settings(self.settings.clone());
        redis::Client::open(info)
    }

    /// A connection to the master, found (or remembered) and checked.
    pub(super) fn connect(&self) -> RedisResult<PlainConn> {
        let (host, port) = self.master()?;
        self.open(&host, port, &self.settings)
    }

    /// Asks every sentinel (within a deadline of two connects and two
    /// answers in all) which master it names and in which configuration
    /// epoch; tries the names from the latest epoch down, and takes the
    /// first that says it is a master (`ROLE`). The latest epoch wins
    /// because a failover raises it: a sentinel that has not heard of one
    /// yet names the old master, which may still say it is one. The
    /// `deposed` master is refused, and a name is checked once.
    fn ask_all(&self, deposed: Option<&Address>) -> RedisResult<Address> {
        let deadline = Instant::now() + 2 * (self.connect_timeout + self.response_timeout);
        let mut last = None;
        let mut named: Vec<(u64, Address, String)> = Vec::new();
        for (host, port) in &self.nodes {
            if Instant::now() >= deadline && !named.is_empty() {
                break;
            }
            match self.ask(host, *port) {
                Ok((epoch, master)) => named.push((epoch, master, format!("{host}:{port}"))),
                Err(e) => {
                    tracing::debug!(sentinel = %host, port, error = %e, "cache: a sentinel gave no master");
                    last = Some(e);
                }
            }
        }
        named.sort_by_key(|n| std::cmp::Reverse(n.0));
        let mut checked: Vec<Address> = deposed.into_iter().cloned().collect();
        for (_, master, sentinel) in named {
            if checked.contains(&master) {
                continue;
            }
            checked.push(master.clone());
            match self.is_master(&master) {
                Ok(true) => return Ok(master),
                Ok(false) => {
                    last = Some(not_found(format!(
                        "{}:{}, named master of {:?} by sentinel {sentinel}, is not a master \
                         (a failover under way?)",
                        master.0, master.1, self.service
                    )))
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            not_found("every master the sentinels name was replaced in a failover".into())
        }))
    }

    /// The master a sentinel names, with its configuration epoch
    /// (`SENTINEL MASTER`).
    fn ask(&self, host: &str, port: u16) -> RedisResult<(u64, Address)> {
        let mut sentinel = self.open(host, port, &self.sentinel_settings)?;
        let fields: Vec<String> = redis::cmd("SENTINEL")
            .arg("MASTER")
            .arg(&self.service)
            .query(&mut sentinel)?;
        let field = |name: &str| {
            fields
                .chunks(2)
                .find(|pair| pair[0] == name)
                .and_then(|pair| pair.get(1))
        };
        let parsed = (|| {
            let epoch = field("config-epoch")?.parse().ok()?;
            Some((epoch, (field("ip")?.clone(), field("port")?.parse().ok()?)))
        })();
        parsed.ok_or_else(|| {
            not_found(format!(
                "sentinel {host}:{port} gave no address for {:?}",
                self.service
            ))
        })
    }

    /// Whether the server at `address` says it is a master (`ROLE`).
    fn is_master(&self, (host, port): &Address) -> RedisResult<bool> {
        let mut master = self.open(host, *port, &self.settings)?;
        let role: Vec<redis::Value> = redis::cmd("ROLE").query(&mut master)?;
        Ok(matches!(role.first(), Some(redis::Value::BulkString(r)) if r == b"master"))
    }

    fn open(
        &self,
        host: &str,
        port: u16,
        settings: &RedisConnectionInfo,
    ) -> RedisResult<PlainConn> {
        PlainConn::connect(&Target {
            host,
            port,
            settings,
            connect_timeout: self.connect_timeout,
            response_timeout: self.response_timeout,
        })
    }
}

/// How long the watch waits before listening to the next sentinel (and
/// for a message before it counts a quiet second).
const WATCH_RETRY: Duration = Duration::from_secs(1);

/// The watch pings its sentinel after this many quiet seconds.
const WATCH_PINGS: u32 = 5;

/// Listens to the sentinel at `host:port` for `+switch-master` until it
/// fails or the store is dropped (checked every second: the read timeout).
fn listen(
    weak: &Weak<Sentinels>,
    host: &str,
    port: u16,
    settings: RedisConnectionInfo,
    connect_timeout: Duration,
) -> RedisResult<()> {
    use redis::{ConnectionAddr, IntoConnectionInfo};
    let info = ConnectionAddr::Tcp(host.to_owned(), port)
        .into_connection_info()?
        .set_redis_settings(settings);
    let mut conn = redis::Client::open(info)?.get_connection_with_timeout(connect_timeout)?;
    conn.set_write_timeout(Some(WATCH_RETRY))?;
    let mut pubsub = conn.as_pubsub();
    pubsub.set_read_timeout(Some(WATCH_RETRY))?;
    pubsub.subscribe(&["+promoted-slave", "+switch-master"])?;
    let mut quiet = 0u32;
    loop {
        match pubsub.get_message() {
            Ok(message) => {
                quiet = 0;
                let payload: String = message.get_payload()?;
                let Some(sentinels) = weak.upgrade() else {
                    return Ok(());
                };
                if let Some((service, old, new)) =
                    announcement(message.get_channel_name(), &payload)
                    && service == sentinels.service
                {
                    sentinels.switched(old, new);
                }
            }
            Err(e) if e.is_timeout() => {
                if weak.strong_count() == 0 {
                    return Ok(());
                }
                // A sentinel that hangs (or a half-open connection) sends
                // nothing either: a ping every few quiet seconds tells.
                quiet += 1;
                if quiet.is_multiple_of(WATCH_PINGS) {
                    pubsub.ping::<redis::Value>()?;
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// A server's host and port.
type Address = (String, u16);

/// A failover announcement: its service, the old master and the new one.
/// `+promoted-slave` (`slave <host>:<port> <host> <port> @ <service>
/// <old host> <old port>`) is sent as soon as the replica is a master,
/// when the sentinels already name it; `+switch-master` (`<service> <old
/// host> <old port> <new host> <new port>`) once the other replicas are
/// reconfigured, which can take seconds.
fn announcement<'a>(channel: &str, payload: &'a str) -> Option<(&'a str, Address, Address)> {
    let address = |host: &str, port: &str| Some((host.to_owned(), port.parse().ok()?));
    let words: Vec<&str> = payload.split(' ').collect();
    match (channel, words.as_slice()) {
        ("+promoted-slave", [_, _, host, port, "@", service, old_host, old_port]) => {
            Some((service, address(old_host, old_port)?, address(host, port)?))
        }
        ("+switch-master", [service, old_host, old_port, host, port]) => {
            Some((service, address(old_host, old_port)?, address(host, port)?))
        }
        _ => None,
    }
}

/// No usable master now: counted as the server in trouble (it opens the
/// breaker, and the next probe asks again).
fn not_found(why: String) -> RedisError {
    RedisError::from(io::Error::new(io::ErrorKind::NotConnected, why))
}

/// The server a tracking connection goes to.
#[derive(Clone)]
pub(crate) enum TrackedServer {
    /// One server, `host:port`.
    Fixed(String, u16),
    /// The master the sentinels name.
    Sentinel(Arc<Sentinels>),
}

impl TrackedServer {
    /// Failovers announced so far (under Sentinel; 0 otherwise): a change
    /// ends the connection, which may be on the old master.
    pub(crate) fn switches(&self) -> u64 {
        match self {
            TrackedServer::Fixed(..) => 0,
            TrackedServer::Sentinel(sentinels) => sentinels.switches(),
        }
    }

    /// Where to connect now.
    pub(crate) fn address(&self) -> io::Result<(String, u16)> {
        match self {
            TrackedServer::Fixed(host, port) => Ok((host.clone(), *port)),
            TrackedServer::Sentinel(sentinels) => sentinels.master().map_err(io::Error::other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::announcement;

    #[test]
    fn announcements_name_their_service_and_masters() {
        let old = ("127.0.0.1".to_owned(), 6379);
        let new = ("127.0.0.1".to_owned(), 6380);
        assert_eq!(
            announcement(
                "+promoted-slave",
                "slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379"
            ),
            Some(("mymaster", old.clone(), new.clone()))
        );
        assert_eq!(
            announcement("+switch-master", "mymaster 127.0.0.1 6379 127.0.0.1 6380"),
            Some(("mymaster", old, new))
        );
        assert_eq!(announcement("+sdown", "mymaster"), None);
        assert_eq!(announcement("+promoted-slave", "garbage"), None);
        assert_eq!(announcement("+switch-master", "m h 1 h port"), None);
    }
}
