//! The PostgreSQL side of the follower: its publication, its logical
//! replication slot, and the SQL interface to the slot
//! (`pg_logical_slot_peek_binary_changes`, `pg_replication_slot_advance`)
//! over an ordinary connection.
//!
//! Why the SQL interface rather than the streaming protocol: it needs no
//! replication connection (no `replication` line in `pg_hba.conf`, no
//! protocol crate: Diesel's connection is enough), it survives whatever
//! an ordinary connection survives (a restart is a reconnect), and the
//! position moves only when the follower says so: changes are *peeked*,
//! invalidated, and only then is the slot *advanced* past them. A
//! follower killed in between re-reads them (bumps are idempotent). Its
//! costs: a change is seen at the next poll (`FollowerOptions::poll`), and
//! each change is decoded twice (by the peek, and by the advance).

use super::FollowerOptions;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Integer, Text};
use diesel::{PgConnection, QueryableByName};

/// A change row of the slot.
#[derive(QueryableByName)]
pub(crate) struct Change {
    #[diesel(sql_type = Binary)]
    pub data: Vec<u8>,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct SlotState {
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    wal_status: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    retained: Option<i64>,
}

/// A quoted SQL identifier.
pub(crate) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A table name as `FOR TABLE` takes it: `schema.table` quoted in parts.
fn quoted_table(name: &str) -> String {
    match name.split_once('.') {
        Some((schema, table)) => format!("{}.{}", quoted(schema), quoted(table)),
        None => quoted(name),
    }
}

/// What [`prepare`] found of the slot.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// The slot was there: the follower resumes where it confirmed.
    Resumed,
    /// The slot was created (or recreated: it was lost): what was
    /// committed before it is not in the stream.
    Gap,
}

/// Creates the publication (or adds the options' tables to it), sets
/// `REPLICA IDENTITY FULL` where asked, and creates the slot when absent
/// or lost.
pub(crate) fn prepare(conn: &mut PgConnection, options: &FollowerOptions) -> QueryResult<Start> {
    diesel::sql_query("SET statement_timeout = '30s'").execute(conn)?;
    let exists =
        diesel::sql_query("SELECT pubname::text AS name FROM pg_publication WHERE pubname = $1")
            .bind::<Text, _>(&options.publication)
            .load::<Name>(conn)?;
    if exists.is_empty() {
        let what = if options.tables.is_empty() {
            "ALL TABLES".to_owned()
        } else {
            let tables: Vec<String> = options.tables.iter().map(|t| quoted_table(t)).collect();
            format!("TABLE {}", tables.join(", "))
        };
        diesel::sql_query(format!(
            "CREATE PUBLICATION {} FOR {what} WITH (publish_via_partition_root = true)",
            quoted(&options.publication)
        ))
        .execute(conn)?;
    } else if !options.tables.is_empty() {
        let published: Vec<String> = published_tables(conn, &options.publication)?;
        for table in &options.tables {
            let bare = table.rsplit('.').next().unwrap_or(table);
            if !published.iter().any(|p| p == table || p == bare) {
                diesel::sql_query(format!(
                    "ALTER PUBLICATION {} ADD TABLE {}",
                    quoted(&options.publication),
                    quoted_table(table)
                ))
                .execute(conn)?;
            }
        }
    }
    // Every published table (and each partition: the setting is not
    // inherited) without a usable replica identity gets FULL, asked or
    // not: without one, PostgreSQL refuses the application's updates and
    // deletes of a table that publishes them.
    let wanting = diesel::sql_query(
        "WITH t AS (SELECT format('%I.%I', schemaname, tablename)::regclass AS rel \
                    FROM pg_publication_tables WHERE pubname = $1), \
         r AS (SELECT rel AS relid FROM t \
               UNION SELECT p.relid FROM t CROSS JOIN LATERAL pg_partition_tree(t.rel) p) \
         SELECT c.oid::regclass::text AS name FROM r JOIN pg_class c ON c.oid = r.relid \
         WHERE c.relkind IN ('r', 'p') AND c.relreplident <> 'f' \
           AND ($2 OR c.relreplident = 'n' OR (c.relreplident = 'd' AND NOT EXISTS \
               (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)))",
    )
    .bind::<Text, _>(&options.publication)
    .bind::<diesel::sql_types::Bool, _>(options.replica_identity_full)
    .load::<Name>(conn)?;
    for Name { name } in wanting {
        if !options.replica_identity_full {
            tracing::warn!(table = %name, "cache follower: a followed table without a primary key gets REPLICA IDENTITY FULL (else PostgreSQL refuses its updates and deletes)");
        }
        diesel::sql_query(format!("ALTER TABLE {name} REPLICA IDENTITY FULL")).execute(conn)?;
    }
    match state(conn, &options.slot)? {
        Some(state) if state.wal_status.as_deref() != Some("lost") => Ok(Start::Resumed),
        found => {
            if found.is_some() {
                drop_slot(conn, &options.slot)?;
            }
            diesel::sql_query("SELECT slot_name::text AS name FROM pg_create_logical_replication_slot($1, 'pgoutput')")
                .bind::<Text, _>(&options.slot)
                .load::<Name>(conn)?;
            Ok(Start::Gap)
        }
    }
}

