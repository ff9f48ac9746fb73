//! What a change in the stream invalidates: the tags a hook write of the
//! same rows would bump, named from the stream's own picture of the table
//! (its `Relation` messages), never from a model's `table!`.
//!
//! Per changed row, for every column, the value as the reader's value key
//! would spell it ([`Typed`]): integers, booleans, floats, text, UUIDs,
//! JSON and `NULL` are known exactly; dates, times, numerics, intervals,
//! byte strings, arrays, ranges and network addresses are values whose
//! key is a JSON string or structure, which share their column's `*` value
//! tag; a value of any other type cannot be named, and the table's
//! `filtered` tag is bumped instead (every filtered list). An update or a
//! delete whose old row the stream does not carry (a table without
//! `REPLICA IDENTITY FULL`) bumps the table's `epoch`: the old values'
//! lists and lookups are not known. So do `TRUNCATE`, the first change of
//! a relation this follower sees, and a relation whose columns changed
//! (DDL may rewrite values without a change in the stream).

use super::pgoutput::{Column, Message, OldKind, Relation, Tuple, Value};
use crate::keys::{
    TableTag, changed_tag, row_tag, table_tag, written_member_tags, written_value_tags,
};
use cache_core::Cache;
use serde::{Serialize, Serializer};
use std::collections::{BTreeSet, HashMap};

/// A column's value, typed as the stream's type OID says, for its key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Typed {
    Null,
    Int(i64),
    /// An unsigned integer past `i64` (MySQL's `BIGINT UNSIGNED`).
    UInt(u64),
    Bool(bool),
    F32(f32),
    F64(f64),
    Text(String),
    Json(serde_json::Value),
}

impl Serialize for Typed {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Typed::Null => s.serialize_none(),
            Typed::Int(v) => s.serialize_i64(*v),
            Typed::UInt(v) => s.serialize_u64(*v),
            Typed::Bool(v) => s.serialize_bool(*v),
            Typed::F32(v) => s.serialize_f32(*v),
            Typed::F64(v) => s.serialize_f64(*v),
            Typed::Text(v) => s.serialize_str(v),
            Typed::Json(v) => v.serialize(s),
        }
    }
}

/// How a column's values are keyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Exactly (see [`typed`]).
    Exact,
    /// As a JSON string or structure: the column's `*` value tag.
    Shared,
    /// Not known: the table's `filtered` tag.
    Unknown,
}

/// The types whose values' keys are JSON strings or structures (their
/// Rust types serialize so): dates and times, numerics, intervals, bytea,
/// network addresses, arrays of the common types, ranges.
const SHARED_TYPES: &[u32] = &[
    1700, 1082, 1083, 1114, 1184, 1186, 1266, 17, 869, 650, 829, 774, // scalars
    1000, 1001, 1005, 1007, 1009, 1015, 1016, 1021, 1022, 1115, 1182, 1185, 1231, 2951, 199,
    3807, // arrays
    3904, 3906, 3908, 3910, 3912, 3926, // ranges
];

/// Not a PostgreSQL type: MySQL's `TINYINT`, which a model reads as an
/// integer or as a `bool` (Diesel's `Bool` on MySQL): its values are keyed
/// both ways (`binlog` names MySQL's other types by the PostgreSQL type
/// whose values key alike).
pub(crate) const MYSQL_TINYINT: u32 = 0x7fff_0001;
/// Not a PostgreSQL type: a MySQL character column in `latin1`, whose
/// bytes `binlog` decodes as MySQL does (cp1252) into the text a reader
/// sees; keyed as text.
pub(crate) const MYSQL_LATIN1: u32 = 0x7fff_0002;

/// Past this many row changes of one table in a batch, the table's epoch
/// instead: a bulk write's tags would cost more to bump than the entries
/// they spare.
const ROWS_BEFORE_EPOCH: u64 = 1000;

fn kind(type_oid: u32) -> Kind {
    match type_oid {
        16 | 20 | 21 | 23 | 26 | 700 | 701 | 25 | 1043 | 1042 | 19 | 2950 | 114 | 3802
        | MYSQL_TINYINT | MYSQL_LATIN1 => Kind::Exact,
        oid if SHARED_TYPES.contains(&oid) => Kind::Shared,
        _ => Kind::Unknown,
    }
}

