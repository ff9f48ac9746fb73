//! What the database's catalogue says of a table, read lazily per process
//! and table: which columns it has (what a writer built before a column
//! was added cannot name, see "Columns" below), and how it compares its
//! text columns (what lets a list filtered on a text value depend on that
//! value's own tag rather than on the column's shared one).
//!
//! # Text
//!
//! A value tag may name a value only where every value the database finds
//! equal to it has the same name (`keys::value_tag_name`). For text that
//! depends on the column's type and collation, which only the database
//! knows:
//!
//! - PostgreSQL: `text` and `varchar` under a deterministic collation (the
//!   default; a deterministic collation finds two strings equal only when
//!   their bytes are) are compared byte for byte ([`TextCompare::Bytes`]);
//!   `char(n)` ignores trailing spaces ([`TextCompare::Padded`]); `citext`,
//!   domains, non-deterministic collations and everything else are not
//!   known ([`TextCompare::Shared`]).
//! - SQLite: a column of text affinity in a table whose `CREATE TABLE` names
//!   no collation compares with `BINARY`, byte for byte; any `COLLATE` in
//!   the table's text (`NOCASE`, `RTRIM`, an application's own) makes
//!   every column of the table shared.
//! - MySQL and MariaDB: a `_bin` collation compares code points, and
//!   ignores trailing spaces where it pads (`PAD SPACE`, most of them):
//!   padded. The `general_ci` and `unicode_ci` collations of `utf8mb4` and
//!   `utf8mb3` ignore case and accents, and `unicode_ci` finds `ß` equal
//!   to `ss` and ignores some characters altogether: no fold of every text
//!   follows them short of their weight tables, but among the texts made
//!   of ASCII letters, digits, spaces, `-`, `_` and `.` (most statuses,
//!   kinds, slugs and codes) two are equal exactly when their lower case
//!   without trailing spaces is ([`TextCompare::Folded`]; the pairs the
//!   server finds equal are sampled by a test). Such a text is named by
//!   that fold; any other text may equal one of them (`Ｔea`, `téa`), so
//!   it shares the column's tag (`*`), and the lists named by a fold also
//!   depend on the column's `^*` tag, which a write of any other text
//!   bumps. Every other collation is shared.
//!
//! Readers learn the catalogue lazily: the first list read of a table with
//! a condition on a text value depends on the shared tag and, outside any
//! transaction, asks the catalogue in its load (one more query, once per
//! process and table); later reads depend on the precise tag. Writers
//! never need it: a hook write bumps every name a reader may have given a
//! text value (its bytes, its padded form, the shared tag), so a reader
//! that learned and one that did not are both invalidated. A catalogue
//! that cannot be read leaves the table shared.
//!
//! # Columns
//!
//! Which tags a hook write bumps depends on the columns its program's
//! models map (`keys::declared`), but a reader in another program (a
//! newer binary of a rolling deploy, after a migration added a column)
//! may cache lists filtered on, or look rows up by, a column the writer's
//! program does not know. Two rules close that, both over shared stores
//! only (an in-process store has one program):
//!
//! - **Writers** check the table's columns, as the catalogue listed them
//!   at most [`COLUMNS_TRUSTED`] ago, against those every model of their
//!   program maps; where the table has one no model maps, the write bumps
//!   every list with conditions (`filtered`) and the wide tag of lookups
//!   by that column; where the catalogue cannot say (no such table under
//!   the model's name), the table's `epoch` (`Manager::schema_tags`).
//!   This holds whatever `schema_settle` says.
//! - **Readers** let a list depend on a condition column's value tags,
//!   and a lookup by a unique column other than the primary key on that
//!   value's tag, alone only once the cache's `schema_settle` (15 s by
//!   default) has passed since this process's catalogue first listed the
//!   column; before, such entries also depend on the table's `list` tag,
//!   which every hook write bumps. (`schema_settle=0` where every program
//!   writing the tables maps the columns readers key by.)
//!
//! A writer that last read the catalogue before a migration added a
//! column writes as before for at most [`COLUMNS_TRUSTED`]: a reader
//! learned of the column after the migration, so its entries depend on
//! `list` until well after every writer has read the catalogue again
//! (the default `schema_settle` is three times as long).

