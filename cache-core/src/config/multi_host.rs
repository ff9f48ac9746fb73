//! URLs that name several hosts: a Redis Cluster's nodes
//! (`redis+cluster://`) and a service's sentinels (`redis+sentinel://`).

use super::{BackendKind, CacheConfig, SentinelConfig, unknown_option};
use crate::error::{Error, Result};
use url::Url;

/// The port of a sentinel named without one.
const SENTINEL_PORT: u16 = 26379;

/// What follows the scheme of a multi-host URL, taken apart.
struct Hosts<'a> {
    /// `user:password` or `:password`, for every host.
    userinfo: Option<&'a str>,
    /// Each host as written (`host:port`), and its host and port.
    hosts: Vec<(&'a str, String, u16)>,
    /// What follows the hosts: the path and the query.
    tail: &'a str,
}

/// `[userinfo@]host[:port],host[:port]...` then the tail; a port is
/// needed unless there is a `default_port`.
fn hosts<'a>(rest: &'a str, shown: &str, default_port: Option<u16>) -> Result<Hosts<'a>> {
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, list) = match authority.rsplit_once('@') {
        Some((userinfo, _)) if userinfo.contains(',') => {
            return Err(Error::config(
                shown,
                "user:password@ goes before the first host and applies to all of them",
            ));
        }
        Some((userinfo, list)) => (Some(userinfo), list),
        None => (None, authority),
    };
    let mut hosts = Vec::new();
    for written in list.split(',') {
        if written.is_empty() {
            return Err(Error::config(shown, "an empty host in the list"));
        }
        let parsed = Url::parse(&format!("redis://{written}/"))
            .map_err(|e| Error::config(shown, format!("host {written}: {e}")))?;
        let port = parsed
            .port()
            .or(default_port)
            .ok_or_else(|| Error::config(shown, format!("node {written}: a port is needed")))?;
        let host = parsed.host_str().unwrap_or_default();
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        hosts.push((written, host, port));
    }
    Ok(Hosts {
        userinfo,
        hosts,
        tail,
    })
}

/// Applies the query options of `url` to `cfg`; `own` takes the options
/// only this kind of URL has (`Ok(false)`: not one of them), and the
/// options in `refused` are errors (`why`).
fn options(
    cfg: &mut CacheConfig,
    url: &Url,
    shown: &str,
    refused: &[&str],
    why: &str,
    mut own: impl FnMut(&str, &str) -> Result<bool>,
) -> Result<()> {
    let mut named = std::collections::HashSet::new();
    for (name, value) in url.query_pairs() {
        if !named.insert(name.clone().into_owned()) {
            return Err(Error::config(shown, format!("option {name} given twice")));
        }
        if refused.contains(&name.as_ref()) {
            return Err(Error::config(shown, format!("option {name} {why}")));
        }
        if !(own(&name, &value)? || cfg.apply_option(&name, &value, shown)?) {
            return Err(Error::config(shown, unknown_option(&name)));
        }
    }
    super::refuse_memory_bounds(&named, shown)?;
    cfg.check_local_window(named.contains("local_window"), shown)
}

impl CacheConfig {
    /// `redis+cluster://[user:password@]host:port,host:port/?options`:
    /// `rest` is what follows the scheme.
    pub(super) fn cluster_from_url(raw: &str, rest: &str) -> Result<Self> {
        let shown = redact_multi_host(raw);
        let parsed = hosts(rest, &shown, None)?;
        let nodes = parsed
            .hosts
            .iter()
            .map(|(written, ..)| match parsed.userinfo {
                Some(userinfo) => format!("redis://{userinfo}@{written}/"),
                None => format!("redis://{written}/"),
            })
            .collect();
        let url = Url::parse(&format!("redis://h{}", parsed.tail))
            .map_err(|e| Error::config(&shown, e.to_string()))?;
        if !matches!(url.path(), "" | "/") {
            return Err(Error::config(
                &shown,
                "a cluster has one database: no /db in the URL",
            ));
        }
        let mut cfg = CacheConfig::default();
        options(
            &mut cfg,
            &url,
            &shown,
            &["local", "local_window", "tls_ca"],
            "is not supported on a Redis Cluster (yet)",
            |_, _| Ok(false),
        )?;
        cfg.backend = BackendKind::RedisCluster { nodes };
        Ok(cfg)
    }

    /// `redis+sentinel://[user:password@]host[:port],host[:port]/service[/db][?options]`:
    /// `rest` is what follows the scheme. The user name and password are
    /// the master's; `sentinel_password` is the sentinels' own.
    pub(super) fn sentinel_from_url(raw: &str, rest: &str) -> Result<Self> {
        let shown = redact_multi_host(raw);
        let parsed = hosts(rest, &shown, Some(SENTINEL_PORT))?;
        let url = Url::parse(&format!("redis://h{}", parsed.tail))
            .map_err(|e| Error::config(&shown, e.to_string()))?;
        let path: Vec<&str> = url.path().split('/').filter(|p| !p.is_empty()).collect();
        let (service, db) = match path.as_slice() {
            [service] => (*service, 0),
            [service, db] => (
                *service,
                db.parse::<i64>()
                    .ok()
                    .filter(|db| *db >= 0)
                    .ok_or_else(|| {
                        Error::config(&shown, format!("database {db:?}: expected a number"))
                    })?,
            ),
            _ => {
                return Err(Error::config(
                    &shown,
                    "name the master's service after the sentinels: \
                     redis+sentinel://host:26379,host:26379/mymaster[/db]",
                ));
            }
        };
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8_lossy()
                .into_owned()
        };
        let (username, password) = match parsed.userinfo.map(|u| u.split_once(':')) {
            None => (None, None),
            Some(None) => (Some(decode(parsed.userinfo.unwrap_or_default())), None),
            Some(Some((user, password))) => (
                Some(decode(user)).filter(|u| !u.is_empty()),
                Some(decode(password)),
            ),
        };
        let mut sentinel_password: Option<String> = None;
        let mut cfg = CacheConfig::default();
        options(
            &mut cfg,
            &url,
            &shown,
            &["tls_ca", "protocol", "shards"],
            "is not supported under Sentinel (yet)",
            |name, _| Ok(name == "sentinel_password"),
        )?;
        // From the raw query: a form decoding would make a `+` a space,
        // where the password in the user info keeps it.
        // The name is decoded as the options' names are
        // (`sentinel%5Fpassword=` is `sentinel_password=`).
        for option in url.query().unwrap_or_default().split('&') {
            if let Some((name, value)) = option.split_once('=')
                && decode(name) == "sentinel_password"
            {
                sentinel_password = Some(decode(value));
            }
        }
        cfg.backend = BackendKind::RedisSentinel(SentinelConfig {
            sentinels: parsed
                .hosts
                .into_iter()
                .map(|(_, host, port)| (host, port))
                .collect(),
            service: decode(service),
            db,
            username,
            password,
            sentinel_password,
        });
        Ok(cfg)
    }
}

