//! What the log names: the table a table map describes, as the follower
//! knows it, and the tables a statement logged as text writes.

use super::catalogue::{bare, catalogue_of, is_view_ddl, readers, view_named};
use super::{Batch, Failure, Follower, Server, Session};
use crate::follower::binlog;
use crate::follower::changes::Known;
use crate::keys::{TableTag, table_tag};
use crate::sql_tables::{Dialect, Statement, analyze};

impl Follower {
    /// A statement logged as text (DDL, `TRUNCATE`, ..): the epochs of the
    /// tables it names, or the whole cache's.
    pub(super) fn statement(
        &self,
        rt: &tokio::runtime::Runtime,
        se: &mut Session,
        sql: &str,
        batch: &mut Batch,
    ) -> Result<(), Failure> {
        let s = &*self.shared;
        // The tables' shapes, keys and views may have changed (of any
        // table: a key added to one cascades from another): learned anew.
        se.tables.clear();
        se.server.catalogue.clear();
        for statement in analyze(sql, Dialect::Mysql) {
            let tables = match statement {
                Statement::Writes(tables) => tables,
                // A view made or replaced reads other rows now (and the
                // scanner reads `CREATE VIEW` as a read): the view and
                // what it reads.
                Statement::Read if is_view_ddl(sql) => {
                    let mut names = view_named(sql).into_iter().collect::<Vec<_>>();
                    names.extend(crate::sql_tables::tables_named(sql, Dialect::Mysql));
                    names
                }
                Statement::Unknown => {
                    tracing::info!(slot = %s.options.slot, sql = %sql, "cache follower: a statement whose tables are not known; the whole cache invalidated");
                    batch
                        .invalidation
                        .tags
                        .insert(crate::keys::all_tag(&s.cache));
                    continue;
                }
                _ => continue,
            };
            for table in tables {
                let readers = rt.block_on(readers(&mut se.server.conn, &se.server.db, &table))?;
                for name in std::iter::once(&table).chain(&readers) {
                    let tag = table_tag(&s.cache, name, TableTag::Epoch);
                    batch.invalidation.tags.insert(tag);
                }
            }
        }
        Ok(())
    }

    /// What the follower knows of the table `tme` maps (`None`: not
    /// followed); a table whose columns the log does not name is known by
    /// its name alone (each change bumps its epoch).
    pub(super) fn known(
        &self,
        rt: &tokio::runtime::Runtime,
        server: &mut Server,
        id: u64,
        tme: &mysql_async::binlog::events::TableMapEvent<'static>,
    ) -> Result<Option<Known>, Failure> {
        let s = &*self.shared;
        let Server {
            conn,
            db,
            catalogue,
            charsets,
        } = server;
        let table = tme.table_name().to_lowercase();
        if tme.database_name() != db.as_str() {
            return Ok(None);
        }
        let followed = |t: &str| {
            s.options.tables.is_empty()
                || s.options
                    .tables
                    .iter()
                    .any(|f| bare(f).eq_ignore_ascii_case(t))
        };
        let about = match catalogue.get(&table) {
            Some(c) => c.clone(),
            None => {
                let c = rt.block_on(catalogue_of(conn, db, &table))?;
                catalogue.insert(table.clone(), c.clone());
                c
            }
        };
        let mut relation = match binlog::relation(id as u32, tme, charsets) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(slot = %s.options.slot, error = %e, "cache follower: each change of the table invalidates it");
                crate::follower::pgoutput::Relation {
                    id: id as u32,
                    namespace: db.to_owned(),
                    name: table.clone(),
                    identity: b'f',
                    columns: Vec::new(),
                }
            }
        };
        let whole = !relation.columns.is_empty();
        if !whole {
            // No column known: `unnamed_lookups` makes each change an
            // epoch bump.
            relation.columns.push(crate::follower::pgoutput::Column {
                key: true,
                name: "?".into(),
                type_oid: 0,
            });
        }
        let unique = if whole {
            about.unique
        } else {
            vec!["?".into()]
        };
        let mut known = Known::new(relation, about.readers, about.primary_key, unique);
        known.fold_case = true;
        if !followed(&table) {
            // Not followed itself, but what reads it (a view, a table its
            // keys cascade into) may be: their epochs, then.
            known.names.clear();
            known.readers.retain(|r| followed(r));
            if known.readers.is_empty() {
                return Ok(None);
            }
        }
        Ok(Some(known))
    }
}