/// `text` of a column of type `type_oid`, typed for its key; `None` when
/// the type is not one keyed exactly, or the text does not parse as it.
pub(crate) fn typed(type_oid: u32, text: &str) -> Option<Typed> {
    Some(match type_oid {
        16 => match text {
            "t" => Typed::Bool(true),
            "f" => Typed::Bool(false),
            _ => return None,
        },
        20 | 21 | 23 | 26 | MYSQL_TINYINT => match text.parse() {
            Ok(i) => Typed::Int(i),
            Err(_) => Typed::UInt(text.parse().ok()?),
        },
        700 => Typed::F32(text.parse().ok()?),
        701 => Typed::F64(text.parse().ok()?),
        25 | 1043 | 1042 | 19 | 2950 | MYSQL_LATIN1 => Typed::Text(text.to_owned()),
        114 | 3802 => Typed::Json(serde_json::from_str(text).ok()?),
        _ => return None,
    })
}

/// A relation as this follower knows it: the stream's description, the
/// names entries are keyed by, and the relations whose entries read it.
#[derive(Debug, Clone)]
pub(crate) struct Known {
    pub relation: Relation,
    /// The table's names as a `table!` may give them: `name`, and
    /// `schema.name` outside `public`.
    pub names: Vec<String>,
    /// Views over it and tables it inherits from (their epochs are
    /// bumped by each of its changes).
    pub readers: Vec<String>,
    /// Its primary key's columns, in the key's order (the stream's key
    /// flags mark the replica identity: every column under FULL).
    pub primary_key: Vec<String>,
    /// Whether a column in a unique index (or the primary key) holds
    /// values not keyed exactly (a timestamp, a numeric, `citext`..).
    pub unnamed_lookups: bool,
    /// Whether column names compare without case (MySQL's): a `table!`
    /// may spell one in lower case, so its tags are bumped under both.
    pub fold_case: bool,
}

impl Known {
    pub(crate) fn new(
        relation: Relation,
        readers: Vec<String>,
        primary_key: Vec<String>,
        unique: Vec<String>,
    ) -> Self {
        // (Lower-cased, as the models name their tables.)
        let mut names = vec![relation.name.to_lowercase()];
        if relation.namespace != "public" {
            names.push(format!("{}.{}", relation.namespace, relation.name).to_lowercase());
        }
        // A unique column whose values cannot be keyed exactly: lookups
        // by it cannot be named, so each change invalidates the table.
        let unnamed_lookups = relation
            .columns
            .iter()
            .any(|c| kind(c.type_oid) != Kind::Exact && unique.contains(&c.name));
        Known {
            relation,
            names,
            readers: readers.iter().map(|r| r.to_lowercase()).collect(),
            primary_key,
            unnamed_lookups,
            fold_case: false,
        }
    }

    /// The names a reader may give `column` (see `fold_case`).
    fn column_names<'c>(&self, column: &'c str) -> Vec<std::borrow::Cow<'c, str>> {
        let lower = column.to_lowercase();
        if self.fold_case && lower != column {
            vec![column.into(), lower.into()]
        } else {
            vec![column.into()]
        }
    }
}

/// The tags a batch of messages invalidates, deduplicated.
#[derive(Debug, Default)]
pub(crate) struct Invalidation {
    pub tags: BTreeSet<String>,
    /// Row changes seen.
    pub rows: u64,
    /// Row changes seen by table (its relation's id).
    per_table: HashMap<u32, u64>,
    /// The tables whose entries it invalidates, by their name as a
    /// `table!` without a schema gives it (the metrics' `table`).
    pub tables: BTreeSet<String>,
}

/// What the follower knows of the relations it has seen (by id).
#[derive(Debug, Default)]
pub(crate) struct Relations {
    known: HashMap<u32, Known>,
}

/// What a `Relation` message means for the cache.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// Already known, unchanged.
    Same,
    /// First seen, or its shape changed: its epoch is bumped.
    New,
}

impl Relations {
    /// Records a `Relation` message.
    pub(crate) fn see(&mut self, relation: &Relation) -> Seen {
        match self.known.get(&relation.id) {
            Some(known) if known.relation == *relation => Seen::Same,
            _ => Seen::New,
        }
    }

    /// Keeps `known` (after [`Relations::see`] said `New`).
    pub(crate) fn keep(&mut self, known: Known) {
        self.known.insert(known.relation.id, known);
    }

    pub(crate) fn get(&self, id: u32) -> Option<&Known> {
        self.known.get(&id)
    }
}

impl Invalidation {
    fn table(&mut self, cache: &Cache, known: &Known, tag: TableTag) {
        self.touched(known);
        for name in &known.names {
            self.tags.insert(table_tag(cache, name, tag));
        }
    }

