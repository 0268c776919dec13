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

/// The key a members list sorts by: the full name lower-cased, with each
/// run of digits written as its length (two digits) and then its digits
/// without leading zeros, so that comparing keys byte by byte puts
/// "User 2" before "User 10" and "anna" beside "Anna". Both databases
/// compare the column byte by byte (PostgreSQL: `COLLATE "C"`).
pub fn sort_key(first: &str, last: &str) -> String {
    let name = name_key(first, last);
    let mut out = String::with_capacity(name.len() + 8);
    let mut digits = String::new();
    for c in name.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        push_number(&mut out, &digits);
        digits.clear();
        out.push(c);
    }
    push_number(&mut out, &digits);
    out
}

/// Appends a run of digits as `<length><digits>`: "007" → "017", "10" → "0210".
/// Runs beyond 99 digits are cut (nobody's name holds such a number).
fn push_number(out: &mut String, digits: &str) {
    if digits.is_empty() {
        return;
    }
    let trimmed = digits.trim_start_matches('0');
    let n = if trimmed.is_empty() { "0" } else { trimmed };
    let n = &n[..n.len().min(99)];
    out.push_str(&format!("{:02}", n.len()));
    out.push_str(n);
}

/// The full name as the members search matches it: lower-cased, one space
/// between the names.
pub fn name_key(first: &str, last: &str) -> String {
    format!("{} {}", first.trim(), last.trim())
        .trim()
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut v: Vec<&str> = names.to_vec();
        v.sort_by_key(|n| sort_key(n, ""));
        v.into_iter().map(String::from).collect()
    }

    #[test]
    fn numbers_sort_by_value_and_case_is_ignored() {
        assert_eq!(
            sorted(&["User 100", "user 10", "User 2", "User 1", "USER 20"]),
            ["User 1", "User 2", "user 10", "USER 20", "User 100"]
        );
        assert_eq!(sorted(&["b", "A", "a2", "a10"]), ["A", "a2", "a10", "b"]);
        // A shorter name comes before the longer one it starts.
        assert_eq!(sorted(&["Ann Lee", "Ann"]), ["Ann", "Ann Lee"]);
    }

    #[test]
    fn leading_zeros_do_not_change_the_value() {
        assert_eq!(sort_key("User", "007"), sort_key("user", "7"));
        assert_eq!(sort_key("R2", "D2"), "r012 d012");
        assert_eq!(sort_key("Zero", "0"), "zero 010");
    }
}
