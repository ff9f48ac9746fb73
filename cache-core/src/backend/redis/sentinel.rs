//! Redis Sentinel: the master of a named service, asked of the sentinels
//! (`SENTINEL get-master-addr-by-name`), checked (`ROLE` says `master`,
//! as Sentinel's client guidelines ask), and remembered until a failure
//! says it may have moved ([`Sentinels::forget`]): the next connection
//! asks again.
//!
//! Written here rather than through redis-rs's `sentinel` module: its
//! synchronous discovery connects to sentinels and masters without a
//! deadline, so one sentinel that hangs would hang every connection
//! attempt; these calls run over this crate's plain transport, each with
//! the store's connect and response timeouts.

use super::plain::{PlainConn, Target};
use redis::{RedisConnectionInfo, RedisError, RedisResult};
use std::io;
use std::sync::Mutex;
use std::time::Duration;

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
    /// Held while the sentinels are asked, so that one caller asks.
    asking: Mutex<()>,
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
            asking: Mutex::new(()),
        }
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
        let _asking = self.asking.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(master) = self.known() {
            return Ok(master);
        }
        let found = self.ask_all()?;
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
    /// one wins. The last error otherwise.
    fn ask_all(&self) -> RedisResult<(String, u16)> {
        let mut last = None;
        for (host, port) in &self.nodes {
            match self.ask(host, *port) {
                Ok(master) => return Ok(master),
                Err(e) => {
                    tracing::debug!(sentinel = %host, port, error = %e, "cache: a sentinel gave no master");
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| not_found("no sentinel is configured".into())))
    }

    fn ask(&self, host: &str, port: u16) -> RedisResult<(String, u16)> {
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

/// No usable master now: counted as the server in trouble (it opens the
/// breaker, and the next probe asks again).
fn not_found(why: String) -> RedisError {
    RedisError::from(io::Error::new(io::ErrorKind::NotConnected, why))
}
