//! What a role allows. Every check in the app asks for a `Permission`, never
//! for a role name, so custom roles work everywhere built-in ones do.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ManageMember,
    ManageGroup,
    ViewMembers,
    PostMessages,
    ViewCases,
}

impl Permission {
    pub const ALL: [Permission; 5] = [
        Self::ManageMember,
        Self::ManageGroup,
        Self::ViewMembers,
        Self::PostMessages,
        Self::ViewCases,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ManageMember => "manage_member",
            Self::ManageGroup => "manage_group",
            Self::ViewMembers => "view_members",
            Self::PostMessages => "post_messages",
            Self::ViewCases => "view_cases",
        }
    }
    /// What the permission lets a member do, as the roles page shows it.
    pub fn label(self) -> &'static str {
        match self {
            Self::ManageMember => "Invite and manage members",
            Self::ManageGroup => "Manage settings, roles and managed communities",
            Self::ViewMembers => "View members",
            Self::PostMessages => "Post messages",
            Self::ViewCases => "View cases",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }
    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of permissions, as stored in `roles.permissions` (comma-separated).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Permissions(u8);

impl Permissions {
    /// Parses the column. Unknown names are ignored: a row written by a newer
    /// release must not make this one fail, and what this code does not know
    /// it cannot grant.
    pub fn parse(column: &str) -> Self {
        Self(
            column
                .split(',')
                .filter_map(Permission::parse)
                .fold(0, |acc, p| acc | p.bit()),
        )
    }
    pub fn none() -> Self {
        Self(0)
    }
    pub fn union(self, other: Permissions) -> Self {
        Self(self.0 | other.0)
    }
    pub fn has(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }
    /// True when every permission of `other` is also in `self`: nobody hands
    /// out (or takes away) more than they hold.
    pub fn covers(self, other: Permissions) -> bool {
        other.0 & !self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL.into_iter().filter(move |p| self.has(*p))
    }
    pub fn to_column(self) -> String {
        self.iter()
            .map(Permission::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl FromIterator<Permission> for Permissions {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        Self(iter.into_iter().fold(0, |acc, p| acc | p.bit()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_compares() {
        let admin =
            Permissions::parse("manage_member,manage_group,view_members,post_messages,view_cases");
        let member = Permissions::parse("view_members, post_messages,unknown");
        assert!(admin.has(Permission::ManageMember));
        assert!(!member.has(Permission::ManageMember));
        assert!(member.has(Permission::PostMessages));
        assert!(admin.covers(member));
        assert!(!member.covers(admin));
        assert!(member.covers(Permissions::none()));
        assert_eq!(member.to_column(), "view_members,post_messages");
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
        }
    }
}
