//! The `rest_service` example over HTTP: every endpoint, the bad inputs,
//! and repeated reads that the cache answers without a database statement;
//! on SQLite + the in-process cache, and on PostgreSQL + Redis (skipped when
//! they are unreachable, unless `CI` is set); each on the sync API and on
//! the async one (`--async`: diesel-async).

use reqwest::Method;
use reqwest::blocking::Client;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read};
use std::net::{TcpStream, ToSocketAddrs};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The running service; killed when dropped (its stderr is printed if the
/// test is failing).
struct Service {
    child: Child,
    base: String,
    client: Client,
    stderr: Arc<Mutex<String>>,
}

impl Service {
    /// Starts the binary on a free port with `env` (and none of the
    /// caller's database or cache settings) and waits for its address.
    fn start(env: &[(&str, &str)]) -> Service {
        Service::start_with(&[], env)
    }

    /// [`Service::start`] with more arguments (`--async`).
    fn start_with(args: &[&str], env: &[(&str, &str)]) -> Service {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rest_service"))
            .args(["--port", "0"])
            .args(args)
            .env_remove("DATABASE_URL")
            .env_remove("CACHE_URL")
            .env_remove("PORT")
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("rest_service starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (mut err, log) = (child.stderr.take().unwrap(), stderr.clone());
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = err.read(&mut chunk) {
                log.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&chunk[..n]));
            }
        });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let mut service = Service {
            child,
            base: String::new(),
            client: Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            stderr,
        };
        let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
        let Some(base) = line.trim().strip_prefix("listening on ") else {
            let _ = service.child.wait();
            panic!(
                "no address on stdout (got {line:?}); stderr:\n{}",
                service.stderr.lock().unwrap()
            );
        };
        service.base = base.to_owned();
        service
    }

    /// Sends a request; the status and the body as JSON (`Null` if empty).
    fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().expect("the service answers");
        let status = response.status().as_u16();
        let text = response.text().unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text:?}"))
        };
        (status, body)
    }

    /// `GET path`, which must answer 200.
    fn get(&self, path: &str) -> Value {
        let (status, body) = self.call(Method::GET, path, None);
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// A request that must fail with `status` and a JSON error message.
    fn refused(&self, method: Method, path: &str, body: Option<Value>, status: u16) -> String {
        let (got, body) = self.call(method.clone(), path, body);
        assert_eq!(got, status, "{method} {path}: {body}");
        let message = body["error"].as_str().unwrap_or_default();
        assert!(
            !message.is_empty(),
            "{method} {path}: no error message in {body}"
        );
        message.to_owned()
    }

    /// `POST path` with `body`, which must answer 201; the created row.
    fn create(&self, path: &str, body: Value) -> Value {
        let (status, row) = self.call(Method::POST, path, Some(body));
        assert_eq!(status, 201, "POST {path}: {row}");
        row
    }

    fn stats(&self) -> Value {
        self.get("/stats")
    }

    /// The value of the Prometheus sample `name` whose labels include each
    /// of `labels` (`key="value"`), in what `GET /metrics` answers.
    fn metric(&self, name: &str, labels: &[&str]) -> Option<f64> {
        let url = format!("{}/metrics", self.base);
        let response = self.client.get(url).send().expect("the service answers");
        assert_eq!(response.status().as_u16(), 200, "GET /metrics");
        let text = response.text().unwrap();
        text.lines()
            .filter_map(|line| line.strip_prefix(name)?.strip_prefix('{'))
            .filter(|rest| labels.iter().all(|l| rest.contains(l)))
            .find_map(|rest| rest.rsplit(' ').next()?.parse().ok())
    }

    /// `GET path` twice; asserts the second ran no database statement and
    /// was a book hit (not a miss). Returns the body, the same both times.
    fn get_twice_cached(&self, path: &str) -> Value {
        let first = self.get(path);
        let before = self.stats();
        let second = self.get(path);
        let after = self.stats();
        assert_eq!(first, second, "GET {path}");
        assert_eq!(
            after["queries"], before["queries"],
            "GET {path} again ran statements"
        );
        let counter = |stats: &Value, name: &str| stats["books"][name].as_u64().unwrap();
        assert!(
            counter(&after, "hits") > counter(&before, "hits"),
            "GET {path} again was no hit: {before} -> {after}"
        );
        assert_eq!(
            counter(&after, "misses"),
            counter(&before, "misses"),
            "GET {path} again missed"
        );
        second
    }

    /// The book manager's misses so far.
    fn book_misses(&self) -> u64 {
        self.stats()["books"]["misses"].as_u64().unwrap()
    }

    /// Statements the service ran since startup.
    fn queries(&self) -> u64 {
        self.stats()["queries"].as_u64().unwrap()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("rest_service stderr:\n{}", self.stderr.lock().unwrap());
        }
    }
}

