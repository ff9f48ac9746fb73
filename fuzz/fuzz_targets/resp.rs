//! The RESP framer and the `MGET` fast path of cache-core's plain Redis
//! transport (`backend/redis/resp.rs`), on any bytes a server could send.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cache_core::__engine::fuzz_reply(data);
});