/// A multi-host URL with any password replaced by `***`.
pub(super) fn redact_multi_host(raw: &str) -> String {
    let raw = match raw.split_once("://").and_then(|(_, rest)| {
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        rest[..end].rsplit_once('@').map(|(userinfo, _)| userinfo)
    }) {
        Some(userinfo) => match userinfo.split_once(':') {
            Some((user, _)) => raw.replacen(userinfo, &format!("{user}:***"), 1),
            None => raw.to_owned(),
        },
        None => raw.to_owned(),
    };
    super::redact_query(&raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinel_urls_name_their_sentinels_and_service() {
        let cfg = CacheConfig::from_url(
            "redis+sentinel://:p%40ss@10.0.0.1,[::1]:26380/mymaster/2\
             ?prefix=app&sentinel_password=s+3%26&local=1m",
        )
        .unwrap();
        let BackendKind::RedisSentinel(sentinel) = &cfg.backend else {
            panic!("{:?}", cfg.backend);
        };
        assert_eq!(
            sentinel.sentinels,
            [("10.0.0.1".into(), 26379), ("::1".into(), 26380)]
        );
        assert_eq!((sentinel.service.as_str(), sentinel.db), ("mymaster", 2));
        assert_eq!(
            (sentinel.username.as_deref(), sentinel.password.as_deref()),
            (None, Some("p@ss"))
        );
        assert_eq!(sentinel.sentinel_password.as_deref(), Some("s+3&"));
        assert_eq!(
            (cfg.key_prefix.as_str(), cfg.local_tier, cfg.replicas),
            ("app", Some(1 << 20), None)
        );
        let shown = format!("{:?}", cfg.backend);
        assert!(!shown.contains("p@ss") && !shown.contains("s+3"), "{shown}");
        let encoded =
            CacheConfig::from_url("redis+sentinel://h/m?sentinel%5Fpassword=s%2B").unwrap();
        let BackendKind::RedisSentinel(encoded) = encoded.backend else {
            panic!()
        };
        assert_eq!(encoded.sentinel_password.as_deref(), Some("s+"));
        let plain = CacheConfig::from_url("REDIS+SENTINEL://u:pw@h/m").unwrap();
        let BackendKind::RedisSentinel(plain) = plain.backend else {
            panic!()
        };
        assert_eq!(
            (plain.username.as_deref(), plain.db, plain.sentinels.len()),
            (Some("u"), 0, 1)
        );
        for (url, says) in [
            ("redis+sentinel://h:1", "name the master's service"),
            ("redis+sentinel://h:1/", "name the master's service"),
            ("redis+sentinel://h:1/m/x", "expected a number"),
            ("redis+sentinel://h:1/m/-1", "expected a number"),
            ("redis+sentinel://h:1/m/1/2", "name the master's service"),
            ("redis+sentinel://h,,g/m", "an empty host"),
            (
                "redis+sentinel://h/m?tls_ca=x",
                "not supported under Sentinel",
            ),
            (
                "redis+sentinel://h/m?shards=2",
                "not supported under Sentinel",
            ),
            ("redis+sentinel://h/m?colour=1", "unknown option"),
            ("redis+sentinel://h/m?max_entries=5", "max_entries= bounds"),
            ("redis+cluster://h:1,g:2/?max_bytes=1m", "max_bytes= bounds"),
            ("redis+sentinel://h/m?local_window=5ms", "add local=<size>"),
            (
                "redis+sentinel://h/m?local=1m&local_window=11s",
                "local_window= is at most",
            ),
            ("redis+sentinel://:pw@h/m?x=1&sentinel_password=sp", "***"),
            ("redis+sentinel://:pw@h/m?sentinel_pasword=sp", "***"),
            ("redis+sentinel://:pw@h/m?Sentinel_Password=sp", "***"),
            ("redis+sentinel://:pw@h/m?sentinel%5Fpassword=sp&x=1", "***"),
            (
                "redis+sentinel://:pw@h/m?sentinel_password=sp&sentinel_password=sp",
                "***",
            ),
            ("redis://:pw@h/?pass=sp&x=1", "***"),
        ] {
            let err = CacheConfig::from_url(url).unwrap_err().to_string();
            assert!(err.contains(says), "{url}: {err}");
            assert!(
                !err.contains(":pw@") && !err.contains("=sp"),
                "{url}: {err}"
            );
        }
    }
}
