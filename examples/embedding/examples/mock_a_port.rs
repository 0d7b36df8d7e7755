//! Testing with a mock: swap one port for its mockall mock (the `mocks` feature of
//! `postern-core`) and keep the fakes for the rest, to see how a use case answers a failure
//! that a real adapter would only produce on a bad day.
//!
//! A mock panics on any call nobody expected, so each test also proves what the use case does
//! not touch. Put the same code in a `#[tokio::test]`; here it runs as
//! `cargo run -p postern-examples --example mock_a_port`.

mod support;

use std::sync::Arc;

use postern_core::ports::{MockUserRepo, PortError};
use postern_core::usecases::{
    Accounts, LoginError, LoginRequest, Policies, SignupError, SignupRequest,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    run().await
}

/// The example; `cargo test` runs it too.
async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let (store, clock) = support::store();
    let mut ports = support::in_memory_ports(&store, clock)?;

    // The database is down: every account lookup fails as an adapter must say so.
    let mut users = MockUserRepo::new();
    users
        .expect_create()
        .times(1)
        .returning(|_, _| Err(PortError::unavailable("connection refused").into()));
    // A login reserves its attempt before it looks the account up; that fails first.
    users
        .expect_begin_login_attempt()
        .times(1)
        .returning(|_, _, _| Err(PortError::unavailable("connection refused")));
    ports.users = Arc::new(users);
    let accounts = Accounts::new(&ports, Policies::default());

    let signup = accounts
        .signup
        .execute(SignupRequest {
            email: support::email("ada@example.com")?,
            password: support::password("correct horse battery")?,
            name: None,
        })
        .await;
    println!("signup while the users store is down: {signup:?}");
    assert!(matches!(signup, Err(SignupError::Unavailable(_))));

    let login = accounts
        .login
        .execute(LoginRequest {
            email: support::email("ada@example.com")?,
            password: support::password("correct horse battery")?,
            client: support::client(),
        })
        .await;
    println!(
        "login while the users store is down: {:?}",
        login.as_ref().err()
    );
    assert!(matches!(login, Err(LoginError::Unavailable(_))));

    // Nothing was announced: no event accompanies a change that did not happen.
    assert!(store.events().is_empty());
    println!("no event was written");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[tokio::test(flavor = "multi_thread")]
    async fn a_failing_mock_surfaces_as_unavailable() {
        super::run().await.unwrap();
    }
}
