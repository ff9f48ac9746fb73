//! PostgreSQL's one-statement update of a row that returns the row after
//! the update and every other column's value from before it:
//!
//! ```sql
//! UPDATE "products" SET <changes>
//! FROM (SELECT "products"."id", "products"."slug", .. FROM "products"
//!       WHERE "products"."id" = $1 FOR UPDATE) AS "__cache_old"
//! WHERE "products"."id" = "__cache_old"."id"
//! RETURNING <the model's columns>, "__cache_old"."slug", ..
//! ```
//!
//! `RETURNING` sees the target's new values and the `FROM` item's old ones.
//! `FOR UPDATE` locks the row before the update reads it: a concurrent
//! write that commits while this statement waits is seen by both halves
//! (READ COMMITTED re-reads the locked row), so the old values are the
//! ones the update replaced: the old unique values (whose detail entries
//! the update makes stale) and the old values of every column (the value
//! tags of the lists that held the row). Generated code builds it for
//! every model with a single-column primary key.

use diesel::pg::Pg;
use diesel::query_builder::{AsChangeset, AstPass, Query, QueryFragment, QueryId};
use diesel::result::{EmptyChangeset, Error};
use diesel::{Column, Expression, QueryResult, QuerySource, Table};

/// The alias of the old row in the statement.
const OLD: &str = "__cache_old";

/// The statement (see the module documentation). `T`: the table; `Pk`:
/// its primary key column; `W`: the condition selecting the row (`pk =
/// id`); `Cs`: the changeset; `S`: what `RETURNING` gives of the new row
/// (the model's `as_returning()`); `O`: the tuple of unique columns whose
/// old values are returned after it, named `old_names` in SQL.
#[doc(hidden)]
pub struct UpdateReturningOld<T: QuerySource, Pk, W, Cs, S, O> {
    from: T::FromClause,
    pk: Pk,
    filter: W,
    changes: Cs,
    select: S,
    old: O,
    old_names: &'static [&'static str],
    /// `old` starts with the primary key (a bulk update, whose rows' old
    /// keys are returned too): the subquery selects `old` alone.
    pk_in_old: bool,
}

/// Builds [`UpdateReturningOld`]; generated code calls it.
#[doc(hidden)]
pub fn update_returning_old<T, Pk, W, V, S, O>(
    table: T,
    pk: Pk,
    filter: W,
    changes: V,
    select: S,
    old: O,
    old_names: &'static [&'static str],
) -> UpdateReturningOld<T, Pk, W, V::Changeset, S, O>
where
    T: QuerySource,
    V: AsChangeset<Target = T>,
{
    UpdateReturningOld {
        from: table.from_clause(),
        pk,
        filter,
        changes: changes.as_changeset(),
        select,
        old,
        old_names,
        pk_in_old: false,
    }
}

/// [`update_returning_old`] for a bulk update: `filter` selects any number
/// of rows, and `old` (named `old_names`) starts with the primary key, so
/// that each row's old key is returned too (a changeset may change it).
#[doc(hidden)]
pub fn update_where_returning_old<T, Pk, W, V, S, O>(
    table: T,
    pk: Pk,
    filter: W,
    changes: V,
    select: S,
    old: O,
    old_names: &'static [&'static str],
) -> UpdateReturningOld<T, Pk, W, V::Changeset, S, O>
where
    T: QuerySource,
    V: AsChangeset<Target = T>,
{
    UpdateReturningOld {
        pk_in_old: true,
        ..update_returning_old(table, pk, filter, changes, select, old, old_names)
    }
}

impl<T, Pk, W, Cs, S, O> QueryFragment<Pg> for UpdateReturningOld<T, Pk, W, Cs, S, O>
where
    T: Table,
    T::FromClause: QueryFragment<Pg>,
    Pk: Column + QueryFragment<Pg>,
    W: QueryFragment<Pg>,
    Cs: QueryFragment<Pg>,
    S: QueryFragment<Pg>,
    O: QueryFragment<Pg>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // As Diesel's own update: an empty changeset is an error, not SQL.
        if self.changes.is_noop(&Pg)? {
            return Err(Error::QueryBuilderError(Box::new(EmptyChangeset)));
        }
        let from = &self.from;
        out.push_sql("UPDATE ");
        from.walk_ast(out.reborrow())?;
        out.push_sql(" SET ");
        self.changes.walk_ast(out.reborrow())?;
        out.push_sql(" FROM (SELECT ");
        if !self.pk_in_old {
            self.pk.walk_ast(out.reborrow())?;
        }
        if !self.old_names.is_empty() {
            if !self.pk_in_old {
                out.push_sql(", ");
            }
            self.old.walk_ast(out.reborrow())?;
        }
        out.push_sql(" FROM ");
        from.walk_ast(out.reborrow())?;
        out.push_sql(" WHERE ");
        self.filter.walk_ast(out.reborrow())?;
        out.push_sql(" FOR UPDATE) AS ");
        out.push_identifier(OLD)?;
        out.push_sql(" WHERE ");
        self.pk.walk_ast(out.reborrow())?;
        out.push_sql(" = ");
        out.push_identifier(OLD)?;
        out.push_sql(".");
        out.push_identifier(Pk::NAME)?;
        out.push_sql(" RETURNING ");
        self.select.walk_ast(out.reborrow())?;
        for name in self.old_names {
            out.push_sql(", ");
            out.push_identifier(OLD)?;
            out.push_sql(".");
            out.push_identifier(name)?;
        }
        Ok(())
    }
}

