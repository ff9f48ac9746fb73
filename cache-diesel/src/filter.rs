//! Values a list filter column can hold, and their canonical keys.

use serde::Serialize;
use std::fmt::Write as _;

/// A condition on one column.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterOp<T> {
    /// `column = value`
    Eq(T),
    /// `column IN (values)`
    In(Vec<T>),
}

/// Appends `name` and its condition to a filter key; absent conditions add
/// nothing. Values are written as JSON, so distinct values never share a key.
pub fn append_key<T: Serialize>(key: &mut String, name: &str, op: Option<&FilterOp<T>>) {
    let Some(op) = op else { return };
    let (kind, json) = match op {
        FilterOp::Eq(v) => ("eq", serde_json::to_string(v)),
        FilterOp::In(vs) => ("in", serde_json::to_string(vs)),
    };
    let json = json.unwrap_or_else(|e| format!("!{e}"));
    if !key.is_empty() {
        key.push('&');
    }
    let _ = write!(key, "{name}.{kind}={json}");
}

/// A boxed boolean condition on table `QS` for backend `DB`: what a list
/// filter becomes, and what `all_where` accepts.
pub type BoxedCondition<QS, DB> =
    Box<dyn diesel::BoxableExpression<QS, DB, SqlType = diesel::sql_types::Bool>>;

/// Turns a generated filter into a condition for one backend.
pub trait FilterCondition<QS, DB> {
    /// The filter's conditions, joined with `AND`.
    fn condition(&self) -> BoxedCondition<QS, DB>;
}

/// A unique column's value as the last part of a cache key (JSON).
pub fn value_key<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("!{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_canonical_and_distinct() {
        let mut a = String::new();
        append_key(&mut a, "is_active", Some(&FilterOp::Eq(true)));
        append_key(&mut a, "category_id", Some(&FilterOp::In(vec![1, 2])));
        append_key::<i32>(&mut a, "missing", None);
        assert_eq!(a, "is_active.eq=true&category_id.in=[1,2]");
        let mut b = String::new();
        append_key(&mut b, "title", Some(&FilterOp::Eq("true")));
        assert_eq!(b, "title.eq=\"true\"");
        assert_ne!(value_key(&"1"), value_key(&1));
    }
}