use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};
use std::time::{Duration, Instant};

/// How long what the catalogue said is trusted: a column's type or
/// collation changed after it was read (an `ALTER TABLE`, by anyone) is
/// followed within this. Past it, the column's text shares a tag again
/// until a list's load reads the catalogue anew.
const TRUSTED: Duration = Duration::from_secs(60);

/// How long a writer trusts the columns the catalogue listed (see
/// "Columns" above).
pub(crate) const COLUMNS_TRUSTED: Duration = Duration::from_secs(5);

/// How a column's text values compare, as far as the catalogue says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextCompare {
    /// Not known (or compared in a way no name of the text alone can
    /// follow): every text value of the column shares one tag.
    Shared,
    /// Equal exactly when their bytes are.
    Bytes,
    /// Equal exactly when they are without their trailing spaces.
    Padded,
    /// Among texts of ASCII letters, digits, spaces, `-`, `_` and `.`,
    /// equal exactly when their lower case without trailing spaces is;
    /// other texts may equal any (see "Text" above).
    Folded,
}

/// What the process learned of one table.
#[derive(Debug)]
struct Table {
    /// When the catalogue was read.
    at: Instant,
    /// Whether it answered with the table's columns (not an error, and the
    /// table found).
    listed: bool,
    /// Its columns (lower case), and how each compares text.
    columns: HashMap<String, TextCompare>,
    /// Its columns as the catalogue spells them.
    spelled: Vec<String>,
}

/// What the process learned, by database kind, cache and table
/// (`{db}:{cache prefix}:{table}`).
type Learned = HashMap<String, Table>;

/// When the process's catalogue first listed each column, by cache and
/// table (`{cache prefix}:{table}`), then by column (lower case).
type FirstListed = HashMap<String, HashMap<String, Instant>>;

/// The name of a database kind, as the maps here key it: Diesel's backend
/// type. With the cache's prefix and the table's name it names a table:
/// two schemas or databases of one kind read through one cache are taken
/// to compare its text alike (their entries share keys too), through two
/// caches apart.
pub(crate) fn db<B: 'static>() -> &'static str {
    std::any::type_name::<B>()
}

fn entry(db: &str, cache: &str, table: &str) -> String {
    format!("{db}:{cache}:{table}")
}

/// What the catalogue said of a table, if it is still trusted.
fn trusted<'l>(learned: &'l Learned, key: &str) -> Option<&'l HashMap<String, TextCompare>> {
    within(learned, key, TRUSTED).map(|table| &table.columns)
}

/// What the catalogue said of a table, if it said it less than `trust`
/// ago.
fn within<'l>(learned: &'l Learned, key: &str, trust: Duration) -> Option<&'l Table> {
    learned.get(key).filter(|table| table.at.elapsed() < trust)
}

static LEARNED: LazyLock<RwLock<Learned>> = LazyLock::new(Default::default);

static FIRST_LISTED: LazyLock<RwLock<FirstListed>> = LazyLock::new(Default::default);

/// The columns of `table`, as the catalogue spells them, as it listed
/// them less than [`COLUMNS_TRUSTED`] ago: `None` when it was not read
/// since, `Some(None)` when it could not list them (an error, or no such
/// table under that name).
pub(crate) fn columns(db: &str, cache: &str, table: &str) -> Option<Option<Vec<String>>> {
    let learned = LEARNED.read().unwrap_or_else(|p| p.into_inner());
    let table = within(&learned, &entry(db, cache, table), COLUMNS_TRUSTED)?;
    Some(table.listed.then(|| table.spelled.clone()))
}

