//! Makers of fresh implementations, for rules that build theirs with settings of their own.

use std::future::Future;

use async_trait::async_trait;

/// Makes a fresh implementation from `A` (a time to live, a set of quotas). Any
/// `Fn(A) -> impl Future<Output = T>`, such as an `async fn`, is one.
#[async_trait]
pub trait Factory<A, T>: Send + Sync {
    /// A fresh implementation built with `settings`.
    async fn make(&self, settings: A) -> T;
}

#[async_trait]
impl<F, Fut, A, T> Factory<A, T> for F
where
    F: Fn(A) -> Fut + Send + Sync,
    Fut: Future<Output = T> + Send,
    A: Send + 'static,
{
    async fn make(&self, settings: A) -> T {
        self(settings).await
    }
}
