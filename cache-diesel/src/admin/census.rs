//! `cache-admin stats` and `inspect`: the deployment's entries, walked
//! under its prefix.

use crate::Cache;
use crate::form::{CacheForm, Form, FormError, FormReader, FormWriter};
use cache_core::__engine::WithEngine;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Each key under the cache's prefix, without it (its namespace first:
/// `d:..` a detail, `l:..` a list, `t:..` a tag, `x:..` a lease, `q:..` a
/// cached query, `k:..` the low-level API's).
fn walk(cache: &Cache, mut each: impl FnMut(&str)) -> Result<(), String> {
    let head = cache.engine().keys().namespace_prefix().to_owned();
    let listed = cache
        .backend()
        .keys_under(&head, &mut |keys| {
            for key in keys {
                if let Some(rest) = key.strip_prefix(head.as_str()) {
                    each(rest);
                }
            }
        })
        .map_err(|e| e.to_string())?;
    if !listed {
        return Err(format!(
            "a {} store cannot list its keys",
            cache.backend().kind()
        ));
    }
    Ok(())
}

/// Entries per model and table (details, lists, counts), then the tags,
/// leases, cached queries' entries and low-level keys.
pub(super) fn stats(cache: &Cache) -> Result<String, String> {
    let mut models: BTreeMap<(String, String), [u64; 3]> = BTreeMap::new();
    let mut tags = HashSet::new();
    let mut other: BTreeMap<&str, u64> = BTreeMap::new();
    walk(cache, |key| {
        // `{ns}:{version}:{model}:{table}:{hash}:..` (every version
        // counted); a list's next segment is its suffix, then `count:..`
        // for a count. A tenant's entries are counted apart.
        let (tenant, key) = tenant_of(key);
        let parts: Vec<&str> = key.splitn(7, ':').collect();
        let column = match parts.as_slice() {
            ["d", _, model, table, ..] => Some((model, table, 0)),
            ["l", _, model, table, _, _, rest] if rest.starts_with("count:") => {
                Some((model, table, 2))
            }
            ["l", _, model, table, ..] => Some((model, table, 1)),
            _ => None,
        };
        match (column, parts.first().copied()) {
            (Some((model, table, at)), _) => {
                let model = match tenant {
                    Some(tenant) => format!("{model}@{tenant}"),
                    None => model.to_string(),
                };
                models.entry((model, table.to_string())).or_default()[at] += 1
            }
            (None, Some("t")) => {
                tags.insert(key.into_owned());
            }
            (None, Some(ns)) => {
                let name = match ns {
                    "x" => "fill leases",
                    "q" => "cached query entries",
                    "k" => "low-level keys",
                    _ => "other keys",
                };
                *other.entry(name).or_default() += 1;
            }
            (None, None) => {}
        }
    })?;
    let mut out = format!(
        "{:<24} {:<24} {:>9} {:>9} {:>9}\n",
        "model", "table", "details", "lists", "counts"
    );
    for ((model, table), [details, lists, counts]) in &models {
        out += &format!("{model:<24} {table:<24} {details:>9} {lists:>9} {counts:>9}\n");
    }
    out += &format!("tags {}", tags.len());
    for (name, n) in &other {
        out += &format!(", {name} {n}");
    }
    out += "\n(hits, misses and fills are counted per process: scrape a service's /metrics)";
    Ok(out)
}

/// `key` (under the cache's prefix) without a tenant's segment
/// (`{ns}:%t{tenant}:..`, see `Cache::tenant`), and the tenant, as its
/// segment spells it.
fn tenant_of(key: &str) -> (Option<&str>, std::borrow::Cow<'_, str>) {
    if let Some((ns, rest)) = key.split_once(':')
        && let Some(tenanted) = rest.strip_prefix("%t")
        && let Some((tenant, rest)) = tenanted.split_once(':')
    {
        return (Some(tenant), format!("{ns}:{rest}").into());
    }
    (None, key.into())
}

