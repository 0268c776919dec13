//! A group's checked fields: its address (slug), name, description, join
//! method and audience.

/// A group's address: 2–64 characters of `a-z`, `0-9` and `-`, neither
/// starting nor ending with `-`. Typed capitals are folded, so the address
/// people see is the one that is unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim().to_ascii_lowercase();
        if s.is_empty() {
            return Err("Enter an address.".into());
        }
        if !(2..=64).contains(&s.len()) {
            return Err("An address has 2 to 64 characters.".into());
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err("Use only letters a–z, digits and '-' in an address.".into());
        }
        if s.starts_with('-') || s.ends_with('-') {
            return Err("An address neither starts nor ends with '-'.".into());
        }
        // These words are pages under /groups/.
        if s == "new" {
            return Err("This address is taken.".into());
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address a name suggests: "Night Shift Crew" → "night-shift-crew"
    /// (accents and other characters become '-', runs of them one, at most
    /// 64). Used when the Address field is left empty; may still not parse
    /// (a name of one letter), which the form then says.
    pub fn suggest(name: &str) -> String {
        let mut out = String::new();
        for c in name.trim().chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        out.truncate(64);
        out.trim_end_matches('-').to_string()
    }
}

/// 2–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupName(String);

impl GroupName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("Enter a name.".into());
        }
        let n = s.chars().count();
        if !(2..=100).contains(&n) {
            return Err("A group name has 2 to 100 characters.".into());
        }
        if s.chars().any(super::text::unusable_in_line) {
            return Err("The name contains characters that cannot be used.".into());
        }
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The lower-cased form the directory sorts and searches on.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// At most 2,000 characters; may be empty. Line breaks are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription(String);

impl GroupDescription {
    pub const MAX: usize = 2000;
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.chars().count() > Self::MAX {
            return Err(format!(
                "A description has at most {} characters.",
                Self::MAX
            ));
        }
        if s.chars().any(super::text::unusable_in_text) {
            return Err("The description contains characters that cannot be used.".into());
        }
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How people get into a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinMethod {
    /// Anyone who can see it joins with one click.
    Open,
    /// People ask; a holder of `manage_member` approves or refuses.
    Request,
    /// By invitation only; invisible to non-members.
    InviteOnly,
}

impl JoinMethod {
    pub const ALL: [JoinMethod; 3] = [Self::Open, Self::Request, Self::InviteOnly];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Request => "request",
            Self::InviteOnly => "invite_only",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "Open: anyone can join",
            Self::Request => "On request: an admin approves",
            Self::InviteOnly => "Invitation only: hidden from non-members",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "open" => Ok(Self::Open),
            "request" => Ok(Self::Request),
            "invite_only" => Ok(Self::InviteOnly),
            _ => Err("Choose how people join.".into()),
        }
    }
}

/// Who a group is for; invitations refuse partners in client groups and
/// clients in partner groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Client,
    Partner,
    Internal,
}

impl Audience {
    pub const ALL: [Audience; 3] = [Self::Client, Self::Partner, Self::Internal];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Partner => "partner",
            Self::Internal => "internal",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Client => "Clients",
            Self::Partner => "Partners",
            Self::Internal => "Internal",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "client" => Ok(Self::Client),
            "partner" => Ok(Self::Partner),
            "internal" => Ok(Self::Internal),
            _ => Err("Choose who the group is for.".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(Slug::parse(" Rust-Users ").unwrap().as_str(), "rust-users");
        for bad in [
            "",
            "a",
            "-ab",
            "ab-",
            "a b",
            "über",
            "a_b",
            "new",
            &"x".repeat(65),
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Slug::parse(&"x".repeat(64)).is_ok());
    }

    #[test]
    fn enums_round_trip() {
        for m in JoinMethod::ALL {
            assert_eq!(JoinMethod::parse(m.as_str()), Ok(m));
        }
        for a in Audience::ALL {
            assert_eq!(Audience::parse(a.as_str()), Ok(a));
        }
        assert!(JoinMethod::parse("closed").is_err());
    }
}

#[cfg(test)]
mod suggest_tests {
    use super::Slug;

    #[test]
    fn a_name_suggests_its_address() {
        assert_eq!(Slug::suggest("Night Shift Crew"), "night-shift-crew");
        assert_eq!(Slug::suggest("  Café & Co. 2026 "), "caf-co-2026");
        assert_eq!(Slug::suggest("---"), "");
        assert!(Slug::suggest(&"ab ".repeat(40)).len() <= 64);
        assert_eq!(
            Slug::suggest(&"abc-".repeat(20)).len(),
            63,
            "no trailing dash"
        );
        assert!(Slug::parse(&Slug::suggest(&"ab ".repeat(40))).is_ok());
    }
}
