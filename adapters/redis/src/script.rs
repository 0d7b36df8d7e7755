//! Lua scripts run by their digest, and re-sent whole when Redis does not know them (after a
//! restart or `SCRIPT FLUSH`), so that each call stays one round trip in the usual case.
//!
//! They are sent as custom commands because fred 10 implements its Lua interface for plain
//! clients only, not for clients carrying per-command options: this way they keep
//! [`super::connect`]'s fail-fast option like every other command.

use fred::prelude::{ClientLike, Error as FredError, FromValue, Value};
use fred::types::scripts::Script;
use fred::types::{ClusterHash, CustomCommand};

/// Where the first key sits in `EVAL`/`EVALSHA` arguments (after the script and the key
/// count): the slot a cluster must route the call to.
const FIRST_KEY: usize = 2;

/// A Lua script and its SHA-1 digest.
pub(super) struct LuaScript {
    body: &'static str,
    script: Script,
}

impl LuaScript {
    /// The script `body`; its digest is computed once, here.
    pub(super) fn new(body: &'static str) -> Self {
        Self {
            body,
            script: Script::from_lua(body),
        }
    }

    /// Runs the script with `keys` and `args` on `client`: `EVALSHA`, then `EVAL` if Redis
    /// answers `NOSCRIPT` (which also caches it for the next call).
    pub(super) async fn run<R: FromValue>(
        &self,
        client: &impl ClientLike,
        keys: Vec<String>,
        args: &[Value],
    ) -> Result<R, FredError> {
        let mut arguments = Vec::with_capacity(2 + keys.len() + args.len());
        arguments.push(Value::from(self.script.sha1().clone()));
        arguments.push(Value::from(i64::try_from(keys.len()).unwrap_or(i64::MAX)));
        arguments.extend(keys.into_iter().map(Value::from));
        arguments.extend_from_slice(args);
        match client.custom(command("EVALSHA"), arguments.clone()).await {
            Err(error) if error.details().starts_with("NOSCRIPT") => {
                arguments[0] = Value::from(self.body);
                client.custom(command("EVAL"), arguments).await
            }
            result => result,
        }
    }
}

/// `EVAL` or `EVALSHA`, routed by the first key.
fn command(name: &'static str) -> CustomCommand {
    CustomCommand::new_static(name, ClusterHash::Offset(FIRST_KEY), false)
}
