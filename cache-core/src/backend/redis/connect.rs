//! Making a backend ([`RedisBackend::connect`],
//! [`RedisBackend::connect_cluster`]) and its connections: a new link,
//! tried once, and the TLS client.

use super::breaker::Breaker;
use super::cluster_link::ClusterLink;
use super::direct::Direct;
use super::link::Link;
use super::plain::{PlainConn, Target};
use super::pool::Pool;
use super::sentinel::Sentinels;
use super::{RedisBackend, RedisOptions, Server};
use crate::config::{SentinelConfig, redact};
use crate::error::{Error, Result};
use redis::cluster::ClusterClientBuilder;
use redis::{ConnectionAddr, RedisResult};

impl RedisBackend {
    /// A backend for `url` (`redis://` or `rediss://`). Connects lazily: a
    /// server that is down now is an error at the first call, not here.
    pub fn connect(url: &str, options: RedisOptions) -> Result<Self> {
        let shown_url = redact(url);
        let client = if url.starts_with("rediss:") {
            tls_client(url, &shown_url, options.tls_ca.as_deref())?
        } else {
            redis::Client::open(url).map_err(|e| Error::config(&shown_url, e.to_string()))?
        };
        Ok(Self::over(Server::Single(client), shown_url, &options))
    }

    /// A backend for the Redis Cluster whose nodes include `nodes`
    /// (`redis://[:password@]host:port` each; the others are found from
    /// them). Connects lazily, as [`RedisBackend::connect`]. Keys are sent
    /// as they are: keys of one command or pipeline must share a slot
    /// (a hash tag), which the [`ClusterBackend`](crate::backend::ClusterBackend)
    /// layout sees to.
    pub fn connect_cluster(nodes: &[String], options: RedisOptions) -> Result<Self> {
        let shown_url = nodes
            .iter()
            .map(|n| redact(n))
            .collect::<Vec<_>>()
            .join(",");
        let client = ClusterClientBuilder::new(nodes.iter().map(String::as_str))
            .connection_timeout(options.connect_timeout)
            .response_timeout(options.response_timeout)
            // One redirection (MOVED, ASK) or retry per call, with short
            // waits: a failing cluster fails the call, and the breaker
            // makes the next ones fail fast.
            .retries(1)
            // As the plain transport: a request is never held back.
            .tcp_settings(redis::io::tcp::TcpSettings::default().set_nodelay(true))
            .min_retry_wait(5)
            .max_retry_wait(50)
            .build()
            .map_err(|e| Error::config(&shown_url, e.to_string()))?;
        let first = nodes
            .first()
            .ok_or_else(|| Error::config(&shown_url, "no node"))?;
        let settings = redis::Client::open(first.as_str())
            .map_err(|e| Error::config(&shown_url, e.to_string()))?
            .get_connection_info()
            .redis_settings()
            .clone();
        let pool_size = usize::try_from(options.pool_size).unwrap_or(usize::MAX);
        // The nodes the slot map is asked of, to begin with.
        let seeds = nodes
            .iter()
            .filter_map(|n| {
                match redis::Client::open(n.as_str())
                    .ok()?
                    .get_connection_info()
                    .addr()
                {
                    redis::ConnectionAddr::Tcp(host, port) => Some((host.clone(), *port)),
                    _ => None,
                }
            })
            .collect();
        let direct = Box::new(Direct::new(settings, pool_size, seeds));
        Ok(Self::over(
            Server::Cluster(client, direct),
            shown_url,
            &options,
        ))
    }