/// The tables of `publication` (`schema.table` outside `public`).
pub(crate) fn published_tables(
    conn: &mut PgConnection,
    publication: &str,
) -> QueryResult<Vec<String>> {
    Ok(diesel::sql_query(
        "SELECT CASE WHEN schemaname = 'public' THEN tablename::text \
         ELSE schemaname || '.' || tablename END AS name \
         FROM pg_publication_tables WHERE pubname = $1",
    )
    .bind::<Text, _>(publication)
    .load::<Name>(conn)?
    .into_iter()
    .map(|n| n.name)
    .collect())
}

fn state(conn: &mut PgConnection, slot: &str) -> QueryResult<Option<SlotState>> {
    Ok(diesel::sql_query(
        "SELECT wal_status::text AS wal_status, \
         (pg_current_wal_lsn() - restart_lsn)::bigint AS retained \
         FROM pg_replication_slots WHERE slot_name = $1",
    )
    .bind::<Text, _>(slot)
    .load::<SlotState>(conn)?
    .into_iter()
    .next())
}

/// How many bytes of WAL the slot holds back, and whether the server
/// gave up on it (`wal_status = 'lost'`, past `max_slot_wal_keep_size`);
/// `None` when the slot is gone.
pub(crate) fn retained(conn: &mut PgConnection, slot: &str) -> QueryResult<Option<(u64, bool)>> {
    Ok(state(conn, slot)?.map(|s| {
        (
            s.retained.unwrap_or(0).max(0) as u64,
            s.wal_status.as_deref() == Some("lost"),
        )
    }))
}

/// Drops the slot (it must not be in use).
pub(crate) fn drop_slot(conn: &mut PgConnection, slot: &str) -> QueryResult<()> {
    // (One call naming the slot: a filter beside the call would not stop
    // the server from calling it on other rows first.)
    diesel::sql_query("SELECT 'dropped' AS name FROM (SELECT pg_drop_replication_slot($1)) AS d")
        .bind::<Text, _>(slot)
        .load::<Name>(conn)
        .map(drop)
}

/// Up to about `limit` changes after the slot's confirmed position
/// (whole transactions), without consuming them.
pub(crate) fn peek(conn: &mut PgConnection, options: &FollowerOptions) -> QueryResult<Vec<Change>> {
    diesel::sql_query(
        "SELECT data FROM pg_logical_slot_peek_binary_changes($1, NULL, $2, \
         'proto_version', '1', 'publication_names', $3)",
    )
    .bind::<Text, _>(&options.slot)
    .bind::<Integer, _>(i32::try_from(options.batch).unwrap_or(i32::MAX))
    .bind::<Text, _>(&options.publication)
    .load(conn)
}