    /// `known` is among the tables it invalidates.
    fn touched(&mut self, known: &Known) {
        if let Some(name) = known.names.first()
            && !self.tables.contains(name)
        {
            self.tables.insert(name.clone());
        }
    }

    /// The epochs of `known` and of its readers.
    pub(crate) fn epoch(&mut self, cache: &Cache, known: &Known) {
        self.table(cache, known, TableTag::Epoch);
        for reader in &known.readers {
            self.tags.insert(table_tag(cache, reader, TableTag::Epoch));
        }
    }

    /// The tags of one row change of `known`: `old` and `new` rows (an
    /// insert has no old row, a delete no new one).
    pub(crate) fn row_change(
        &mut self,
        cache: &Cache,
        known: &Known,
        old: Option<(OldKind, &Tuple)>,
        new: Option<&Tuple>,
    ) {
        self.rows += 1;
        self.touched(known);
        let columns = &known.relation.columns;
        let seen = self.per_table.entry(known.relation.id).or_insert(0);
        *seen += 1;
        let seen = *seen;
        if seen > ROWS_BEFORE_EPOCH {
            // (The epoch was bumped at the first row past the bound.)
            if seen == ROWS_BEFORE_EPOCH + 1 {
                self.epoch(cache, known);
            }
            return;
        }
        // An old row that is only a key: the old values are not known.
        // Or lookups whose tags cannot be named.
        if matches!(old, Some((OldKind::Key, _))) || known.unnamed_lookups {
            self.epoch(cache, known);
            return;
        }
        for reader in &known.readers {
            self.tags.insert(table_tag(cache, reader, TableTag::Epoch));
        }
        self.table(cache, known, TableTag::List);
        if old.is_none() || new.is_some() {
            // An insert, or an update (a unique value may have moved onto
            // a cached "not found").
            self.table(cache, known, TableTag::Absent);
        }
        let old = old.map(|(_, t)| t);
        let value_at = |at: usize| {
            let before = old.and_then(|t| t.get(at));
            let after = match new.and_then(|t| t.get(at)) {
                // Unchanged TOAST: the old value (known under FULL).
                Some(Value::Unchanged) => before,
                other => other,
            };
            (before, after)
        };
        // For the id lists (see `id_lists`): an insert, a delete or a
        // moved primary key makes a row come or go; an update, the values
        // that changed.
        let moved_key = columns.iter().enumerate().any(|(at, column)| {
            let (before, after) = value_at(at);
            known.primary_key.contains(&column.name) && before != after
        });
        let came_or_went = old.is_none() || new.is_none() || moved_key;
        if came_or_went {
            self.table(cache, known, TableTag::Rows);
        }
        for (at, column) in columns.iter().enumerate() {
            let (before, after) = value_at(at);
            let member = came_or_went || before != after;
            if member && !came_or_went {
                for name in &known.names {
                    for column in known.column_names(&column.name) {
                        self.tags.insert(changed_tag(cache, name, &column));
                    }
                }
            }
            for value in [before, after].into_iter().flatten() {
                self.value(cache, known, column, value, member);
            }
        }
        self.composite_keys(cache, known, old);
        self.composite_keys(cache, known, new);
    }

    /// An update whose old row the stream does not carry.
    pub(crate) fn update_without_old(&mut self, cache: &Cache, known: &Known) {
        self.rows += 1;
        self.epoch(cache, known);
    }

    /// The tags of one column's value in a row (its member tags too where
    /// the value came or went: `member`).
    fn value(
        &mut self,
        cache: &Cache,
        known: &Known,
        column: &Column,
        value: &Value,
        member: bool,
    ) {
        let key = match value {
            Value::Null => Some(crate::keys::filter::value_key(&Typed::Null)),
            Value::Text(text) => match kind(column.type_oid) {
                Kind::Exact => {
                    if column.type_oid == MYSQL_TINYINT
                        && let Ok(i) = text.parse::<i64>()
                    {
                        // Also as the `bool` a model may read it as.
                        let key = crate::keys::filter::value_key(&Typed::Bool(i != 0));
                        self.value_named(cache, known, column, Some(key), member);
                    }
                    typed(column.type_oid, text).map(|t| crate::keys::filter::value_key(&t))
                }
                Kind::Shared => None,
                Kind::Unknown => {
                    self.table(cache, known, TableTag::Filtered);
                    None
                }
            },
            // Unchanged and not known: every list of the table.
            Value::Unchanged => {
                self.table(cache, known, TableTag::Filtered);
                None
            }
        };
        self.value_named(cache, known, column, key, member);
    }