    /// A backend for the master of a service under Redis Sentinel: asked
    /// of the sentinels at the first connection, and again after any
    /// failure; a thread listens to the sentinels for failovers. The
    /// master is not connected to here, as [`RedisBackend::connect`]. Set [`RedisOptions::replicas`] (1 by
    /// default from a URL) so that a failover cannot lose an acknowledged
    /// invalidation.
    pub fn connect_sentinel(config: &SentinelConfig, options: RedisOptions) -> Result<Self> {
        let shown_url = format!(
            "redis+sentinel://{}/{}/{}",
            config
                .sentinels
                .iter()
                .map(|(host, port)| format!("{host}:{port}"))
                .collect::<Vec<_>>()
                .join(","),
            config.service,
            config.db
        );
        if config.sentinels.is_empty() {
            return Err(Error::config(&shown_url, "no sentinel"));
        }
        let mut settings = redis::RedisConnectionInfo::default().set_db(config.db);
        if let Some(user) = &config.username {
            settings = settings.set_username(user);
        }
        if let Some(password) = &config.password {
            settings = settings.set_password(password);
        }
        let mut sentinel_settings = redis::RedisConnectionInfo::default();
        if let Some(password) = &config.sentinel_password {
            sentinel_settings = sentinel_settings.set_password(password);
        }
        let sentinels = Sentinels::new(
            config.sentinels.clone(),
            config.service.clone(),
            settings,
            sentinel_settings,
            options.connect_timeout,
            options.response_timeout,
        );
        let sentinels = std::sync::Arc::new(sentinels);
        sentinels.watch();
        Ok(Self::over(Server::Sentinel(sentinels), shown_url, &options))
    }

    pub(super) fn over(server: Server, shown_url: String, options: &RedisOptions) -> Self {
        let backend = RedisBackend {
            pool: Pool::checked(
                usize::try_from(options.pool_size).unwrap_or(usize::MAX),
                Link::is_alive,
            ),
            dropped: std::sync::atomic::AtomicU64::new(0),
            server,
            shown_url,
            connect_timeout: options.connect_timeout,
            response_timeout: options.response_timeout,
            replicas: options.replicas,
            breaker: Breaker::new(options.retry_after),
            set_nx_get: std::sync::atomic::AtomicBool::new(true),
            set_get: std::sync::atomic::AtomicBool::new(true),
            no_hits_until: std::sync::atomic::AtomicU64::new(0),
            no_best_effort_until: std::sync::atomic::AtomicU64::new(0),
            started: std::time::Instant::now(),
        };
        backend.report_breaker_made();
        backend
    }

    /// A new connection, tried once: a refusal, a wrong password, an
    /// unknown host or a database out of range is an error at once.
    pub(super) fn open_link(&self) -> RedisResult<Link> {
        let client = match &self.server {
            Server::Single(client) => client,
            Server::Sentinel(sentinels) => return Ok(Link::Plain(sentinels.connect()?)),
            Server::Cluster(cluster, _) => {
                let link = cluster.get_connection()?;
                link.set_write_timeout(Some(self.response_timeout))?;
                return Ok(Link::Cluster(Box::new(ClusterLink::new(link))));
            }
        };
        let info = client.get_connection_info();
        let settings = info.redis_settings();
        Ok(match info.addr() {
            ConnectionAddr::Tcp(host, port) if !settings.protocol().supports_resp3() => {
                Link::Plain(PlainConn::connect(&Target {
                    host,
                    port: *port,
                    settings,
                    connect_timeout: self.connect_timeout,
                    response_timeout: self.response_timeout,
                })?)
            }
            _ => {
                let inner = client.get_connection_with_timeout(self.connect_timeout)?;
                inner.set_read_timeout(Some(self.response_timeout))?;
                inner.set_write_timeout(Some(self.response_timeout))?;
                Link::RedisRs(inner)
            }
        })
    }
}

/// A TLS client. rustls needs a process-wide crypto provider: ring's is
/// installed unless the application installed one already.
#[cfg(feature = "tls")]
pub(super) fn tls_client(
    url: &str,
    shown_url: &str,
    ca: Option<&std::path::Path>,
) -> Result<redis::Client> {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another installer is fine: one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    let Some(ca) = ca else {
        return redis::Client::open(url).map_err(|e| Error::config(shown_url, e.to_string()));
    };
    let root_cert = std::fs::read(ca)
        .map_err(|e| Error::config(shown_url, format!("tls_ca {}: {e}", ca.display())))?;
    let certs = redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(root_cert),
    };
    redis::Client::build_with_tls(url, certs).map_err(|e| Error::config(shown_url, e.to_string()))
}

#[cfg(not(feature = "tls"))]
pub(super) fn tls_client(
    _url: &str,
    shown_url: &str,
    _ca: Option<&std::path::Path>,
) -> Result<redis::Client> {
    Err(Error::config(
        shown_url,
        "rediss:// needs cache-core's `tls` feature",
    ))
}
