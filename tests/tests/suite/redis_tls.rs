//! `rediss://`: a TLS Redis started for this test (redis-server with a
//! self-signed certificate from the openssl tool), reached through the
//! same cache API. Skips locally, fails in CI, when either tool is missing.

use cache_core::{Cache, Timeout};
use cache_tests::{services, unique};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct TlsRedis {
    child: Child,
    port: u16,
    ca: String,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tool(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
        || Command::new(name)
            .arg("version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
}

fn start_tls_redis() -> Option<TlsRedis> {
    if !tool("redis-server") || !tool("openssl") {
        let why = "redis-server or openssl is not installed";
        assert!(!services::in_ci(), "{why} and CI is set");
        println!("skipped: {why}");
        return None;
    }
    let dir = std::env::temp_dir().join(unique::prefix("tls"));
    std::fs::create_dir_all(&dir).unwrap();
    let dir = TempDir(dir);
    let (cert, key, ca) = make_certificates(&dir.0);
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            "0",
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .args(["--tls-port", &port.to_string(), "--tls-auth-clients", "no"])
        .arg("--tls-cert-file")
        .arg(&cert)
        .arg("--tls-key-file")
        .arg(&key)
        .arg("--tls-ca-cert-file")
        .arg(&ca)
        .arg("--dir")
        .arg(&dir.0)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let server = TlsRedis {
        child,
        port,
        ca,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "TLS redis-server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(server)
}

/// A CA, and a certificate for localhost / 127.0.0.1 that it signed:
/// returns the certificate, its key and the CA's certificate.
fn make_certificates(dir: &std::path::Path) -> (String, String, String) {
    let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
    std::fs::write(
        path("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    let (ca_key, ca, csr) = (path("ca.key"), path("ca.pem"), path("req.csr"));
    let (key, cert, ext) = (path("key.pem"), path("cert.pem"), path("ext.cnf"));
    let new_key = ["-newkey", "rsa:2048", "-nodes"];
    let steps: [Vec<&str>; 3] = [
        [
            &["req", "-x509", "-days", "1", "-subj", "/CN=cache-tests CA"][..],
            &new_key,
            &["-keyout", &ca_key, "-out", &ca],
        ]
        .concat(),
        [
            &["req", "-subj", "/CN=localhost"][..],
            &new_key,
            &["-keyout", &key, "-out", &csr],
        ]
        .concat(),
        vec![
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            &ext,
            "-out",
            &cert,
        ],
    ];
    for args in steps {
        let made = Command::new("openssl")
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(made.success(), "openssl {args:?} failed");
    }
    (cert, key, ca)
}

#[test]
fn rediss_urls_speak_tls() {
    let Some(server) = start_tls_redis() else {
        return;
    };
    let url = format!(
        "rediss://localhost:{}/0?prefix={}&tls_ca={}",
        server.port,
        unique::prefix("tls"),
        server.ca
    );
    let cache = Cache::from_url(&url).unwrap();
    cache.set("k", &vec![1, 2, 3], Timeout::Default).unwrap();
    assert_eq!(cache.get::<Vec<i32>>("k").unwrap(), Some(vec![1, 2, 3]));
    assert_eq!(
        cache.incr("n", 1).map_err(|e| e.to_string()),
        Err("key \"n\" not found".into())
    );

    let untrusted = Cache::from_url(&format!(
        "rediss://localhost:{}/0?connect_timeout=300ms",
        server.port
    ))
    .unwrap();
    let err = untrusted
        .get::<i32>("k")
        .expect_err("a certificate from an unknown CA");
    assert!(err.is_backend_failure(), "{err:?}");

    let plain = Cache::from_url(&format!(
        "redis://127.0.0.1:{}/0?response_timeout=300ms&connect_timeout=300ms",
        server.port
    ))
    .unwrap();
    let err = plain.get::<i32>("k").expect_err("plain text to a TLS port");
    assert!(err.is_backend_failure(), "{err:?}");
}
