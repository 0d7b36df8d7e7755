//! Embedding Postern's core in another Rust service, with no database: the ports are served
//! by `MemoryStore` and in-process adapters, and the service calls the use cases directly.
//!
//! Run it with `cargo run -p postern-examples --example embedded`: it signs up, logs in,
//! authenticates the access token, refreshes, logs out, delivers the events to the audit log,
//! and checks each outcome on the way (a failed check exits non-zero).

mod support;

use std::sync::Arc;

use postern_core::domain::{AuditQuery, DisplayName, PageLimit, PageRequest};
use postern_core::ports::AuditTrail;
use postern_core::usecases::{
    Accounts, AuthenticateError, DeliverEvents, LoginOutcome, LoginRequest, Policies, SignupError,
    SignupRequest,
};
use postern_memory::InProcessPublisher;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    run().await
}

/// The example; `cargo test` runs it too.
async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let (store, clock) = support::store();
    let ports = support::in_memory_ports(&store, clock)?;
    let accounts = Accounts::new(&ports, Policies::default());

    let user = accounts
        .signup
        .execute(SignupRequest {
            email: support::email("ada@example.com")?,
            password: support::password("correct horse battery")?,
            name: Some(DisplayName::parse("Ada")?),
        })
        .await?;
    println!("signed up {} as {}", user.email, user.id);

    let again = accounts
        .signup
        .execute(SignupRequest {
            email: support::email("ADA@example.com")?,
            password: support::password("another password")?,
            name: None,
        })
        .await;
    assert!(matches!(again, Err(SignupError::EmailTaken)));
    println!(
        "a second signup with that email: {}",
        SignupError::EmailTaken
    );

    let outcome = accounts
        .login
        .execute(LoginRequest {
            email: support::email("ada@example.com")?,
            password: support::password("correct horse battery")?,
            client: support::client(),
        })
        .await?;
    // An account with a second factor would get `MfaRequired` and finish with `verify_mfa`.
    let LoginOutcome::Session { tokens, .. } = outcome else {
        return Err("an account without a second factor gets its session at once".into());
    };
    println!("logged in; the access token lasts {}", tokens.expires_in);

    let claims = accounts
        .authenticate
        .execute(tokens.access_token.expose())
        .await?;
    assert_eq!(claims.user_id, user.id);
    println!(
        "the access token names {} in session {}",
        claims.email, claims.session_id
    );

    let pair = accounts
        .refresh
        .execute(tokens.refresh_token.clone(), support::client())
        .await?;
    println!("refreshed: a new pair; the old refresh token is now used");

    accounts
        .logout
        .execute(&claims, Some(pair.refresh_token))
        .await?;
    let after = accounts
        .authenticate
        .execute(pair.access_token.expose())
        .await;
    assert!(matches!(after, Err(AuthenticateError::Revoked)));
    println!("logged out: the access token is refused from now on");

    let publisher = Arc::new(InProcessPublisher::new(vec![Arc::new(store.clone())]));
    let delivery = DeliverEvents::new(Arc::new(store.clone()), publisher, 100);
    let report = delivery.deliver_batch().await?;
    let page = PageRequest {
        after: None,
        limit: PageLimit::parse(None)?,
    };
    let query = AuditQuery {
        user: Some(user.id),
        event_type: None,
        page,
    };
    let audit = store.list(&query).await?;
    assert_eq!(report.published, store.events().len());
    println!(
        "delivered {} events; the audit log of {}:",
        report.published, user.email
    );
    for record in audit.iter().rev() {
        println!("  {} {}", record.occurred_at, record.event_type);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[tokio::test(flavor = "multi_thread")]
    async fn the_whole_flow_runs_in_memory() {
        super::run().await.unwrap();
    }
}
