//! Webhooks, the pure parts: which events there are, which invitation
//! history entry is which event, what a delivery's body says (the shape
//! docs/API.md promises receivers), the signature a receiver checks, and
//! which addresses a hook may be sent to (SSRF).

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use time::PrimitiveDateTime;

/// Every event a hook may choose, with what it means.
pub const EVENTS: [(&str, &str); 8] = [
    ("invitation.created", "An invitation is sent"),
    ("invitation.accepted", "An invitation is accepted"),
    ("invitation.declined", "An invitation is declined"),
    ("invitation.expired", "An invitation expires unanswered"),
    (
        "invitation.cancelled",
        "An invitation is cancelled or revoked",
    ),
    ("membership.added", "Someone joins"),
    ("membership.removed", "A member leaves or is removed"),
    ("suggestion.approved", "A suggestion to invite is approved"),
];

/// The event "Send test event" sends; no hook chooses it.
pub const PING: &str = "ping";

pub fn is_event(name: &str) -> bool {
    EVENTS.iter().any(|(e, _)| *e == name)
}

/// The event an entry of an invitation's history is, if any (resends,
/// renewals and reminders are not events).
pub fn invitation_event(history_kind: &str) -> Option<&'static str> {
    Some(match history_kind {
        "sent" => "invitation.created",
        "accepted" => "invitation.accepted",
        "declined" => "invitation.declined",
        "expired" => "invitation.expired",
        "cancelled" | "revoked" => "invitation.cancelled",
        _ => return None,
    })
}

/// A delivery's body: what every event says (its name, when, where, who),
/// then the event's own fields.
#[derive(Debug, Serialize)]
pub struct Payload<'a> {
    pub event: &'a str,
    pub occurred_at: String,
    pub community: &'a Community,
    pub actor: Option<&'a Person>,
    #[serde(flatten)]
    pub subject: Subject,
}

impl<'a> Payload<'a> {
    pub fn new(
        event: &'a str,
        at: PrimitiveDateTime,
        community: &'a Community,
        actor: Option<&'a Person>,
        subject: Subject,
    ) -> Self {
        Self {
            event,
            occurred_at: super::rfc3339(at),
            community,
            actor,
            subject,
        }
    }

    /// The JSON sent (and kept, so a retry or a Redeliver sends the same bytes).
    pub fn body(&self) -> String {
        serde_json::to_string(self).expect("a payload is plain data")
    }
}

#[derive(Debug, Serialize)]
pub struct Community {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct Person {
    pub id: i64,
    pub username: Option<String>,
    pub name: String,
}

impl Person {
    pub fn new(id: i64, username: Option<String>, first: &str, last: &str) -> Self {
        let name = format!("{first} {last}").trim().to_owned();
        Self { id, username, name }
    }
}

/// The fields of the event itself, beside the common ones.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Subject {
    Invitation {
        invitation: Invitation,
    },
    Membership {
        member: Person,
        role: String,
        invited_by: Option<Person>,
    },
    Suggestion {
        suggestion: Suggestion,
    },
    /// "Send test event": the hook it was sent to.
    Ping {
        hook: Hook,
    },
}

