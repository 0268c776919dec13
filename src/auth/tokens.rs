//! Link tokens (e-mail verification, invitations): 256 bits from the OS RNG,
//! sent once and stored only as a SHA-256 hash.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRng;
use rand::rngs::SysRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A fresh token and the hash to store for it.
pub fn generate() -> (String, String) {
    let token = random();
    let hash = hash(&token);
    (token, hash)
}

/// 256 random bits, URL-safe: a token, or a nonce that is never looked up
/// by its hash.
pub fn random() -> String {
    let mut bytes = [0u8; 32];
    SysRng
        .try_fill_bytes(&mut bytes)
        .expect("the OS random number generator failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 of `token` in lowercase hex. Hashed for every logged-in
/// request (the session key) and in the SQLite writer for each invitation
/// link, so written without an allocation per byte.
pub fn hash(token: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(token.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

/// Constant-time comparison of two secrets of equal kind.
pub fn equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Shape check before any database work: a token is 43 URL-safe base64 characters.
pub fn looks_valid(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_sha256_in_lowercase_hex() {
        // FIPS 180-2's example for "abc".
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn tokens_are_unique_and_hashed() {
        let (t1, h1) = generate();
        let (t2, _) = generate();
        assert_ne!(t1, t2);
        assert!(looks_valid(&t1));
        assert_eq!(h1, hash(&t1));
        assert!(!h1.contains(&t1));
        assert!(equal(&h1, &hash(&t1)));
        assert!(!equal(&h1, &hash(&t2)));
    }
}
