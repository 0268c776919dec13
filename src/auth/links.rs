//! Invitation link tokens. A token is HMAC-SHA256(server key, nonce): the
//! nonce (256 random bits) and the token's SHA-256 are stored, so the server
//! can show a link again ("Copy invitation link") while the database alone
//! cannot rebuild one. A new nonce retires every earlier link.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The HMAC already keyed: each token clones it, so the key's two blocks
/// are hashed once, not once per link shown.
#[derive(Clone)]
pub struct LinkKey(Hmac<Sha256>);

impl LinkKey {
    /// Derived from the cookie key's master bytes, under its own label.
    pub fn derive(master: &[u8]) -> Self {
        let mut mac = Hmac::<Sha256>::new_from_slice(master).expect("HMAC takes any key length");
        mac.update(b"guildhall invitation links v1");
        let key = mac.finalize().into_bytes();
        Self(Hmac::<Sha256>::new_from_slice(&key).expect("32-byte key"))
    }

    /// The link token for `nonce`.
    pub fn token(&self, nonce: &str) -> String {
        let mut mac = self.0.clone();
        mac.update(nonce.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// A fresh nonce and the (token, stored hash) it gives.
    pub fn fresh(&self) -> (String, String, String) {
        let nonce = super::tokens::random();
        let token = self.token(&nonce);
        let hash = super::tokens::hash(&token);
        (nonce, token, hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_depend_on_key_and_nonce() {
        let k1 = LinkKey::derive(&[1; 64]);
        let k2 = LinkKey::derive(&[2; 64]);
        let (nonce, token, hash) = k1.fresh();
        assert_eq!(k1.token(&nonce), token, "the server can show it again");
        assert_ne!(k2.token(&nonce), token, "another key gives another link");
        assert!(super::super::tokens::looks_valid(&token));
        assert_eq!(super::super::tokens::hash(&token), hash);
        let (nonce2, token2, _) = k1.fresh();
        assert_ne!((nonce, token), (nonce2, token2));
    }
}
