//! Subjects and bodies of private messages.

pub const SUBJECT_MAX: usize = 200;
pub const BODY_MAX: usize = 10_000;

/// 1–200 characters, on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject(String);

impl Subject {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("Enter a subject.".into());
        }
        if s.chars().count() > SUBJECT_MAX {
            return Err(format!("A subject has at most {SUBJECT_MAX} characters."));
        }
        if s.chars().any(super::text::unusable_in_line) {
            return Err("The subject contains characters that cannot be used.".into());
        }
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 1–10,000 characters of plain text; line breaks are kept (the page shows
/// them with CSS, never as HTML).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    pub fn parse(raw: &str) -> Result<Self, String> {
        // Browsers send CRLF from a textarea; store one kind of line break.
        let s = raw.replace("\r\n", "\n");
        let s = s.trim();
        if s.is_empty() {
            return Err("Write a message.".into());
        }
        if s.chars().count() > BODY_MAX {
            return Err(format!("A message has at most {BODY_MAX} characters."));
        }
        // Bidi overrides too: they would show the text in another order
        // than it was written (`text::unusable_in_text`).
        if s.chars().any(super::text::unusable_in_text) {
            return Err("The message contains characters that cannot be used.".into());
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
    fn subject_limits() {
        assert!(Subject::parse("  ").is_err());
        assert_eq!(Subject::parse(" Hi ").unwrap().as_str(), "Hi");
        assert!(Subject::parse(&"x".repeat(200)).is_ok());
        assert!(Subject::parse(&"x".repeat(201)).is_err());
        assert!(Subject::parse("a\nb").is_err());
    }

    #[test]
    fn body_limits_and_line_breaks() {
        assert!(MessageBody::parse("\r\n ").is_err());
        assert_eq!(MessageBody::parse("a\r\nb").unwrap().as_str(), "a\nb");
        assert!(MessageBody::parse(&"é".repeat(10_000)).is_ok());
        assert!(MessageBody::parse(&"x".repeat(10_001)).is_err());
        assert!(MessageBody::parse("bell\u{7}").is_err());
        // Found by the fuzz test: a right-to-left override was stored.
        assert!(MessageBody::parse("see invoice\u{202E}fdp.exe").is_err());
        assert!(MessageBody::parse("tab\tand \u{200F}mark").is_ok());
    }
}
