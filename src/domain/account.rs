//! Company accounts: their kind and name, and support case fields.

/// What a company account is to the site's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    /// A customer: its people meet in client groups.
    Client,
    /// A partner (reseller, MSSP…): its people meet in partner groups.
    Partner,
    /// The site owner's own staff: they serve clients and partners alike.
    Internal,
}

impl AccountKind {
    pub const ALL: [AccountKind; 3] = [Self::Client, Self::Partner, Self::Internal];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Partner => "partner",
            Self::Internal => "internal",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Client => "Client",
            Self::Partner => "Partner",
            Self::Internal => "Internal",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "client" => Ok(Self::Client),
            "partner" => Ok(Self::Partner),
            "internal" => Ok(Self::Internal),
            _ => Err("Choose the kind of account.".into()),
        }
    }
}

/// An account's name: 2–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountName(String);

impl AccountName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("Enter a name.".into());
        }
        if !(2..=100).contains(&s.chars().count()) {
            return Err("An account name has 2 to 100 characters.".into());
        }
        if s.chars().any(super::text::unusable_in_line) {
            return Err("The name contains characters that cannot be used.".into());
        }
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Unique per site: "Acme" and "ACME" are one account.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A checked piece of text between `min` and `max` characters (case titles,
/// descriptions and comments). Line breaks are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundedText(String);

impl BoundedText {
    pub fn parse(raw: &str, what: &str, min: usize, max: usize) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(format!("Enter a {what}."));
        }
        let n = s.chars().count();
        if n < min || n > max {
            return Err(format!("A {what} has {min} to {max} characters."));
        }
        if s.chars().any(super::text::unusable_in_text) {
            return Err(format!(
                "The {what} contains characters that cannot be used."
            ));
        }
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_names() {
        for k in AccountKind::ALL {
            assert_eq!(AccountKind::parse(k.as_str()), Ok(k));
        }
        assert!(AccountKind::parse("vendor").is_err());
        assert_eq!(AccountName::parse("  Acme ").unwrap().key(), "acme");
        assert!(AccountName::parse("A").is_err());
        assert!(AccountName::parse("A\u{7}cme").is_err());
        assert!(BoundedText::parse(" ", "title", 3, 10).is_err());
        assert!(BoundedText::parse("ab", "title", 3, 10).is_err());
        assert!(BoundedText::parse("line\nbreak", "body", 1, 20).is_ok());
    }
}
