//! The consistency checker's filtered-lists workload (`--filtered-lists`):
//! writers move rows between categories (and raise their versions), readers
//! read per-category lists and counts, with random delays between each
//! reader's database read and its cache fill; a list or count is stale when
//! it misses a write that had returned before the read began.
//!
//! Lists and counts with a condition depend on the value tags of the
//! categories they name: a row moved from category 1 to 2 must
//! leave list 1 and enter list 2 at once, in every process.

use cache_diesel::{Cache, Cached, ModelQueries, Timeout, UpdateQuery};
use cache_tests::consistency::{Mode, note_failed_read, now_us};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::{Duration, Instant};

diesel::table! {
    filtered_rows (id) {
        id -> Integer,
        category -> Integer,
        version -> Integer,
    }
}

/// A row in a category, whose version only grows.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = filtered_rows)]
#[cache(filter(category), list_timeout = 300, detail_timeout = 300)]
pub struct FilteredRow {
    /// The row.
    pub id: i32,
    /// Which list it is in.
    pub category: i32,
    /// Incremented by every write.
    pub version: i32,
}

/// The same rows with id lists (`--id-lists`): its lists hold ids, the
/// rows come from their own entries.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = filtered_rows)]
#[cache(id_lists, filter(category), list_timeout = 300, detail_timeout = 300)]
pub struct IdFilteredRow {
    /// The row.
    pub id: i32,
    /// Which list it is in.
    pub category: i32,
    /// Incremented by every write.
    pub version: i32,
}

/// How many rows.
pub const ROWS: i32 = 12;
/// How many categories (row `id` starts in `id % CATEGORIES + 1`).
pub const CATEGORIES: i32 = 4;

/// The change a hook write makes.
pub type Change = (
    diesel::dsl::Eq<filtered_rows::category, i32>,
    diesel::dsl::Eq<filtered_rows::version, i32>,
);

/// The category row `id` starts in.
fn initial_category(id: i32) -> i32 {
    id % CATEGORIES + 1
}

/// Creates the table and its rows, every version 0 (SQLite, PostgreSQL and
/// MySQL alike).
pub fn seed<C: Connection>(conn: &mut C) {
    conn.batch_execute(
        "CREATE TABLE filtered_rows (id INTEGER PRIMARY KEY, category INTEGER NOT NULL, \
         version INTEGER NOT NULL)",
    )
    .expect("DDL");
    let values: Vec<String> = (1..=ROWS)
        .map(|id| format!("({id}, {}, 0)", initial_category(id)))
        .collect();
    conn.batch_execute(&format!(
        "INSERT INTO filtered_rows (id, category, version) VALUES {}",
        values.join(", ")
    ))
    .expect("seed rows");
}

/// A list as a read reports it: (id, version) in id order.
pub fn what_was_served(rows: &[FilteredRow]) -> Vec<(i32, i32)> {
    let mut served: Vec<(i32, i32)> = rows.iter().map(|r| (r.id, r.version)).collect();
    served.sort_unstable();
    served
}

/// One read of category `category`: the rows of its list (id, version), or
/// its count.
#[derive(Debug, Clone, PartialEq)]
pub struct ListRead {
    /// The category read.
    pub category: i32,
    /// When the read began.
    pub began_us: u64,
    /// What it was served.
    pub served: Served,
}

/// What a [`ListRead`] was served.
#[derive(Debug, Clone, PartialEq)]
pub enum Served {
    /// The list's rows: (id, version).
    List(Vec<(i32, i32)>),
    /// The count.
    Count(i64),
}

impl ListRead {
    /// `L category began id:version ..` or `C category began n`, for the
    /// second process's report.
    pub fn to_line(&self) -> String {
        match &self.served {
            Served::List(rows) => {
                let rows: Vec<String> = rows.iter().map(|(id, v)| format!("{id}:{v}")).collect();
                format!("L {} {} {}", self.category, self.began_us, rows.join(" "))
                    .trim_end()
                    .to_owned()
            }
            Served::Count(n) => format!("C {} {} {n}", self.category, self.began_us),
        }
    }