/// Since when this process's catalogue has listed `column` of `table`
/// (read through cache `cache`), if it has.
fn first_listed(cache: &str, table: &str, column: &str) -> Option<Instant> {
    let first = FIRST_LISTED.read().unwrap_or_else(|p| p.into_inner());
    let columns = first.get(&format!("{cache}:{table}"))?;
    columns.get(&column.to_ascii_lowercase()).copied()
}

/// Whether this process's catalogue has listed `column` of `table`.
pub(crate) fn listed(cache: &str, table: &str, column: &str) -> bool {
    first_listed(cache, table, column).is_some()
}

/// Whether this process's catalogue first listed `column` of `table` at
/// least `settle` ago (see "Columns" above).
pub(crate) fn settled(cache: &str, table: &str, column: &str, settle: Duration) -> bool {
    first_listed(cache, table, column).is_some_and(|at| at.elapsed() >= settle)
}

/// How `table`'s `column` compares text: [`TextCompare::Shared`] until the
/// catalogue was read.
pub(crate) fn compare(db: &str, cache: &str, table: &str, column: &str) -> TextCompare {
    let learned = LEARNED.read().unwrap_or_else(|p| p.into_inner());
    trusted(&learned, &entry(db, cache, table))
        .and_then(|columns| columns.get(column))
        .copied()
        .unwrap_or(TextCompare::Shared)
}

/// Whether the catalogue of `table` was read (or given up on).
pub(crate) fn learned(db: &str, cache: &str, table: &str) -> bool {
    let learned = LEARNED.read().unwrap_or_else(|p| p.into_inner());
    trusted(&learned, &entry(db, cache, table)).is_some()
}

/// Records `table`'s columns as the catalogue answered (`(name, kind)`,
/// `kind` as the catalogue queries spell it: `bytes`, `padded`, else
/// shared); `Err`: every column stays shared, and the catalogue is not
/// asked again.
fn record<E: std::fmt::Display>(
    (db, cache, table): (&str, &str, &str),
    rows: Result<Vec<CatalogueRow>, E>,
) {
    let at = Instant::now();
    let spelled: Vec<String> = match &rows {
        Ok(rows) => rows.iter().map(|row| row.name.clone()).collect(),
        Err(_) => Vec::new(),
    };
    let columns: HashMap<String, TextCompare> = match rows {
        Ok(rows) => rows
            .into_iter()
            .map(|row| (row.name.to_ascii_lowercase(), kind(&row.kind)))
            .collect(),
        Err(e) => {
            tracing::debug!(table, error = %e, "cache_diesel: the catalogue's columns could not be read; text values share a tag");
            HashMap::new()
        }
    };
    if !columns.is_empty() {
        let mut first = FIRST_LISTED.write().unwrap_or_else(|p| p.into_inner());
        let first = first.entry(format!("{cache}:{table}")).or_default();
        for column in columns.keys() {
            first.entry(column.clone()).or_insert(at);
        }
    }
    let listed = !columns.is_empty();
    let mut learned = LEARNED.write().unwrap_or_else(|p| p.into_inner());
    let read = Table {
        at,
        listed,
        columns,
        spelled,
    };
    learned.insert(entry(db, cache, table), read);
}

fn kind(kind: &str) -> TextCompare {
    match kind {
        "bytes" => TextCompare::Bytes,
        "padded" => TextCompare::Padded,
        "folded" => TextCompare::Folded,
        _ => TextCompare::Shared,
    }
}

/// One column as a catalogue query names it.
#[derive(diesel::QueryableByName)]
struct CatalogueRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
}

