//! Event delivery inside this process: [`InProcessPublisher`] hands each outbox event to the
//! handlers in turn (the embedded default, where no broker exists).
//!
//! Delivery is at least once: an event whose handler failed stays in the outbox and comes back
//! to every handler, so handlers deduplicate by event id.

mod publisher;

pub use publisher::InProcessPublisher;
