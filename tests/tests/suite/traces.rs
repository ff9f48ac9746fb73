//! Traces: a miss is a `cache.miss` span (the model, the kind, the key and
//! the outcome as fields) holding the caller's `cache.query` and the
//! `cache.fill`; a hit makes no span; a hook write's invalidation is a
//! `cache.invalidate` span (the model, why, how many tags).

use cache_diesel::Cache;
use cache_tests::db;
use cache_tests::models::{NewProduct, ProductCache, products};
use diesel::prelude::*;
use std::sync::{Arc, Mutex};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::with_default;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// A span as recorded: its name, its parent's name, its fields.
#[derive(Debug, Clone)]
struct Seen {
    name: &'static str,
    parent: Option<&'static str>,
    fields: Vec<(String, String)>,
}

/// Records every span and the fields recorded on it later.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<(Id, Seen)>>>);

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Vec::new();
        attrs.record(&mut Fields(&mut fields));
        let parent = ctx.span(id).and_then(|s| s.parent()).map(|p| p.name());
        let seen = Seen {
            name: attrs.metadata().name(),
            parent,
            fields,
        };
        self.0.lock().unwrap().push((id.clone(), seen));
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut spans = self.0.lock().unwrap();
        if let Some((_, seen)) = spans.iter_mut().rev().find(|(i, _)| i == id) {
            values.record(&mut Fields(&mut seen.fields));
        }
    }
}

impl Spans {
    /// The spans recorded so far, and forgets them.
    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.0.lock().unwrap())
            .into_iter()
            .map(|(_, seen)| seen)
            .collect()
    }
}

fn field<'s>(seen: &'s Seen, name: &str) -> Option<&'s str> {
    (seen.fields.iter().rev())
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn a_miss_is_a_span_with_its_query_and_fill_and_a_hit_is_none() {
    let mut db = db::sqlite();
    let products = ProductCache::new(Cache::from_url("memory://").unwrap());
    let spans = Spans::default();
    let subscriber = tracing_subscriber::registry().with(spans.clone());
    with_default(subscriber, || {
        let conn = &mut db.conn;
        let row = products.insert(conn, NewProduct::new("tea", 1)).unwrap();
        spans.take();

        products.get(conn, row.id).unwrap();
        let seen = spans.take();
        let names: Vec<&str> = seen.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            ["cache.miss", "cache.query", "cache.fill"],
            "{seen:?}"
        );
        let miss = &seen[0];
        assert_eq!(field(miss, "source"), Some("Product"), "{miss:?}");
        assert_eq!(field(miss, "kind"), Some("detail"), "{miss:?}");
        assert_eq!(field(miss, "outcome"), Some("Loaded"), "{miss:?}");
        assert!(
            seen[1..].iter().all(|s| s.parent == Some("cache.miss")),
            "{seen:?}"
        );

        products.get(conn, row.id).unwrap();
        let seen = spans.take();
        assert!(seen.is_empty(), "a hit makes no span: {seen:?}");

        let changes = products::title.eq("Green tea".to_owned());
        products.update(conn, row.id, changes).unwrap();
        let seen = spans.take();
        let invalidate = seen.iter().find(|s| s.name == "cache.invalidate");
        let invalidate = invalidate.unwrap_or_else(|| panic!("{seen:?}"));
        assert_eq!(field(invalidate, "model"), Some("Product"));
        assert_eq!(field(invalidate, "why"), Some("update"));
    });
}
