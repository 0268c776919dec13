//! A community's invitation rules as values: the domain lists, who may
//! invite, and which rule an address breaks. Pure: the rules of each level
//! come from the database (`models::invitation_policy`), the decision from
//! here and `policy::may_invite_address`.

use std::collections::HashSet;

/// Who may send invitations in a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhoMayInvite {
    /// Anyone whose role has `manage_member` (the default).
    #[default]
    Managers,
    /// Only those who also have `manage_group`.
    Admins,
    /// Anyone with `manage_member`, and every other member through
    /// suggestions (which those who manage members approve).
    Members,
}

impl WhoMayInvite {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Managers => "managers",
            Self::Admins => "admins",
            Self::Members => "members",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "managers" => Some(Self::Managers),
            "admins" => Some(Self::Admins),
            "members" => Some(Self::Members),
            _ => None,
        }
    }
}

/// Domains as an admin types them (one per line, or separated by commas,
/// semicolons or spaces; `@example.com` and `*.example.com` are read as
/// `example.com`), checked and lower-cased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomainList(Vec<String>);

impl DomainList {
    /// Entries in one list.
    pub const MAX: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut out: Vec<String> = Vec::new();
        for part in raw.split(|c: char| c.is_whitespace() || c == ',' || c == ';') {
            if part.is_empty() {
                continue;
            }
            let d = part.trim_start_matches('@').trim_start_matches("*.");
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if !is_domain(&d) {
                let shown: String = part.chars().take(60).collect();
                return Err(format!("“{shown}” is not a domain (like example.com)."));
            }
            if !out.contains(&d) {
                out.push(d);
            }
            if out.len() > Self::MAX {
                return Err(format!("At most {} domains.", Self::MAX));
            }
        }
        Ok(Self(out))
    }

    /// As kept in the database (one per line).
    pub fn stored(&self) -> String {
        self.0.join("\n")
    }

    /// Read back from the database (checked when saved).
    pub fn from_stored(s: &str) -> Self {
        Self(
            s.lines()
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// "a.com, b.org or c.net", for the sentences that name them.
    pub fn spoken(&self) -> String {
        match self.0.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
        }
    }
}

/// A host name of at least two labels, each 1–63 of `a-z0-9-` not starting
/// or ending with `-`.
fn is_domain(d: &str) -> bool {
    d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// One community's own rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    pub allowed: DomainList,
    pub blocked: DomainList,
    /// A listed domain covers its subdomains too.
    pub include_subdomains: bool,
    pub block_disposable: bool,
    pub who: WhoMayInvite,
    pub off: bool,
}

/// The rule an invitation breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broken {
    InvitationsOff,
    /// Only those who also manage the community may invite.
    AdminsOnly,
    /// Not at one of these domains.
    NotAllowed(DomainList),
    Blocked(String),
    Disposable,
}

/// What a managed community's rules would widen of a community above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Widening {
    /// Allows a domain the rules above do not.
    Domain(String),
    /// Covers subdomains where the rules above allow only the domains.
    Subdomains,
    /// Lets managers invite (or members suggest) where only admins may above.
    WhoMayInvite,
}

impl Rules {
    /// `domain` is `entry` or, with `include_subdomains`, below it.
    fn covers(&self, entry: &str, domain: &str) -> bool {
        domain == entry
            || (self.include_subdomains
                && domain.len() > entry.len()
                && domain.ends_with(entry)
                && domain.as_bytes()[domain.len() - entry.len() - 1] == b'.')
    }

    /// The first rule of this level an address at `domain` breaks.
    pub fn breaks(&self, domain: &str, disposable: &Disposable) -> Option<Broken> {
        let domain = domain.to_ascii_lowercase();
        if self.off {
            return Some(Broken::InvitationsOff);
        }
        if let Some(b) = self.blocked.iter().find(|b| self.covers(b, &domain)) {
            return Some(Broken::Blocked(b.to_string()));
        }
        if !self.allowed.is_empty() && !self.allowed.iter().any(|a| self.covers(a, &domain)) {
            return Some(Broken::NotAllowed(self.allowed.clone()));
        }
        if self.block_disposable && disposable.contains(&domain) {
            return Some(Broken::Disposable);
        }
        None
    }

    /// What these rules (a managed community's) would widen of `above`.
    pub fn widens(&self, above: &Rules) -> Option<Widening> {
        if above.who == WhoMayInvite::Admins && self.who != WhoMayInvite::Admins {
            return Some(Widening::WhoMayInvite);
        }
        if above.allowed.is_empty() {
            return None;
        }
        if let Some(d) = self
            .allowed
            .iter()
            .find(|d| !above.allowed.iter().any(|a| above.covers(a, d)))
        {
            return Some(Widening::Domain(d.to_string()));
        }
        if self.include_subdomains && !above.include_subdomains && !self.allowed.is_empty() {
            return Some(Widening::Subdomains);
        }
        None
    }
}

/// The disposable-address domains: the list shipped with the app, or the
/// file `GUILDHALL_DISPOSABLE_DOMAINS` names (one domain per line, `#`
/// comments).
#[derive(Debug, Clone, Default)]
pub struct Disposable(HashSet<String>);

