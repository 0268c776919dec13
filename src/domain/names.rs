/// A first or last name: 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str, what: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(format!("Enter your {what}."));
        }
        if s.chars().count() > 100 {
            return Err(format!("A {what} has at most 100 characters."));
        }
        if s.chars().any(super::text::unusable_in_line) {
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
