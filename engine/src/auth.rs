//! Secrets: argon2id password hashing and random bearer tokens stored only as hashes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};

/// The password every new operator starts with; it must be changed before anything else.
pub const DEFAULT_PASSWORD: &str = "password";
/// Shortest password accepted by a change.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted (argon2 input is bounded to keep hashing cheap to refuse).
pub const MAX_PASSWORD_CHARS: usize = 256;

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
