//! Snapshot tests of the generated code (insta). Each case runs its input
//! through the macros' own entry points (`derive_cached_tokens`,
//! `cached_query_tokens`), pretty-prints the output with prettyplease and
//! compares it with `cache-derive/tests/expand/<case>.snap`, so every
//! change to the expansion shows up as a diff in review, one snapshot at a
//! time.
//!
//! After a deliberate change to the expansion, review each changed
//! snapshot (`cargo insta review`, from cargo-insta), or rewrite them all
//! and read the diff before committing it:
//!
//! ```text
//! INSTA_UPDATE=always cargo test -p cache-derive
//! git diff cache-derive/tests/expand
//! ```
//!
//! A snapshot whose case is gone fails `no_stale_snapshots`. The snapshots
//! hold no spans or paths, so they are the same on every machine; the
//! bodies of macros (`macro_rules!`, `__if_sqlite! { .. }`) are formatted
//! as code too.
//!
//! The `schema_hash` strings hash the field types as proc_macro2 prints
//! them here; rustc prints types with `,` or `;` (tuples, arrays, generics
//! of several parameters) a little differently, so for such a type a real
//! build hashes other text. The cases use types printed alike by both.

use std::path::{Path, PathBuf};

/// One test per case, and the list of every case's name (for the stale
/// snapshot check).
macro_rules! cases {
    ($($name:ident: $kind:ident($($input:expr),+);)*) => {
        const CASES: &[&str] = &[$(stringify!($name)),*];
        $(
            #[test]
            fn $name() {
                check(stringify!($name), $kind($($input),+));
            }
        )*
    };
}

