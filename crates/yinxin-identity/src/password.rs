//! Password hashing: argon2id with parameters from configuration (ACC-3).

use argon2::password_hash::{PasswordHash, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::rngs::OsRng;
use serde::Deserialize;

/// argon2id cost parameters. The defaults are OWASP's minimum for argon2id
/// (19 MiB, 2 iterations, 1 lane).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for PasswordParams {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl PasswordParams {
    /// Whether argon2 accepts these parameters; the message names the bad one.
    pub fn check(&self) -> Result<(), String> {
        Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map(|_| ())
            .map_err(|e| format!("argon2 parameters: {e}"))
    }
}

/// Hashes and verifies passwords.
#[derive(Clone, Debug)]
pub struct PasswordHasher {
    argon: Argon2<'static>,
    /// A hash of a random password, verified against when the account does not exist so that a
    /// wrong username costs as long as a wrong password (no account enumeration by timing).
    dummy: String,
}

impl PasswordHasher {
    /// A hasher with these parameters; refuses parameters argon2 does not accept.
    pub fn new(p: PasswordParams) -> Result<Self, String> {
        let params = Params::new(p.memory_kib, p.iterations, p.parallelism, None)
            .map_err(|e| format!("argon2 parameters: {e}"))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut h = Self {
            argon,
            dummy: String::new(),
        };
        let random: [u8; 16] = rand::random();
        h.dummy = h.hash(
            &random
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
        )?;
        Ok(h)
    }

    /// The PHC string of `password` under a fresh random salt.
    pub fn hash(&self, password: &str) -> Result<String, String> {
        let salt = SaltString::generate(&mut OsRng);
        argon2::PasswordHasher::hash_password(&self.argon, password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| format!("argon2: {e}"))
    }

    /// Whether `password` matches `phc` (constant-time comparison inside argon2). With `None`,
    /// does the same work against a dummy hash and returns false.
    pub fn verify(&self, password: &str, phc: Option<&str>) -> bool {
        let target = phc.unwrap_or(&self.dummy);
        let Ok(parsed) = PasswordHash::new(target) else {
            return false;
        };
        let ok = self
            .argon
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        ok && phc.is_some()
    }
}
