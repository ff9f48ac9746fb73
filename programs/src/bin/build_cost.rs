//! What `#[derive(Cached)]` costs a user's build, next to plain Diesel +
//! serde: rebuild times, macro-expanded lines and stripped binary sizes
//! for N models.
//!
//! ```text
//! cargo run --release -p cache-programs --bin build_cost -- \
//!     [--models 1,10,40] [--rounds 3] [--out DIR] [--profiles debug,release,check]
//! ```
//!
//! For each N and variant it generates a package of its own under `DIR`
//! (default `target/build-cost/n{N}-{plain,cached}`, beside a target
//! directory per variant, `target-{plain,cached}`, so the main
//! workspace's is left alone and the dependencies are built once): a `models`
//! library of N models, one file each (`src/model_k.rs`: a
//! `diesel::table!` of 8 columns, the model deriving `Queryable`,
//! `Selectable`, `AsChangeset`, `Serialize` and `Deserialize`, and an
//! `Insertable` new row, as the README's `Product`), and a binary `app`
//! in the same package (`src/main.rs`) that reads one row of each model
//! from an in-memory SQLite database: a plain Diesel query, or, in the
//! cached variant, whose models also derive `Cached` with
//! `#[cache(unique(slug), filter(category_id, is_active))]`,
//! `ItemK::cache().find(..)` (cache-diesel by path, default features:
//! SQLite and the in-process cache). Both variants have the same
//! dependencies otherwise (diesel, libsqlite3-sys, serde and chrono at the
//! workspace's versions and lock) and cargo's default profiles, as a
//! user's crate would, not this workspace's `[profile.dev]`.
//!
//! Each profile (`debug`: `cargo build`, `release`: `cargo build
//! --release`, `check`: `cargo check`) is built once unmeasured (the
//! dependencies), then timed, `--rounds` times each and the two variants
//! taking turns: after touching every model file (`touch`), and after
//! changing one model (a string constant of `model_1.rs`, toggled between
//! two values, so every round is a real change). Then the stripped size of
//! the debug and release binaries (`strip` on a copy) and the lines of the
//! library's expansion (`cargo rustc --lib --profile=check --
//! -Zunpretty=expanded`, with `RUSTC_BOOTSTRAP=1`; last, as it leaves
//! the check build stale).
//!
//! It prints each figure as it is measured, then a table of the medians,
//! what the derive adds per model (cached - plain over the largest N,
//! which counts the cache runtime linked in once, and the marginal cost,
//! the growth of that difference from the smallest N to the largest over
//! their distance), the one-model-change ratios cached / plain at each N,
//! and the goals (issue: at N = 40, a one-model change rebuilds within
//! 1.5x plain in debug and check, 2x in release; at most 600 expanded
//! lines and 40 kB of stripped release binary added per model). Timings
//! are wall times: run it on a quiet machine. The target directories take
//! a few GB; the first unmeasured builds (cache-diesel's in release, a
//! few minutes) come once per variant.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, exit};
use std::time::{Instant, SystemTime};

const PROFILES: [&str; 3] = ["debug", "release", "check"];
const VARIANTS: [&str; 2] = ["Diesel + serde", "+ Cached"];

struct Args {
    models: Vec<usize>,
    rounds: usize,
    out: PathBuf,
    /// Indexes into `PROFILES`.
    profiles: Vec<usize>,
}

