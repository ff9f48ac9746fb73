//! The README's dependency line works for a crate outside this workspace:
//! a new crate whose `[dependencies]` are the README's lines
//! (the first one's path pointed at this checkout), with a model on SQLite
//! and the in-process cache, builds and gets a hit; and the async guide's
//! PostgreSQL line builds a model with hooks. Cargo builds them in a
//! target directory of their own under `target/` (the first run builds
//! their dependencies, a few minutes; later runs reuse them).

use std::path::Path;
use std::process::Command;

/// What the crate runs: a miss, then a hit, then what its stats counted.
const MAIN: &str = r#"
use cache_diesel::Cached;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::table! { products (id) { id -> Integer, title -> Text } }

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = products)]
struct Product {
    id: i32,
    title: String,
}

fn main() -> Result<(), cache_diesel::Error> {
    let mut conn = SqliteConnection::establish(":memory:").expect("SQLite");
    diesel::sql_query("CREATE TABLE products (id INTEGER PRIMARY KEY, title TEXT NOT NULL)")
        .execute(&mut conn)
        .expect("table");
    diesel::sql_query("INSERT INTO products VALUES (1, 'Tea')")
        .execute(&mut conn)
        .expect("row");
    let products = Product::cache();
    let first = products.get(&mut conn, 1)?;
    let second = products.get(&mut conn, 1)?;
    let stats = products.stats();
    println!("{} {} hits={} misses={}", first.title, second.title, stats.hits, stats.misses);
    Ok(())
}
"#;

/// The README's dependency lines a model crate needs: the first
/// `cache-diesel` line of its Install section, then the lines of the
/// crates a model uses (`diesel`, `serde`), as the README gives them.
fn readme_dependencies(readme: &str, checkout: &Path) -> String {
    let install = readme
        .split("## Install")
        .nth(1)
        .and_then(|s| s.split("```toml").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("README: a toml block under ## Install");
    let line = |name: &str| {
        lines_of(install, name)
            .next()
            .unwrap_or_else(|| panic!("README's Install block names no `{name}` line"))
    };
    let cache_diesel = line("cache-diesel");
    assert!(
        cache_diesel.contains("path = \"../diesel-cache/cache-diesel\""),
        "the README's first line depends on a clone: {cache_diesel}"
    );
    let here = checkout.join("cache-diesel");
    let cache_diesel = cache_diesel.replace(
        "../diesel-cache/cache-diesel",
        here.to_str().expect("a UTF-8 path"),
    );
    format!("{cache_diesel}\n{}\n{}\n", line("diesel"), line("serde"))
}

/// This workspace's directory.
fn checkout() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
}

/// The lines of `block` (a toml block's text) that start with `name = `.
fn lines_of<'a>(block: &'a str, name: &str) -> impl Iterator<Item = &'a str> {
    let start = format!("{name} = ");
    block.lines().filter(move |l| l.starts_with(&start))
}

/// Makes crate `name` outside the workspace (under `target/install-check`,
/// with a target directory shared by such crates) from `dependencies` and
/// `main`, then runs `cargo <verb>` on it; what it printed.
fn outside_crate(name: &str, dependencies: &str, main: &str, verb: &str) -> String {
    let checkout = checkout();
    let dir = checkout.join("target").join("install-check");
    let app = dir.join(name);
    std::fs::create_dir_all(app.join("src")).expect("the crate's directory");
    // Its own workspace (it sits under this one's directory), this
    // workspace's lock file, so that it builds the versions CI tested, and
    // its dependencies without debug information, as here.
    std::fs::write(
        app.join("Cargo.toml"),
        format!(
            "[package]\nname = \"outside-{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\
             publish = false\n\n[workspace]\n\n[profile.dev.package.\"*\"]\ndebug = false\n\n\
             [dependencies]\n{dependencies}"
        ),
    )
    .expect("Cargo.toml");
    std::fs::write(app.join("src").join("main.rs"), main).expect("main.rs");
    std::fs::copy(checkout.join("Cargo.lock"), app.join("Cargo.lock")).expect("Cargo.lock");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        // One job: the suite's other tests run beside it on two cores.
        .args([verb, "--quiet", "--jobs", "1", "--manifest-path"])
        .arg(app.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("CACHE_URL")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout.into_owned()
}

/// Both crates, one after the other in one test: they share a target
/// directory, so the second would wait for the first's lock, holding a
/// second of the suite's two test threads for minutes.
#[test]
fn crates_outside_the_workspace_build_from_the_documented_lines() {
    a_crate_outside_the_workspace_builds_from_the_async_guides_postgres_line();
    a_crate_outside_the_workspace_builds_from_the_readmes_lines_and_gets_a_hit();
}

fn a_crate_outside_the_workspace_builds_from_the_readmes_lines_and_gets_a_hit() {
    let checkout = checkout();
    let readme = std::fs::read_to_string(checkout.join("README.md")).expect("README.md");
    let dependencies = readme_dependencies(&readme, checkout);
    let stdout = outside_crate("app", &dependencies, MAIN, "run");
    assert_eq!(stdout.trim(), "Tea Tea hits=1 misses=1");
}

/// A model with filters and a unique column, read through diesel-async's
/// `AsyncPgConnection`: its generated PostgreSQL hooks build their
/// one-statement update.
const ASYNC_MAIN: &str = r#"
use cache_diesel::Cached;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::table! { products (id) { id -> Integer, slug -> Text, category_id -> Integer } }

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = products)]
#[cache(unique(slug), filter(category_id))]
struct Product {
    id: i32,
    slug: String,
    category_id: i32,
}

#[allow(dead_code)]
async fn rename(conn: &mut diesel_async::AsyncPgConnection) -> Result<String, cache_diesel::Error> {
    let products = Product::cache();
    products.update_async(conn, 1, products::slug.eq("tea".to_owned())).await?;
    Ok(products.get_async(conn, 1).await?.slug)
}

fn main() {}
"#;

/// The async guide's first dependency line (`async-postgres`, no libpq)
/// builds a model whose PostgreSQL hooks need the old values of what they
/// update: they were compiled with the sync `postgres` feature only
/// (found by a probe from outside).
fn a_crate_outside_the_workspace_builds_from_the_async_guides_postgres_line() {
    let checkout = checkout();
    let guide = std::fs::read_to_string(checkout.join("docs/guide/async.md")).expect("async.md");
    let block = guide
        .split("```toml")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("async.md: a toml block");
    let line = lines_of(block, "cache-diesel")
        .next()
        .expect("async.md's first line");
    assert!(line.contains(r#"features = ["async-postgres"]"#), "{line}");
    let here = checkout.join("cache-diesel");
    let line = line.replace(
        "../diesel-cache/cache-diesel",
        here.to_str().expect("a UTF-8 path"),
    );
    let readme = std::fs::read_to_string(checkout.join("README.md")).expect("README.md");
    let dependencies = readme_dependencies(&readme, checkout);
    let others: String = dependencies
        .lines()
        .skip(1)
        .map(|l| format!("{l}\n"))
        .collect();
    let dependencies = format!(
        "{line}\n{others}diesel-async = {{ version = \"0.9\", features = [\"postgres\"] }}\n"
    );
    outside_crate("async-postgres", &dependencies, ASYNC_MAIN, "check");
}