    /// Parses [`ListRead::to_line`].
    pub fn from_line(line: &str) -> Option<ListRead> {
        let (kind, rest) = line.split_once(' ')?;
        let mut parts = rest.split(' ');
        let category = parts.next()?.parse().ok()?;
        let began_us = parts.next()?.parse().ok()?;
        let served = match kind {
            "L" => Served::List(
                parts
                    .map(|p| {
                        let (id, v) = p.split_once(':')?;
                        Some((id.parse().ok()?, v.parse().ok()?))
                    })
                    .collect::<Option<_>>()?,
            ),
            "C" => Served::Count(parts.next()?.parse().ok()?),
            _ => return None,
        };
        Some(ListRead {
            category,
            began_us,
            served,
        })
    }
}

/// One committed write: the row, its new category and version, and when
/// its hook returned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Move {
    /// The row written.
    pub id: i32,
    /// Its category after the write.
    pub category: i32,
    /// Its version after the write.
    pub version: i32,
    /// When the write (and its invalidation) returned.
    pub returned_us: u64,
}

/// Every row's states in order, the seeded one first.
struct History(HashMap<i32, Vec<Move>>);

impl History {
    fn new(moves: &[Move]) -> Self {
        let mut rows: HashMap<i32, Vec<Move>> = (1..=ROWS)
            .map(|id| {
                let seeded = Move {
                    id,
                    category: initial_category(id),
                    version: 0,
                    returned_us: 0,
                };
                (id, vec![seeded])
            })
            .collect();
        let mut moves = moves.to_vec();
        moves.sort_by_key(|m| m.version);
        for m in moves {
            rows.entry(m.id).or_default().push(m);
        }
        History(rows)
    }

    /// The states of row `id` a read beginning at `began_us` may see: the
    /// last one whose write had returned, and every later one (their writes
    /// may have committed while the read ran).
    fn visible(&self, id: i32, began_us: u64) -> &[Move] {
        let states = &self.0[&id];
        let done = states
            .iter()
            .rposition(|m| m.returned_us < began_us)
            .unwrap_or(0);
        &states[done..]
    }

    /// Whether `read` missed a write that had returned before it began.
    fn is_stale(&self, read: &ListRead) -> bool {
        let in_category = |m: &Move| m.category == read.category;
        match &read.served {
            Served::List(rows) => {
                let served: HashMap<i32, i32> = rows.iter().copied().collect();
                (1..=ROWS).any(|id| {
                    let visible = self.visible(id, read.began_us);
                    match served.get(&id) {
                        // Served: as one of the states it may see, in the category.
                        Some(&version) => !visible
                            .iter()
                            .any(|m| m.version == version && in_category(m)),
                        // Left out: some state it may see is out of the category.
                        None => visible.iter().all(in_category),
                    }
                })
            }
            &Served::Count(n) => {
                let (mut surely_in, mut surely_out) = (0, 0);
                for id in 1..=ROWS {
                    let visible = self.visible(id, read.began_us);
                    if visible.iter().all(in_category) {
                        surely_in += 1;
                    } else if !visible.iter().any(in_category) {
                        surely_out += 1;
                    }
                }
                n < surely_in || n > i64::from(ROWS - surely_out)
            }
        }
    }
}

/// Reads that missed a write which had returned more than `window_us`
/// before they began (0: any write that had returned).
pub fn count_stale(reads: &[ListRead], moves: &[Move], window_us: u64) -> usize {
    let history = History::new(moves);
    reads
        .iter()
        .filter(|read| {
            let shifted = ListRead {
                began_us: read.began_us.saturating_sub(window_us),
                ..(*read).clone()
            };
            let stale = history.is_stale(&shifted);
            if stale && std::env::var_os("CONSISTENCY_SHOW_STALE").is_some() {
                eprintln!("stale: {}", read.to_line());
            }
            stale
        })
        .count()
}

/// The naive pattern's key of a category's list or count.
fn naive_key(kind: &str, category: i32) -> String {
    format!("filtered:{kind}:{category}")
}

