//! MySQL's and MariaDB's binary log read as `changes` reads PostgreSQL's
//! stream: a table map becomes a [`Relation`] (its columns' names from the
//! log's own metadata, `binlog_row_metadata = FULL`, never from a
//! `table!`), a row image a [`Tuple`] of the values' text.
//!
//! MySQL's types are named by the PostgreSQL type whose values key alike
//! (see `changes::kind`): integers `int8`, `FLOAT` `float4`, `DOUBLE`
//! `float8`, character columns in UTF-8 or ASCII `text` (in `latin1`,
//! decoded as MySQL does), binary ones `bytea` (keyed as a structure: the
//! column's shared tag), decimals, dates and times `numeric` (shared too);
//! `TINYINT`, which a model may read as a `bool`, is keyed both ways;
//! character columns in other character sets, `ENUM`, `SET`, `BIT`,
//! `JSON`, geometries and anything else are not known (every filtered
//! list of the table).

use super::changes::{MYSQL_LATIN1, MYSQL_TINYINT};
use super::pgoutput::{Column, OldKind, Relation, Tuple, Value};
use mysql_async::Value as MyValue;
use mysql_async::binlog::events::{OptionalMetaExtractor, TableMapEvent};
use mysql_async::binlog::row::BinlogRow;
use mysql_async::binlog::value::BinlogValue;
use mysql_async::consts::ColumnType;
use std::collections::HashMap;

/// A collation's character set, by the collation's id (what the log
/// names a column's by): `information_schema.COLLATIONS`.
pub(crate) type Charsets = HashMap<u16, String>;

/// Not a type any value keys as: the table's `filtered` tag.
const UNKNOWN: u32 = 0;

