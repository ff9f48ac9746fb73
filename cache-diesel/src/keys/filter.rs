//! Values a list filter column can hold, and their canonical keys.

use serde::Serialize;
use std::fmt::{self, Write as _};

/// A condition on one column.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterOp<T> {
    /// `column = value`
    Eq(T),
    /// `column IN (values)`
    In(Vec<T>),
}

/// Appends `name` and its condition to a filter key; absent conditions add
/// nothing. Values are written as by [`value_key`], so distinct values never
/// share a key.
pub fn append_key<T: Serialize>(key: &mut String, name: &str, op: Option<&FilterOp<T>>) {
    let Some(op) = op else { return };
    let (kind, value) = match op {
        FilterOp::Eq(v) => ("eq", value_key(v)),
        FilterOp::In(vs) => ("in", value_key(vs)),
    };
    if !key.is_empty() {
        key.push('&');
    }
    let _ = write!(key, "{name}.{kind}={value}");
}

/// The order and window of a list: what `order_by`, `limit`, `offset` and
/// `after` on a generated filter set. `O` is the model's order enum
/// (`ProductOrder`), `K` its sort key (`ProductSortKey`).
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq)]
pub struct Page<O, K> {
    /// The order (the primary key ascending by default).
    pub order: O,
    /// At most this many rows.
    pub limit: Option<i64>,
    /// Skip this many rows first.
    pub offset: Option<i64>,
    /// Keyset pagination: only the rows after this sort key in `order`.
    pub after: Option<K>,
}

impl<O: Default, K> Default for Page<O, K> {
    fn default() -> Self {
        Page {
            order: O::default(),
            limit: None,
            offset: None,
            after: None,
        }
    }
}

/// A generated sort key as what its page's key names: the tuple of its
/// fields (up to 8; a larger key is itself), so that a page key is
/// written by code compiled once per tuple of field types, which models
/// share (most sort keys are their model's primary key alone), not once
/// per model.
#[doc(hidden)]
pub trait KeyFields {
    /// The fields, borrowed.
    type Fields<'a>: Serialize
    where
        Self: 'a;
    /// The fields.
    fn key_fields(&self) -> Self::Fields<'_>;
}

/// A list order that did not parse: names the accepted ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown order `{given}`; accepted are: {}", accepted.join(", "))]
pub struct ParseOrderError {
    /// What was given.
    pub given: String,
    /// The orders the model accepts (`id`, `-id`, `price`, ..).
    pub accepted: &'static [&'static str],
}

/// A model's order from its text form (the derive's `Deserialize` of
/// `{Model}Order`: the `FromStr` it has, compiled once for all models).
pub fn deserialize_order<'de, D, O>(deserializer: D) -> Result<O, D::Error>
where
    D: serde::Deserializer<'de>,
    O: std::str::FromStr<Err = ParseOrderError>,
{
    struct Text<O>(std::marker::PhantomData<O>);
    impl<O: std::str::FromStr<Err = ParseOrderError>> serde::de::Visitor<'_> for Text<O> {
        type Value = O;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list order (a column, `-` before it for descending)")
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<O, E> {
            text.parse().map_err(E::custom)
        }
    }
    deserializer.deserialize_str(Text(std::marker::PhantomData))
}

impl<O, K> Page<O, K> {
    /// Whether the page selects a window of the rows (`limit`, `offset` or
    /// `after`), not just an order.
    pub fn is_window(&self) -> bool {
        self.limit.is_some() || self.offset.is_some() || self.after.is_some()
    }

    /// `LIMIT`, as Diesel takes it.
    pub fn sql_limit(&self) -> Option<i64> {
        self.limit
    }

    /// `OFFSET`, as Diesel takes it.
    pub fn sql_offset(&self) -> Option<i64> {
        self.offset
    }
}