/// PostgreSQL: the table as the connection's `search_path` resolves it.
#[cfg(any(feature = "postgres-system-libpq", feature = "async-postgres"))]
const POSTGRES: &str = "SELECT a.attname::text AS name,
    CASE WHEN NOT COALESCE(c.collisdeterministic, false) THEN 'shared'
         WHEN t.typname IN ('text', 'varchar') THEN 'bytes'
         WHEN t.typname = 'bpchar' THEN 'padded'
         ELSE 'shared' END AS kind
  FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_collation c ON c.oid = a.attcollation
  WHERE a.attrelid = to_regclass(quote_ident($1)) AND a.attnum > 0 AND NOT a.attisdropped";

/// MySQL and MariaDB: the table in the connection's database.
#[cfg(any(feature = "mysql", feature = "async-mysql"))]
const MYSQL: &str = "SELECT CAST(COLUMN_NAME AS CHAR) AS name,
    CAST(CASE WHEN COLLATION_NAME LIKE '%\\_bin' THEN 'padded'
      WHEN COLLATION_NAME IN ('utf8mb4_general_ci', 'utf8mb4_unicode_ci', 'utf8mb3_general_ci',
        'utf8mb3_unicode_ci', 'utf8_general_ci', 'utf8_unicode_ci') THEN 'folded'
      ELSE 'shared' END AS CHAR) AS kind
  FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?";

/// SQLite: text affinity (a type name holding `CHAR`, `CLOB` or `TEXT`,
/// and not `INT`, which SQLite's rules check first), in a table whose text
/// names no collation. (The table is bound twice.)
#[cfg(feature = "sqlite")]
const SQLITE: &str = "SELECT p.name AS name,
    CASE WHEN (SELECT instr(lower(sql), 'collate') FROM sqlite_master
                 WHERE type = 'table' AND name = ?) = 0
          AND upper(p.type) NOT LIKE '%INT%'
          AND (upper(p.type) LIKE '%CHAR%' OR upper(p.type) LIKE '%CLOB%'
               OR upper(p.type) LIKE '%TEXT%')
         THEN 'bytes' ELSE 'shared' END AS kind
  FROM pragma_table_info(?) p";

/// Reads `table`'s columns from the catalogue through `conn` (a
/// connection of a database this crate knows, or one r2d2 pooled), unless
/// the process did less than a minute ago; `conn` must not be inside a
/// transaction (a failed statement would end it on PostgreSQL).
pub(crate) fn learn<C: diesel::Connection + 'static>(conn: &mut C, cache: &str, table: &str) {
    let db = db::<C::Backend>();
    if learned(db, cache, table) {
        return;
    }
    if let Some(rows) = query(conn, table) {
        record((db, cache, table), rows);
    }
}

/// The columns of `table` a write on `conn` goes by (see [`columns`]):
/// what the catalogue said less than [`COLUMNS_TRUSTED`] ago, else what it
/// says now, kept for the process only where `conn` is in `autocommit`
/// (inside a transaction PostgreSQL reads its catalogue through the
/// transaction's snapshot, which may predate a migration). Inside one the
/// query is sent too: it names the table through `to_regclass` (no error
/// where it is not found) and takes no lock, so it fails only where the
/// connection does, and with it the write.
pub(crate) fn columns_for_write<C: diesel::Connection + 'static>(
    conn: &mut C,
    cache: &str,
    table: &str,
    autocommit: bool,
) -> Option<Option<Vec<String>>> {
    let db = db::<C::Backend>();
    if let Some(known) = columns(db, cache, table) {
        return Some(known);
    }
    let rows = query(conn, table)?;
    let spelled = spelled_of(&rows);
    if autocommit {
        record((db, cache, table), rows);
    }
    Some(spelled)
}

/// The columns a catalogue query answered, as it spells them (`None`: an
/// error, or no such table).
fn spelled_of(rows: &Result<Vec<CatalogueRow>, String>) -> Option<Vec<String>> {
    let rows = rows.as_ref().ok().filter(|rows| !rows.is_empty())?;
    Some(rows.iter().map(|row| row.name.clone()).collect())
}