    /// The value tags and row tag of a value keyed `key` (`None`: not
    /// known) in `column`.
    fn value_named(
        &mut self,
        cache: &Cache,
        known: &Known,
        column: &Column,
        key: Option<String>,
        member: bool,
    ) {
        for name in &known.names {
            for column in known.column_names(&column.name) {
                self.tags
                    .extend(written_value_tags(cache, name, &column, key.as_deref()));
                if member {
                    self.tags
                        .extend(written_member_tags(cache, name, &column, key.as_deref()));
                }
                match &key {
                    Some(key) => self.tags.insert(row_tag(cache, name, &column, key)),
                    // The column's wide tag: lookups by it depend on it
                    // where another model lacks it (see `keys::declared`).
                    None => self.tags.insert(row_tag(cache, name, &column, "*")),
                };
            }
        }
    }

    /// A composite primary key's row tags (`a,b` = `[1,2]`), in every
    /// order of its columns (a model may declare them in another order
    /// than the table's); a key of more than three columns, or of values
    /// not keyed exactly, bumps the table's epoch.
    fn composite_keys(&mut self, cache: &Cache, known: &Known, row: Option<&Tuple>) {
        let Some(row) = row else { return };
        let key: Vec<(&Column, &Value)> = known
            .primary_key
            .iter()
            .filter_map(|name| {
                let at = known
                    .relation
                    .columns
                    .iter()
                    .position(|c| c.name == *name)?;
                Some((&known.relation.columns[at], row.get(at)?))
            })
            .collect();
        if key.len() < 2 {
            return;
        }
        if key.len() != known.primary_key.len() {
            // A key column the stream did not describe.
            return self.epoch(cache, known);
        }
        let typed_key: Option<Vec<(&str, Typed)>> = key
            .iter()
            .map(|(c, v)| match v {
                Value::Text(t) if kind(c.type_oid) == Kind::Exact => {
                    typed(c.type_oid, t).map(|t| (c.name.as_str(), t))
                }
                _ => None,
            })
            .collect();
        match typed_key {
            Some(parts) if parts.len() <= 3 => {
                for order in permutations(parts.len()) {
                    let column = order
                        .iter()
                        .map(|&i| parts[i].0)
                        .collect::<Vec<_>>()
                        .join(",");
                    let values: Vec<&Typed> = order.iter().map(|&i| &parts[i].1).collect();
                    let value_key = crate::keys::filter::value_key(&values);
                    for name in &known.names {
                        for column in known.column_names(&column) {
                            self.tags.insert(row_tag(cache, name, &column, &value_key));
                        }
                    }
                }
            }
            _ => self.epoch(cache, known),
        }
    }

    /// Applies one message (`Relation` messages are the caller's).
    pub(crate) fn message(
        &mut self,
        cache: &Cache,
        relations: &Relations,
        message: &Message,
    ) -> Result<(), u32> {
        let known = |id: u32| relations.get(id).ok_or(id);
        match message {
            Message::Insert { relation, new } => {
                self.row_change(cache, known(*relation)?, None, Some(new))
            }
            Message::Update { relation, old, new } => {
                let k = known(*relation)?;
                match old {
                    Some((kind, old)) => self.row_change(cache, k, Some((*kind, old)), Some(new)),
                    // (FULL always sends the old row.)
                    None => self.update_without_old(cache, k),
                }
            }
            Message::Delete {
                relation,
                old: (kind, old),
            } => self.row_change(cache, known(*relation)?, Some((*kind, old)), None),
            Message::Truncate { relations: ids } => {
                for id in ids {
                    self.epoch(cache, known(*id)?);
                }
            }
            Message::Begin | Message::Commit { .. } | Message::Relation(_) | Message::Other => {}
        }
        Ok(())
    }
}

/// Every order of `0..n` (n at most 3).
fn permutations(n: usize) -> Vec<Vec<usize>> {
    match n {
        2 => vec![vec![0, 1], vec![1, 0]],
        3 => vec![
            vec![0, 1, 2],
            vec![0, 2, 1],
            vec![1, 0, 2],
            vec![1, 2, 0],
            vec![2, 0, 1],
            vec![2, 1, 0],
        ],
        n => vec![(0..n).collect()],
    }
}

#[cfg(test)]
mod tests;
