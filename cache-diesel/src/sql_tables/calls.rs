//! The functions a statement calls: a name followed by `(` in code, not a
//! keyword that takes parentheses nor a table's column list.

use super::lexer::Base;
use super::statement::Stmt;
use super::statement::push_once;
use super::tokens;

/// Keywords that may stand before `(` without being a call.
const NOT_CALLS: &[&str] = &[
    "all",
    "and",
    "any",
    "array",
    "as",
    "by",
    "check",
    "conflict",
    "except",
    "exists",
    "filter",
    "from",
    "group",
    "having",
    "in",
    "intersect",
    "into",
    "is",
    "join",
    "key",
    "lateral",
    "like",
    "limit",
    "materialized",
    "not",
    "offset",
    "on",
    "or",
    "order",
    "over",
    "partition",
    "primary",
    "references",
    "returning",
    "row",
    "select",
    "set",
    "some",
    "table",
    "then",
    "union",
    "unique",
    "using",
    "values",
    "when",
    "where",
    "with",
    "within",
];

pub(super) fn calls_base(sql: &str, base: Base, out: &mut Vec<String>) {
    let toks = tokens(sql, base);
    let s = Stmt { sql, t: &toks };
    for i in 0..s.len() {
        if !s.is_name(i) || !s.punct(i + 1, b'(') || s.kw_in(i, NOT_CALLS) {
            continue;
        }
        // the first part of the name
        let mut first = i;
        while first >= 2 && s.punct(first - 1, b'.') && s.is_name(first - 2) {
            first -= 2;
        }
        // a table's columns, a prepared statement's parameters
        const NAMES: &[&str] = &[
            "into",
            "table",
            "references",
            "exists",
            "prepare",
            "execute",
        ];
        if first > 0 && s.kw_in(first - 1, NAMES) {
            continue;
        }
        if let Some(name) = s.part(i) {
            push_once(out, name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Dialect::{Any, Mysql, Postgres};
    use super::super::function_calls;

    #[test]
    fn function_calls_in_code() {
        assert_eq!(
            function_calls(
                "SELECT my_fn(1), s.Other (2), \"Quoted\"(3), 'no_fn(4)' /* nope(5) */ FROM t \
                 WHERE a IN (1) AND EXISTS (SELECT 1) -- never(6)",
                Postgres
            ),
            ["my_fn", "other", "quoted"]
        );
        assert_eq!(
            function_calls("INSERT INTO t (a) VALUES (f(1), f(2))", Any),
            ["f"]
        );
        assert_eq!(function_calls("SELECT $$g(1)$$, h(1)", Postgres), ["h"]);
        assert_eq!(function_calls("SELECT 1 # g(1)\n, h(1)", Mysql), ["h"]);
        assert_eq!(function_calls("SELECT /*! g(1) */ h(1)", Mysql), ["g", "h"]);
        assert_eq!(function_calls("CALL proc()", Any), ["proc"]);
        assert_eq!(
            function_calls(
                "WITH x AS MATERIALIZED (SELECT 1) SELECT f(1); PREPARE p (int) AS SELECT 1; EXECUTE p(1)",
                Postgres
            ),
            ["f"]
        );
        assert_eq!(
            function_calls("SELECT 'open g(1)", Any),
            Vec::<String>::new()
        );
        // Any: every dialect's reading
        assert_eq!(function_calls("SELECT 1 # g(1)\n, h(1)", Any), ["g", "h"]);
    }
}
