//! Examples of a service embedding Postern's core on in-memory adapters; the code is in
//! `examples/`: `embedded` (the whole account flow in memory), `own_user_repo` (a port
//! implemented by the service itself) and `mock_a_port` (a port swapped for its mock).
//! `make examples` runs them; `cargo test` runs each once.