/// The table a table map describes, as `changes` reads it; an error when
/// the log does not name its columns (`binlog_row_metadata` is not
/// `FULL`).
pub(crate) fn relation(
    id: u32,
    tme: &TableMapEvent<'_>,
    charsets: &Charsets,
) -> Result<Relation, String> {
    let meta = OptionalMetaExtractor::new(tme.iter_optional_meta())
        .map_err(|e| format!("unreadable table map metadata: {e}"))?;
    let names = meta
        .iter_column_name()
        .map(|n| n.map(|n| n.name().into_owned()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("unreadable column names: {e}"))?;
    let count = tme.columns_count() as usize;
    if names.len() != count {
        return Err(format!(
            "the binary log does not name the columns of {}.{} (binlog_row_metadata = FULL is needed)",
            tme.database_name(),
            tme.table_name()
        ));
    }
    let mut charset_ids = meta.iter_charset();
    let mut columns = Vec::with_capacity(count);
    for (at, name) in names.into_iter().enumerate() {
        let ty = tme.get_column_type(at).ok().flatten();
        let charset = match ty {
            Some(t) if t.is_character_type() => {
                let collation = charset_ids.next().and_then(|c| c.ok());
                collation.and_then(|c| charsets.get(&c)).map(String::as_str)
            }
            _ => None,
        };
        columns.push(Column {
            // (Every column is in a full row image.)
            key: true,
            name,
            type_oid: ty.map_or(UNKNOWN, |t| keyed_as(t, charset)),
        });
    }
    Ok(Relation {
        id,
        namespace: tme.database_name().into_owned(),
        name: tme.table_name().into_owned(),
        identity: b'f',
        columns,
    })
}

/// The PostgreSQL type whose values key as a column of MySQL type `ty`
/// (of character set `charset`, for character columns) do.
fn keyed_as(ty: ColumnType, charset: Option<&str>) -> u32 {
    use ColumnType::*;
    match ty {
        MYSQL_TYPE_TINY => MYSQL_TINYINT,
        MYSQL_TYPE_SHORT | MYSQL_TYPE_INT24 | MYSQL_TYPE_LONG | MYSQL_TYPE_LONGLONG
        | MYSQL_TYPE_YEAR => 20,
        MYSQL_TYPE_FLOAT => 700,
        MYSQL_TYPE_DOUBLE => 701,
        MYSQL_TYPE_VARCHAR
        | MYSQL_TYPE_VAR_STRING
        | MYSQL_TYPE_STRING
        | MYSQL_TYPE_BLOB
        | MYSQL_TYPE_TINY_BLOB
        | MYSQL_TYPE_MEDIUM_BLOB
        | MYSQL_TYPE_LONG_BLOB => match charset {
            Some("binary") => 17,
            Some("utf8mb4" | "utf8mb3" | "utf8" | "ascii") => 25,
            Some("latin1") => MYSQL_LATIN1,
            // (Another character set, or one not logged: text whose
            // bytes are not read here, or bytes; not known.)
            _ => UNKNOWN,
        },
        MYSQL_TYPE_DECIMAL
        | MYSQL_TYPE_NEWDECIMAL
        | MYSQL_TYPE_DATE
        | MYSQL_TYPE_NEWDATE
        | MYSQL_TYPE_TIME
        | MYSQL_TYPE_TIME2
        | MYSQL_TYPE_DATETIME
        | MYSQL_TYPE_DATETIME2
        | MYSQL_TYPE_TIMESTAMP
        | MYSQL_TYPE_TIMESTAMP2 => 1700,
        _ => UNKNOWN,
    }
}

/// A row image as a tuple of `relation`'s columns, in order, and whether
/// it holds every column (a partial image's missing values are
/// `Unchanged`).
pub(crate) fn tuple(relation: &Relation, row: &BinlogRow) -> (Tuple, bool) {
    let mut tuple = vec![Value::Unchanged; relation.columns.len()];
    let mut present = 0;
    for (at, column) in row.columns_ref().iter().enumerate() {
        let name = column.name_str();
        if let Some(i) = relation.columns.iter().position(|c| c.name == name) {
            tuple[i] = match (row.as_ref(at), relation.columns[i].type_oid) {
                (Some(BinlogValue::Value(MyValue::Bytes(b))), MYSQL_LATIN1) => {
                    Value::Text(latin1(b))
                }
                (v, _) => value(v),
            };
            present += 1;
        }
    }
    (tuple, present == relation.columns.len())
}

/// The old row of an update or a delete, as `changes` takes it: `Key`
/// when the image lacks a column (the old values are not all known).
pub(crate) fn old_row(relation: &Relation, row: &BinlogRow) -> (OldKind, Tuple) {
    let (tuple, whole) = tuple(relation, row);
    (if whole { OldKind::Full } else { OldKind::Key }, tuple)
}

/// MySQL's `latin1` (Windows' cp1252, with its five undefined bytes as the
/// code points of the same number) as text.
fn latin1(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '\u{20AC}', '\u{81}', '\u{201A}', '\u{192}', '\u{201E}', '\u{2026}', '\u{2020}',
        '\u{2021}', '\u{2C6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8D}', '\u{17D}',
        '\u{8F}', '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}',
        '\u{2014}', '\u{2DC}', '\u{2122}', '\u{161}', '\u{203A}', '\u{153}', '\u{9D}', '\u{17E}',
        '\u{178}',
    ];
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9f => HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

/// One value's text, as PostgreSQL's stream would send it for the type
/// `keyed_as` names.
fn value(value: Option<&BinlogValue<'_>>) -> Value {
    match value {
        None | Some(BinlogValue::JsonDiff(_)) => Value::Unchanged,
        Some(BinlogValue::Jsonb(_)) => Value::Text("json".into()),
        Some(BinlogValue::Value(v)) => match v {
            MyValue::NULL => Value::Null,
            MyValue::Int(i) => Value::Text(i.to_string()),
            MyValue::UInt(u) => Value::Text(u.to_string()),
            MyValue::Float(f) => Value::Text(f.to_string()),
            MyValue::Double(d) => Value::Text(d.to_string()),
            MyValue::Bytes(b) => Value::Text(String::from_utf8_lossy(b).into_owned()),
            other => Value::Text(format!("{other:?}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::follower::changes::typed;

    /// The text of a binary log's value keys as the reader's Rust value.
    #[test]
    fn values_key_as_their_rust_types_do() {
        let key = |oid: u32, v: MyValue| match value(Some(&BinlogValue::Value(v))) {
            Value::Text(t) => typed(oid, &t).map(|t| crate::keys::filter::value_key(&t)),
            _ => None,
        };
        use crate::keys::filter::value_key;
        assert_eq!(key(20, MyValue::Int(-7)), Some(value_key(&-7i64)));
        assert_eq!(
            key(20, MyValue::UInt(u64::MAX)),
            Some(value_key(&u64::MAX)),
            "BIGINT UNSIGNED past i64"
        );
        assert_eq!(key(700, MyValue::Float(0.1)), Some(value_key(&0.1f32)));
        assert_eq!(key(701, MyValue::Double(1e20)), Some(value_key(&1e20f64)));
        assert_eq!(
            key(25, MyValue::Bytes(b"caf\xc3\xa9".to_vec())),
            Some(value_key("café"))
        );
        assert_eq!(key(MYSQL_TINYINT, MyValue::Int(1)), Some(value_key(&1i64)));
        assert_eq!(value(Some(&BinlogValue::Value(MyValue::NULL))), Value::Null);
        assert_eq!(value(None), Value::Unchanged);
    }

    /// `latin1` reads as MySQL converts it (an outside probe: `café` in a
    /// latin1 column was keyed `caf\u{FFFD}`, and its lookups were stale).
    #[test]
    fn latin1_decodes_as_mysql_converts_it() {
        assert_eq!(latin1(b"caf\xe9"), "café");
        assert_eq!(latin1(b"\x80\x81\x9f\xff"), "\u{20AC}\u{81}\u{178}ÿ");
    }

    #[test]
    fn binary_and_unnamed_character_sets_are_not_keyed_as_text() {
        assert_eq!(
            keyed_as(ColumnType::MYSQL_TYPE_VARCHAR, Some("utf8mb4")),
            25
        );
        assert_eq!(keyed_as(ColumnType::MYSQL_TYPE_VARCHAR, Some("binary")), 17);
        assert_eq!(
            keyed_as(ColumnType::MYSQL_TYPE_VARCHAR, Some("latin1")),
            MYSQL_LATIN1
        );
        assert_eq!(
            keyed_as(ColumnType::MYSQL_TYPE_VARCHAR, Some("sjis")),
            UNKNOWN
        );
        assert_eq!(keyed_as(ColumnType::MYSQL_TYPE_BLOB, None), UNKNOWN);
        assert_eq!(
            keyed_as(ColumnType::MYSQL_TYPE_ENUM, Some("utf8mb4")),
            UNKNOWN
        );
        assert_eq!(keyed_as(ColumnType::MYSQL_TYPE_TINY, None), MYSQL_TINYINT);
    }
}
