//! What the crate reports to the `metrics` facade (feature `metrics`):
//! reads by kind and outcome, with their latency (`reads`), and
//! invalidations by table and cause (`invalidations`).

pub(crate) mod invalidations;
pub(crate) mod reads;