/// Appends the page (order when not the default, then limit, offset and
/// the keyset's sort key as JSON) to a filter key.
pub fn append_page_key<O, K>(key: &mut String, page: &Page<O, K>)
where
    O: PartialEq + Default + fmt::Display,
    K: KeyFields,
{
    let mut part = |name: &str, value: &dyn fmt::Display| {
        if !key.is_empty() {
            key.push('&');
        }
        let _ = write!(key, "{name}={value}");
    };
    if page.order != O::default() {
        part("order", &page.order);
    }
    if let Some(limit) = page.limit {
        part("limit", &limit);
    }
    if let Some(offset) = page.offset {
        part("offset", &offset);
    }
    if let Some(after) = &page.after {
        part("after", &value_key(&after.key_fields()));
    }
}

/// A boxed boolean condition on table `QS` for backend `DB`: what a list
/// filter becomes, and what `all_where` accepts.
pub type BoxedCondition<QS, DB> =
    Box<dyn diesel::BoxableExpression<QS, DB, SqlType = diesel::sql_types::Bool>>;

/// Turns a generated filter into a condition for one backend.
pub trait FilterCondition<QS, DB> {
    /// The filter's conditions, joined with `AND` (not the keyset's).
    fn condition(&self) -> BoxedCondition<QS, DB>;
    /// The keyset condition of `after` in the filter's order, if set:
    /// `(c > v) OR (c = v AND pk > id)` (with `<` descending).
    fn keyset(&self) -> Option<BoxedCondition<QS, DB>>;
}

/// A value as part of a cache key: its JSON, readable. JSON writes NaN and
/// both infinities as `null`, like `None`; so when the JSON holds a `null`,
/// the value's MessagePack (which keeps every float bit) follows in hex,
/// after a `~` no JSON text ends with, and such values stay apart.
pub fn value_key<T: Serialize + ?Sized>(value: &T) -> String {
    let mut key = String::new();
    value_key_into(value, &mut key);
    key
}

/// [`value_key`] of an integer: its decimal text (serde_json's bytes, both
/// being itoa's), written without serde: what the derive writes for a
/// key of a primitive integer type.
pub fn integer_key(value: impl itoa::Integer) -> String {
    itoa::Buffer::new().format(value).to_owned()
}

/// [`integer_key`] written at the end of `out`.
pub fn integer_key_into(value: impl itoa::Integer, out: &mut String) {
    out.push_str(itoa::Buffer::new().format(value));
}

