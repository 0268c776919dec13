/// A new password: 10–256 characters. Only its hash is ever stored.
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub const MIN: usize = 10;

    pub fn parse(raw: &str, username: Option<&str>) -> Result<Self, String> {
        let len = raw.chars().count();
        if len < Self::MIN {
            return Err(format!("A password has at least {} characters.", Self::MIN));
        }
        if len > 256 {
            return Err("A password has at most 256 characters.".into());
        }
        if username.is_some_and(|u| u.eq_ignore_ascii_case(raw)) {
            return Err("The password cannot be your username.".into());
        }
        Ok(Self(raw.to_string()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}
