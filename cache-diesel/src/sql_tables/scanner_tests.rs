//! Property tests of the SQL scanner (`sql_tables`): random
//! literals, quoted identifiers and comments of every kind, per dialect,
//! around and inside writes and reads.
//!
//! - a write is always reported (never `Read`), under its own dialect and
//!   under `Dialect::Any`;
//! - a read whose literals and comments are full of write keywords is read;
//! - no text makes the scanner panic.

mod sqlparser_diff;

use super::{Dialect, Statement, analyze, function_calls, sql_name};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// What literal and comment bodies are made of: quotes of every kind,
/// escapes, dollar signs, comment markers, semicolons and keywords.
const PIECES: &[&str] = &[
    "a",
    "Z",
    "0",
    " ",
    "'",
    "''",
    "\"",
    "`",
    "\\",
    "\\\\",
    "$",
    "$$",
    "$x$",
    "$tag$",
    ";",
    "--",
    "/*",
    "*/",
    "/*!",
    "#",
    "\n",
    "\r",
    "(",
    ")",
    "[",
    "]",
    "?",
    "*",
    "/",
    "-",
    "é",
    "E'",
    "UPDATE target SET a = 1",
    "DELETE FROM target",
    "INSERT INTO target VALUES (1)",
    "COMMIT",
    "BEGIN",
    "END",
    "ROLLBACK",
    "'; UPDATE other SET b = 2; --",
    "*/ DELETE FROM other; /*",
];

fn body() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..8).prop_map(|v| v.concat())
}

/// A block comment's body that cannot open or close one, padded so that it
/// cannot touch the delimiters.
fn block_body(s: &str) -> String {
    let mut s = s.to_owned();
    while s.contains("/*") || s.contains("*/") {
        s = s.replace("/*", "/ *").replace("*/", "* /");
    }
    format!(" {s} ")
}

fn line_body(s: &str, pg: bool) -> String {
    s.chars()
        .filter(|&c| c != '\n' && !(pg && c == '\r'))
        .collect()
}

fn doubled(s: &str, q: char) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(q);
    for c in s.chars() {
        if c == q {
            out.push(q);
        }
        out.push(c);
    }
    out.push(q);
    out
}

/// MySQL's `'..'` / `".."`: backslashes escaped, the quote escaped either
/// way.
fn mysql_string(s: &str, q: char, backslash_quote: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(q);
    for c in s.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if c == q {
            out.push(if backslash_quote { '\\' } else { q });
            out.push(q);
        } else {
            out.push(c);
        }
    }
    out.push(q);
    out
}

fn dollar(s: &str, tag: &str) -> String {
    let delimiter = format!("${tag}$");
    let mut s = s.to_owned();
    while s.contains(&delimiter) {
        s = s.replacen(&delimiter, "", 1);
    }
    // a body ending in `$` could run into the closing delimiter with an
    // empty tag (`$$$` closes after the first `$`): keep the bytes apart
    format!("{delimiter}{s} {delimiter}")
}

fn pg_comment() -> BoxedStrategy<String> {
    prop_oneof![
        body().prop_map(|b| format!("--{}\n", line_body(&b, true))),
        body().prop_map(|b| format!("/*{}*/", block_body(&b))),
        (body(), body(), body()).prop_map(|(a, b, c)| format!(
            "/*{}/*{}/*{}*/*/ */",
            block_body(&a),
            block_body(&b),
            block_body(&c)
        )),
    ]
    .boxed()
}

fn pg_literal() -> BoxedStrategy<String> {
    let tag = prop::sample::select(&["", "a", "tag", "x_1", "Q9", "é"][..]);
    prop_oneof![
        body().prop_map(|b| doubled(&b, '\'')),
        (body(), any::<bool>()).prop_map(|(b, e)| {
            let mut out = String::from(if e { "E'" } else { "e'" });
            for c in b.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\'' => out.push_str("\\'"),
                    c => out.push(c),
                }
            }
            out.push('\'');
            out
        }),
        (body(), tag).prop_map(|(b, t)| dollar(&b, t)),
        body().prop_map(|b| format!("U&{}", doubled(&b, '\''))),
        body().prop_map(|b| format!("U&{}", doubled(&b, '"'))),
        body().prop_map(|b| doubled(&b, '"')),
        Just("B'0101'".to_owned()),
        Just("X'1F'".to_owned()),
        Just("$1".to_owned()),
        Just("1.5e-3".to_owned()),
    ]
    .boxed()
}

fn sqlite_comment() -> BoxedStrategy<String> {
    prop_oneof![
        body().prop_map(|b| format!("--{}\n", line_body(&b, false))),
        body().prop_map(|b| format!("/*{}*/", block_body(&b))),
    ]
    .boxed()
}

