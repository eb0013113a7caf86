//! Makes a session key pair for a deployment, and says where each half goes.
//!
//! `session-keys [KEY_ID] [PREVIOUS]`: KEY_ID names the new key (default: this month,
//! e.g. `2026-11`); PREVIOUS is the `kid=key` public key in use until now, kept so that
//! sessions it signed stay valid through a rotation.

use edge::auth::{SessionVerifier, generate_key_pair};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let key_id = args.next().unwrap_or_else(|| chrono::Utc::now().format("%Y-%m").to_string());
    if key_id.is_empty()
        || key_id.len() > 64
        || !key_id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        anyhow::bail!("a key id is 1 to 64 letters, digits, '.', '_' or '-': {key_id:?}");
    }
    let (private, public) = generate_key_pair();
    let mut public_keys = format!("{key_id}={public}");
    if let Some(previous) = args.next() {
        SessionVerifier::new(&previous)?;
        public_keys = format!("{public_keys},{previous}");
    }
    SessionVerifier::new(&public_keys)?;
    println!(
        "\
New session key {key_id}.

1. Add its private key to the signing-key secret (SessionKeySecretName, by default
   ticketing/session-keys), next to any key still there. The first time:

   aws secretsmanager create-secret --name ticketing/session-keys \\
       --secret-string '{{\"{key_id}\": \"{private}\"}}'

   Later, put-secret-value with the old and the new key in one JSON object.

2. Deploy with the new key signing and both keys verifying:

   sam deploy --parameter-overrides SessionKeyId={key_id} 'SessionPublicKeys={public_keys}'

Sessions last SessionTtlSeconds: after that long, the previous key can be dropped from
SessionPublicKeys and from the secret."
    );
    Ok(())
}