/// Reads random categories' lists and counts until `until` (through
/// [`IdFilteredRow`] where `id_lists`).
pub fn read_loop<C>(
    conn: &mut C,
    cache: &Cache,
    mode: Mode,
    id_lists: bool,
    until: Instant,
) -> Vec<ListRead>
where
    C: Connection + 'static,
    FilteredRow: ModelQueries<C>,
    IdFilteredRow: ModelQueries<C>,
{
    let manager = FilteredRowCache::new(cache.clone());
    let ids = IdFilteredRowCache::new(cache.clone());
    let as_rows = |rows: &[IdFilteredRow]| -> Vec<FilteredRow> {
        let row = |r: &IdFilteredRow| FilteredRow {
            id: r.id,
            category: r.category,
            version: r.version,
        };
        rows.iter().map(row).collect()
    };
    let direct = FilteredRowCache::new(Cache::from_url("dummy://").expect("dummy"));
    let naive = mode == Mode::Naive;
    let mut reads = Vec::new();
    while Instant::now() < until {
        let category = rand::random_range(1..=CATEGORIES);
        let filter = || FilteredRowFilter::default().category(category);
        let began_us = now_us();
        let served = if rand::random_bool(0.5) {
            let key = naive_key("list", category);
            let read = match cache.get::<Vec<FilteredRow>>(key.as_str()) {
                Ok(Some(hit)) if naive => Ok(hit),
                _ if naive => direct.all(conn, None, filter()).map(|rows| {
                    let rows = rows.to_vec();
                    let _ = cache.set(key.as_str(), &rows, Timeout::Default);
                    rows
                }),
                _ if id_lists => {
                    let filter = IdFilteredRowFilter::default().category(category);
                    ids.all(conn, None, filter).map(|rows| as_rows(&rows))
                }
                _ => manager.all(conn, None, filter()).map(|rows| rows.to_vec()),
            };
            read.map(|rows| Served::List(what_was_served(&rows)))
        } else {
            let key = naive_key("count", category);
            let read = match cache.get::<i64>(key.as_str()) {
                Ok(Some(hit)) if naive => Ok(hit),
                _ if naive => direct.count(conn, None, filter()).inspect(|n| {
                    let _ = cache.set(key.as_str(), n, Timeout::Default);
                }),
                _ if id_lists => ids.count(
                    conn,
                    None,
                    IdFilteredRowFilter::default().category(category),
                ),
                _ => manager.count(conn, None, filter()),
            };
            read.map(Served::Count)
        };
        match served {
            Ok(served) => reads.push(ListRead {
                category,
                began_us,
                served,
            }),
            Err(e) => note_failed_read(&e),
        }
    }
    reads
}