cases! {
    composite_key: derive(r#"
#[derive(Cached)]
#[diesel(table_name = enrollments, primary_key(student_id, course_id))]
#[cache(filter(student_id), order_by(grade))]
pub struct Enrollment {
    pub student_id: i32,
    pub course_id: i32,
    pub grade: String,
}
"#);

    plain_model: derive(r#"
#[derive(Cached)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: i32,
    pub name: String,
}
"#);

    unique_and_filter: derive(r#"
#[derive(Cached)]
#[diesel(table_name = products)]
#[cache(unique(slug), filter(is_active, category_id), order_by(title, category_id), list_timeout = 3600, detail_timeout = 60)]
pub struct Product {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub is_active: bool,
    pub category_id: i32,
}
"#);

    select_related_and_prefetch: derive(r#"
#[derive(Cached)]
#[diesel(table_name = blog_posts, belongs_to(Author), belongs_to(Category))]
#[cache(select_related(author, category), prefetch(comments(Comment), tags(Tag, through = PostTag)), filter(author_id), order_by(title))]
pub struct Post {
    pub id: i32,
    pub title: String,
    pub author_id: i32,
    pub category_id: Option<i32>,
}
"#);

    select_related_only: derive(r#"
#[derive(Cached)]
#[diesel(table_name = blog_posts, belongs_to(Author, foreign_key = writer_id))]
#[cache(select_related(author), prefetch_for_list = false)]
pub struct PostSummary {
    pub id: i32,
    pub title: String,
    pub writer_id: i32,
}
"#);

    timeouts_and_refresh: derive(r#"
#[derive(Cached)]
#[diesel(table_name = products)]
#[cache(
    key = "product",
    list_timeout = 120,
    detail_timeout = 30,
    not_found_timeout = 5,
    soft_timeout = 20,
    refresh = "background",
    version = 3
)]
pub(crate) struct ProductV3 {
    pub id: i64,
    pub slug: String,
}
"#);

    renamed_table: derive(r#"
#[derive(Cached)]
#[diesel(table_name = crate::schema::catalog_items, primary_key(sku))]
#[cache(unique(code), filter(shelf))]
pub struct CatalogItem {
    pub sku: String,
    #[diesel(column_name = product_code)]
    pub code: String,
    #[diesel(column_name = shelf_no)]
    pub shelf: Option<i16>,
}
"#);

    typo_option: derive(r#"
#[derive(Cached)]
#[diesel(table_name = products)]
#[cache(unique(slug), list_timout = 60, filter(is_active))]
pub struct Product {
    pub id: i32,
    pub slug: String,
    pub is_active: bool,
}
"#);

    no_table_no_pk: derive(r#"
#[derive(Cached)]
#[cache(filter(title))]
pub struct Orphan {
    pub title: String,
}
"#);

    enum_model: derive(r#"
#[derive(Cached)]
#[diesel(table_name = colours)]
pub enum Colour { Red, Green }
"#);

    cached_query: query(
        r#"key = "top_products", timeout = 60, soft_timeout = 10, depends_on(Product, crate::models::Category)"#,
        r#"
/// The best products of a category.
pub fn top_products(conn: &mut PgConnection, category: i32, limit: i64) -> QueryResult<Vec<Product>> {
    products::table.filter(products::category_id.eq(category)).limit(limit).load(conn)
}
"#
    );

    cached_query_defaults: query(
        r#"depends_on(Product)"#,
        r#"
fn product_count(conn: &mut SqliteConnection) -> QueryResult<i64> {
    products::table.count().get_result(conn)
}
"#
    );

    cached_query_typo: query(
        r#"timeout = "soon", colour = 1"#,
        r#"
fn product_count(conn: &mut SqliteConnection) -> QueryResult<i64> {
    products::table.count().get_result(conn)
}
"#
    );
}

/// A case's input and expansion: the snapshot's text.
struct Expanded {
    input: String,
    tokens: proc_macro2::TokenStream,
}

fn derive(input: &str) -> Expanded {
    let parsed: syn::DeriveInput = syn::parse_str(input).expect("the case's input parses");
    Expanded {
        input: input.trim().to_owned(),
        tokens: crate::derive_cached_tokens(&parsed),
    }
}

fn query(args: &str, item: &str) -> Expanded {
    let parsed_args: proc_macro2::TokenStream = args.parse().expect("the case's args lex");
    let parsed: syn::ItemFn = syn::parse_str(item).expect("the case's function parses");
    Expanded {
        input: format!("#[cached_query({args})]\n{}", item.trim()),
        tokens: crate::cached_query_tokens(parsed_args, parsed),
    }
}

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expand")
}

/// The expansion of `case`, pretty-printed.
fn render(case: &Expanded) -> String {
    pretty_items(case.tokens.clone()).unwrap_or_else(|e| {
        panic!(
            "the expansion is not a list of items ({e}):\n{}",
            case.tokens
        )
    })
}

/// Marks a macro body taken out of the tokens to be formatted on its own.
const BODY: &str = "__snapshot_body_";
/// Stands for `$` in a `macro_rules!` body while it is formatted as code.
/// (`ǂ`, one letter: `$db` becomes the identifier `ǂdb`, so the layout
/// hardly changes.)
const DOLLAR: &str = "\u{1c2}";

/// `tokens` (a list of items) pretty-printed. prettyplease leaves the
/// bodies of macro invocations as a flow of tokens, and most of the
/// generated queries are in such bodies (`macro_rules!`, `__if_sqlite!`,
/// ..), so every brace-delimited body that parses as items (after `$name`
/// becomes an identifier) is formatted the same way and put back in place.
fn pretty_items(tokens: proc_macro2::TokenStream) -> syn::Result<String> {
    let mut bodies = Vec::new();
    let tokens = take_bodies(tokens, &mut bodies, false);
    let file: syn::File = syn::parse2(tokens)?;
    let mut text = prettyplease::unparse(&file);
    for (i, body) in bodies.iter().enumerate() {
        let marker = format!("{BODY}{i}");
        let line = text
            .lines()
            .find(|l| l.trim() == marker)
            .unwrap_or_else(|| panic!("`{marker}` not on a line of its own:\n{text}"))
            .to_owned();
        let indent = &line[..line.len() - line.trim_start().len()];
        let indented: Vec<String> = body
            .lines()
            .map(|l| {
                if l.is_empty() {
                    String::new()
                } else {
                    format!("{indent}{l}")
                }
            })
            .collect();
        text = text.replacen(
            &format!("{line}\n"),
            &format!("{}\n", indented.join("\n")),
            1,
        );
    }
    Ok(text.replace(DOLLAR, "$"))
}

/// `tokens` with every `name! { items }` and `macro_rules!` rule body that
/// parses as items replaced by a marker (`{BODY}n`), its text in
/// `bodies[n]`. `rules`: `tokens` are the rules of a `macro_rules!`.
fn take_bodies(
    tokens: proc_macro2::TokenStream,
    bodies: &mut Vec<String>,
    rules: bool,
) -> proc_macro2::TokenStream {
    use proc_macro2::{Delimiter, Group, Ident, Span, TokenTree};
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let punct = |k: usize, c: char| matches!(&trees[k], TokenTree::Punct(p) if p.as_char() == c);
    let mut out = Vec::with_capacity(trees.len());
    for (k, tree) in trees.iter().enumerate() {
        let TokenTree::Group(group) = tree else {
            out.push(tree.clone());
            continue;
        };
        let braces = group.delimiter() == Delimiter::Brace;
        // `macro_rules! name { rules }`
        let is_macro_rules = k >= 3
            && matches!(&trees[k - 3], TokenTree::Ident(i) if i == "macro_rules")
            && punct(k - 2, '!');
        // `name! { body }`, or a rule's `(matcher) => { body }`
        let is_rule_body = rules && braces && k >= 2 && punct(k - 2, '=') && punct(k - 1, '>');
        let is_macro_body = braces && k >= 1 && punct(k - 1, '!') && !is_macro_rules;
        if is_rule_body || is_macro_body {
            let stream = if is_rule_body {
                dollars_to_idents(group.stream())
            } else {
                group.stream()
            };
            if let Ok(file) = syn::parse2::<syn::File>(stream.clone())
                && !file.items.is_empty()
            {
                let text = pretty_items(stream).expect("parsed once");
                let marker = Ident::new(&format!("{BODY}{}", bodies.len()), Span::call_site());
                bodies.push(text);
                out.push(TokenTree::Group(Group::new(
                    Delimiter::Brace,
                    TokenTree::Ident(marker).into(),
                )));
                continue;
            }
        }
        let inner = take_bodies(group.stream(), bodies, is_macro_rules);
        out.push(TokenTree::Group(Group::new(group.delimiter(), inner)));
    }
    out.into_iter().collect()
}

/// `$name` as the identifier `{DOLLAR}name`, so a `macro_rules!` body
/// parses as code.
fn dollars_to_idents(tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    use proc_macro2::{Group, Ident, TokenTree};
    let mut out = Vec::new();
    let mut trees = tokens.into_iter().peekable();
    while let Some(tree) = trees.next() {
        match tree {
            TokenTree::Punct(p) if p.as_char() == '$' => match trees.peek() {
                Some(TokenTree::Ident(name)) => {
                    let ident = Ident::new(&format!("{DOLLAR}{name}"), name.span());
                    trees.next();
                    out.push(TokenTree::Ident(ident));
                }
                _ => out.push(TokenTree::Punct(p)),
            },
            TokenTree::Group(g) => out.push(TokenTree::Group(Group::new(
                g.delimiter(),
                dollars_to_idents(g.stream()),
            ))),
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

fn check(name: &str, case: Expanded) {
    let rendered = render(&case);
    insta::with_settings!({
        snapshot_path => snapshot_dir(),
        prepend_module_to_snapshot => false,
        description => case.input,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, rendered);
    });
}

#[test]
fn no_stale_snapshots() {
    let Ok(entries) = std::fs::read_dir(snapshot_dir()) else {
        return;
    };
    let mut stale: Vec<PathBuf> = entries
        .map(|entry| entry.expect("list tests/expand").path())
        .filter(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !name
                .strip_suffix(".snap")
                .is_some_and(|case| CASES.contains(&case))
        })
        .collect();
    stale.sort();
    assert!(
        stale.is_empty(),
        "files in tests/expand that no case writes (delete them): {stale:?}"
    );
}
