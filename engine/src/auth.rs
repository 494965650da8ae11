//! Secrets: argon2id password hashing and random bearer tokens stored only as hashes.

use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};

/// The password every new operator starts with; it must be changed before anything else.
pub const DEFAULT_PASSWORD: &str = "password";
/// Shortest password accepted by a change.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted (argon2 input is bounded to keep hashing cheap to refuse).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Password hashes computed at once: each takes 19 MiB and a core for a moment.
pub const HASHES_AT_ONCE: usize = 2;
/// Hashes that may wait for their turn; beyond that, a login is refused as `rate_limited`
/// rather than queued, so a login flood holds neither memory nor connections for long.
pub const HASHES_WAITING: usize = 64;

/// The gate every password hash passes: a few at a time, a bounded queue behind them.
#[derive(Debug)]
pub(crate) struct HashGate {
    permits: tokio::sync::Semaphore,
    waiting: AtomicUsize,
}

impl Default for HashGate {
    fn default() -> Self {
        Self {
            permits: tokio::sync::Semaphore::new(HASHES_AT_ONCE),
            waiting: AtomicUsize::new(0),
        }
    }
}

impl HashGate {
    /// Runs CPU-heavy password work on a blocking thread once a permit is free.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, domain::Error> {
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= HASHES_WAITING {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(domain::Error::rate_limited(
                1,
                "The server is busy checking passwords. Please try again in a moment.",
            ));
        }
        let permit = self.permits.acquire().await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        let _permit = permit.map_err(|_| domain::Error::internal())?;
        tokio::task::spawn_blocking(work).await.map_err(|err| {
            tracing::error!(error = %err, "password hashing task failed");
            domain::Error::internal()
        })
    }
}

/// argon2id with the OWASP recommended minimum: 19 MiB memory, 2 iterations, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Fills a buffer from the operating system's random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf)?;
    Ok(buf)
}

/// Hashes a password as a PHC string. CPU-heavy: call from a blocking task.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt_bytes = random_bytes::<16>().map_err(|err| err.to_string())?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|err| err.to_string())?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| err.to_string())
}

/// Checks a password against a PHC string. CPU-heavy: call from a blocking task.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| argon2().verify_password(password.as_bytes(), &hash).is_ok())
        .unwrap_or(false)
}

/// A new random token (256 bits, hex) and the hash to store for it.
pub fn new_token() -> Result<(String, String), getrandom::Error> {
    let token = hex(&random_bytes::<32>()?);
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// The stored form of a token: SHA-256, hex. Tokens are random, so no salt or stretching is needed.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_verifies_only_the_right_password() {
        let phc = hash_password("correct horse").unwrap_or_default();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("wrong horse", &phc));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[tokio::test]
    async fn the_hash_gate_queues_a_few_and_refuses_the_rest() {
        let gate = std::sync::Arc::new(HashGate::default());
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = std::sync::Arc::new(std::sync::Mutex::new(hold));
        let mut running = Vec::new();
        for _ in 0..HASHES_AT_ONCE + HASHES_WAITING {
            let (gate, hold) = (gate.clone(), hold.clone());
            running.push(tokio::spawn(async move {
                gate.run(move || {
                    let _ = hold.lock().map(|h| h.recv());
                })
                .await
            }));
        }
        // Every slot and queue place is taken once the waiting count stops growing.
        while gate.waiting.load(Ordering::Acquire) < HASHES_WAITING {
            tokio::task::yield_now().await;
        }
        let refused = gate.run(|| ()).await;
        assert_eq!(
            refused.map_err(|e| (e.code, e.retry_after)),
            Err((domain::ErrorCode::RateLimited, Some(1)))
        );
        for _ in 0..HASHES_AT_ONCE + HASHES_WAITING {
            let _ = release.send(());
        }
        for task in running {
            assert!(matches!(task.await, Ok(Ok(()))));
        }
        assert!(gate.run(|| 7).await == Ok(7));
    }

    #[test]
    fn tokens_are_random_and_hash_stably() {
        let (a, hash_a) = new_token().unwrap_or_default();
        let (b, _) = new_token().unwrap_or_default();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), hash_a);
        assert_ne!(hash_a, a);
    }
}