/// Moves the rows `mine` between random categories until `until`: through
/// the manager's `update` hook, or (every other write, managed mode) with
/// raw SQL on the (tracked) connection; naive mode updates with a manager
/// over `dummy://` and then deletes the old and new categories' keys.
pub fn write_loop<C>(
    conn: &mut C,
    cache: &Cache,
    mode: Mode,
    mine: &[i32],
    until: Instant,
) -> Vec<Move>
where
    C: Connection + 'static,
    FilteredRow: ModelQueries<C> + UpdateQuery<C, Change>,
{
    let manager = FilteredRowCache::new(cache.clone());
    let direct = FilteredRowCache::new(Cache::from_url("dummy://").expect("dummy"));
    let mut rows: HashMap<i32, (i32, i32)> = HashMap::new();
    for &id in mine {
        match direct.get(conn, id) {
            Ok(row) => rows.insert(id, (row.category, row.version)),
            Err(e) => {
                eprintln!("writer: cannot read row {id}: {e}");
                return Vec::new();
            }
        };
    }
    let mut moves = Vec::new();
    let mut n = 0u64;
    while Instant::now() < until {
        n += 1;
        let id = mine[rand::random_range(0..mine.len())];
        let (old, version) = rows[&id];
        let (category, version) = (rand::random_range(1..=CATEGORIES), version + 1);
        let change = (
            filtered_rows::category.eq(category),
            filtered_rows::version.eq(version),
        );
        let done = match mode {
            Mode::Naive => direct.update(conn, id, change).map(|_| {
                for kind in ["list", "count"] {
                    for c in [old, category] {
                        let _ = cache.delete(naive_key(kind, c).as_str());
                    }
                }
            }),
            _ if n.is_multiple_of(2) => conn
                .batch_execute(&format!(
                    "UPDATE filtered_rows SET category = {category}, version = {version} \
                     WHERE id = {id}"
                ))
                .map_err(cache_diesel::Error::from),
            _ => manager.update(conn, id, change).map(drop),
        };
        match done {
            Ok(()) => {
                rows.insert(id, (category, version));
                moves.push(Move {
                    id,
                    category,
                    version,
                    returned_us: now_us(),
                });
            }
            Err(e) => eprintln!("write failed: {e}"),
        }
        std::thread::sleep(Duration::from_micros(rand::random_range(0..2_000)));
    }
    moves
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved(id: i32, category: i32, version: i32, returned_us: u64) -> Move {
        Move {
            id,
            category,
            version,
            returned_us,
        }
    }

    fn list(category: i32, began_us: u64, rows: &[(i32, i32)]) -> ListRead {
        ListRead {
            category,
            began_us,
            served: Served::List(rows.to_vec()),
        }
    }

    /// Every seeded row of `category` at version 0 but `except`.
    fn seeded(category: i32, except: i32) -> Vec<(i32, i32)> {
        (1..=ROWS)
            .filter(|id| initial_category(*id) == category && *id != except)
            .map(|id| (id, 0))
            .collect()
    }

    #[test]
    fn a_list_must_see_a_move_that_returned_before_it_began() {
        // Row 1 starts in category 2; it moves to 3 at 100.
        let moves = [moved(1, 3, 1, 100)];
        let mut old_list = seeded(2, 0);
        let new_list = seeded(2, 1);
        assert!(!History::new(&moves).is_stale(&list(2, 50, &old_list)));
        assert!(History::new(&moves).is_stale(&list(2, 150, &old_list)));
        assert!(!History::new(&moves).is_stale(&list(2, 150, &new_list)));
        // Category 3 must hold it at version 1 once the move returned.
        let without = seeded(3, 0);
        let mut with = without.clone();
        with.push((1, 1));
        with.sort_unstable();
        assert!(History::new(&moves).is_stale(&list(3, 150, &without)));
        assert!(!History::new(&moves).is_stale(&list(3, 150, &with)));
        // A version it never had in the category is stale too.
        old_list.retain(|(id, _)| *id != 1);
        old_list.push((1, 1));
        assert!(History::new(&moves).is_stale(&list(2, 150, &old_list)));
        // A write still running may or may not be seen.
        let running = [moved(1, 3, 1, 100), moved(1, 2, 2, 300)];
        let mut back = seeded(2, 1);
        back.push((1, 2));
        back.sort_unstable();
        assert!(!History::new(&running).is_stale(&list(2, 150, &back)));
        assert!(!History::new(&running).is_stale(&list(2, 150, &new_list)));
    }

    #[test]
    fn a_count_must_see_a_move_that_returned_before_it_began() {
        let moves = [moved(1, 3, 1, 100)];
        let before = seeded(2, 0).len() as i64;
        let count = |began_us, n| ListRead {
            category: 2,
            began_us,
            served: Served::Count(n),
        };
        assert!(!History::new(&moves).is_stale(&count(50, before)));
        assert!(History::new(&moves).is_stale(&count(150, before)));
        assert!(!History::new(&moves).is_stale(&count(150, before - 1)));
        assert_eq!(count_stale(&[count(150, before)], &moves, 100), 0);
    }

    #[test]
    fn reads_round_trip_through_their_lines() {
        for read in [
            list(2, 7, &[(1, 3), (5, 0)]),
            list(4, 8, &[]),
            ListRead {
                category: 1,
                began_us: 9,
                served: Served::Count(3),
            },
        ] {
            assert_eq!(ListRead::from_line(&read.to_line()), Some(read));
        }
        assert_eq!(ListRead::from_line("R 1 2 3"), None);
    }
}
