//! Secrets for single-use links (a password reset's): 256 random bits from the system's
//! generator, base64url, and the SHA-256 of a secret (hex) as what is stored in its place.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::ports::Secrets;
use domain::{Error, Result};

#[derive(Debug, Clone, Copy, Default)]
pub struct RandomSecrets;

impl Secrets for RandomSecrets {
    fn mint(&self) -> Result<String> {
        let mut bytes = [0u8; 32];
        SystemRandom::new().fill(&mut bytes).map_err(|_| Error::Internal(anyhow::anyhow!("no random bytes")))?;
        Ok(URL_SAFE_NO_PAD.encode(bytes))
    }

    fn hash(&self, secret: &str) -> String {
        digest(&SHA256, secret.as_bytes()).as_ref().iter().map(|byte| format!("{byte:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_new_each_time_url_safe_and_hashed_as_sha256() {
        let (first, second) = (RandomSecrets.mint().unwrap(), RandomSecrets.mint().unwrap());
        assert_ne!(first, second);
        assert_eq!(first.len(), 43, "256 bits in base64url");
        assert!(first.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{first}");
        assert_eq!(RandomSecrets.hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(!RandomSecrets.hash(&first).contains(&first));
    }
}