fn titles(page: &Value) -> Vec<&str> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["title"].as_str().unwrap())
        .collect()
}

/// Every endpoint, in order, on a fresh database.
fn exercise(svc: &Service, database: &str) {
    assert_eq!(svc.stats()["database"], database);

    // Authors, and books for them.
    let ursula = svc.create("/authors", json!({"name": "Ursula K. Le Guin"}))["id"].clone();
    let terry = svc.create("/authors", json!({"name": "Terry Pratchett"}))["id"].clone();
    assert_eq!(svc.get("/authors").as_array().unwrap().len(), 2);
    let books = [
        (&ursula, "The Dispossessed", 1974),
        (&ursula, "A Wizard of Earthsea", 1968),
        (&ursula, "The Left Hand of Darkness", 1969),
        (&terry, "Mort", 1987),
        (&terry, "Guards! Guards!", 1989),
    ];
    let mut ids = Vec::new();
    for (author, title, year) in books {
        let body = json!({"author_id": author, "title": title, "published_year": year});
        let row = svc.create("/books", body.clone());
        assert_eq!(
            (&row["author_id"], &row["title"], &row["published_year"]),
            (&body["author_id"], &body["title"], &body["published_year"])
        );
        assert!(row.get("author").is_none(), "{row}");
        ids.push(row["id"].as_i64().unwrap());
    }
    let dispossessed = ids[0];

    // Creation refused: an unknown author, a missing field, not JSON.
    let message = svc.refused(
        Method::POST,
        "/books",
        Some(json!({"author_id": 999_999, "title": "?", "published_year": 1})),
        422,
    );
    assert!(message.contains("999999"), "{message}");
    svc.refused(Method::POST, "/books", Some(json!({"title": "?"})), 422);
    let (status, body) = svc.call(Method::POST, "/books", None);
    assert!(
        (400..500).contains(&status) && body["error"].is_string(),
        "{status} {body}"
    );

    // A detail: the book with its author; the second read is a hit.
    let path = format!("/books/{dispossessed}");
    let book = svc.get_twice_cached(&path);
    assert_eq!(book["title"], "The Dispossessed");
    // Both reads in what Prometheus scrapes, under the model's label.
    let detail = ["model=\"Book\"", "kind=\"detail\""];
    for outcome in ["outcome=\"miss\"", "outcome=\"hit\""] {
        let labels = [detail[0], detail[1], outcome];
        let reads = svc.metric("cache_reads_total", &labels);
        assert!(reads >= Some(1.0), "cache_reads_total{labels:?}: {reads:?}");
    }
    let hit = [detail[0], detail[1], "result=\"hit\""];
    let timed = svc.metric("cache_read_seconds_count", &hit);
    assert!(
        timed >= Some(1.0),
        "cache_read_seconds_count{hit:?}: {timed:?}"
    );
    assert_eq!(book["author"]["name"], "Ursula K. Le Guin");
    svc.refused(Method::GET, "/books/999999", None, 404);
    svc.refused(Method::GET, "/books/abc", None, 400);

    // A list filtered by author: a hit the second time.
    let list = format!("/books?author_id={ursula}");
    let page = svc.get_twice_cached(&list);
    assert_eq!(page["count"], 3, "{page}");
    assert_eq!(page["results"][0]["author"]["name"], "Ursula K. Le Guin");
    let every = svc.get("/books");
    assert_eq!((&every["count"], &every["next"]), (&json!(5), &Value::Null));
    svc.refused(Method::GET, "/books?author_id=x", None, 400);
    svc.refused(Method::GET, "/books?colour=red", None, 400);

    // Updates: refused when empty or unknown; then seen by the next reads.
    let patch = |id: &str, body: Value| (Method::PATCH, format!("/books/{id}"), Some(body));
    let (method, at, body) = patch(&dispossessed.to_string(), json!({}));
    assert!(
        svc.refused(method, &at, body, 422)
            .contains("nothing to change")
    );
    let (method, at, body) = patch("999999", json!({"title": "?"}));
    svc.refused(method, &at, body, 404);
    let (method, at, body) = patch(&dispossessed.to_string(), json!({"author_id": 999_999}));
    svc.refused(method, &at, body, 422);
    let (method, at, body) = patch(&dispossessed.to_string(), json!({"titel": "typo"}));
    svc.refused(method, &at, body, 422);
    let (status, row) = svc.call(
        Method::PATCH,
        &path,
        Some(json!({"title": "The Dispossessed: An Ambiguous Utopia"})),
    );
    assert_eq!(status, 200, "{row}");
    assert_eq!(row["title"], "The Dispossessed: An Ambiguous Utopia");
    assert_eq!(row["published_year"], 1974);
    let before = svc.queries();
    let book = svc.get(&path);
    assert_eq!(book["title"], "The Dispossessed: An Ambiguous Utopia");
    assert!(svc.queries() > before, "the update invalidated the detail");
    let page = svc.get_twice_cached(&list);
    assert!(
        titles(&page).contains(&"The Dispossessed: An Ambiguous Utopia"),
        "{page}"
    );

    // Deletes: 204, then 404 everywhere.
    let (status, body) = svc.call(Method::DELETE, &path, None);
    assert_eq!((status, body), (204, Value::Null));
    svc.refused(Method::DELETE, &path, None, 404);
    svc.refused(Method::GET, &path, None, 404);
    assert_eq!(svc.get(&list)["count"], 2);

    svc.refused(Method::GET, "/nowhere", None, 404);
    let stats = svc.stats();
    assert!(stats["authors"]["misses"].as_u64().unwrap() > 0, "{stats}");
    // Every write above was precise: the pool's connections are tracked
    // (untracked, each hook on PostgreSQL over Redis invalidated every
    // list of its table with conditions).
    for model in ["books", "authors"] {
        let coarse = &stats[model]["coarse_invalidations"];
        assert_eq!(coarse, 0, "{model}: {stats}");
    }
    paging(svc, &terry);
}