impl Disposable {
    pub const SHIPPED: &'static str = include_str!("disposable_domains.txt");

    pub fn from_text(text: &str) -> Self {
        Self(
            text.lines()
                .map(|l| {
                    l.split('#')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase()
                })
                .filter(|l| !l.is_empty())
                .collect(),
        )
    }

    /// `domain` or a domain above it is on the list.
    pub fn contains(&self, domain: &str) -> bool {
        let mut d = domain;
        loop {
            if self.0.contains(d) {
                return true;
            }
            match d.split_once('.') {
                Some((_, rest)) if rest.contains('.') => d = rest,
                _ => return false,
            }
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The domain of an address (after its last `@`), lower case.
pub fn domain_of(address: &str) -> String {
    address
        .rsplit_once('@')
        .map_or(address, |(_, d)| d)
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(allowed: &str, subs: bool) -> Rules {
        Rules {
            allowed: DomainList::parse(allowed).unwrap(),
            include_subdomains: subs,
            ..Rules::default()
        }
    }

    #[test]
    fn domain_lists_read_what_people_type_and_refuse_the_rest() {
        let l = DomainList::parse("Example.com, @eng.example.com\n*.b.org;example.com").unwrap();
        assert_eq!(l.stored(), "example.com\neng.example.com\nb.org");
        assert_eq!(DomainList::from_stored(&l.stored()), l);
        for bad in [
            "localhost",
            "a..b",
            "-a.com",
            "a_b.com",
            "a\u{0}b.com",
            "ex@mple.com",
        ] {
            assert!(DomainList::parse(bad).is_err(), "{bad:?} accepted");
        }
        let many: Vec<String> = (0..=DomainList::MAX).map(|i| format!("d{i}.com")).collect();
        assert!(DomainList::parse(&many.join(" ")).is_err());
    }

    #[test]
    fn an_address_breaks_the_first_rule_it_meets() {
        let none = Disposable::default();
        let r = rules("example.com", false);
        assert_eq!(r.breaks("example.com", &none), None);
        assert!(matches!(
            r.breaks("eng.example.com", &none),
            Some(Broken::NotAllowed(_))
        ));
        assert!(matches!(
            r.breaks("badexample.com", &none),
            Some(Broken::NotAllowed(_))
        ));
        let subs = rules("example.com", true);
        assert_eq!(subs.breaks("Eng.Example.com", &none), None);
        assert!(matches!(
            subs.breaks("badexample.com", &none),
            Some(Broken::NotAllowed(_))
        ));
        let blocked = Rules {
            blocked: DomainList::parse("spam.com").unwrap(),
            ..Rules::default()
        };
        assert_eq!(
            blocked.breaks("spam.com", &none),
            Some(Broken::Blocked("spam.com".into()))
        );
        assert_eq!(blocked.breaks("ok.com", &none), None);
        let list = Disposable::from_text("# shipped\nmailinator.com\n");
        let disp = Rules {
            block_disposable: true,
            ..Rules::default()
        };
        assert_eq!(
            disp.breaks("eu.mailinator.com", &list),
            Some(Broken::Disposable)
        );
        assert_eq!(disp.breaks("example.com", &list), None);
        let off = Rules {
            off: true,
            ..Rules::default()
        };
        assert_eq!(
            off.breaks("example.com", &none),
            Some(Broken::InvitationsOff)
        );
    }

    #[test]
    fn a_managed_community_may_narrow_but_not_widen() {
        let above = rules("example.com", true);
        assert_eq!(rules("eng.example.com", false).widens(&above), None);
        assert_eq!(rules("", false).widens(&above), None);
        assert_eq!(
            rules("other.org", false).widens(&above),
            Some(Widening::Domain("other.org".into()))
        );
        let exact = rules("example.com", false);
        assert_eq!(
            rules("eng.example.com", false).widens(&exact),
            Some(Widening::Domain("eng.example.com".into()))
        );
        assert_eq!(
            rules("example.com", true).widens(&exact),
            Some(Widening::Subdomains)
        );
        let admins = Rules {
            who: WhoMayInvite::Admins,
            ..Rules::default()
        };
        assert_eq!(
            Rules::default().widens(&admins),
            Some(Widening::WhoMayInvite)
        );
        assert_eq!(admins.widens(&Rules::default()), None);
        // Members suggest: more than "Admins only" above allows, but
        // suggestions do not widen who invites under the default.
        let members = Rules {
            who: WhoMayInvite::Members,
            ..Rules::default()
        };
        assert_eq!(members.widens(&admins), Some(Widening::WhoMayInvite));
        assert_eq!(members.widens(&Rules::default()), None);
        assert_eq!(WhoMayInvite::parse("members"), Some(WhoMayInvite::Members));
    }

    #[test]
    fn the_shipped_disposable_list_reads() {
        let l = Disposable::from_text(Disposable::SHIPPED);
        assert!(l.len() > 20);
        assert!(l.contains("mailinator.com"));
        assert!(!l.contains("example.com"));
    }
}
