/// 3–32 characters: letters, digits, `_`, `.`, `-`, starting with a letter or
/// digit. Unique case-insensitively through `key()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("Enter a username.".into());
        }
        let len = s.chars().count();
        if !(3..=32).contains(&len) {
            return Err("A username has 3 to 32 characters.".into());
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err("Use only letters, digits, '_', '.' and '-' in a username.".into());
        }
        if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err("A username starts with a letter or a digit.".into());
        }
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The case-folded form that the unique index holds.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_folds_case() {
        let u = Username::parse("  Alice_1 ").unwrap();
        assert_eq!(u.as_str(), "Alice_1");
        assert_eq!(u.key(), "alice_1");
    }

    #[test]
    fn refuses_bad_names() {
        for bad in [
            "",
            "ab",
            "a b",
            "_x_",
            "<script>",
            &"x".repeat(33),
            "bob@example",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