/// Moves the slot's confirmed position to `lsn` (the end of the last
/// transaction invalidated): the server may recycle the WAL before it.
pub(crate) fn advance(conn: &mut PgConnection, slot: &str, lsn: u64) -> QueryResult<()> {
    let lsn = format!("{:X}/{:X}", lsn >> 32, lsn & 0xffff_ffff);
    match diesel::sql_query(
        "SELECT slot_name::text AS name FROM pg_replication_slot_advance($1, $2::pg_lsn)",
    )
    .bind::<Text, _>(slot)
    .bind::<Text, _>(lsn)
    .load::<Name>(conn)
    {
        Ok(_) => Ok(()),
        // Another follower advanced it further first: nothing to do.
        Err(diesel::result::Error::DatabaseError(_, info))
            if info.message().contains("minimum is") =>
        {
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// What reads relation `oid`'s rows besides itself: the tables it
/// inherits from (a partition's parents), the tables inheriting from it
/// (its partitions: a change published as the root's may be any
/// partition's), and the views over any of these (and views over those).
pub(crate) fn readers(conn: &mut PgConnection, oid: u32) -> QueryResult<Vec<String>> {
    Ok(diesel::sql_query(
        "WITH RECURSIVE up(oid) AS ( \
           SELECT $1::bigint::oid \
           UNION SELECT i.inhparent FROM up JOIN pg_inherits i ON i.inhrelid = up.oid), \
         down(oid) AS ( \
           SELECT $1::bigint::oid \
           UNION SELECT i.inhrelid FROM down JOIN pg_inherits i ON i.inhparent = down.oid), \
         r(oid) AS ( \
           SELECT oid FROM up UNION SELECT oid FROM down \
           UNION \
           SELECT w.ev_class FROM r JOIN pg_depend d ON d.refobjid = r.oid \
             AND d.classid = 'pg_rewrite'::regclass \
             JOIN pg_rewrite w ON w.oid = d.objid WHERE w.ev_class <> r.oid) \
         SELECT CASE WHEN ns.nspname = 'public' THEN c.relname::text \
                ELSE ns.nspname || '.' || c.relname END AS name \
         FROM r JOIN pg_class c ON c.oid = r.oid JOIN pg_namespace ns ON ns.oid = c.relnamespace \
         WHERE r.oid <> $1::bigint::oid",
    )
    .bind::<BigInt, _>(i64::from(oid))
    .load::<Name>(conn)?
    .into_iter()
    .map(|n| n.name)
    .collect())
}

/// The columns of relation `oid`'s primary key, in the key's order (none
/// without one).
pub(crate) fn primary_key(conn: &mut PgConnection, oid: u32) -> QueryResult<Vec<String>> {
    Ok(diesel::sql_query(
        "SELECT a.attname::text AS name \
         FROM pg_index i, unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) \
         JOIN pg_attribute a ON a.attrelid = $1::bigint::oid AND a.attnum = k.attnum \
         WHERE i.indrelid = $1::bigint::oid AND i.indisprimary ORDER BY k.n",
    )
    .bind::<BigInt, _>(i64::from(oid))
    .load::<Name>(conn)?
    .into_iter()
    .map(|n| n.name)
    .collect())
}

/// The columns of relation `oid` in a unique index or its primary key.
pub(crate) fn unique_columns(conn: &mut PgConnection, oid: u32) -> QueryResult<Vec<String>> {
    Ok(diesel::sql_query(
        "SELECT DISTINCT a.attname::text AS name \
         FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
         WHERE i.indrelid = $1::bigint::oid AND (i.indisunique OR i.indisprimary)",
    )
    .bind::<BigInt, _>(i64::from(oid))
    .load::<Name>(conn)?
    .into_iter()
    .map(|n| n.name)
    .collect())
}

/// The OID of table `name` (`schema.table` or a name on the search path).
pub(crate) fn oid_of(conn: &mut PgConnection, name: &str) -> QueryResult<Option<u32>> {
    #[derive(QueryableByName)]
    struct Oid {
        #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
        oid: Option<i64>,
    }
    Ok(
        diesel::sql_query("SELECT to_regclass($1)::oid::bigint AS oid")
            .bind::<Text, _>(quoted_table(name))
            .load::<Oid>(conn)?
            .into_iter()
            .next()
            .and_then(|o| o.oid)
            .map(|o| o as u32),
    )
}

/// The server's WAL insert and flush positions now: a change whose commit
/// returned before this is at or before the insert position, and a peek
/// decodes up to the flush position (asynchronous commits return before
/// their WAL is flushed).
pub(crate) fn wal_positions(conn: &mut PgConnection) -> QueryResult<(u64, u64)> {
    #[derive(QueryableByName)]
    struct Positions {
        #[diesel(sql_type = Text)]
        inserted: String,
        #[diesel(sql_type = Text)]
        flushed: String,
    }
    let p: Positions = diesel::sql_query(
        "SELECT pg_current_wal_insert_lsn()::text AS inserted, pg_current_wal_flush_lsn()::text AS flushed",
    )
    .get_result(conn)?;
    Ok((parse_lsn(&p.inserted), parse_lsn(&p.flushed)))
}

/// `X/Y` (hex halves) as a number; 0 when it does not parse.
fn parse_lsn(text: &str) -> u64 {
    text.split_once('/')
        .and_then(|(hi, lo)| {
            Some((u64::from_str_radix(hi, 16).ok()? << 32) | u64::from_str_radix(lo, 16).ok()?)
        })
        .unwrap_or(0)
}

/// [`drop_slot`] once no session streams it (a stream just closed lets
/// it go within moments); an error after five seconds.
pub(crate) fn drop_slot_when_free(conn: &mut PgConnection, slot: &str) -> QueryResult<()> {
    let started = std::time::Instant::now();
    loop {
        match drop_slot(conn, slot) {
            Err(diesel::result::Error::DatabaseError(_, info))
                if info.message().contains("is active")
                    && started.elapsed() < std::time::Duration::from_secs(5) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(diesel::result::Error::DatabaseError(_, info))
                if info.message().contains("does not exist") =>
            {
                return Ok(());
            }
            other => return other,
        }
    }
}
