//! The `postgres` feature speaks TLS to PostgreSQL: the
//! bundled libpq is built with OpenSSL, so `sslmode=require` connects, and
//! the session is encrypted. The local server has `ssl = on`; one without
//! TLS makes this test skip locally and fail in CI.

use cache_tests::services;
use diesel::prelude::*;
use diesel::sql_types::Bool;

#[derive(QueryableByName)]
struct Ssl {
    #[diesel(sql_type = Bool)]
    ssl: bool,
}

#[test]
fn sslmode_require_connects_encrypted() {
    let Some(url) = services::database_url() else {
        return;
    };
    let separator = if url.contains('?') { '&' } else { '?' };
    let tls_url = format!("{url}{separator}sslmode=require");
    let mut conn = match PgConnection::establish(&tls_url) {
        Ok(conn) => conn,
        Err(e) if e.to_string().contains("does not support SSL") && !services::in_ci() => {
            println!("skipped: the PostgreSQL server at {url} has no TLS ({e})");
            return;
        }
        Err(e) => panic!("sslmode=require: {e}"),
    };
    let row: Ssl = diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .get_result(&mut conn)
        .unwrap();
    assert!(row.ssl, "the session is encrypted");
}