/// Orders, offsets and keyset pages over the four books left.
fn paging(svc: &Service, terry: &Value) {
    let by_title = [
        "A Wizard of Earthsea",
        "Guards! Guards!",
        "Mort",
        "The Left Hand of Darkness",
    ];
    let first = svc.get_twice_cached("/books?order=title&limit=3");
    assert_eq!(
        (titles(&first), &first["count"]),
        (by_title[..3].to_vec(), &json!(4))
    );
    let next = first["next"]
        .as_str()
        .expect("a full page has a next cursor");
    let misses = svc.book_misses();
    let last = svc.get_twice_cached(&format!("/books?order=title&limit=3&after={next}"));
    assert_eq!(
        svc.book_misses(),
        misses + 1,
        "the next page shares the count"
    );
    assert_eq!(titles(&last), by_title[3..], "{last}");
    assert_eq!((&last["count"], &last["next"]), (&json!(4), &Value::Null));

    let page = svc.get("/books?order=-title&limit=2&offset=1");
    assert_eq!(titles(&page), ["Mort", "Guards! Guards!"]);
    let years = |page: &Value| -> Vec<i64> {
        let rows = page["results"].as_array().unwrap();
        rows.iter()
            .map(|b| b["published_year"].as_i64().unwrap())
            .collect()
    };
    let newest = svc.get("/books?order=-published_year&limit=1");
    assert_eq!(years(&newest), [1989]);
    let after = newest["next"].as_str().unwrap();
    let page = svc.get(&format!(
        "/books?order=-published_year&limit=2&after={after}"
    ));
    assert_eq!(years(&page), [1987, 1969]);
    let page = svc.get(&format!("/books?author_id={terry}&order=title"));
    assert_eq!(titles(&page), ["Guards! Guards!", "Mort"]);
    assert_eq!((&page["count"], &page["next"]), (&json!(2), &Value::Null));

    for bad in [
        "limit=0",
        "limit=100000",
        "limit=abc",
        "offset=-1",
        "order=colour",
        "after=zz",
        "after=6869",
        "after=7b7d",
    ] {
        svc.refused(Method::GET, &format!("/books?{bad}"), None, 400);
    }
}

