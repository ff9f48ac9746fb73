//! What every model of the program declares, by table: what one model's
//! hooks must invalidate for the other models over the same table.
//!
//! Two models over one SQL table may see it through different `table!`s (a
//! lighter `#[sql_name = "products"]` table of a few columns, a table an
//! older schema file describes), so neither model's own `table!` says what
//! the table holds. What matters is what the other models *read*, and that
//! is registered here at link time:
//!
//! - **Unique columns.** A lookup by `code` depends on the tag of its value
//!   (`u:code:"a"`), which the hooks of every model declaring
//!   `unique(code)` bump with the row's old and new codes. A model over the
//!   same table that does not declare it cannot name those tags: its hooks
//!   bump instead the column's wide tag (`u:code:*`, no value key is `*`),
//!   on which a lookup by `code` then depends as well. Only where two
//!   models over one table declare different unique columns: otherwise
//!   neither side has anything to do.
//! - **Filter columns.** A list with conditions depends on the value tags
//!   of one of its model's `filter(..)` columns. A write names the values
//!   it replaced and wrote only in the columns its model maps; so it is
//!   precise only where its model maps every filter column of every model
//!   over the table ([`maps_every_filter_column`]), and otherwise
//!   invalidates every list with conditions (`filtered`).
//!
//! This covers the models linked into one program. A model in another
//! program sharing the cache (a newer binary in a rolling deploy, reading
//! a column this one does not know) is covered by the database's
//! catalogue (`catalogue`, "Columns"): [`unmapped_by_program`] is what
//! this program cannot name.

use crate::model::ModelInfo;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{LazyLock, Mutex};

/// A model's table (its SQL name) and its static facts: registered by
/// `#[derive(Cached)]` at link time.
#[doc(hidden)]
pub type Declared = fn() -> (&'static str, &'static ModelInfo);

/// Every model's [`Declared`] in the program.
#[doc(hidden)]
#[linkme::distributed_slice]
pub static DECLARED_MODELS: [Declared];

/// The table a model over a view shows the rows of
/// (`#[cache(view_of = ..)]`), named as [`CachedModel::table`] names
/// tables: the last part, in lower case.
///
/// [`CachedModel::table`]: crate::CachedModel::table
pub(crate) fn base_of(info: &ModelInfo) -> Option<String> {
    let base = info.view_of?;
    Some(base.rsplit('.').next().unwrap_or(base).to_ascii_lowercase())
}

/// The registered models over `table`: a model over a view of it
/// (`view_of`) is one, its writes writing the table's rows.
fn models_over(table: &str) -> impl Iterator<Item = &'static ModelInfo> + '_ {
    DECLARED_MODELS
        .iter()
        .map(|declared| declared())
        .filter(move |(other, info)| {
            *other == table || base_of(info).is_some_and(|base| base == table)
        })
        .map(|(_, info)| info)
}

/// Every view a model of the program is over, with the table it shows
/// (`view_of`): what a write through it writes, and whose writes change it.
pub(crate) fn model_views() -> &'static [(String, String)] {
    static VIEWS: LazyLock<Vec<(String, String)>> = LazyLock::new(|| {
        let views = DECLARED_MODELS.iter().map(|declared| declared());
        let mut views: Vec<(String, String)> = views
            .filter_map(|(view, info)| Some((view.to_owned(), base_of(info)?)))
            .collect();
        views.sort();
        views.dedup();
        views
    });
    &VIEWS
}

/// Every column (lower case) some model of the program maps, by table (a
/// model over a view of it maps its columns too).
static PROGRAM_COLUMNS: LazyLock<HashMap<String, HashSet<String>>> = LazyLock::new(|| {
    let mut by_table: HashMap<String, HashSet<String>> = HashMap::new();
    for declared in DECLARED_MODELS.iter() {
        let (table, info) = declared();
        for table in std::iter::once(table.to_owned()).chain(base_of(info)) {
            let columns = by_table.entry(table).or_default();
            columns.extend(info.columns.iter().map(|c| c.to_ascii_lowercase()));
        }
    }
    by_table
});

/// Those of `columns` (the table's, as the database's catalogue spells
/// them) that no model of the program over `table` maps, whatever their
/// case: what its writes cannot name a value of.
pub(crate) fn unmapped_by_program(table: &str, columns: Vec<String>) -> Vec<String> {
    let mapped = PROGRAM_COLUMNS.get(table);
    unmapped_of(columns, |c| mapped.is_some_and(|m| m.contains(c)))
}

/// Those of `columns` (the table's, as the catalogue spells them) that
/// `mapped` (in any case) does not hold: what a write through a model
/// over a view of the table mapping `mapped` cannot name a value of.
pub(crate) fn unmapped_by(mapped: &[&str], columns: Vec<String>) -> Vec<String> {
    unmapped_of(columns, |c| {
        mapped.iter().any(|m| m.eq_ignore_ascii_case(c))
    })
}