/// Asks the catalogue about `table` through `conn`; `None` for a
/// connection this crate cannot ask through.
fn query<C: diesel::Connection + 'static>(
    conn: &mut C,
    table: &str,
) -> Option<Result<Vec<CatalogueRow>, String>> {
    #[allow(unused_imports)]
    use diesel::RunQueryDsl;
    #[allow(unused_imports)]
    use diesel::sql_types::Text;
    let any = conn as &mut dyn std::any::Any;
    #[cfg(feature = "postgres-system-libpq")]
    if let Some(pg) = crate::connections::as_connection::<diesel::PgConnection>(any) {
        let rows = diesel::sql_query(POSTGRES).bind::<Text, _>(table).load(pg);
        return Some(rows.map_err(|e| e.to_string()));
    }
    #[cfg(feature = "mysql")]
    if let Some(my) = crate::connections::as_connection::<diesel::MysqlConnection>(any) {
        let rows = diesel::sql_query(MYSQL).bind::<Text, _>(table).load(my);
        return Some(rows.map_err(|e| e.to_string()));
    }
    #[cfg(feature = "sqlite")]
    if let Some(lite) = crate::connections::as_connection::<diesel::SqliteConnection>(any) {
        let query = diesel::sql_query(SQLITE).bind::<Text, _>(table);
        let rows = query.bind::<Text, _>(table).load(lite);
        return Some(rows.map_err(|e| e.to_string()));
    }
    let _ = (any, table);
    None
}

/// [`learn`] on a diesel-async connection.
#[cfg(feature = "async")]
pub(crate) async fn learn_async<C: diesel_async::AsyncConnection + 'static>(
    conn: &mut C,
    cache: &str,
    table: &str,
) {
    let db = db::<C::Backend>();
    if learned(db, cache, table) {
        return;
    }
    if let Some(rows) = query_async(conn, table).await {
        record((db, cache, table), rows);
    }
}

/// [`columns_for_write`] on a diesel-async connection.
#[cfg(feature = "async")]
pub(crate) async fn columns_for_write_async<C: diesel_async::AsyncConnection + 'static>(
    conn: &mut C,
    cache: &str,
    table: &str,
    autocommit: bool,
) -> Option<Option<Vec<String>>> {
    let db = db::<C::Backend>();
    if let Some(known) = columns(db, cache, table) {
        return Some(known);
    }
    let rows = query_async(conn, table).await?;
    let spelled = spelled_of(&rows);
    if autocommit {
        record((db, cache, table), rows);
    }
    Some(spelled)
}

/// [`query`] on a diesel-async connection.
#[cfg(feature = "async")]
async fn query_async<C: diesel_async::AsyncConnection + 'static>(
    conn: &mut C,
    table: &str,
) -> Option<Result<Vec<CatalogueRow>, String>> {
    // (Used only with an async database feature.)
    #[allow(unused_imports)]
    use diesel::sql_types::Text;
    #[allow(unused_imports)]
    use diesel_async::RunQueryDsl;
    let any = conn as &mut dyn std::any::Any;
    #[cfg(feature = "async-postgres")]
    if let Some(pg) = any.downcast_mut::<diesel_async::AsyncPgConnection>() {
        let query = diesel::sql_query(POSTGRES).bind::<Text, _>(table.to_owned());
        return Some(query.load(pg).await.map_err(|e| e.to_string()));
    }
    #[cfg(feature = "async-mysql")]
    if let Some(my) = any.downcast_mut::<diesel_async::AsyncMysqlConnection>() {
        let query = diesel::sql_query(MYSQL).bind::<Text, _>(table.to_owned());
        return Some(query.load(my).await.map_err(|e| e.to_string()));
    }
    #[cfg(feature = "async-sqlite")]
    if let Some(lite) = any.downcast_mut::<diesel_async::sync_connection_wrapper::SyncConnectionWrapper<diesel::SqliteConnection>>() {
        let query = diesel::sql_query(SQLITE)
            .bind::<Text, _>(table.to_owned())
            .bind::<Text, _>(table.to_owned());
        return Some(query.load(lite).await.map_err(|e| e.to_string()));
    }
    let _ = (any, table);
    None
}

