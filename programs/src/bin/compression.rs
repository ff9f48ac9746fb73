//! What compressing a cached list costs and saves, by size: the figures the
//! compression threshold of cache-core (`compress.rs`) is chosen from.
//!
//! ```sh
//! cargo run --release -p cache-programs --bin compression
//! ```
//!
//! For lists of the benchmark's product rows (the cached form, as the
//! manager stores them), per size: the MessagePack bytes, the LZ4 bytes,
//! and the medians of encoding, compressing, decompressing and decoding.
//! Nothing here talks to a server: the time a smaller value saves on the
//! wire is the bytes saved over the link's throughput (loopback Redis moves
//! about 1-2 GB/s on this machine; a network link, ten times less).

use cache_diesel::Form;
use cache_programs::bench::{BenchProduct, measure_side_by_side};
use chrono::NaiveDate;

fn rows(n: usize) -> Vec<BenchProduct> {
    (1..=n as i32)
        .map(|i| BenchProduct {
            id: i,
            title: format!("Product number {i} with a longer title"),
            created_at: NaiveDate::from_ymd_opt(2024, 1 + (i % 12) as u32, 1 + (i % 28) as u32)
                .and_then(|d| d.and_hms_opt(12, (i % 60) as u32, ((i * 7) % 60) as u32))
                .expect("a valid time"),
            is_active: i % 3 != 0,
            category_id: 2,
        })
        .collect()
}

fn main() {
    println!(
        "{:>6} {:>9} {:>9} {:>6} {:>11} {:>11} {:>11} {:>11}",
        "rows", "bytes", "lz4", "ratio", "encode_us", "compress_us", "decomp_us", "decode_us"
    );
    for n in [10, 30, 60, 100, 300, 1_000, 10_000, 25_000] {
        let value = Form(rows(n));
        let body = rmp_serde::to_vec(&value).expect("encode");
        let packed = lz4_flex::block::compress_prepend_size(&body);
        let iterations = (200_000 / n).clamp(20, 20_000);
        let [encode, compress, decompress, decode] =
            measure_side_by_side(iterations, |k, _| match k {
                0 => drop(std::hint::black_box(
                    rmp_serde::to_vec(&value).expect("encode"),
                )),
                1 => drop(std::hint::black_box(
                    lz4_flex::block::compress_prepend_size(&body),
                )),
                2 => drop(std::hint::black_box(
                    lz4_flex::block::decompress_size_prepended(&packed).expect("lz4"),
                )),
                _ => drop(std::hint::black_box(
                    rmp_serde::from_slice::<Form<Vec<BenchProduct>>>(&body).expect("decode"),
                )),
            });
        println!(
            "{n:>6} {:>9} {:>9} {:>6.2} {:>11.1} {:>11.1} {:>11.1} {:>11.1}",
            body.len(),
            packed.len(),
            body.len() as f64 / packed.len() as f64,
            encode.median_ns / 1e3,
            compress.median_ns / 1e3,
            decompress.median_ns / 1e3,
            decode.median_ns / 1e3,
        );
    }
}