impl<T: QuerySource, Pk, W, Cs, S, O> QueryId for UpdateReturningOld<T, Pk, W, Cs, S, O> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<T: QuerySource, Pk, W, Cs, S, O> Query for UpdateReturningOld<T, Pk, W, Cs, S, O>
where
    S: Expression,
    O: Expression,
{
    type SqlType = (S::SqlType, O::SqlType);
}

#[cfg(feature = "postgres-system-libpq")]
impl<T: QuerySource, Pk, W, Cs, S, O> diesel::RunQueryDsl<diesel::PgConnection>
    for UpdateReturningOld<T, Pk, W, Cs, S, O>
{
}

#[cfg(test)]
mod tests {
    use super::update_returning_old;
    use crate::sql_tables::{Dialect, Statement, analyze};
    use diesel::prelude::*;

    diesel::table! {
        shop.items (id) { id -> Integer, slug -> Text, sku -> Text, title -> Text }
    }

    #[derive(Queryable, Selectable)]
    #[diesel(table_name = items)]
    #[allow(dead_code)]
    struct Item {
        id: i32,
        slug: String,
        sku: String,
        title: String,
    }

    #[test]
    fn one_statement_returns_the_new_row_and_the_old_unique_values() {
        let statement = update_returning_old(
            items::table,
            items::id,
            items::id.eq(7),
            items::title.eq("new"),
            Item::as_returning(),
            (items::slug, items::sku),
            &["slug", "sku"],
        );
        let sql = diesel::debug_query::<diesel::pg::Pg, _>(&statement).to_string();
        assert_eq!(
            sql,
            r#"UPDATE "shop"."items" SET "title" = $1 FROM (SELECT "shop"."items"."id", "shop"."items"."slug", "shop"."items"."sku" FROM "shop"."items" WHERE ("shop"."items"."id" = $2) FOR UPDATE) AS "__cache_old" WHERE "shop"."items"."id" = "__cache_old"."id" RETURNING "shop"."items"."id", "shop"."items"."slug", "shop"."items"."sku", "shop"."items"."title", "__cache_old"."slug", "__cache_old"."sku" -- binds: ["new", 7]"#
        );
        // The tracker sees a write of the table, nothing it cannot classify.
        let sql = sql.split(" -- binds").next().unwrap();
        assert_eq!(
            analyze(sql, Dialect::Postgres),
            [Statement::Writes(vec!["items".into()])]
        );
    }

    #[test]
    fn a_bulk_update_returns_every_row_with_its_old_key_and_values() {
        let statement = super::update_where_returning_old(
            items::table,
            items::id,
            items::sku.eq("a"),
            items::id.eq(items::id + 100),
            Item::as_returning(),
            (items::id, items::slug),
            &["id", "slug"],
        );
        let sql = diesel::debug_query::<diesel::pg::Pg, _>(&statement).to_string();
        assert_eq!(
            sql,
            r#"UPDATE "shop"."items" SET "id" = ("shop"."items"."id" + $1) FROM (SELECT "shop"."items"."id", "shop"."items"."slug" FROM "shop"."items" WHERE ("shop"."items"."sku" = $2) FOR UPDATE) AS "__cache_old" WHERE "shop"."items"."id" = "__cache_old"."id" RETURNING "shop"."items"."id", "shop"."items"."slug", "shop"."items"."sku", "shop"."items"."title", "__cache_old"."id", "__cache_old"."slug" -- binds: [100, "a"]"#
        );
    }

    #[test]
    fn an_empty_changeset_is_diesels_error() {
        #[derive(AsChangeset)]
        #[diesel(table_name = items)]
        struct Patch {
            title: Option<String>,
        }
        let statement = update_returning_old(
            items::table,
            items::id,
            items::id.eq(7),
            Patch { title: None },
            Item::as_returning(),
            (items::slug,),
            &["slug"],
        );
        let mut sql = String::new();
        let rendered = std::fmt::write(
            &mut sql,
            format_args!("{}", diesel::debug_query::<diesel::pg::Pg, _>(&statement)),
        );
        assert!(rendered.is_err(), "{sql}");
    }
}
