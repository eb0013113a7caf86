//! argon2id with the OWASP parameters (the crate's defaults: m=19 MiB, t=2, p=1), always on
//! a blocking thread.

use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier, SaltString};
use domain::Result;
use domain::entities::{Password, PasswordHash};
use domain::ports::PasswordHasher;

/// The hash of a random, forgotten password with the same parameters as every real hash:
/// verifying against it costs what verifying a real account costs.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$MHoHVan9lMDgm90zqrcBqA$l0pvlQWgQyuNcWH5JUQ0Rnl7vrhJoIN/lmfs3NzyUBs";

#[derive(Debug, Clone, Copy, Default)]
pub struct Argon2Passwords;

impl PasswordHasher for Argon2Passwords {
    async fn hash(&self, password: Password) -> Result<PasswordHash> {
        let phc = tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.expose().as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
        })
        .await
        .context("password hashing task")??;
        Ok(PasswordHash::from_phc(phc))
    }

    async fn verify(&self, candidate: Password, hash: Option<PasswordHash>) -> Result<bool> {
        let matched = tokio::task::spawn_blocking(move || {
            let phc = hash.as_ref().map_or(DUMMY_HASH, PasswordHash::as_phc);
            let parsed =
                argon2::PasswordHash::new(phc).map_err(|e| anyhow::anyhow!("stored hash is malformed: {e}"))?;
            let matched = Argon2::default().verify_password(candidate.expose().as_bytes(), &parsed).is_ok();
            anyhow::Ok(matched && hash.is_some())
        })
        .await
        .context("password verification task")??;
        Ok(matched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hash = Argon2Passwords.hash(Password::parse("correct horse").unwrap()).await.unwrap();
        assert!(hash.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "OWASP parameters");
        assert!(
            Argon2Passwords.verify(Password::candidate("correct horse").unwrap(), Some(hash.clone())).await.unwrap()
        );
        assert!(!Argon2Passwords.verify(Password::candidate("correct horsE").unwrap(), Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn no_account_never_matches_even_the_dummy_password() {
        assert!(!Argon2Passwords.verify(Password::candidate("anything at all").unwrap(), None).await.unwrap());
    }

    #[test]
    fn the_dummy_hash_uses_the_real_parameters() {
        assert!(DUMMY_HASH.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        argon2::PasswordHash::new(DUMMY_HASH).expect("dummy hash parses");
    }
}