/// [`value_key`] written at the end of `out` (a hit reuses one buffer
/// rather than allocate a key).
pub fn value_key_into<T: Serialize + ?Sized>(value: &T, out: &mut String) {
    if crate::keys::write_plain(value, out) {
        return;
    }
    let start = out.len();
    let mut bytes = std::mem::take(out).into_bytes();
    let written = serde_json::to_writer(&mut bytes, value);
    // serde_json writes UTF-8; what precedes `start` was a `String`.
    *out = String::from_utf8(bytes).unwrap_or_else(|e| {
        let mut bytes = e.into_bytes();
        bytes.truncate(start);
        String::from_utf8(bytes).unwrap_or_default()
    });
    if let Err(e) = written {
        out.truncate(start);
        let _ = write!(out, "!{e}");
    }
    if out[start..].contains("null") {
        out.push('~');
        match rmp_serde::to_vec(value) {
            Ok(bytes) => {
                for b in bytes {
                    let _ = write!(out, "{b:02x}");
                }
            }
            Err(e) => out.push_str(&e.to_string()),
        }
    }
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

    #[test]
    fn a_value_key_written_into_a_buffer_is_the_value_key_after_what_it_held() {
        fn check<T: Serialize + ?Sized>(value: &T) {
            for held in ["", "p:d:", "é\u{1F600}\"null\""] {
                let mut out = held.to_owned();
                value_key_into(value, &mut out);
                assert_eq!(out, format!("{held}{}", value_key(value)));
            }
        }
        check(&1i32);
        check(&-7i64);
        check(&"tea \u{2615} \"quoted\"");
        check(&f64::NAN);
        check(&f64::INFINITY);
        check(&None::<i32>);
        check(&Some("null"));
        check(&(1u8, "x", 2.5f32));
        // A map with non-string keys does not serialize to JSON: the key
        // says so rather than be empty.
        let map: std::collections::BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
        let mut out = "p:".to_owned();
        value_key_into(&map, &mut out);
        assert!(out.starts_with("p:!"), "{out}");
        check(&map);
    }

    #[test]
    fn non_finite_floats_and_none_keep_distinct_keys() {
        // Within one type (a key position holds one type).
        let groups = [
            vec![
                value_key(&f64::INFINITY),
                value_key(&f64::NEG_INFINITY),
                value_key(&f64::NAN),
                value_key(&1.0f64),
            ],
            vec![
                value_key(&None::<f64>),
                value_key(&Some(f64::INFINITY)),
                value_key(&Some(f64::NAN)),
            ],
            vec![
                value_key(&(1, f64::INFINITY)),
                value_key(&(1, f64::NEG_INFINITY)),
            ],
        ];
        for keys in &groups {
            for (i, a) in keys.iter().enumerate() {
                for b in &keys[i + 1..] {
                    assert_ne!(a, b);
                }
            }
        }
        assert_eq!(value_key(&1.5f64), "1.5", "finite values stay plain JSON");
        let mut a = String::new();
        append_key(&mut a, "price", Some(&FilterOp::Eq(f64::INFINITY)));
        let mut b = String::new();
        append_key(&mut b, "price", Some(&FilterOp::Eq(f64::NEG_INFINITY)));
        assert_ne!(a, b);
    }

    #[derive(Debug, Clone, Copy, PartialEq, Default)]
    enum Order {
        #[default]
        IdAsc,
        NameDesc,
    }

    impl fmt::Display for Order {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(match self {
                Order::IdAsc => "id",
                Order::NameDesc => "-name",
            })
        }
    }

    /// A sort key as the derive writes one.
    #[derive(Debug, Clone, PartialEq)]
    struct Key(i32, &'static str);

    impl KeyFields for Key {
        type Fields<'a> = (&'a i32, &'a &'static str);
        fn key_fields(&self) -> Self::Fields<'_> {
            (&self.0, &self.1)
        }
    }

    #[test]
    fn page_keys_name_every_part_that_is_set() {
        let key = |page: &Page<Order, Key>| {
            let mut key = "a.eq=1".to_owned();
            append_page_key(&mut key, page);
            key
        };
        let default = Page::default();
        assert_eq!(key(&default), "a.eq=1", "an unpaged filter keeps its key");
        assert!(!default.is_window());
        let page = Page {
            order: Order::NameDesc,
            limit: Some(20),
            offset: Some(40),
            after: Some(Key(7, "x&y")),
        };
        assert_eq!(
            key(&page),
            "a.eq=1&order=-name&limit=20&offset=40&after=[7,\"x&y\"]"
        );
        assert!(page.is_window());
        let ordered: Page<Order, ()> = Page {
            order: Order::NameDesc,
            ..Page::default()
        };
        assert!(!ordered.is_window(), "an order alone selects every row");
        assert_eq!(Page::<Order, ()>::default().sql_offset(), None);
        let huge = Page::<Order, ()> {
            offset: Some(i64::MAX),
            ..Page::default()
        };
        assert_eq!(huge.sql_offset(), Some(i64::MAX));
    }

    proptest::proptest! {
        /// The derive's integer keys are the keys serde writes.
        #[test]
        fn an_integer_key_is_its_value_key(a: i64, b: u64, c: i128, d: i8, e: u16) {
            fn check<T: itoa::Integer + Serialize>(value: T) {
                let mut into = "held:".to_owned();
                integer_key_into(value, &mut into);
                assert_eq!(into, format!("held:{}", value_key(&value)));
                assert_eq!(integer_key(value), value_key(&value));
            }
            check(a);
            check(b);
            check(c);
            check(d);
            check(e);
        }
    }
}