#[derive(Debug, Serialize)]
pub struct Invitation {
    pub id: i64,
    pub email: String,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub role: String,
    /// As the invitation reads at the event (an overdue pending one: "expired").
    pub status: &'static str,
    pub expires_at: String,
    /// The inviter's username.
    pub invited_by: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Suggestion {
    pub id: i64,
    pub invitee: String,
    pub suggested_by: Person,
}

#[derive(Debug, Serialize)]
pub struct Hook {
    pub id: i64,
    pub events: Vec<String>,
}

/// `X-Guildhall-Signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
/// "<t>.<body>" under the hook's secret>`. The timestamp inside the signed
/// text lets a receiver refuse a replayed old delivery.
pub fn signature(secret: &str, unix: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(unix.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={unix},v1={hex}")
}

/// Whether an address is on the public internet: not loopback, private,
/// link-local, carrier-grade NAT, multicast, documentation or otherwise
/// reserved. A hook may be sent only to such addresses unless
/// `GUILDHALL_WEBHOOK_ALLOW_PRIVATE` is set.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        // `::a.b.c.d` and `::ffff:a.b.c.d` reach the IPv4 address.
        IpAddr::V6(v6) => match v6.to_ipv4() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // 6to4 carries an IPv4 address in its second and third segments.
    if s[0] == 0x2002 {
        let v4 = Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8);
        return is_public_v4(v4);
    }
    !(ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] == 0) // Teredo: tunnels to anywhere
        || (s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0) // discard
        || (s[0] == 0x64 && s[1] == 0xff9b)) // NAT64 (well-known and local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_reads_as_the_api_documents_it() {
        let at = time::macros::datetime!(2026-12-07 10:00);
        let community = Community {
            id: 3,
            slug: "partners".into(),
            name: "Partners".into(),
        };
        let actor = Person::new(7, Some("ann".into()), "Ann", "Lee");
        let subject = Subject::Invitation {
            invitation: Invitation {
                id: 1234,
                email: "ann@example.com".into(),
                user_id: Some(7),
                username: Some("ann".into()),
                role: "GroupMember".into(),
                status: "accepted",
                expires_at: crate::domain::rfc3339(time::macros::datetime!(2026-12-14 09:00)),
                invited_by: Some("bob".into()),
            },
        };
        let body =
            Payload::new("invitation.accepted", at, &community, Some(&actor), subject).body();
        assert_eq!(
            body,
            concat!(
                r#"{"event":"invitation.accepted","occurred_at":"2026-12-07T10:00:00Z","#,
                r#""community":{"id":3,"slug":"partners","name":"Partners"},"#,
                r#""actor":{"id":7,"username":"ann","name":"Ann Lee"},"#,
                r#""invitation":{"id":1234,"email":"ann@example.com","user_id":7,"username":"ann","#,
                r#""role":"GroupMember","status":"accepted","expires_at":"2026-12-14T09:00:00Z","invited_by":"bob"}}"#
            )
        );
        // A membership's fields sit beside the common ones; no actor is null.
        let subject = Subject::Membership {
            member: Person::new(8, None, "Bo", ""),
            role: "GroupAdmin".into(),
            invited_by: None,
        };
        let body = Payload::new("membership.added", at, &community, None, subject).body();
        assert!(body.contains(r#""actor":null,"member":{"id":8,"username":null,"name":"Bo"},"role":"GroupAdmin","invited_by":null}"#), "{body}");
    }

    #[test]
    fn history_entries_map_to_events() {
        assert_eq!(invitation_event("sent"), Some("invitation.created"));
        assert_eq!(invitation_event("revoked"), Some("invitation.cancelled"));
        assert_eq!(invitation_event("cancelled"), Some("invitation.cancelled"));
        assert_eq!(invitation_event("resent"), None);
        assert_eq!(invitation_event("reminded"), None);
        assert!(EVENTS.iter().all(|(e, _)| is_event(e)));
        assert!(!is_event(PING));
    }

    #[test]
    fn the_signature_is_hmac_sha256_over_time_and_body() {
        // Checked against a value computed independently
        // (python3: hmac.new(b"key", b"1700000000.{}", sha256).hexdigest()).
        assert_eq!(
            signature("key", 1_700_000_000, b"{}"),
            "t=1700000000,v1=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
        );
        assert_ne!(signature("key", 1, b"{}"), signature("key", 2, b"{}"));
        assert_ne!(signature("key", 1, b"{}"), signature("other", 1, b"{}"));
    }

    #[test]
    fn only_public_addresses_pass() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::a00:1",
            "::127.0.0.1",
            "fec0::1",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            "2001:0:4136:e378::1",
            "100::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
