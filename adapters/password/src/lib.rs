//! # postern-password
//!
//! The [`PasswordHasher`] port: Argon2id password hashing,
//! stored as PHC strings.
//!
//! Argon2 is slow and memory-hungry on purpose (19 MiB per hash by default), so every hash and
//! verification runs off the async executor, on a pool of its own with one thread per core,
//! and a semaphore of the same size bounds how many run or wait at once: a burst of logins
//! queues instead of piling up threads and memory. The pool's threads run at the lowest
//! scheduling priority, so that a login storm, which keeps every core hashing, takes only the
//! CPU time the requests beside it leave: their latency stays that of an idle server. The
//! working memory is kept between hashes, one buffer per slot: allocating it per hash left
//! glibc's heaps fragmented across the threads (half a GiB resident after a login storm) and
//! cost a page fault per 4 KiB of every hash. Verification reports whether the stored hash is
//! weaker than the configured policy, so the login use case can upgrade it transparently.
//!
//! Legacy bcrypt hashes (`$2a$`, `$2b$`, `$2y$`, as Backlume stored them) are verified on the same
//! blocking pool under the same semaphore, and always need a re-hash: Argon2id is the only scheme
//! Postern writes (docs/http-api.md §2). Like Backlume's bcrypt, verification reads only the first
//! 72 bytes of a password.
//!
//! The [`postern_core::ports::StrengthEstimator`] port lives here too, as [`ZxcvbnEstimator`]:
//! how hard a new password is to guess, for the operator's minimum score.

mod strength;

pub use strength::ZxcvbnEstimator;

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use argon2::password_hash::{self, phc};
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, Version};
use async_trait::async_trait;
use postern_core::domain::{Password, PasswordHash};
use postern_core::ports::{PasswordCheck, PasswordHasher};
use postern_core::ports::{PortError, PortResult};
use tokio::sync::Semaphore;
use tracing::{Span, warn};

/// What [`Argon2Hasher::verify_dummy`] checks against; any fixed value works, since only the
/// time spent matters.
const DUMMY_PASSWORD: &[u8] = b"postern-dummy-password";

/// Bytes of random salt per hash: 128 bits, what password-hash generates and RFC 9106 advises.
const SALT_LEN: usize = 16;

/// The one Argon2 version we hash with; hashes of any other version get upgraded.
const CURRENT_VERSION: Version = Version::V0x13;

/// Argon2id cost parameters (`ARGON2_MEMORY_KIB`, `ARGON2_ITERATIONS`, `ARGON2_PARALLELISM`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory per hash, in KiB (`m`).
    pub memory_kib: u32,
    /// Passes over the memory (`t`).
    pub iterations: u32,
    /// Lanes (`p`).
    pub parallelism: u32,
}

