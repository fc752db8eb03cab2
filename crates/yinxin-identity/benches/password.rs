//! The raw cost under registration and password login: one argon2id hash and one verification
//! with the default parameters (19 MiB, 2 iterations, 1 lane). Compare with the HTTP figures of
//! `scripts/bench-accounts` (BENCHMARKS.md) to see the API's own overhead.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use yinxin_identity::{PasswordHasher, PasswordParams};

fn argon2id(c: &mut Criterion) {
    let h = PasswordHasher::new(PasswordParams::default()).unwrap();
    let phc = h.hash("correct horse 42").unwrap();
    let mut g = c.benchmark_group("argon2id_default");
    g.sample_size(20);
    g.bench_function("hash", |b| b.iter(|| h.hash("correct horse 42").unwrap()));
    g.bench_function("verify", |b| {
        b.iter(|| assert!(h.verify("correct horse 42", Some(&phc))))
    });
    g.finish();
}

criterion_group!(benches, argon2id);
criterion_main!(benches);