fn sqlite_literal() -> BoxedStrategy<String> {
    prop_oneof![
        body().prop_map(|b| doubled(&b, '\'')),
        body().prop_map(|b| doubled(&b, '"')),
        body().prop_map(|b| doubled(&b, '`')),
        body().prop_map(|b| format!("[{}]", b.replace(']', ""))),
        Just("X'ab'".to_owned()),
        Just("?1".to_owned()),
        Just(":name".to_owned()),
        Just("@name".to_owned()),
        Just("$name".to_owned()),
        Just("$$".to_owned()),
    ]
    .boxed()
}

fn mysql_comment() -> BoxedStrategy<String> {
    prop_oneof![
        body().prop_map(|b| format!("#{}\n", line_body(&b, false))),
        body().prop_map(|b| format!("-- {}\n", line_body(&b, false))),
        body().prop_map(|b| format!("/*{}*/", block_body(&b))),
    ]
    .boxed()
}

fn mysql_plain_literal() -> BoxedStrategy<String> {
    prop_oneof![
        (body(), any::<bool>()).prop_map(|(b, e)| mysql_string(&b, '\'', e)),
        (body(), any::<bool>()).prop_map(|(b, e)| mysql_string(&b, '"', e)),
        (body(), any::<bool>()).prop_map(|(b, e)| format!("_utf8mb4{}", mysql_string(&b, '\'', e))),
        body().prop_map(|b| doubled(&b, '`')),
        Just("X'ab'".to_owned()),
        Just("?".to_owned()),
        Just("@var".to_owned()),
        Just("$$".to_owned()),
        // `--` not followed by a space is two minus signs
        Just("1--1".to_owned()),
    ]
    .boxed()
}

fn mysql_literal() -> BoxedStrategy<String> {
    prop_oneof![
        4 => mysql_plain_literal(),
        1 => mysql_plain_literal().prop_map(|l| format!("/*!50001 {l} */")),
        1 => mysql_plain_literal().prop_map(|l| format!("/*M!100101 {l} */")),
    ]
    .boxed()
}

/// The pieces of one dialect's text: literals, comments, ways to name the
/// target table.
#[derive(Debug)]
struct Kit {
    dialect: Dialect,
    /// literals and comments for expression positions
    exprs: Vec<String>,
    /// comments only, for statement boundaries
    junk: Vec<String>,
    target: String,
}

impl Kit {
    fn expr(&self, i: usize) -> &str {
        &self.exprs[i % self.exprs.len()]
    }

    fn junk(&self, i: usize) -> &str {
        self.junk.get(i).map_or("", String::as_str)
    }
}

fn kit(
    dialect: Dialect,
    literal: BoxedStrategy<String>,
    comment: BoxedStrategy<String>,
    targets: &'static [&'static str],
) -> impl Strategy<Value = Kit> {
    let expr = prop_oneof![3 => literal, 1 => comment.clone()];
    (
        prop::collection::vec(expr, 1..8),
        prop::collection::vec(comment, 0..6),
        prop::sample::select(targets),
    )
        .prop_map(move |(exprs, junk, target)| Kit {
            dialect,
            exprs,
            junk,
            target: target.to_owned(),
        })
}

fn any_kit() -> impl Strategy<Value = Kit> {
    prop_oneof![
        kit(
            Dialect::Postgres,
            pg_literal(),
            pg_comment(),
            &[
                "target",
                "\"target\"",
                "public.target",
                "\"public\".\"Target\"",
                "TARGET"
            ],
        ),
        kit(
            Dialect::Sqlite,
            sqlite_literal(),
            sqlite_comment(),
            &[
                "target",
                "\"target\"",
                "[Target]",
                "`target`",
                "main.target"
            ],
        ),
        kit(
            Dialect::Mysql,
            mysql_literal(),
            mysql_comment(),
            &["target", "`target`", "`db`.`Target`", "db.target"],
        ),
    ]
}

/// Writes to the target, with the kit's literals and comments around and
/// inside.
fn write_statement(k: &Kit, template: usize) -> String {
    let (t, e, j) = (&k.target, |i| k.expr(i), |i| k.junk(i));
    match template % 8 {
        0 => format!(
            "{} UPDATE {t} SET a = {}, b = {} WHERE c = {} {}",
            j(0),
            e(0),
            e(1),
            e(2),
            j(1)
        ),
        1 => format!(
            "{} WITH x AS (SELECT {} AS q) UPDATE {t} SET a = {} {}",
            j(0),
            e(0),
            e(1),
            j(1)
        ),
        2 => format!(
            "SELECT {} {}; {} DELETE FROM {t} WHERE c = {}",
            e(0),
            j(0),
            j(1),
            e(1)
        ),
        3 => format!(
            "{} INSERT INTO {t} (a, b) VALUES ({}, {}) {}",
            j(0),
            e(0),
            e(1),
            j(1)
        ),
        4 => format!(
            "BEGIN; {} UPDATE {t} SET a = {}; SELECT {}; {} COMMIT",
            j(0),
            e(0),
            e(1),
            j(1)
        ),
        5 => format!(
            "SELECT {} FROM a WHERE b IN (SELECT {}) {}; INSERT INTO {t} SELECT {}",
            e(0),
            e(1),
            j(0),
            e(2)
        ),
        6 => format!(
            "{} SELECT {}; {} SELECT {}; {} UPDATE {t} SET a = {} {}",
            j(0),
            e(0),
            j(1),
            e(1),
            j(2),
            e(2),
            j(3)
        ),
        _ => format!(
            "WITH d AS (DELETE FROM {t} WHERE a = {} RETURNING *) SELECT {} FROM d {}",
            e(0),
            e(1),
            j(0)
        ),
    }
}

