//! The invite form's "Send to" field: usernames and e-mail addresses separated
//! by commas, semicolons, spaces or new lines.

use super::{EmailAddress, Username};

/// Most entries one invite request may carry.
pub const MAX_RECIPIENTS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Username(Username),
    Email(EmailAddress),
    /// Neither a valid username nor a valid address; kept to report it.
    Invalid(String),
}

impl Recipient {
    /// What the entry is keyed on for de-duplication.
    pub fn key(&self) -> String {
        match self {
            Recipient::Username(u) => format!("u:{}", u.key()),
            Recipient::Email(e) => format!("e:{}", e.key()),
            Recipient::Invalid(s) => format!("x:{s}"),
        }
    }

    /// One entry: an address when it holds an `@`, else a username.
    pub fn parse(entry: &str) -> Self {
        if entry.contains('@') {
            match EmailAddress::parse(entry) {
                Ok(e) => Recipient::Email(e),
                Err(_) => Recipient::Invalid(entry.to_string()),
            }
        } else {
            match Username::parse(entry.trim_start_matches('@')) {
                Ok(u) => Recipient::Username(u),
                Err(_) => Recipient::Invalid(entry.to_string()),
            }
        }
    }

    /// The entry as the user typed it (normalised).
    pub fn label(&self) -> &str {
        match self {
            Recipient::Username(u) => u.as_str(),
            Recipient::Email(e) => e.as_str(),
            Recipient::Invalid(s) => s,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum RecipientsError {
    Empty,
    TooMany(usize),
}

impl RecipientsError {
    pub fn message(&self) -> String {
        match self {
            Self::Empty => "Enter at least one username or e-mail address.".into(),
            Self::TooMany(n) => {
                format!("You entered {n} recipients; send to at most {MAX_RECIPIENTS} at once.")
            }
        }
    }
}

/// Splits, classifies and de-duplicates the field, keeping the first order.
pub fn parse_recipients(raw: &str) -> Result<Vec<Recipient>, RecipientsError> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for entry in raw
        .split([',', ';', ' ', '\t', '\r', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let r = Recipient::parse(entry);
        if seen.insert(r.key()) {
            out.push(r);
        }
    }
    match out.len() {
        0 => Err(RecipientsError::Empty),
        n if n > MAX_RECIPIENTS => Err(RecipientsError::TooMany(n)),
        _ => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_classifies_and_dedupes() {
        let r = parse_recipients(
            "dave@Example.com; erin@example.com, bob\n  BOB dave@example.COM not@valid@x",
        )
        .unwrap();
        let labels: Vec<&str> = r.iter().map(Recipient::label).collect();
        assert_eq!(
            labels,
            ["dave@example.com", "erin@example.com", "bob", "not@valid@x"]
        );
        assert!(matches!(r[2], Recipient::Username(_)));
        assert!(matches!(r[3], Recipient::Invalid(_)));
    }

    #[test]
    fn refuses_empty_and_too_many() {
        assert_eq!(parse_recipients(" ,; \n"), Err(RecipientsError::Empty));
        let many: String = (0..501).map(|i| format!("user{i} ")).collect();
        assert_eq!(parse_recipients(&many), Err(RecipientsError::TooMany(501)));
        let ok: String = (0..500).map(|i| format!("user{i},")).collect();
        assert_eq!(parse_recipients(&ok).unwrap().len(), 500);
    }
}