/// The detail entries of `model`'s row whose `column` is `value` (one per
/// version and schema hash a deploy wrote), each with its size and decoded
/// value.
pub(super) fn inspect(
    cache: &Cache,
    model: &str,
    column: &str,
    value: &str,
) -> Result<String, String> {
    // The model's cache key is its type's name in snake case (`Product`:
    // `product`) unless `#[cache(key = ..)]`: either spelling names it.
    let wanted = loose(model);
    let mut keys = Vec::new();
    let mut models = BTreeSet::new();
    walk(cache, |key| {
        let full = key;
        let (_, key) = tenant_of(key);
        let parts = key.splitn(7, ':').collect::<Vec<_>>();
        if let ["d", _version, m, _table, _hash, c, v] = parts.as_slice() {
            if loose(m) == wanted && *c == column && *v == value {
                keys.push(format!(
                    "{}{full}",
                    cache.engine().keys().namespace_prefix()
                ));
            }
            models.insert(m.to_string());
        }
    })?;
    if !models.iter().any(|m| loose(m) == wanted) {
        return Err(none_of(model, &models));
    }
    if keys.is_empty() {
        return Ok(format!(
            "no cached {model} with {column} = {value} (a unique text value is written as its key has it: '\"tea\"')"
        ));
    }
    let mut out = Vec::new();
    for key in keys {
        let line = match cache.backend().get(&key).map_err(|e| e.to_string())? {
            None => format!("{key}: gone since the walk"),
            Some(bytes) => {
                let shown = cache
                    .engine()
                    .decode_fill::<Form<Shown>>(&key, &bytes, None)
                    .map(|Form(Shown(v))| v)
                    .or_else(|| {
                        cache
                            .engine()
                            .decode_fill::<serde_json::Value>(&key, &bytes, None)
                    })
                    .map_or_else(|| "(undecodable)".to_owned(), |v| v.to_string());
                format!("{key}: {} bytes: {shown}", bytes.len())
            }
        };
        out.push(line);
    }
    out.push(
        "(an entry is served only while its tags hold: a write since makes the next read miss)"
            .into(),
    );
    Ok(out.join("\n"))
}

/// A cached form (a row, a list of rows) shown as the MessagePack it holds:
/// its fields in order, as JSON.
struct Shown(serde_json::Value);

impl CacheForm for Shown {
    fn write_form(&self, w: &mut FormWriter<'_>) -> Result<(), FormError> {
        w.plain(&self.0)
    }

    fn read_form(r: &mut FormReader<'_>) -> Result<Self, FormError> {
        r.plain().map(Shown)
    }
}

/// A model's name as either of its spellings matches it: its type's
/// (`OrderLine`) or its cache key's (`order_line`, unless `#[cache(key =
/// ..)]`).
pub(super) fn loose(name: &str) -> String {
    name.replace('_', "").to_lowercase()
}

/// The models with detail entries under the cache's prefix (their cache
/// keys, every version's).
pub(super) fn models_with_details(cache: &Cache) -> Result<BTreeSet<String>, String> {
    let mut models = BTreeSet::new();
    walk(cache, |key| {
        let (_, key) = tenant_of(key);
        if let ["d", _version, m, ..] = key.splitn(7, ':').collect::<Vec<_>>().as_slice() {
            models.insert(m.to_string());
        }
    })?;
    Ok(models)
}

/// Why nothing of `model` was found: its name or the prefix is not the
/// deployment's (the models that have entries under this one named).
pub(super) fn none_of(model: &str, models: &BTreeSet<String>) -> String {
    let known: Vec<&str> = models.iter().map(String::as_str).collect();
    match known.is_empty() {
        true => format!(
            "no detail entries of a model `{model}`, and none of any model: is the prefix \
             the deployment's (?prefix=..)?"
        ),
        false => format!(
            "no detail entries of a model `{model}`; models with some: {}",
            known.join(", ")
        ),
    }
}
