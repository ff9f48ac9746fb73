//! PostgreSQL's logical replication messages (`pgoutput`, protocol
//! version 1), as `pg_logical_slot_peek_binary_changes` returns them: one
//! message a row. Only what invalidation needs is kept: transaction ends,
//! the relations' shapes, and the rows' old and new values as text.
//! Anything malformed is an error, never a panic.
//!
//! The format: <https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html>.

use std::fmt;

/// A column of a relation, as its `Relation` message describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    /// Part of the replica identity (the key sent with updates and deletes).
    pub key: bool,
    pub name: String,
    /// The type's OID.
    pub type_oid: u32,
}

/// A relation (table) as the stream describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Relation {
    pub id: u32,
    pub namespace: String,
    pub name: String,
    /// `d` default (the primary key), `n` nothing, `f` full, `i` an index.
    pub identity: u8,
    pub columns: Vec<Column>,
}

/// One column's value in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Null,
    /// A TOASTed value the update did not change (its value is not sent).
    Unchanged,
    /// The value's text form.
    Text(String),
}

/// A row: one value per column of its relation, in order.
pub(crate) type Tuple = Vec<Value>;

/// One message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Message {
    Begin,
    /// A transaction's commit: the position just past it, and when.
    Commit {
        end_lsn: u64,
        /// Microseconds since 2000-01-01 UTC.
        timestamp: i64,
    },
    Relation(Relation),
    Insert {
        relation: u32,
        new: Tuple,
    },
    Update {
        relation: u32,
        /// The old row: its key columns only (`K`, when the key changed)
        /// or every column (`O`, under `REPLICA IDENTITY FULL`).
        old: Option<(OldKind, Tuple)>,
        new: Tuple,
    },
    Delete {
        relation: u32,
        old: (OldKind, Tuple),
    },
    Truncate {
        relations: Vec<u32>,
    },
    /// Origin, type and logical messages: nothing to invalidate.
    Other,
}

/// What an old row holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OldKind {
    /// The replica identity's columns only (others are null).
    Key,
    /// Every column.
    Full,
}

/// A message that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Malformed(pub String);

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed pgoutput message: {}", self.0)
    }
}

impl std::error::Error for Malformed {}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| Malformed(format!("{n} bytes wanted at {}", self.at)))?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn u8(&mut self) -> Result<u8, Malformed> {
        Ok(self.take(1)?[0])
    }

    fn i16(&mut self) -> Result<i16, Malformed> {
        Ok(i16::from_be_bytes(self.take(2)?.try_into().expect("2")))
    }

    fn u32(&mut self) -> Result<u32, Malformed> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().expect("4")))
    }

    fn i32(&mut self) -> Result<i32, Malformed> {
        Ok(i32::from_be_bytes(self.take(4)?.try_into().expect("4")))
    }

    fn u64(&mut self) -> Result<u64, Malformed> {
        Ok(u64::from_be_bytes(self.take(8)?.try_into().expect("8")))
    }

    /// A NUL-terminated string.
    fn string(&mut self) -> Result<String, Malformed> {
        let rest = &self.bytes[self.at..];
        let len = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| Malformed("an unterminated string".into()))?;
        let s = std::str::from_utf8(&rest[..len])
            .map_err(|_| Malformed("a string that is not UTF-8".into()))?
            .to_owned();
        self.at += len + 1;
        Ok(s)
    }

    fn tuple(&mut self) -> Result<Tuple, Malformed> {
        let n = self.i16()?;
        let n = usize::try_from(n).map_err(|_| Malformed(format!("{n} columns")))?;
        let mut values = Vec::with_capacity(n.min(1600));
        for _ in 0..n {
            values.push(match self.u8()? {
                b'n' => Value::Null,
                b'u' => Value::Unchanged,
                b't' => {
                    let len = self.i32()?;
                    let len = usize::try_from(len)
                        .map_err(|_| Malformed(format!("a value of {len} bytes")))?;
                    let text = std::str::from_utf8(self.take(len)?)
                        .map_err(|_| Malformed("a text value that is not UTF-8".into()))?;
                    Value::Text(text.to_owned())
                }
                other => return Err(Malformed(format!("a value of kind {other:#04x}"))),
            });
        }
        Ok(values)
    }

    fn old(&mut self, kind: u8) -> Result<(OldKind, Tuple), Malformed> {
        let kind = match kind {
            b'K' => OldKind::Key,
            b'O' => OldKind::Full,
            other => return Err(Malformed(format!("an old row of kind {other:#04x}"))),
        };
        Ok((kind, self.tuple()?))
    }

    fn done(self) -> Result<(), Malformed> {
        match self.bytes.len() - self.at {
            0 => Ok(()),
            left => Err(Malformed(format!("{left} bytes left over"))),
        }
    }
}

