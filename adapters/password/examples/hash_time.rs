//! Times one Argon2id hash at the configured cost (`ARGON2_MEMORY_KIB`, `ARGON2_ITERATIONS`,
//! `ARGON2_PARALLELISM`, defaults as in [`Argon2Params`]) and prints the median in
//! milliseconds. `bench/run.sh` divides the core count by it: the "hash ceiling", the most
//! logins or signups per second the machine could ever serve.
//!
//! Usage: `cargo run --release -p postern-password --example hash_time [ROUNDS]`

use std::time::Instant;

use argon2::{Algorithm, Argon2, Params, Version};
use postern_password::Argon2Params;

fn env_or(name: &str, default: u32) -> Result<u32, Box<dyn std::error::Error>> {
    match std::env::var(name) {
        Ok(value) => Ok(value.parse()?),
        Err(_) => Ok(default),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let defaults = Argon2Params::default();
    let params = Params::new(
        env_or("ARGON2_MEMORY_KIB", defaults.memory_kib)?,
        env_or("ARGON2_ITERATIONS", defaults.iterations)?,
        env_or("ARGON2_PARALLELISM", defaults.parallelism)?,
        None,
    )?;
    let rounds: usize = std::env::args().nth(1).map_or(Ok(31), |n| n.parse())?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let mut output = [0_u8; 32];
    let mut times = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let salt = (round as u128).to_le_bytes();
        let start = Instant::now();
        argon2.hash_password_into(b"correct horse battery staple", &salt, &mut output)?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let median = times.get(rounds / 2).ok_or("no rounds")?;
    println!("{median:.3}");
    Ok(())
}
