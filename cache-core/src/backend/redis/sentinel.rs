//! Redis Sentinel: the master of a named service, asked of the sentinels
//! (`SENTINEL get-master-addr-by-name`), checked (`ROLE` says `master`,
//! as Sentinel's client guidelines ask), and remembered until a failure
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
    /// The master as last found; `None`: ask again.
    master: Mutex<Option<(String, u16)>>,
    /// Held while the sentinels are asked, so that one caller asks; with
    /// when the last asking failed and why (a caller that waited for it
    /// takes that answer instead of asking again).
    asking: Mutex<Option<(Instant, String)>>,
    /// Failovers announced by the sentinels (`+switch-master`) so far.
    switches: AtomicU64,
    /// Of those, the ones the sync store's pool has retired connections for.
    pool_switches: AtomicU64,
}

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
            master: Mutex::new(None),
            asking: Mutex::new(None),
            switches: AtomicU64::new(0),
            pool_switches: AtomicU64::new(0),
        }
    }

    /// Failovers announced so far: connections made before a change of it
    /// may go to a master that is being demoted.
    pub(crate) fn switches(&self) -> u64 {
        self.switches.load(Ordering::Acquire)
    }

    /// Whether a failover was announced since the last call (for the sync
    /// store's pool, which then retires its connections).
    pub(super) fn switched_for_pool(&self) -> bool {
        let now = self.switches();
        self.pool_switches.swap(now, Ordering::AcqRel) != now
    }

    /// Starts the thread that listens to the sentinels for `+switch-master`
    /// of this service (one sentinel at a time, the next when it fails),
    /// so that a failover is followed at once, not when the old master
    /// fails a call: a master demoted by a manual failover answers as one
    /// for up to ten seconds (until the sentinels reconfigure it), while
    /// processes that learned of the switch write to the new one. The
    /// thread ends once the store is dropped.
    pub(crate) fn watch(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("cache-sentinel-watch".into())
            .spawn(move || {
                let mut next = 0usize;
                loop {
                    let Some(sentinels) = weak.upgrade() else {
                        return;
                    };
                    let (host, port) = sentinels.nodes[next % sentinels.nodes.len()].clone();
                    next += 1;
                    let settings = sentinels.sentinel_settings.clone();
                    let timeout = sentinels.connect_timeout;
                    drop(sentinels);
                    let listened = listen(&weak, &host, port, settings, timeout);
                    if let Err(e) = listened {
                        tracing::debug!(sentinel = %host, port, error = %e, "cache: not listening to a sentinel");
                        std::thread::sleep(WATCH_RETRY);
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cache: cannot start the Sentinel watch: failovers are followed when the old master fails");
        }
    }

    /// A sentinel announced a failover of `service`.
    fn switched(&self) {
        tracing::info!(service = %self.service, "cache: Redis Sentinel announced a failover");
        self.switches.fetch_add(1, Ordering::AcqRel);
        self.forget();
    }

    /// The master as last found, without asking (`None`: not known now).
    pub(crate) fn known(&self) -> Option<(String, u16)> {
        self.master
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The master: as last found, or asked of the sentinels now (each
    /// call bounded by the timeouts; blocking).
    pub(crate) fn master(&self) -> RedisResult<(String, u16)> {
        if let Some(master) = self.known() {
            return Ok(master);
        }
        let waited_from = Instant::now();
        let mut asking = self.asking.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(master) = self.known() {
            return Ok(master);
        }
        // Asked and failed while this caller waited: the same answer, at
        // once (hung sentinels cost their deadlines once, not once per
        // waiting caller).
        if let Some((when, why)) = asking.as_ref()
            && *when >= waited_from
        {
            return Err(not_found(why.clone()));
        }
        let found = match self.ask_all() {
            Ok(found) => found,
            Err(e) => {
                *asking = Some((Instant::now(), e.to_string()));
                return Err(e);
            }
        };
        let mut master = self.master.lock().unwrap_or_else(|p| p.into_inner());
        if master.is_none() {
            tracing::info!(
                service = %self.service, host = %found.0, port = found.1,
                "cache: Redis Sentinel names the master"
            );
        }
        *master = Some(found.clone());
        Ok(found)
    }

    /// Forgets the master (a failure may mean a failover): the next
    /// connection asks the sentinels again.
    pub(crate) fn forget(&self) {
        *self.master.lock().unwrap_or_else(|p| p.into_inner()) = None;
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

    /// Asks each sentinel in turn; the first master found that says it is
    /// one wins. The last error otherwise. A node named twice is checked
    /// once (a hung master costs one deadline, not one per sentinel).
    fn ask_all(&self) -> RedisResult<(String, u16)> {
        let mut last = None;
        let mut checked = Vec::new();
        for (host, port) in &self.nodes {
            match self.ask(host, *port, &mut checked) {
                Ok(master) => return Ok(master),
                Err(e) => {
                    tracing::debug!(sentinel = %host, port, error = %e, "cache: a sentinel gave no master");
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| not_found("no sentinel is configured".into())))
    }

    fn ask(
        &self,
        host: &str,
        port: u16,
        checked: &mut Vec<(String, u16)>,
    ) -> RedisResult<(String, u16)> {
        let mut sentinel = self.open(host, port, &self.sentinel_settings)?;
        let named: Option<(String, u16)> = redis::cmd("SENTINEL")
            .arg("get-master-addr-by-name")
            .arg(&self.service)
            .query(&mut sentinel)?;
        let Some((master_host, master_port)) = named else {
            return Err(not_found(format!(
                "sentinel {host}:{port} knows no master named {:?}",
                self.service
            )));
        };
        let named = (master_host.clone(), master_port);
        if checked.contains(&named) {
            return Err(not_found(format!(
                "{master_host}:{master_port}, named master by sentinel {host}:{port}, \
                 failed its check already"
            )));
        }
        checked.push(named);
        let mut master = self.open(&master_host, master_port, &self.settings)?;
        let role: Vec<redis::Value> = redis::cmd("ROLE").query(&mut master)?;
        match role.first() {
            Some(redis::Value::BulkString(r)) if r == b"master" => Ok((master_host, master_port)),
            _ => Err(not_found(format!(
                "{master_host}:{master_port}, named master of {:?} by sentinel {host}:{port}, \
                 is not a master (a failover under way?)",
                self.service
            ))),
        }
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

/// How long the watch waits before listening to the next sentinel.
const WATCH_RETRY: Duration = Duration::from_secs(1);

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
    loop {
        match pubsub.get_message() {
            Ok(message) => {
                let payload: String = message.get_payload()?;
                let Some(sentinels) = weak.upgrade() else {
                    return Ok(());
                };
                if announced_service(message.get_channel_name(), &payload)
                    == Some(sentinels.service.as_str())
                {
                    sentinels.switched();
                }
            }
            Err(e) if e.is_timeout() => {
                if weak.strong_count() == 0 {
                    return Ok(());
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// The service a failover announcement is about: `+promoted-slave`
/// (`slave <host>:<port> <host> <port> @ <name> <master host> <port>`, sent
/// as soon as the replica is a master, when the sentinels already name it)
/// or `+switch-master` (`<name> <old host> <old port> <new host> <new
/// port>`, sent once the other replicas are reconfigured, which can take
/// seconds).
fn announced_service<'a>(channel: &str, payload: &'a str) -> Option<&'a str> {
    match channel {
        "+promoted-slave" => payload.split_once(" @ ")?.1.split(' ').next(),
        "+switch-master" => payload.split(' ').next(),
        _ => None,
    }
}

/// No usable master now: counted as the server in trouble (it opens the
/// breaker, and the next probe asks again).
fn not_found(why: String) -> RedisError {
    RedisError::from(io::Error::new(io::ErrorKind::NotConnected, why))
}

#[cfg(test)]
mod tests {
    use super::announced_service;

    #[test]
    fn announcements_name_their_service() {
        assert_eq!(
            announced_service(
                "+promoted-slave",
                "slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379"
            ),
            Some("mymaster")
        );
        assert_eq!(
            announced_service("+switch-master", "mymaster 10.0.0.1 6379 10.0.0.2 6380"),
            Some("mymaster")
        );
        assert_eq!(announced_service("+sdown", "mymaster"), None);
        assert_eq!(announced_service("+promoted-slave", "garbage"), None);
    }
}