/// Those of `columns` that `mapped` (given a lower-case name) lacks, sorted.
fn unmapped_of(columns: Vec<String>, mapped: impl Fn(&str) -> bool) -> Vec<String> {
    let mut unmapped: Vec<String> = columns
        .into_iter()
        .filter(|c| !mapped(&c.to_ascii_lowercase()))
        .collect();
    unmapped.sort();
    unmapped
}

/// Says once per table and set of columns that the program's writes to
/// `table` invalidate more than their rows' entries because of the
/// `unmapped` columns (`None`: the catalogue could not list the table).
pub(crate) fn warn_unmapped(table: &str, unmapped: Option<&[String]>) {
    static WARNED: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Default::default);
    let said = format!("{table}:{unmapped:?}");
    let mut warned = WARNED.lock().unwrap_or_else(|p| p.into_inner());
    if !warned.insert(said) {
        return;
    }
    match unmapped {
        Some(columns) => tracing::info!(
            table,
            ?columns,
            "cache_diesel: the table has columns no model of this program maps: its hook writes to it \
             invalidate every list with conditions and every lookup by those columns (a reader in another \
             program may depend on their values)"
        ),
        None => tracing::warn!(
            table,
            "cache_diesel: the catalogue does not list the table (not on the connection's search_path or in its \
             database, or named in another case): over a shared store its hook writes invalidate every entry of it"
        ),
    }
}

/// For a model over `table` declaring `own`, from every registered model
/// over the same table: the columns it declares that another does not
/// (its lookups by them depend on their wide tags), and those another
/// declares that it does not (its writes bump their wide tags).
pub(crate) fn wide_columns(
    table: &str,
    own: &[&'static str],
) -> (Vec<&'static str>, Vec<&'static str>) {
    wide_among(own, models_over(table).map(|info| info.unique_columns))
}

/// Whether a model over `table` mapping the columns `mapped` maps every
/// `filter(..)` column of every registered model over the table, and every
/// `order_by(..)` column of those with id lists: only then can its writes
/// name every value tag a list of the table depends on (and every changed
/// tag an id list depends on: an update by a model that lacks an order
/// column may still set it).
pub(crate) fn maps_every_filter_column(table: &str, mapped: &[&str]) -> bool {
    let lists = models_over(table).flat_map(|info| {
        let order = if info.id_lists {
            info.order_columns
        } else {
            &[]
        };
        [info.filter_columns, order]
    });
    unmapped_among(mapped, lists).is_empty()
}

/// The columns of `filtered` (each model's filter columns) that `mapped`
/// lacks.
fn unmapped_among<'a>(
    mapped: &[&str],
    filtered: impl Iterator<Item = &'a [&'static str]>,
) -> BTreeSet<&'static str> {
    filtered
        .flatten()
        .filter(|c| !mapped.contains(c))
        .copied()
        .collect()
}

/// [`wide_columns`] given the other models' columns.
fn wide_among<'a>(
    own: &[&'static str],
    others: impl Iterator<Item = &'a [&'static str]>,
) -> (Vec<&'static str>, Vec<&'static str>) {
    let (mut depend, mut bump) = (BTreeSet::new(), BTreeSet::new());
    for columns in others {
        depend.extend(own.iter().filter(|c| !columns.contains(c)));
        bump.extend(columns.iter().filter(|c| !own.contains(c)));
    }
    (depend.into_iter().collect(), bump.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_columns_declared_on_one_side_are_wide() {
        let own: &[&str] = &["id", "code"];
        let same: &[&str] = &["id", "code"];
        let lighter: &[&str] = &["id"];
        let other: &[&str] = &["id", "sku"];
        assert_eq!(wide_among(own, [same].into_iter()), (vec![], vec![]));
        assert_eq!(
            wide_among(own, [same, lighter].into_iter()),
            (vec!["code"], vec![])
        );
        assert_eq!(
            wide_among(lighter, [own].into_iter()),
            (vec![], vec!["code"])
        );
        assert_eq!(
            wide_among(own, [lighter, other, other].into_iter()),
            (vec!["code"], vec!["sku"])
        );
    }

    #[test]
    fn columns_no_model_of_the_program_maps_are_unmapped() {
        // (No model of this unit test binary is over this table.)
        let columns = vec!["id".to_owned(), "addedAt".to_owned()];
        assert_eq!(
            unmapped_by_program("no_model_over_it", columns),
            ["addedAt", "id"]
        );
    }

    #[test]
    fn a_writer_is_precise_only_where_it_maps_every_models_filter_columns() {
        let full: &[&str] = &["is_active", "category_id"];
        let none: &[&str] = &[];
        let mapped = ["id", "title", "is_active", "category_id"];
        assert!(unmapped_among(&mapped, [full, none].into_iter()).is_empty());
        // A lighter model (no category) writing while the full one's lists
        // filter by category.
        let lite = ["id", "title", "is_active"];
        assert_eq!(
            unmapped_among(&lite, [full, none].into_iter()),
            BTreeSet::from(["category_id"])
        );
        // Its own lists filter on nothing: only the others' count.
        assert!(unmapped_among(&lite, [none].into_iter()).is_empty());
    }
}