/// The name of the tag of a [`TextCompare::Folded`] column that the lists
/// naming a value by its fold depend on, and a write of a text without a
/// fold bumps (`^` starts no JSON text).
pub(crate) const UNFOLDED: &str = "^*";

/// The names a value whose key is `key` (JSON text) may be given by a
/// reader of a text column: its bytes, its padded form, the shared name,
/// and its fold (else [`UNFOLDED`]: it may equal any folded text); `None`
/// for a value that is not text.
pub(crate) fn text_names(key: &str) -> Option<[String; 4]> {
    let text = text_of(key)?;
    let folded = folded_name(&text).unwrap_or_else(|| UNFOLDED.to_owned());
    Some([key.to_owned(), padded_name(&text), "*".to_owned(), folded])
}

/// The name a reader of a [`TextCompare`] column gives a text value whose
/// key is `key` (JSON text); `None` for a value that is not text.
pub(crate) fn text_name(compare: TextCompare, key: &str) -> Option<String> {
    let text = text_of(key)?;
    Some(match compare {
        TextCompare::Shared => "*".to_owned(),
        TextCompare::Bytes => key.to_owned(),
        TextCompare::Padded => padded_name(&text),
        TextCompare::Folded => folded_name(&text).unwrap_or_else(|| "*".to_owned()),
    })
}

/// Whether a reader's name of a value ([`text_name`]) is a text's fold:
/// the lists it names then also depend on the column's [`UNFOLDED`] tag.
pub(crate) fn is_fold(name: &str) -> bool {
    name.starts_with("^\"")
}

/// The name of `text` under a [`TextCompare::Folded`] collation: its lower
/// case without trailing spaces, marked apart (`^`); `None` for a text
/// with any other character than ASCII letters, digits, spaces, `-`, `_`
/// and `.` (one of those may equal texts of other spellings).
fn folded_name(text: &str) -> Option<String> {
    let trimmed = text.trim_end_matches(' ');
    let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b' ' | b'-' | b'_' | b'.');
    trimmed.bytes().all(plain).then(|| {
        let folded = serde_json::Value::from(trimmed.to_ascii_lowercase());
        format!("^{folded}")
    })
}

/// Whether a write of the text `written` bumps a tag that a list of the
/// text `read` over a [`TextCompare::Folded`] column depends on: what
/// every pair of texts such a collation finds equal must have (a test
/// samples the pairs the server finds equal).
#[doc(hidden)]
pub fn folded_write_reaches(read: &str, written: &str) -> bool {
    let (read, written) = (
        crate::keys::filter::value_key(read),
        crate::keys::filter::value_key(written),
    );
    let Some((name, bumped)) = text_name(TextCompare::Folded, &read).zip(text_names(&written))
    else {
        return true;
    };
    let unfolded = is_fold(&name).then_some(UNFOLDED);
    [Some(name.as_str()), unfolded]
        .into_iter()
        .flatten()
        .any(|depends| bumped.iter().any(|b| b == depends))
}

/// The text a value key holds, if it is text: its JSON, followed (for a
/// text holding `null`) by `~` and its MessagePack in hex (`value_key`).
fn text_of(key: &str) -> Option<String> {
    serde_json::from_str(key).ok().or_else(|| {
        let (json, hex) = key.rsplit_once('~')?;
        hex.bytes().all(|b| b.is_ascii_hexdigit()).then_some(())?;
        serde_json::from_str(json).ok()
    })
}

/// `text` without its trailing spaces, marked apart from a byte-for-byte
/// name (`~` starts no JSON text).
fn padded_name(text: &str) -> String {
    let trimmed = text.trim_end_matches(' ');
    format!("~{}", serde_json::Value::from(trimmed))
}

#[cfg(test)]
mod tests;
