//! argon2id with the crate defaults, which are OWASP's (19 MiB, t=2, p=1).

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use std::sync::OnceLock;

pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    Ok(Argon2::default()
        .hash_password(password.as_bytes())?
        .to_string())
}

/// Checks `password` against `stored`; with no stored hash (unknown user or
/// a contact without a login) it checks a dummy hash so both take the same time.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    match stored {
        Some(h) => Argon2::default()
            .verify_password(password.as_bytes(), h)
            .is_ok(),
        None => {
            let _ = Argon2::default().verify_password(password.as_bytes(), dummy_hash());
            false
        }
    }
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash(&super::tokens::generate().0).expect("hashing a dummy password"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        let h = super::hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(super::verify("correct horse battery", Some(&h)));
        assert!(!super::verify("wrong horse battery", Some(&h)));
        assert!(!super::verify("anything", None));
    }
}