impl Default for Argon2Params {
    /// The OWASP recommendation: m=19456 KiB, t=2, p=1.
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// How long a hash may wait for a free slot before the request is refused as unavailable.
const QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The cause inside a [`PortError::Unexpected`] (or, when saturated, [`PortError::Unavailable`])
/// from this module.
#[derive(Debug, thiserror::Error)]
enum HashError {
    #[error("invalid Argon2 parameters")]
    Params(#[source] argon2::Error),
    #[error("stored password hash is not a readable PHC string")]
    Unreadable(#[source] phc::Error),
    #[error("stored password hash has no salt or no output")]
    Incomplete,
    #[error("stored password hash has an unsupported scheme or parameters")]
    Unsupported(#[source] password_hash::Error),
    #[error("stored bcrypt hash is unreadable")]
    Bcrypt(#[source] bcrypt::BcryptError),
    #[error("password hashing failed")]
    Hashing(#[source] password_hash::Error),
    #[error("password hashing failed")]
    Argon2(#[source] argon2::Error),
    #[error("password hash encoding failed")]
    Encoding(#[source] phc::Error),
    #[error("no random salt")]
    Salt(#[source] getrandom::Error),
    #[error("password hashing is saturated")]
    Busy,
    #[error("password hashing queue is closed")]
    Queue(#[source] tokio::sync::AcquireError),
    #[error("password hashing task failed")]
    Lost,
    #[error("no password hashing threads")]
    Pool(#[source] rayon::ThreadPoolBuildError),
}

/// Hashes passwords with Argon2id and verifies Argon2 PHC strings, off the async executor.
#[derive(Debug)]
pub struct Argon2Hasher {
    argon2: Argon2<'static>,
    permits: Arc<Semaphore>,
    threads: rayon::ThreadPool,
    workspaces: Arc<Workspaces>,
    dummy: PasswordHash,
}

/// Argon2 working memory kept for reuse: a job takes a buffer (or starts an empty one) and puts
/// it back, so there are never more buffers than jobs running at once.
#[derive(Debug, Default)]
struct Workspaces(Mutex<Vec<Vec<Block>>>);

impl Workspaces {
    fn take(&self) -> Vec<Block> {
        self.0
            .lock()
            .map(|mut free| free.pop().unwrap_or_default())
            .unwrap_or_default()
    }

    fn put_back(&self, workspace: Vec<Block>) {
        if let Ok(mut free) = self.0.lock() {
            free.push(workspace);
        }
    }
}

impl Argon2Hasher {
    /// A hasher with the given cost. Computes the dummy hash for
    /// [`PasswordHasher::verify_dummy`] once, here, so that it costs exactly what a real
    /// verification costs; this takes one hash's time and blocks the calling thread.
    ///
    /// # Errors
    /// [`PortError::Unexpected`] when Argon2 rejects the parameters (e.g. zero iterations, or less
    /// than 8 KiB of memory per lane).
    pub fn new(params: Argon2Params) -> PortResult<Self> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|error| PortError::unexpected(HashError::Params(error)))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, CURRENT_VERSION, params);
        // Its own memory, freed again: an idle server need not hold a workspace.
        let dummy = hash_blocking(
            Algorithm::Argon2id,
            argon2.params(),
            DUMMY_PASSWORD,
            &mut Vec::new(),
        )?;
        let workers = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|index| format!("argon2-{index}"))
            .start_handler(|_| lower_priority())
            // A panicking job drops its reply, which its caller reports; it must not abort.
            .panic_handler(|_| ())
            .build()
            .map_err(|error| PortError::unexpected(HashError::Pool(error)))?;
        Ok(Self {
            argon2,
            permits: Arc::new(Semaphore::new(workers)),
            threads,
            workspaces: Arc::default(),
            dummy,
        })
    }

    /// Runs `job` on the hashing threads once a permit is free, inside the caller's span, with
    /// a workspace. The permit moves into the job, so a caller that gives up waiting cannot free
    /// its slot before the work is really done.
    async fn run_blocking<T, F>(&self, job: F) -> PortResult<T>
    where
        F: FnOnce(&mut Vec<Block>) -> PortResult<T> + Send + 'static,
        T: Send + 'static,
    {
        // A flood of logins must not queue without bound: past this wait the request is told
        // the service is busy (503) instead of holding a connection for minutes.
        let permit = tokio::time::timeout(QUEUE_WAIT, Arc::clone(&self.permits).acquire_owned())
            .await
            .map_err(|_| PortError::unavailable(HashError::Busy))?
            .map_err(|error| PortError::unexpected(HashError::Queue(error)))?;
        let span = Span::current();
        let workspaces = Arc::clone(&self.workspaces);
        let (reply, outcome) = tokio::sync::oneshot::channel();
        self.threads.spawn(move || {
            let _permit = permit;
            let mut workspace = workspaces.take();
            let _gone = reply.send(span.in_scope(|| job(&mut workspace)));
            workspaces.put_back(workspace);
        });
        outcome
            .await
            .map_err(|_| PortError::unexpected(HashError::Lost))?
    }
}

/// Gives the calling thread the lowest scheduling priority (nice 19 on Linux). Where that is
/// refused, hashing still works, at normal priority.
fn lower_priority() {
    if let Err(error) =
        thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min)
    {
        warn!(?error, "password hashing threads keep the normal priority");
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> PortResult<PasswordHash> {
        let argon2 = self.argon2.clone();
        let password = password.clone();
        self.run_blocking(move |workspace| {
            hash_blocking(
                Algorithm::Argon2id,
                argon2.params(),
                password.expose().as_bytes(),
                workspace,
            )
        })
        .await
    }

    async fn verify(&self, password: &Password, hash: &PasswordHash) -> PortResult<PasswordCheck> {
        let argon2 = self.argon2.clone();
        let password = password.clone();
        let hash = hash.clone();
        self.run_blocking(move |workspace| {
            verify_blocking(
                &argon2,
                password.expose().as_bytes(),
                hash.as_str(),
                workspace,
            )
        })
        .await
    }

    async fn verify_dummy(&self, password: &Password) -> PortResult<()> {
        self.verify(password, &self.dummy).await.map(|_ignored| ())
    }
}

/// A PHC string of `password` hashed with `algorithm` (Argon2id but in tests), the current
/// version and `params`, under a fresh random salt.
fn hash_blocking(
    algorithm: Algorithm,
    params: &Params,
    password: &[u8],
    workspace: &mut Vec<Block>,
) -> PortResult<PasswordHash> {
    let mut salt = [0_u8; SALT_LEN];
    getrandom::fill(&mut salt).map_err(|error| PortError::unexpected(HashError::Salt(error)))?;
    let argon2 = Argon2::new(algorithm, CURRENT_VERSION, params.clone());
    let output = argon2_output(&argon2, password, &salt, workspace)?;
    let encoding = |error| PortError::unexpected(HashError::Encoding(error));
    let phc = phc::PasswordHash {
        algorithm: algorithm.ident(),
        version: Some(CURRENT_VERSION.into()),
        params: phc::ParamsString::try_from(params)
            .map_err(|error| PortError::unexpected(HashError::Hashing(error)))?,
        salt: Some(phc::Salt::new(&salt).map_err(encoding)?),
        hash: Some(output),
    };
    Ok(PasswordHash::new(phc.to_string()))
}

/// Argon2 of `password` and `salt` with `argon2`'s algorithm, version and parameters, what
/// `argon2::Argon2::hash_password_into` computes, but in `workspace` (grown when too small, and
/// kept) instead of memory allocated for the one hash.
fn argon2_output(
    argon2: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    workspace: &mut Vec<Block>,
) -> PortResult<phc::Output> {
    let params = argon2.params();
    let blocks = params.block_count();
    if workspace.len() < blocks {
        workspace.resize(blocks, Block::default());
    }
    let mut buffer = [0_u8; phc::Output::MAX_LENGTH];
    let length = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = buffer.get_mut(..length).ok_or_else(|| {
        PortError::unexpected(HashError::Hashing(password_hash::Error::OutputSize))
    })?;
    argon2
        .hash_password_into_with_memory(password, salt, output, &mut workspace[..blocks])
        .map_err(|error| PortError::unexpected(HashError::Argon2(error)))?;
    phc::Output::new(output).map_err(|error| PortError::unexpected(HashError::Encoding(error)))
}

/// Verifies with the stored hash's own algorithm and parameters; `argon2` supplies only the
/// policy the hash is judged against.
fn verify_blocking(
    argon2: &Argon2<'_>,
    password: &[u8],
    stored: &str,
    workspace: &mut Vec<Block>,
) -> PortResult<PasswordCheck> {
    if is_bcrypt(stored) {
        return verify_bcrypt(password, stored);
    }
    let unsupported =
        |error: password_hash::Error| PortError::unexpected(HashError::Unsupported(error));
    let hash = phc::PasswordHash::new(stored)
        .map_err(|error| PortError::unexpected(HashError::Unreadable(error)))?;
    // Without these the verifier reports a wrong password, which would hide a corrupt row.
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return Err(PortError::unexpected(HashError::Incomplete));
    };
    let stored_params = Params::try_from(&hash).map_err(unsupported)?;
    let algorithm = Algorithm::try_from(hash.algorithm.as_str()).map_err(unsupported)?;
    let version = hash
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(|error| unsupported(error.into()))?
        .unwrap_or_default();
    let computed = argon2_output(
        &Argon2::new(algorithm, version, stored_params.clone()),
        password,
        salt,
        workspace,
    )?;
    // `Output`'s equality is constant-time.
    if computed == *expected {
        Ok(PasswordCheck::Match {
            needs_rehash: is_outdated(&hash, &stored_params, argon2.params()),
        })
    } else {
        Ok(PasswordCheck::Mismatch)
    }
}

/// Whether `stored` claims to be bcrypt. `$2x$` (hashes of the buggy crypt_blowfish) is left
/// out on purpose: verifying it as `$2b$` would be wrong for some passwords.
fn is_bcrypt(stored: &str) -> bool {
    ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|prefix| stored.starts_with(prefix))
}

/// Verifies a legacy bcrypt hash; a match always asks for a re-hash into Argon2id.
fn verify_bcrypt(password: &[u8], stored: &str) -> PortResult<PasswordCheck> {
    match bcrypt::verify(password, stored) {
        Ok(true) => Ok(PasswordCheck::Match { needs_rehash: true }),
        Ok(false) => Ok(PasswordCheck::Mismatch),
        Err(error) => Err(PortError::unexpected(HashError::Bcrypt(error))),
    }
}

/// Whether a verified hash falls short of the policy. The costs are compared one by one
/// because parsed `Params` carry extra fields (output length) and never equal configured ones.
fn is_outdated(hash: &phc::PasswordHash, stored: &Params, policy: &Params) -> bool {
    hash.algorithm != ARGON2ID_IDENT
        || hash.version != Some(u32::from(CURRENT_VERSION))
        || stored.m_cost() < policy.m_cost()
        || stored.t_cost() < policy.t_cost()
        || stored.p_cost() < policy.p_cost()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters for tests that are not about cost.
    const FAST: Argon2Params = Argon2Params {
        memory_kib: 8192,
        iterations: 1,
        parallelism: 1,
    };

    fn password(raw: &str) -> Password {
        Password::presented(raw.into(), "password").unwrap()
    }

    fn hasher(params: Argon2Params) -> Argon2Hasher {
        Argon2Hasher::new(params).unwrap()
    }

    #[tokio::test]
    async fn a_hash_verifies_against_its_password() {
        let hasher = hasher(FAST);

        let hash = hasher.hash(&password("correct horse")).await.unwrap();
        let check = hasher.verify(&password("correct horse"), &hash).await;

        assert!(hash.as_str().starts_with("$argon2id$v=19$m=8192,t=1,p=1$"));
        assert_eq!(
            check.unwrap(),
            PasswordCheck::Match {
                needs_rehash: false
            }
        );
    }

    #[tokio::test]
    async fn hashes_agree_with_the_argon2_crates_own_hashing_and_verification() {
        use argon2::{PasswordHasher as _, PasswordVerifier as _};
        let hasher = hasher(FAST);
        let reference = Argon2::new(
            Algorithm::Argon2id,
            CURRENT_VERSION,
            Params::new(FAST.memory_kib, FAST.iterations, FAST.parallelism, None).unwrap(),
        );

        let ours = hasher.hash(&password("correct horse")).await.unwrap();
        let theirs = reference
            .hash_password(b"correct horse")
            .unwrap()
            .to_string();

        reference
            .verify_password(b"correct horse", ours.as_str())
            .unwrap();
        let check = hasher
            .verify(&password("correct horse"), &PasswordHash::new(theirs))
            .await;
        assert_eq!(
            check.unwrap(),
            PasswordCheck::Match {
                needs_rehash: false
            }
        );
    }

    #[test]
    fn a_reused_workspace_of_any_size_gives_the_output_of_a_fresh_one() {
        let argon2 = |memory_kib| {
            let params = Params::new(memory_kib, 1, 1, None).unwrap();
            Argon2::new(Algorithm::Argon2id, CURRENT_VERSION, params)
        };
        let salt = [7_u8; SALT_LEN];
        let fresh = argon2_output(&argon2(8192), b"pass", &salt, &mut Vec::new()).unwrap();

        let mut workspace = Vec::new();
        argon2_output(&argon2(16384), b"other", &salt, &mut workspace).unwrap();
        let reused = argon2_output(&argon2(8192), b"pass", &salt, &mut workspace).unwrap();

        assert_eq!(reused, fresh);
        assert_eq!(workspace.len(), 16384, "kept at its largest size");
    }

    /// The nice value of the calling thread, from field 19 of `/proc/thread-self/stat`.
    #[cfg(target_os = "linux")]
    fn own_niceness() -> PortResult<i32> {
        let stat =
            std::fs::read_to_string("/proc/thread-self/stat").map_err(PortError::unexpected)?;
        let after_name = stat
            .rsplit_once(')')
            .ok_or_else(|| PortError::unexpected("stat"))?
            .1;
        let nice = after_name.split_whitespace().nth(16);
        nice.and_then(|n| n.parse().ok())
            .ok_or_else(|| PortError::unexpected("no nice field"))
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_runs_at_the_lowest_priority_off_the_async_threads() {
        let hasher = hasher(FAST);
        let callers = own_niceness().unwrap();

        let (nice, name) = hasher
            .run_blocking(|_| {
                let name = std::thread::current().name().map(str::to_owned);
                Ok((own_niceness()?, name))
            })
            .await
            .unwrap();

        assert_eq!(nice, 19);
        assert!(name.unwrap().starts_with("argon2-"));
        assert_eq!(
            own_niceness().unwrap(),
            callers,
            "the caller's thread is untouched"
        );
    }

    #[tokio::test]
    async fn a_wrong_password_is_a_mismatch_not_an_error() {
        let hasher = hasher(FAST);
        let hash = hasher.hash(&password("correct horse")).await.unwrap();

        let check = hasher.verify(&password("wrong horse"), &hash).await;

        assert_eq!(check.unwrap(), PasswordCheck::Mismatch);
    }

    #[tokio::test]
    async fn a_hash_weaker_than_the_policy_needs_a_rehash() {
        let weak = hasher(FAST).hash(&password("correct horse")).await.unwrap();

        let check = hasher(Argon2Params::default())
            .verify(&password("correct horse"), &weak)
            .await;

        assert_eq!(check.unwrap(), PasswordCheck::Match { needs_rehash: true });
    }

    #[tokio::test]
    async fn a_hash_of_another_argon2_variant_needs_a_rehash() {
        let params = Params::new(FAST.memory_kib, FAST.iterations, FAST.parallelism, None);
        let hash = hash_blocking(
            Algorithm::Argon2i,
            &params.unwrap(),
            b"correct horse",
            &mut Vec::new(),
        )
        .unwrap();

        let check = hasher(FAST).verify(&password("correct horse"), &hash).await;

        assert_eq!(check.unwrap(), PasswordCheck::Match { needs_rehash: true });
    }

    #[tokio::test]
    async fn unreadable_or_foreign_hashes_are_unexpected_errors() {
        let hasher = hasher(FAST);
        let stored = [
            "garbage",
            "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWM",
            "$2x$04$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            "$pbkdf2-sha256$i=1000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=8192,t=1,p=1",
        ];
        for raw in stored {
            let hash = PasswordHash::new(raw.into());

            let result = hasher.verify(&password("correct horse"), &hash).await;

            assert!(matches!(result, Err(PortError::Unexpected(_))), "{raw}");
        }
    }

    #[tokio::test]
    async fn a_bcrypt_hash_verifies_and_always_needs_a_rehash() {
        let hasher = hasher(FAST);
        for stored in [
            bcrypt::hash("correct horse", 4).unwrap(),
            bcrypt::hash_with_result("correct horse", 4)
                .unwrap()
                .format_for_version(bcrypt::Version::TwoA),
            bcrypt::hash_with_result("correct horse", 4)
                .unwrap()
                .format_for_version(bcrypt::Version::TwoY),
        ] {
            let hash = PasswordHash::new(stored);

            let right = hasher.verify(&password("correct horse"), &hash).await;
            let wrong = hasher.verify(&password("wrong horse"), &hash).await;

            assert_eq!(right.unwrap(), PasswordCheck::Match { needs_rehash: true });
            assert_eq!(wrong.unwrap(), PasswordCheck::Mismatch);
        }
    }

    #[tokio::test]
    async fn verify_dummy_succeeds_whatever_the_password() {
        let result = hasher(FAST).verify_dummy(&password("anything")).await;

        assert!(result.is_ok());
    }

    #[test]
    fn parameters_argon2_rejects_are_an_error() {
        let result = Argon2Hasher::new(Argon2Params {
            iterations: 0,
            ..FAST
        });

        assert!(matches!(result, Err(PortError::Unexpected(_))));
    }
}
