//! cache-diesel's SQL classifier (`sql_tables/`), on any text a
//! connection could run, under each dialect.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cache_diesel::__private::fuzz_sql(data);
});
