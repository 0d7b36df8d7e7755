//! The ports' contracts (`postern-contract`) on the adapters with a real backend, held to the
//! same rules as the in-memory ones: the storage ports on SeaORM over PostgreSQL and SQLite,
//! each rule on a fresh database of its own; the state ports on Redis, plain and through the
//! resilient wrappers while Redis is up, each rule under a key prefix of its own.

mod redis;
mod storage;
