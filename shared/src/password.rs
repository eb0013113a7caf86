//! argon2id with the OWASP parameters (the crate's defaults: m=19 MiB, t=2, p=1),
//! always on a blocking thread.

use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};

use crate::error::Result;
use crate::users::{Password, PasswordHash};

/// The hash of a random, forgotten password with the same parameters as every real hash:
/// verifying against it costs what verifying a real account costs.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$MHoHVan9lMDgm90zqrcBqA$l0pvlQWgQyuNcWH5JUQ0Rnl7vrhJoIN/lmfs3NzyUBs";

pub async fn hash(password: Password) -> Result<PasswordHash> {
    let phc = tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    })
    .await
    .context("password hashing task")??;
    Ok(PasswordHash::new(phc))
}

/// Verifies `candidate` against `hash`, or against a dummy hash when there is no account,
/// so that both cases take the same time. Returns whether it matched a real hash.
pub async fn verify(candidate: Password, hash: Option<PasswordHash>) -> Result<bool> {
    let matched = tokio::task::spawn_blocking(move || {
        let phc = hash.as_ref().map_or(DUMMY_HASH, PasswordHash::as_str);
        let parsed = argon2::PasswordHash::new(phc).map_err(|e| anyhow::anyhow!("stored hash is malformed: {e}"))?;
        let matched = Argon2::default().verify_password(candidate.expose().as_bytes(), &parsed).is_ok();
        anyhow::Ok(matched && hash.is_some())
    })
    .await
    .context("password verification task")??;
    Ok(matched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hash = hash(Password::parse("correct horse").unwrap()).await.unwrap();
        assert!(hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "OWASP parameters");
        assert!(verify(Password::candidate("correct horse").unwrap(), Some(hash.clone())).await.unwrap());
        assert!(!verify(Password::candidate("correct horsE").unwrap(), Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn no_account_never_matches_even_the_dummy_password() {
        assert!(!verify(Password::candidate("anything at all").unwrap(), None).await.unwrap());
    }

    #[test]
    fn the_dummy_hash_uses_the_real_parameters() {
        assert!(DUMMY_HASH.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        argon2::PasswordHash::new(DUMMY_HASH).expect("dummy hash parses");
    }
}