/// Parses one message.
pub(crate) fn parse(bytes: &[u8]) -> Result<Message, Malformed> {
    let mut r = Reader { bytes, at: 0 };
    let message = match r.u8()? {
        b'B' => {
            r.take(8 + 8 + 4)?;
            Message::Begin
        }
        b'C' => {
            r.u8()?;
            r.u64()?;
            let end_lsn = r.u64()?;
            let timestamp = r.u64()? as i64;
            Message::Commit { end_lsn, timestamp }
        }
        b'R' => {
            let id = r.u32()?;
            let namespace = r.string()?;
            let name = r.string()?;
            let identity = r.u8()?;
            let n = r.i16()?;
            let n = usize::try_from(n).map_err(|_| Malformed(format!("{n} columns")))?;
            let mut columns = Vec::with_capacity(n.min(1600));
            for _ in 0..n {
                let flags = r.u8()?;
                let name = r.string()?;
                let type_oid = r.u32()?;
                r.i32()?;
                columns.push(Column {
                    key: flags & 1 == 1,
                    name,
                    type_oid,
                });
            }
            Message::Relation(Relation {
                id,
                namespace,
                name,
                identity,
                columns,
            })
        }
        b'I' => {
            let relation = r.u32()?;
            match r.u8()? {
                b'N' => Message::Insert {
                    relation,
                    new: r.tuple()?,
                },
                other => return Err(Malformed(format!("an insert's row of kind {other:#04x}"))),
            }
        }
        b'U' => {
            let relation = r.u32()?;
            let (old, new) = match r.u8()? {
                b'N' => (None, r.tuple()?),
                kind => {
                    let old = r.old(kind)?;
                    match r.u8()? {
                        b'N' => (Some(old), r.tuple()?),
                        other => {
                            return Err(Malformed(format!(
                                "an update's new row of kind {other:#04x}"
                            )));
                        }
                    }
                }
            };
            Message::Update { relation, old, new }
        }
        b'D' => {
            let relation = r.u32()?;
            let kind = r.u8()?;
            Message::Delete {
                relation,
                old: r.old(kind)?,
            }
        }
        b'T' => {
            let n = r.u32()?;
            r.u8()?;
            let relations = (0..n.min(1 << 20))
                .map(|_| r.u32())
                .collect::<Result<_, _>>()?;
            Message::Truncate { relations }
        }
        b'O' | b'Y' | b'M' => return Ok(Message::Other),
        other => return Err(Malformed(format!("a message of kind {other:#04x}"))),
    };
    r.done()?;
    Ok(message)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The bytes of `message`, as PostgreSQL writes it (the inverse of
    /// [`parse`], for the round-trip property and the follower's tests).
    pub(crate) fn write(message: &Message) -> Vec<u8> {
        let mut out = Vec::new();
        let tuple = |out: &mut Vec<u8>, t: &Tuple| {
            out.extend((t.len() as i16).to_be_bytes());
            for v in t {
                match v {
                    Value::Null => out.push(b'n'),
                    Value::Unchanged => out.push(b'u'),
                    Value::Text(s) => {
                        out.push(b't');
                        out.extend((s.len() as i32).to_be_bytes());
                        out.extend(s.as_bytes());
                    }
                }
            }
        };
        let string = |out: &mut Vec<u8>, s: &str| {
            out.extend(s.as_bytes());
            out.push(0);
        };
        let old = |out: &mut Vec<u8>, (kind, t): &(OldKind, Tuple)| {
            out.push(match kind {
                OldKind::Key => b'K',
                OldKind::Full => b'O',
            });
            tuple(out, t);
        };
        match message {
            Message::Begin => {
                out.push(b'B');
                out.extend([0; 20]);
            }
            Message::Commit { end_lsn, timestamp } => {
                out.push(b'C');
                out.push(0);
                out.extend(7u64.to_be_bytes());
                out.extend(end_lsn.to_be_bytes());
                out.extend(timestamp.to_be_bytes());
            }
            Message::Relation(rel) => {
                out.push(b'R');
                out.extend(rel.id.to_be_bytes());
                string(&mut out, &rel.namespace);
                string(&mut out, &rel.name);
                out.push(rel.identity);
                out.extend((rel.columns.len() as i16).to_be_bytes());
                for c in &rel.columns {
                    out.push(u8::from(c.key));
                    string(&mut out, &c.name);
                    out.extend(c.type_oid.to_be_bytes());
                    out.extend((-1i32).to_be_bytes());
                }
            }
            Message::Insert { relation, new } => {
                out.push(b'I');
                out.extend(relation.to_be_bytes());
                out.push(b'N');
                tuple(&mut out, new);
            }
            Message::Update {
                relation,
                old: o,
                new,
            } => {
                out.push(b'U');
                out.extend(relation.to_be_bytes());
                if let Some(o) = o {
                    old(&mut out, o);
                }
                out.push(b'N');
                tuple(&mut out, new);
            }
            Message::Delete { relation, old: o } => {
                out.push(b'D');
                out.extend(relation.to_be_bytes());
                old(&mut out, o);
            }
            Message::Truncate { relations } => {
                out.push(b'T');
                out.extend((relations.len() as u32).to_be_bytes());
                out.push(0);
                for r in relations {
                    out.extend(r.to_be_bytes());
                }
            }
            Message::Other => out.extend([b'O', 0, 0, 0, 0, 0, 0, 0, 0, b'x', 0]),
        }
        out
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            Just(Value::Unchanged),
            ".{0,12}".prop_map(Value::Text),
        ]
    }

    fn tuple() -> impl Strategy<Value = Tuple> {
        proptest::collection::vec(value(), 0..6)
    }

    fn old() -> impl Strategy<Value = (OldKind, Tuple)> {
        (
            prop_oneof![Just(OldKind::Key), Just(OldKind::Full)],
            tuple(),
        )
    }

    fn message() -> impl Strategy<Value = Message> {
        let column =
            (any::<bool>(), "[a-z_]{1,8}", any::<u32>()).prop_map(|(key, name, type_oid)| Column {
                key,
                name,
                type_oid,
            });
        prop_oneof![
            Just(Message::Begin),
            (any::<u64>(), any::<i64>())
                .prop_map(|(end_lsn, timestamp)| Message::Commit { end_lsn, timestamp }),
            (
                any::<u32>(),
                "[a-z]{1,6}",
                "[a-z_ ]{1,10}",
                any::<u8>(),
                proptest::collection::vec(column, 0..5)
            )
                .prop_map(
                    |(id, namespace, name, identity, columns)| Message::Relation(Relation {
                        id,
                        namespace,
                        name,
                        identity,
                        columns
                    })
                ),
            (any::<u32>(), tuple()).prop_map(|(relation, new)| Message::Insert { relation, new }),
            (any::<u32>(), proptest::option::of(old()), tuple())
                .prop_map(|(relation, old, new)| Message::Update { relation, old, new }),
            (any::<u32>(), old()).prop_map(|(relation, old)| Message::Delete { relation, old }),
            proptest::collection::vec(any::<u32>(), 0..4)
                .prop_map(|relations| Message::Truncate { relations }),
        ]
    }

    proptest! {
        #[test]
        fn every_message_reads_back_as_written(m in message()) {
            prop_assert_eq!(parse(&write(&m)).unwrap(), m);
        }

        /// Any bytes: an error or a message, never a panic; a message cut
        /// short is an error.
        #[test]
        fn garbage_and_cut_messages_are_errors_not_panics(
            bytes in proptest::collection::vec(any::<u8>(), 0..64),
            m in message(),
            cut in any::<prop::sample::Index>(),
        ) {
            let _ = parse(&bytes);
            let whole = write(&m);
            if !matches!(m, Message::Other) && !whole.is_empty() {
                let at = cut.index(whole.len());
                prop_assert!(parse(&whole[..at]).is_err(), "cut at {} of {}", at, whole.len());
            }
        }
    }

    /// Bytes PostgreSQL 15 sent (`pg_logical_slot_peek_binary_changes`,
    /// proto_version 1) for `UPDATE fz_t SET name='c' WHERE id=1` under
    /// `REPLICA IDENTITY FULL`.
    #[test]
    fn a_real_update_under_replica_identity_full() {
        // (Written out by hand, not by `write`: the layout as documented.)
        let tuple = |bytes: &mut Vec<u8>, kind: u8, values: [&str; 3]| {
            bytes.push(kind);
            bytes.extend(3i16.to_be_bytes());
            for v in values {
                bytes.push(b't');
                bytes.extend((v.len() as i32).to_be_bytes());
                bytes.extend(v.as_bytes());
            }
        };
        let mut bytes = vec![b'U'];
        bytes.extend(16_390u32.to_be_bytes());
        tuple(&mut bytes, b'O', ["1", "a", "1"]);
        tuple(&mut bytes, b'N', ["1", "c", "1"]);
        // 47 bytes, as the server's message was.
        assert_eq!(bytes.len(), 47);
        let text = |s: &str| Value::Text(s.into());
        assert_eq!(
            parse(&bytes).unwrap(),
            Message::Update {
                relation: 16_390,
                old: Some((OldKind::Full, vec![text("1"), text("a"), text("1")])),
                new: vec![text("1"), text("c"), text("1")],
            }
        );
    }
}
