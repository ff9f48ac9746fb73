//! Which tags a list with several conditions should depend on:
//! the table's, its first condition's (as built), every condition's, the
//! most selective condition's, or a tag of the whole conjunction
//! (cacheops). A simulation of the invalidation rules alone, on a trace of
//! reads and writes, so that the five are compared on the same trace; the
//! cache's protocol (stamps, races) is the same whatever the dependency
//! set, and `hitrate` measures the built one on real servers.
//!
//! ```text
//! cargo run --release -p cache-programs --bin conditions -- [--writes-per-read F] [--events N]
//! ```
//!
//! 10,000 rows with `is_active` (90% true), `category_id` (100 values)
//! and `brand_id` (20 values), declared `filter(is_active, category_id,
//! brand_id)` as the README advises (an integer or boolean first; the
//! order of the first two is swapped in a second run). Lists: a third
//! `category_id = c`, a third `category_id = c AND brand_id = b`, a third
//! `is_active = true AND category_id = c`, uniformly over their values.
//! Writes update a random row: every write changes a column no list
//! filters by (a price, which lists show), one in ten also moves the row to
//! another category, one in twenty to another brand, one in fifty toggles
//! `is_active`. A list read is a hit when no write since its last fill
//! touched a tag it depends on; `ideal` counts a miss only when a write
//! changed the list's rows (a row in it written, or one entering it).

use std::collections::HashMap;

const ROWS: usize = 10_000;
const CATEGORIES: u32 = 100;
const BRANDS: u32 = 20;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
enum Column {
    Active,
    Category,
    Brand,
}

#[derive(Clone, Copy)]
struct Row {
    active: u32,
    category: u32,
    brand: u32,
}

impl Row {
    fn value(&self, c: Column) -> u32 {
        match c {
            Column::Active => self.active,
            Column::Category => self.category,
            Column::Brand => self.brand,
        }
    }
}

/// A list: its conditions, in declared order.
type List = Vec<(Column, u32)>;

/// A dependency: a tag name (column set and values).
type Tag = Vec<(Column, u32)>;

#[derive(Clone, Copy, Debug)]
enum Strategy {
    TableWide,
    First,
    All,
    MostSelective,
    Conjunction,
    Ideal,
}

fn distinct(c: Column) -> u32 {
    match c {
        Column::Active => 2,
        Column::Category => CATEGORIES,
        Column::Brand => BRANDS,
    }
}

/// The tags a list depends on under `s` (`Ideal` is not tag-based).
fn depends(s: Strategy, list: &List) -> Vec<Tag> {
    match s {
        Strategy::TableWide | Strategy::Ideal => vec![vec![]],
        Strategy::First => vec![vec![list[0]]],
        Strategy::All => list.iter().map(|c| vec![*c]).collect(),
        Strategy::MostSelective => {
            let best = list.iter().max_by_key(|(c, _)| distinct(*c)).unwrap();
            vec![vec![*best]]
        }
        Strategy::Conjunction => vec![list.clone()],
    }
}

/// The tags a write of a row from `old` to `new` bumps under `s`, given
/// the filter columns in declared order.
fn bumps(s: Strategy, columns: &[Column], old: &Row, new: &Row) -> Vec<Tag> {
    let mut tags = vec![vec![]];
    for row in [old, new] {
        match s {
            Strategy::Conjunction => {
                // Every non-empty subset of the filter columns, in order.
                for mask in 1..(1u32 << columns.len()) {
                    let tag: Tag = columns
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| mask & (1 << i) != 0)
                        .map(|(_, c)| (*c, row.value(*c)))
                        .collect();
                    tags.push(tag);
                }
            }
            _ => tags.extend(columns.iter().map(|c| vec![(*c, row.value(*c))])),
        }
    }
    tags.sort();
    tags.dedup();
    tags
}

fn matches(list: &List, row: &Row) -> bool {
    list.iter().all(|(c, v)| row.value(*c) == *v)
}

/// A small deterministic generator (xorshift), for one trace in every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n)) as u32
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 1_000_000) as f64 / 1_000_000.0 < p
    }
}

enum Event {
    Read(List),
    Write { old: Row, new: Row },
}