fn parse_args() -> Result<Args, String> {
    let root = fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .map_err(|e| format!("the workspace root: {e}"))?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or(root.join("target"), PathBuf::from);
    let mut args = Args {
        models: vec![1, 10, 40],
        rounds: 3,
        out: target.join("build-cost"),
        profiles: vec![0, 1, 2],
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--models" => {
                args.models = value
                    .split(',')
                    .map(|n| n.parse().map_err(|_| format!("--models {value}")))
                    .collect::<Result<_, _>>()?;
            }
            "--rounds" => args.rounds = value.parse().map_err(|_| format!("--rounds {value}"))?,
            "--out" => args.out = PathBuf::from(value),
            "--profiles" => {
                args.profiles = value
                    .split(',')
                    .map(|p| {
                        PROFILES
                            .iter()
                            .position(|q| q == &p)
                            .ok_or(format!("profile {p}"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    if args.models.is_empty() || args.models.contains(&0) || args.rounds == 0 {
        return Err("--models and --rounds must be positive".into());
    }
    args.out = std::path::absolute(&args.out).map_err(|e| e.to_string())?;
    Ok(args)
}

/// Raw figures of one (N, variant).
#[derive(Default)]
struct Figures {
    /// Seconds, by profile.
    touch: [Vec<f64>; 3],
    change: [Vec<f64>; 3],
    lines: Option<usize>,
    /// Bytes, debug and release.
    stripped: [Option<u64>; 2],
}

/// One generated package.
struct Package {
    dir: PathBuf,
    n: usize,
    cached: bool,
    /// Which of its two values `model_1.rs`'s constant has.
    revision: bool,
}

impl Package {
    fn generate(out: &Path, n: usize, cached: bool) -> Package {
        let root = fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
            .expect("the workspace root");
        let manifest =
            fs::read_to_string(root.join("Cargo.toml")).expect("the workspace's Cargo.toml");
        let version = |name: &str| {
            let line = manifest
                .lines()
                .find(|l| l.starts_with(&format!("{name} = ")));
            let v = line.and_then(|l| l.split("version = \"").nth(1)?.split('"').next());
            v.unwrap_or_else(|| panic!("no version of {name} in [workspace.dependencies]"))
                .to_owned()
        };
        let dir = out.join(format!("n{n}-{}", if cached { "cached" } else { "plain" }));
        fs::create_dir_all(dir.join("src")).expect("the package's directory");
        let cache_dep = if cached {
            let path = root.join("cache-diesel");
            format!(
                "cache-diesel = {{ path = {:?} }}\n",
                path.display().to_string()
            )
        } else {
            String::new()
        };
        let cargo_toml = format!(
            "[package]\nname = \"models\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
             # A workspace of its own (it lies inside another's directory).\n[workspace]\n\n\
             [[bin]]\nname = \"app\"\npath = \"src/main.rs\"\n\n[dependencies]\n\
             diesel = {{ version = \"{}\", features = [\"sqlite\", \"chrono\", \"returning_clauses_for_sqlite_3_35\"] }}\n\
             libsqlite3-sys = {{ version = \"{}\", features = [\"bundled\"] }}\n\
             serde = {{ version = \"{}\", features = [\"derive\"] }}\n\
             chrono = {{ version = \"{}\", features = [\"serde\"] }}\n{cache_dep}",
            version("diesel"),
            version("libsqlite3-sys"),
            version("serde"),
            version("chrono"),
        );
        write_if_changed(&dir.join("Cargo.toml"), &cargo_toml);
        // The workspace's versions (cargo drops what the package does not use).
        fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).expect("Cargo.lock");
        let mut lib = String::from("//! The models.\n\n");
        let mut main = String::from(
            "use diesel::connection::SimpleConnection;\nuse diesel::prelude::*;\nuse models::*;\n\n\
             fn main() {\n    let mut conn = SqliteConnection::establish(\":memory:\").expect(\"SQLite\");\n    \
             for ddl in models::DDL {\n        conn.batch_execute(ddl).expect(\"DDL\");\n    }\n    \
             let conn = &mut conn;\n    let mut found = 0;\n",
        );
        for k in 1..=n {
            lib.push_str(&format!("pub mod model_{k};\n"));
            let read = if cached {
                format!("model_{k}::Item{k}::cache().find(conn, 1)")
            } else {
                format!(
                    "model_{k}::items_{k}::table.find(1).select(model_{k}::Item{k}::as_select()).first(conn).optional()"
                )
            };
            main.push_str(&format!(
                "    found += usize::from({read}.expect(\"read\").is_some());\n"
            ));
            write_if_changed(
                &dir.join(format!("src/model_{k}.rs")),
                &model(k, cached, false),
            );
        }
        let ddl: Vec<String> = (1..=n).map(|k| format!("model_{k}::DDL")).collect();
        lib.push_str(&format!(
            "\n/// The tables.\npub const DDL: &[&str] = &[{}];\n",
            ddl.join(", ")
        ));
        main.push_str(&format!(
            "    println!(\"{{found}} of {n} rows, revision {{}}\", models::model_1::REVISION);\n}}\n"
        ));
        write_if_changed(&dir.join("src/lib.rs"), &lib);
        write_if_changed(&dir.join("src/main.rs"), &main);
        Package {
            dir,
            n,
            cached,
            revision: false,
        }
    }

    fn name(&self) -> String {
        format!("N={} {}", self.n, VARIANTS[usize::from(self.cached)])
    }

    /// Runs cargo in the package; exits with its stderr if it fails.
    fn cargo(&self, args: &[&str], bootstrap: bool) -> Output {
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or("cargo".into()));
        cmd.args(args)
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", self.target());
        if bootstrap {
            cmd.env("RUSTC_BOOTSTRAP", "1");
        }
        checked(cmd, &format!("cargo {} ({})", args.join(" "), self.name()))
    }

    /// Builds with `profile`, in seconds.
    fn build(&self, profile: usize) -> f64 {
        let args: &[&str] = match profile {
            0 => &["build", "--quiet"],
            1 => &["build", "--quiet", "--release"],
            _ => &["check", "--quiet"],
        };
        let start = Instant::now();
        self.cargo(args, false);
        start.elapsed().as_secs_f64()
    }

    /// The target directory of the variant's packages: one for every N,
    /// so that the dependencies are built once per variant and profile.
    fn target(&self) -> PathBuf {
        let variant = if self.cached { "cached" } else { "plain" };
        self.dir.with_file_name(format!("target-{variant}"))
    }

    fn binary(&self, profile: usize) -> PathBuf {
        self.target().join(PROFILES[profile]).join("app")
    }

    /// Runs the binary once (checks that it works).
    fn run(&self, profile: usize) {
        let mut cmd = Command::new(self.binary(profile));
        cmd.env("CACHE_URL", "memory://");
        let out = checked(cmd, &format!("app ({})", self.name()));
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            said.starts_with(&format!("0 of {} rows", self.n)),
            "app said {said}"
        );
    }

    fn touch(&self) {
        for k in 1..=self.n {
            let path = self.dir.join(format!("src/model_{k}.rs"));
            let file = fs::File::options()
                .write(true)
                .open(&path)
                .expect("a model file");
            file.set_modified(SystemTime::now()).expect("touch");
        }
    }

    fn change_one(&mut self) {
        self.revision = !self.revision;
        fs::write(
            self.dir.join("src/model_1.rs"),
            model(1, self.cached, self.revision),
        )
        .expect("model_1.rs");
    }

    /// Bytes of the binary built with `profile`, stripped.
    fn stripped(&self, profile: usize) -> u64 {
        let copy = self.dir.join(format!("app-{}-stripped", PROFILES[profile]));
        fs::copy(self.binary(profile), &copy).expect("a copy of the binary");
        let mut cmd = Command::new("strip");
        cmd.arg(&copy);
        checked(cmd, "strip");
        fs::metadata(&copy).expect("the stripped binary").len()
    }

    /// Lines of the library's macro expansion.
    fn expanded_lines(&self) -> usize {
        let args = [
            "rustc",
            "--quiet",
            "--lib",
            "--profile=check",
            "--",
            "-Zunpretty=expanded",
        ];
        let out = self.cargo(&args, true);
        out.stdout.iter().filter(|&&b| b == b'\n').count()
    }
}

/// Model `k`'s file (`revision`: which value its `REVISION` has).
fn model(k: usize, cached: bool, revision: bool) -> String {
    let (import, derive, attr) = if cached {
        (
            "use cache_diesel::Cached;\n",
            ", Cached",
            "#[cache(unique(slug), filter(category_id, is_active))]\n",
        )
    } else {
        ("", "", "")
    };
    let template = r#"//! Model @K@.

@IMPORT@use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::table! {
    items_@K@ (id) {
        id -> BigInt,
        title -> Text,
        slug -> Text,
        category_id -> Integer,
        is_active -> Bool,
        price -> Double,
        created_at -> Timestamp,
        body -> Text,
    }
}

/// The table's DDL.
pub const DDL: &str = "CREATE TABLE items_@K@ (id INTEGER PRIMARY KEY, title TEXT NOT NULL, \
    slug TEXT NOT NULL UNIQUE, category_id INTEGER NOT NULL, is_active BOOLEAN NOT NULL, \
    price DOUBLE NOT NULL, created_at TIMESTAMP NOT NULL, body TEXT NOT NULL)";

/// What a one-model change alters.
pub const REVISION: &str = "@REV@";

/// An item of kind @K@.
#[derive(Debug, Clone, Queryable, Selectable, AsChangeset, Serialize, Deserialize@DERIVE@)]
#[diesel(table_name = items_@K@)]
@ATTR@pub struct Item@K@ {
    pub id: i64,
    pub title: String,
    pub slug: String,
    pub category_id: i32,
    pub is_active: bool,
    pub price: f64,
    pub created_at: NaiveDateTime,
    pub body: String,
}

/// A new item of kind @K@.
#[derive(Debug, Insertable)]
#[diesel(table_name = items_@K@)]
pub struct NewItem@K@<'a> {
    pub title: &'a str,
    pub slug: &'a str,
    pub category_id: i32,
    pub is_active: bool,
    pub price: f64,
    pub created_at: NaiveDateTime,
    pub body: &'a str,
}
"#;
    template
        .replace("@K@", &k.to_string())
        .replace("@IMPORT@", import)
        .replace("@DERIVE@", derive)
        .replace("@ATTR@", attr)
        .replace("@REV@", if revision { "b" } else { "a" })
}

fn write_if_changed(path: &Path, text: &str) {
    if fs::read_to_string(path).ok().as_deref() != Some(text) {
        fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

/// Runs `cmd`, its output captured; exits with its stderr if it fails.
fn checked(mut cmd: Command, what: &str) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    if !out.status.success() {
        eprintln!(
            "{what} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        exit(1);
    }
    out
}

fn median(v: &[f64]) -> Option<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    (n > 0).then(|| (v[(n - 1) / 2] + v[n / 2]) / 2.0)
}

/// `a / b / c` of `f` at each index, `-` where it is `None`.
fn cells(count: usize, f: impl Fn(usize) -> Option<f64>, digits: usize) -> String {
    let cell = |i| f(i).map_or("-".into(), |x| format!("{x:.digits$}"));
    (0..count).map(cell).collect::<Vec<String>>().join(" / ")
}

fn main() {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("{e}\nusage: build_cost [--models 1,10,40] [--rounds 3] [--out DIR] [--profiles debug,release,check]");
        exit(2);
    });
    let started = Instant::now();
    println!("scratch directory: {}", args.out.display());
    let mut figures: Vec<[Figures; 2]> = Vec::new();
    for &n in &args.models {
        let mut packages = [false, true].map(|cached| Package::generate(&args.out, n, cached));
        let mut fig = [Figures::default(), Figures::default()];
        for &p in &args.profiles {
            for pkg in &packages {
                println!("{}: warming {} (not measured)", pkg.name(), PROFILES[p]);
                pkg.build(p);
                if p != 2 {
                    pkg.run(p);
                }
            }
            for round in 1..=args.rounds {
                for (pkg, f) in packages.iter().zip(&mut fig) {
                    pkg.touch();
                    let s = pkg.build(p);
                    println!(
                        "{}: {} touch round {round}: {s:.2} s",
                        pkg.name(),
                        PROFILES[p]
                    );
                    f.touch[p].push(s);
                }
            }
            for round in 1..=args.rounds {
                for (pkg, f) in packages.iter_mut().zip(&mut fig) {
                    pkg.change_one();
                    let s = pkg.build(p);
                    println!(
                        "{}: {} one-model change round {round}: {s:.2} s",
                        pkg.name(),
                        PROFILES[p]
                    );
                    f.change[p].push(s);
                }
            }
            if p != 2 {
                for (pkg, f) in packages.iter().zip(&mut fig) {
                    let bytes = pkg.stripped(p);
                    println!(
                        "{}: {} stripped binary: {bytes} bytes",
                        pkg.name(),
                        PROFILES[p]
                    );
                    f.stripped[p] = Some(bytes);
                }
            }
        }
        for (pkg, f) in packages.iter().zip(&mut fig) {
            let lines = pkg.expanded_lines();
            println!("{}: expanded lines: {lines}", pkg.name());
            f.lines = Some(lines);
        }
        figures.push(fig);
    }

    println!(
        "\nMedians of {} round(s); seconds of wall time.\n",
        args.rounds
    );
    println!(
        "| N | variant | rebuild after touching the models, s: debug / release / check \
         | after changing one model, s: debug / release / check | expanded lines \
         | stripped binary MB: debug / release |\n|---|---|---|---|---|---|"
    );
    for (&n, fig) in args.models.iter().zip(&figures) {
        for (v, f) in fig.iter().enumerate() {
            println!(
                "| {n} | {} | {} | {} | {} | {} |",
                VARIANTS[v],
                cells(3, |p| median(&f.touch[p]), 2),
                cells(3, |p| median(&f.change[p]), 2),
                f.lines.map_or("-".into(), |l| l.to_string()),
                cells(2, |p| f.stripped[p].map(|b| b as f64 / 1e6), 2),
            );
        }
    }

    // What the derive adds per model: over the largest N, and between the
    // smallest and the largest (without what it adds once, the runtime).
    let (i, &n) = args
        .models
        .iter()
        .enumerate()
        .max_by_key(|&(_, &n)| n)
        .expect("N");
    let (j, &n0) = args
        .models
        .iter()
        .enumerate()
        .min_by_key(|&(_, &n)| n)
        .expect("N");
    type Get = Box<dyn Fn(&Figures) -> Option<f64>>;
    let mut gets: Vec<Get> = Vec::new();
    for p in 0..3 {
        gets.push(Box::new(move |f| median(&f.touch[p]).map(|s| s * 1e3)));
    }
    for p in 0..3 {
        gets.push(Box::new(move |f| median(&f.change[p]).map(|s| s * 1e3)));
    }
    gets.push(Box::new(|f| f.lines.map(|l| l as f64)));
    for p in 0..2 {
        gets.push(Box::new(move |f| f.stripped[p].map(|b| b as f64 / 1e3)));
    }
    let diff = |k: usize, g: &Get| Some(g(&figures[k][1])? - g(&figures[k][0])?);
    let over_n = |g: &Get| Some(diff(i, g)? / n as f64);
    let marginal = |g: &Get| Some((diff(i, g)? - diff(j, g)?) / (n - n0) as f64);
    println!("\nAdded per model by the derive:\n");
    println!(
        "| | touch rebuild, ms: debug / release / check | one-model change, ms: debug / release / check \
         | expanded lines | stripped binary kB: debug / release |\n|---|---|---|---|---|"
    );
    let row = |label: &str, f: &dyn Fn(&Get) -> Option<f64>| {
        println!(
            "| {label} | {} | {} | {} | {} |",
            cells(3, |p| f(&gets[p]), 1),
            cells(3, |p| f(&gets[3 + p]), 1),
            cells(1, |_| f(&gets[6]), 0),
            cells(2, |p| f(&gets[7 + p]), 1),
        );
    };
    let over_label = format!("(cached - plain) / N at N = {n}");
    let marginal_label = format!("marginal, N = {n0} to {n}");
    row(&over_label, &over_n);
    if n > n0 {
        row(&marginal_label, &marginal);
    }

    let ratio = |k: usize, p: usize| {
        let [plain, cached] = &figures[k];
        Some(median(&cached.change[p])? / median(&plain.change[p])?)
    };
    println!(
        "\nOne-model change, cached / plain:\n\n| N | debug | release | check |\n|---|---|---|---|"
    );
    for (k, &n) in args.models.iter().enumerate() {
        let r: Vec<String> = (0..3)
            .map(|p| ratio(k, p).map_or("-".into(), |r| format!("{r:.2}x")))
            .collect();
        println!("| {n} | {} |", r.join(" | "));
    }

    println!("\nGoals (the issue's, at N = 40; measured at N = {n}):");
    let goal = |what: &str, limit: f64, unit: &str, measured: &[(&str, Option<f64>)]| {
        let said: Vec<String> = measured
            .iter()
            .filter_map(|&(label, m)| {
                let verdict = if m? <= limit { "ok" } else { "MISSED" };
                Some(format!("{label}{:.2}{unit} {verdict}", m?))
            })
            .collect();
        let said = if said.is_empty() {
            "not measured".into()
        } else {
            said.join("; ")
        };
        println!("  {what} <= {limit}{unit}: {said}");
    };
    for (p, limit) in [1.5, 2.0, 1.5].into_iter().enumerate() {
        let what = format!("{} after a one-model change, cached / plain", PROFILES[p]);
        goal(&what, limit, "x", &[("", ratio(i, p))]);
    }
    let per_model = |g: &Get| {
        let marginal = if n > n0 { marginal(g) } else { None };
        [("over N ", over_n(g)), ("marginal ", marginal)]
    };
    goal(
        "expanded lines added per model",
        600.0,
        "",
        &per_model(&gets[6]),
    );
    goal(
        "stripped release binary added per model",
        40.0,
        " kB",
        &per_model(&gets[8]),
    );
    println!("\ntook {:.0} s", started.elapsed().as_secs_f64());
}