/// A name no other run uses.
fn unique(label: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{label}_{}_{nanos}", std::process::id())
}

#[test]
fn sqlite_and_the_in_process_cache() {
    let svc = Service::start(&[]);
    exercise(&svc, "sqlite");
}

#[test]
fn sqlite_and_the_in_process_cache_on_the_async_api() {
    let svc = Service::start_with(&["--async"], &[]);
    exercise(&svc, "sqlite");
}

/// `url` with `param` added to its query string.
fn with_param(url: &str, param: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{param}")
}

/// Whether a TCP connection to `url`'s host and port opens; outside CI a
/// refusal prints why and skips, in CI it fails.
fn reachable(service: &str, url: &str, default_port: u16) -> bool {
    let parsed = reqwest::Url::parse(url).unwrap_or_else(|e| panic!("{service} URL {url}: {e}"));
    let host = parsed.host_str().unwrap_or("127.0.0.1");
    let address = (host, parsed.port().unwrap_or(default_port))
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next());
    let outcome = match address {
        Some(addr) => TcpStream::connect_timeout(&addr, Duration::from_secs(1))
            .map(drop)
            .map_err(|e| e.to_string()),
        None => Err(format!("cannot resolve {host}")),
    };
    match outcome {
        Ok(()) => true,
        Err(why)
            if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false") =>
        {
            panic!("{service} at {url} is unreachable and CI is set: {why}")
        }
        Err(why) => {
            println!("skipped: {service} at {url} is unreachable ({why})");
            false
        }
    }
}

/// A PostgreSQL schema of the test's own, dropped with it.
struct Schema {
    url: String,
    name: String,
}

impl Schema {
    fn create(url: &str) -> Schema {
        use diesel::{Connection, PgConnection, connection::SimpleConnection};
        let name = unique("rest_test");
        let mut conn = PgConnection::establish(url).expect("PostgreSQL");
        conn.batch_execute(&format!("CREATE SCHEMA {name}"))
            .unwrap();
        Schema {
            url: url.to_owned(),
            name,
        }
    }

    /// `url` with every connection's `search_path` set to the schema.
    fn connection_url(&self) -> String {
        with_param(&self.url, &format!("options=-csearch_path%3D{}", self.name))
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        use diesel::{Connection, PgConnection, connection::SimpleConnection};
        if let Ok(mut conn) = PgConnection::establish(&self.url) {
            let _ = conn.batch_execute(&format!("DROP SCHEMA {} CASCADE", self.name));
        }
    }
}

#[test]
fn postgres_and_redis() {
    postgres_and_redis_on(&[]);
}

#[test]
fn postgres_and_redis_on_the_async_api() {
    postgres_and_redis_on(&["--async"]);
}

fn postgres_and_redis_on(args: &[&str]) {
    let database = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let redis = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    if !reachable("PostgreSQL", &database, 5432) || !reachable("Redis", &redis, 6379) {
        return;
    }
    let schema = Schema::create(&database);
    let cache = CachePrefix(with_param(
        &redis,
        &format!("prefix={}", unique("rest_test")),
    ));
    let svc = Service::start_with(
        args,
        &[
            ("DATABASE_URL", &schema.connection_url()),
            ("CACHE_URL", &cache.0),
        ],
    );
    exercise(&svc, "postgres");
    a_fix_by_hand_is_invalidated_by_cache_admin(&svc, &schema, &cache.0);
    the_dashboards_metrics_are_served(&svc);
}