fn trace(columns: &[Column], events: usize, writes_per_read: f64) -> Vec<Event> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut rows: Vec<Row> = (0..ROWS)
        .map(|_| Row {
            active: u32::from(rng.chance(0.9)),
            category: rng.below(CATEGORIES),
            brand: rng.below(BRANDS),
        })
        .collect();
    let order = |mut list: List| {
        list.sort_by_key(|(c, _)| columns.iter().position(|x| x == c));
        list
    };
    let p_write = writes_per_read / (1.0 + writes_per_read);
    (0..events)
        .map(|_| {
            if rng.chance(p_write) {
                let id = rng.below(ROWS as u32) as usize;
                let old = rows[id];
                let mut new = old;
                if rng.chance(0.1) {
                    new.category = rng.below(CATEGORIES);
                }
                if rng.chance(0.05) {
                    new.brand = rng.below(BRANDS);
                }
                if rng.chance(0.02) {
                    new.active = 1 - new.active;
                }
                rows[id] = new;
                Event::Write { old, new }
            } else {
                let c = (Column::Category, rng.below(CATEGORIES));
                Event::Read(order(match rng.below(3) {
                    0 => vec![c],
                    1 => vec![c, (Column::Brand, rng.below(BRANDS))],
                    _ => vec![(Column::Active, 1), c],
                }))
            }
        })
        .collect()
}

/// Hit rate of list reads, tags read per list, tags bumped per write.
fn run(s: Strategy, columns: &[Column], events: &[Event]) -> (f64, f64, f64) {
    // When each tag was last bumped (event index), and each list filled.
    let mut bumped: HashMap<Tag, usize> = HashMap::new();
    let mut filled: HashMap<List, usize> = HashMap::new();
    // Ideal: when each list's rows last changed.
    let mut changed: HashMap<List, usize> = HashMap::new();
    let lists: Vec<List> = events
        .iter()
        .filter_map(|e| match e {
            Event::Read(l) => Some(l.clone()),
            _ => None,
        })
        .collect::<std::collections::HashSet<_>>()
        .into_iter()
        .collect();
    let (mut reads, mut hits, mut tags_read, mut writes, mut tags_bumped) = (0, 0, 0, 0, 0);
    for (at, event) in events.iter().enumerate() {
        match event {
            Event::Write { old, new, .. } => {
                writes += 1;
                if let Strategy::Ideal = s {
                    for list in &lists {
                        if matches(list, old) || matches(list, new) {
                            changed.insert(list.clone(), at);
                        }
                    }
                    continue;
                }
                let tags = bumps(s, columns, old, new);
                tags_bumped += tags.len();
                for tag in tags {
                    bumped.insert(tag, at);
                }
            }
            Event::Read(list) => {
                reads += 1;
                let deps = depends(s, list);
                tags_read += deps.len();
                let last_fill = filled.get(list).copied();
                let stale_since = match s {
                    Strategy::Ideal => changed.get(list).copied(),
                    _ => deps.iter().filter_map(|t| bumped.get(t)).max().copied(),
                };
                let hit = match (last_fill, stale_since) {
                    (Some(fill), Some(bump)) => bump < fill,
                    (Some(_), None) => true,
                    (None, _) => false,
                };
                if hit {
                    hits += 1;
                } else {
                    filled.insert(list.clone(), at);
                }
            }
        }
    }
    (
        hits as f64 / reads as f64,
        tags_read as f64 / reads as f64,
        tags_bumped as f64 / writes.max(1) as f64,
    )
}

fn main() {
    let mut writes_per_read = 0.01;
    let mut events = 2_000_000;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        match flag.as_str() {
            "--writes-per-read" => writes_per_read = value.parse().expect("a number"),
            "--events" => events = value.parse().expect("a number"),
            other => {
                eprintln!("unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    for columns in [
        [Column::Active, Column::Category, Column::Brand],
        [Column::Category, Column::Active, Column::Brand],
    ] {
        println!("filter({columns:?}), {events} events, {writes_per_read} writes per read");
        let trace = trace(&columns, events, writes_per_read);
        for s in [
            Strategy::TableWide,
            Strategy::First,
            Strategy::All,
            Strategy::MostSelective,
            Strategy::Conjunction,
            Strategy::Ideal,
        ] {
            let (hit_rate, read, bumped) = run(s, &columns, &trace);
            println!(
                "strategy={s:?} list_hit_rate={hit_rate:.3} tags_read_per_list={read:.2} tags_bumped_per_write={bumped:.1}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On a trace where every write changes a column lists show, a tag of
    /// the whole conjunction invalidates exactly the lists a write changed;
    /// one condition's tag invalidates more, every condition's more still,
    /// the table's most.
    #[test]
    fn the_strategies_order_as_their_precision() {
        let columns = [Column::Category, Column::Active, Column::Brand];
        let events = trace(&columns, 50_000, 0.01);
        let rate = |s| run(s, &columns, &events).0;
        let (conj, ideal) = (rate(Strategy::Conjunction), rate(Strategy::Ideal));
        assert!((conj - ideal).abs() < 1e-9, "{conj} vs {ideal}");
        let first = rate(Strategy::First);
        let all = rate(Strategy::All);
        let table = rate(Strategy::TableWide);
        assert!(
            table < all && all < first && first < conj,
            "{table} {all} {first} {conj}"
        );
        assert_eq!(first, rate(Strategy::MostSelective), "category is first");
    }
}
