use validator::ValidateEmail;

/// An e-mail address: trimmed, domain lower-cased, at most 254 characters.
/// Unique case-insensitively through `key()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// The longest address (RFC 5321's path limit).
    pub const MAX: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("Enter an e-mail address.".into());
        }
        if s.len() > Self::MAX {
            // Not echoed: nothing over a limit goes back into the page.
            return Err(format!(
                "An e-mail address has at most {} characters.",
                Self::MAX
            ));
        }
        if s.chars().any(char::is_control) || !s.validate_email() {
            return Err(format!("{s:?} is not a valid e-mail address."));
        }
        let (local, domain) = s.rsplit_once('@').ok_or("Missing '@'.")?;
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_domain_and_key() {
        let e = EmailAddress::parse(" Dave.Smith@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "Dave.Smith@example.com");
        assert_eq!(e.key(), "dave.smith@example.com");
    }

    #[test]
    fn refuses_malformed_and_header_injection() {
        for bad in [
            "",
            "dave",
            "dave@",
            "@example.com",
            "a@b@c",
            "x@example.com\r\nBcc: e@evil.example",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