/// Reads only, with the kit's literals and comments around and inside.
fn read_statement(k: &Kit, template: usize) -> String {
    let (e, j) = (|i| k.expr(i), |i| k.junk(i));
    match template % 4 {
        0 => format!(
            "{} SELECT {} AS a, {} FROM t WHERE x = {} {}",
            j(0),
            e(0),
            e(1),
            e(2),
            j(1)
        ),
        1 => format!(
            "{} SELECT {}; {} VALUES ({}, {}) {}",
            j(0),
            e(0),
            j(1),
            e(1),
            e(2),
            j(2)
        ),
        2 => format!(
            "SELECT * FROM t WHERE a = {} ORDER BY b FOR UPDATE {}",
            e(0),
            j(0)
        ),
        _ => format!(
            "{} SELECT count(*) FROM t JOIN u ON t.id = u.id WHERE u.x IN ({}, {}) {}",
            j(0),
            e(0),
            e(1),
            j(1)
        ),
    }
}

fn writes_target(statements: &[Statement]) -> bool {
    statements
        .iter()
        .any(|s| matches!(s, Statement::Writes(t) if t.iter().any(|t| t == "target")))
}

const DIALECTS: [Dialect; 4] = [
    Dialect::Postgres,
    Dialect::Sqlite,
    Dialect::Mysql,
    Dialect::Any,
];

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(2000))]

    /// A write is never missed: under its own dialect it is reported exactly
    /// (the text is well formed there), under `Any` it is reported or the
    /// statement is unknown.
    #[test]
    fn writes_are_never_missed(k in any_kit(), template in 0usize..8) {
        let sql = write_statement(&k, template);
        let own = analyze(&sql, k.dialect);
        prop_assert!(writes_target(&own), "{:?}: {sql:?} -> {own:?}", k.dialect);
        prop_assert!(!own.contains(&Statement::Unknown), "{:?}: {sql:?} -> {own:?}", k.dialect);
        let any = analyze(&sql, Dialect::Any);
        prop_assert!(
            writes_target(&any) || any.contains(&Statement::Unknown),
            "Any: {sql:?} -> {any:?}"
        );
    }

}

proptest! {
    #![proptest_config(config(1000))]

    /// Write keywords in literals and comments make no write.
    #[test]
    fn reads_stay_reads(k in any_kit(), template in 0usize..4) {
        let sql = read_statement(&k, template);
        let own = analyze(&sql, k.dialect);
        prop_assert!(!own.is_empty(), "{:?}: {sql:?}", k.dialect);
        prop_assert!(
            own.iter().all(|s| *s == Statement::Read),
            "{:?}: {sql:?} -> {own:?}",
            k.dialect
        );
    }

    /// Nothing panics: arbitrary text, and pieces of SQL cut anywhere.
    #[test]
    fn never_panics(
        text in any::<String>(),
        pieces in prop::collection::vec(prop::sample::select(PIECES), 0..30),
        k in any_kit(),
        template in 0usize..8,
        cut in any::<prop::sample::Index>(),
    ) {
        let sql = write_statement(&k, template);
        let mut end = cut.index(sql.len() + 1);
        while !sql.is_char_boundary(end) {
            end -= 1;
        }
        for input in [text.as_str(), &pieces.concat(), &sql[..end]] {
            for d in DIALECTS {
                let _ = analyze(input, d);
                let _ = function_calls(input, d);
            }
            let _ = sql_name(input);
        }
    }
}

#[test]
fn ten_kilobyte_statement() {
    // Not a benchmark (tests must not assert on time): the size works.
    let mut sql = String::from("UPDATE target SET a = CASE ");
    while sql.len() < 10_000 {
        sql.push_str("WHEN b = 'it''s -- /* $$' THEN $x$ ; $x$ /* note */ ");
    }
    sql.push_str("END WHERE id = 1; COMMIT");
    let expected = [Statement::Writes(vec!["target".into()]), Statement::Commit];
    assert_eq!(analyze(&sql, Dialect::Postgres), expected);
}
