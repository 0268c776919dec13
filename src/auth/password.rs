//! argon2id with OWASP's 7 MiB / t=5 / p=1 setting, which OWASP rates as
//! strong as the crate's default 19 MiB / t=2: each login in progress holds
//! its memory, so the smaller one keeps the server's peak RSS 12 MiB lower
//! per concurrent login. Hashes made with other parameters (they are in the
//! hash) still verify.

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use std::sync::OnceLock;

fn argon2() -> Argon2<'static> {
    let params = Params::new(7 * 1024, 5, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    Ok(argon2().hash_password(password.as_bytes())?.to_string())
}

/// Checks `password` against `stored`; with no stored hash (unknown user or
/// a contact without a login) it checks a dummy hash so both take the same time.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    match stored {
        Some(h) => argon2().verify_password(password.as_bytes(), h).is_ok(),
        None => {
            let _ = argon2().verify_password(password.as_bytes(), dummy_hash());
            false
        }
    }
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash(&super::tokens::random()).expect("hashing a dummy password"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        let h = super::hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"));
        assert!(super::verify("correct horse battery", Some(&h)));
        // A hash made with the crate's default parameters still verifies.
        use argon2::PasswordHasher;
        let old = argon2::Argon2::default()
            .hash_password(b"correct horse battery")
            .unwrap()
            .to_string();
        assert!(old.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(super::verify("correct horse battery", Some(&old)));
        assert!(!super::verify("wrong horse battery", Some(&old)));
        assert!(!super::verify("wrong horse battery", Some(&h)));
        assert!(!super::verify("anything", None));
    }
}
