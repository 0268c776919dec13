/// A telephone country calling code, stored as `+` and 1–4 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryCode(String);

impl CountryCode {
    /// Empty input means "none given".
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Ok(None);
        }
        let digits = s.strip_prefix('+').unwrap_or(s);
        if (1..=4).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
            Ok(Some(Self(format!("+{digits}"))))
        } else {
            Err("A country code is '+' and 1 to 4 digits, like +44.".into())
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number: 4–20 digits, optionally grouped with spaces, '-', '.', or brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Ok(None);
        }
        let digits = s.chars().filter(char::is_ascii_digit).count();
        let allowed = s
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'));
        if allowed && (4..=20).contains(&digits) {
            Ok(Some(Self(s.to_string())))
        } else {
            Err("A phone number has 4 to 20 digits (spaces, '-', '.' and brackets allowed).".into())
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes() {
        assert_eq!(
            CountryCode::parse_optional("44").unwrap().unwrap().as_str(),
            "+44"
        );
        assert!(CountryCode::parse_optional("").unwrap().is_none());
        assert!(CountryCode::parse_optional("+12345").is_err());
        assert!(CountryCode::parse_optional("DE").is_err());
    }

    #[test]
    fn phones() {
        assert!(
            PhoneNumber::parse_optional("(020) 7946-0958")
                .unwrap()
                .is_some()
        );
        assert!(PhoneNumber::parse_optional("12").is_err());
        assert!(PhoneNumber::parse_optional("call me").is_err());
    }
}
