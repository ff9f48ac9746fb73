//! The driver's values without their type, so that its code (the miss
//! path of `read_through`, the tagged reads under it) is compiled once,
//! not once for every type a program caches.
//!
//! A value travels through the driver as a [`Value`] (a boxed `Any`);
//! what depends on its type (opening an entry's bytes, keeping it decoded,
//! sealing a fill) is an [`Ops`], a table of functions made for that type
//! by [`Ops::of`], and the sync caller's loader is boxed ([`SyncLoad`]).
//! The typed entry points (`Engine::read_through` and its twins) wrap a
//! loader ([`loaded`]), call the driver and take their value back out
//! ([`typed`]). The async driver keeps its caller's loader unboxed: a
//! boxed future must be declared `Send` or not, and an async caller's
//! future is `Send` exactly when its loader's is (an `AsyncFnOnce` cannot
//! promise it), so it is compiled once per loader, its values erased all
//! the same.

use crate::backend::{Memo, TagTime};
use crate::codec::DecodeError;
use crate::driver::cache::Cache;
use crate::driver::cache::engine::WithEngine;
use crate::driver::lookup::{FillOptions, Lookup, Shape};
use crate::error::{Error, Result};
use crate::protocol::envelope::{Times, open_bytes};
use crate::protocol::stamp::Stamp;
use crate::stats::Stats;
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::any::Any;
use std::future::Future;
use std::pin::Pin;

/// A value of the type an [`Ops`] was made for.
pub(crate) type Value = Box<dyn Any + Send + Sync>;

/// What a loader returns: the value and how to store it, or its error's
/// text (the error itself stays with the caller, see [`loaded`]).
pub(crate) type Loaded = std::result::Result<(Value, Shape), String>;

/// A loader of the sync driver: called at most once.
pub(crate) type SyncLoad<'a> = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = Loaded> + 'a>> + 'a>;

/// Where an entry's bytes are opened: its key and tags, the store's time
/// of its tags read before the lookup, its bytes, the store's memo, the
/// tags' current versions.
pub(crate) struct Opening<'a> {
    pub(crate) key: &'a str,
    pub(crate) tags: &'a [&'a str],
    pub(crate) time: Option<TagTime>,
    pub(crate) bytes: &'a Bytes,
    pub(crate) memo: Option<&'a Memo>,
    pub(crate) current: &'a [Option<u64>],
}

/// Opens an entry: the value and its times when its stamps hold.
pub(crate) type Open =
    fn(&Cache, Opening<'_>) -> std::result::Result<Option<(Value, Times)>, DecodeError>;

/// What the driver does with one type's values.
#[derive(Clone, Copy)]
pub(crate) struct Ops {
    /// Opens an entry's bytes (kept decoded where the store keeps them).
    pub(crate) open: Open,
    /// Decodes a fill's bytes, ignoring their stamp (a flight's landing).
    pub(crate) decode_fill: fn(&Cache, &str, &[u8], Option<&Stats>) -> Option<Value>,
    /// Seals a value for a fill.
    pub(crate) encode_fill: fn(&Cache, &str, &Stamp, FillOptions, &Value) -> Result<Bytes>,
}

impl Ops {
    /// The table of `T`, for the driver's shared reads.
    pub(crate) fn of<T>() -> Ops
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    {
        Ops {
            open: open_kept::<T>,
            decode_fill: |cache, key, bytes, stats| {
                cache
                    .engine()
                    .decode_fill::<T>(key, bytes, stats)
                    .map(|v| Box::new(v) as Value)
            },
            encode_fill: encode_fill::<T>,
        }
    }
}

/// Opens `T`'s entries, kept decoded where the store keeps them.
pub(crate) fn open_kept<T>(
    cache: &Cache,
    o: Opening<'_>,
) -> std::result::Result<Option<(Value, Times)>, DecodeError>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    cache
        .open_kept::<T>(o)
        .map(|found| found.map(|(v, times)| (Box::new(v) as Value, times)))
}

/// Opens `T`'s entries from their bytes alone (`Engine::read_tagged`).
pub(crate) fn open_bytes_only<T>(
    _: &Cache,
    o: Opening<'_>,
) -> std::result::Result<Option<(Value, Times)>, DecodeError>
where
    T: DeserializeOwned + Send + Sync + 'static,
{
    if o.bytes.is_empty() {
        // An in-process store holds this entry decoded only (for the
        // shared reads): a miss here, not a damaged entry.
        return Ok(None);
    }
    open_bytes::<T>(o.key, o.bytes, o.current)
        .map(|found| found.map(|(v, times)| (Box::new(v) as Value, times)))
}

fn encode_fill<T>(
    cache: &Cache,
    key: &str,
    stamp: &Stamp,
    options: FillOptions,
    value: &Value,
) -> Result<Bytes>
where
    T: Serialize + Send + Sync + 'static,
{
    match value.downcast_ref::<T>() {
        Some(value) => cache.engine().encode_fill(key, stamp, options, value),
        None => Err(Error::Encode {
            key: key.to_owned(),
            reason: "a value of another type than the read's".into(),
        }),
    }
}

/// The `T` in `value`, which the driver got from `T`'s loader or `T`'s
/// [`Ops`]: never another type.
pub(crate) fn take<T: 'static>(value: Value) -> T {
    match value.downcast::<T>() {
        Ok(value) => *value,
        Err(_) => unreachable!("the driver carries only values of its read's type"),
    }
}

/// [`take`] inside a lookup.
pub(crate) fn take_lookup<T: 'static>(lookup: Lookup<Value>) -> Lookup<T> {
    match lookup {
        Lookup::Hit {
            value,
            stamp,
            refresh_due,
        } => Lookup::Hit {
            value: take(value),
            stamp,
            refresh_due,
        },
        Lookup::Miss(stamp) => Lookup::Miss(stamp),
    }
}

/// What a loader of `T` returned, erased: the value and its shape, or
/// its error's text, the error itself kept in `failed`.
pub(crate) fn loaded<T, E>(
    result: std::result::Result<T, E>,
    shape: impl Fn(&T) -> Shape,
    failed: &mut Option<E>,
) -> Loaded
where
    T: Send + Sync + 'static,
    E: std::fmt::Display,
{
    match result {
        Ok(value) => {
            let shaped = shape(&value);
            Ok((Box::new(value) as Value, shaped))
        }
        Err(e) => {
            let text = e.to_string();
            *failed = Some(e);
            Err(text)
        }
    }
}

/// A sync loader of `T`, erased (see [`loaded`]).
pub(crate) fn sync_load<'a, T, E>(
    load: impl FnOnce() -> std::result::Result<T, E> + 'a,
    shape: impl Fn(&T) -> Shape + 'a,
    failed: &'a mut Option<E>,
) -> SyncLoad<'a>
where
    T: Send + Sync + 'static,
    E: std::fmt::Display + 'a,
{
    Box::new(move || Box::pin(std::future::ready(loaded(load(), shape, failed))))
}

/// The typed result of a read the driver answered with `read`: the value
/// out of its box, or the loader's error it kept in `failed`.
pub(crate) fn typed<T: 'static, E, O>(
    read: std::result::Result<(Value, O), String>,
    failed: Option<E>,
) -> std::result::Result<(T, O), E> {
    match (read, failed) {
        (Ok((value, outcome)), _) => Ok((take(value), outcome)),
        (Err(_), Some(e)) => Err(e),
        (Err(text), None) => unreachable!("a load failed without its error: {text}"),
    }
}