/// Every metric the Grafana dashboard (`examples/grafana/cache-dashboard.json`)
/// queries is among those `GET /metrics` serves after the workload: the
/// dashboard cannot drift from the names the code emits.
fn the_dashboards_metrics_are_served(svc: &Service) {
    let dashboard: Value =
        serde_json::from_str(include_str!("../grafana/cache-dashboard.json")).unwrap();
    let mut queried = std::collections::BTreeSet::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            queried.extend(metric_names(target["expr"].as_str().unwrap()));
        }
    }
    assert!(queried.len() >= 8, "{queried:?}");
    let url = format!("{}/metrics", svc.base);
    let text = svc.client.get(url).send().unwrap().text().unwrap();
    let served: std::collections::BTreeSet<&str> = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split(['{', ' ']).next())
        .collect();
    let missing: Vec<&String> = queried
        .iter()
        .filter(|name| !served.contains(name.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "the dashboard queries {missing:?}, not served"
    );
    // A panel by model reads only series that have one: the cache-wide
    // twin of a counter (`{cache=..}`, no model) would be a line of its
    // own, without a name, and count the models' reads again.
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            if !expr.contains("by (model") || expr.contains("model!=\"\"") {
                continue;
            }
            for name in metric_names(expr) {
                let modelless = text.lines().find(|line| {
                    line.split(['{', ' ']).next() == Some(name.as_str()) && !line.contains("model=")
                });
                assert!(modelless.is_none(), "{expr} sums {modelless:?} too");
            }
        }
    }
}

/// The metric names (`cache_..`) a PromQL expression reads.
fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(at) = rest.find("cache_") {
        let name: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        rest = &rest[at + name.len()..];
        names.push(name);
    }
    names
}

/// A book fixed by hand in the database (an untracked connection, as
/// `psql`) stays cached in the running service until an operator runs
/// `cache-admin --cache <its URL> invalidate rest_books`; then the
/// service reads it as it is. (The binary is built by `cargo test
/// --workspace`; run alone, this test needs `cargo build -p cache-diesel
/// --bin cache-admin` first, and says so.)
fn a_fix_by_hand_is_invalidated_by_cache_admin(svc: &Service, schema: &Schema, cache_url: &str) {
    use diesel::{Connection, PgConnection, connection::SimpleConnection};
    let admin = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("cache-admin"))
        .filter(|bin| bin.exists());
    let Some(admin) = admin else {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
        assert!(!ci, "cache-admin was not built");
        println!("skipped: cargo build -p cache-diesel --bin cache-admin first");
        return;
    };
    let author = svc.create("/authors", json!({"name": "N. K. Jemisin"}))["id"].clone();
    let body = json!({"author_id": author, "title": "The Fifth Season", "published_year": 2015});
    let id = svc.create("/books", body)["id"].as_i64().unwrap();
    let path = format!("/books/{id}");
    assert_eq!(svc.get_twice_cached(&path)["title"], "The Fifth Season");
    let mut psql = PgConnection::establish(&schema.connection_url()).expect("PostgreSQL");
    psql.batch_execute(&format!(
        "UPDATE rest_books SET title = 'The Fifth Season (fixed)' WHERE id = {id}"
    ))
    .unwrap();
    assert_eq!(
        svc.get(&path)["title"],
        "The Fifth Season",
        "nothing told the service of the fix"
    );
    let out = std::process::Command::new(&admin)
        .args(["--cache", cache_url, "invalidate", "rest_books"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cache-admin: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(svc.get(&path)["title"], "The Fifth Season (fixed)");
}

/// A cache URL with a prefix of the test's own, cleared when dropped.
struct CachePrefix(String);

impl Drop for CachePrefix {
    fn drop(&mut self) {
        let _ = cache_core::Cache::from_url(&self.0).and_then(|cache| cache.clear());
    }
}
