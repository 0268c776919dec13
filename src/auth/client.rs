//! The client's address, for limits kept per address and the sessions page.
//! Behind a reverse proxy every request comes from the proxy: with
//! `GUILDHALL_TRUSTED_PROXIES` set, a request from one of those addresses is
//! taken to be from the last address in `X-Forwarded-For` that is not itself
//! a trusted proxy. From anyone else the header is ignored, so a client
//! cannot pick its own address to escape a limit.

use crate::state::AppState;
use actix_web::{HttpRequest, web};
use std::net::IpAddr;

/// An address range, `10.0.0.0/8` or a single `127.0.0.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    bits: u8,
}

impl std::str::FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (ip, bits) = s.split_once('/').unwrap_or((s, ""));
        let net: IpAddr = ip.parse().map_err(|_| format!("{s:?} is not an address"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let bits = if bits.is_empty() {
            max
        } else {
            bits.parse::<u8>()
                .ok()
                .filter(|b| *b <= max)
                .ok_or_else(|| format!("{s:?} has no valid prefix length"))?
        };
        Ok(Cidr { net, bits })
    }
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let prefix = |a: u128, bits: u8, width: u8| -> u128 {
            if bits == 0 { 0 } else { a >> (width - bits) }
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(i)) => {
                prefix(u32::from(n).into(), self.bits, 32)
                    == prefix(u32::from(i).into(), self.bits, 32)
            }
            (IpAddr::V6(n), IpAddr::V6(i)) => {
                prefix(u128::from(n), self.bits, 128) == prefix(u128::from(i), self.bits, 128)
            }
            _ => false,
        }
    }
}

/// Parses `GUILDHALL_TRUSTED_PROXIES`: ranges separated by commas or spaces.
pub fn parse_ranges(s: &str) -> Result<Vec<Cidr>, String> {
    s.split([',', ' '])
        .filter(|p| !p.trim().is_empty())
        .map(str::parse)
        .collect()
}

/// The client behind `peer`, given the `X-Forwarded-For` values it sent.
fn client_of(peer: IpAddr, forwarded: Option<&str>, trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let Some(list) = forwarded else {
        return peer;
    };
    // Each proxy appends the address it heard from: read from the right,
    // past our own proxies; a value that is not an address ends the trust.
    let mut client = peer;
    for hop in list.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// The address of the client that sent the request ("unknown" without one).
pub fn address(req: &HttpRequest) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".into();
    };
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.config.trusted_proxies.as_slice())
        .unwrap_or(&[]);
    if trusted.is_empty() {
        return peer.to_string();
    }
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    let joined = forwarded.join(",");
    client_of(
        peer,
        (!joined.is_empty()).then_some(joined.as_str()),
        trusted,
    )
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges() {
        let r = parse_ranges("10.0.0.0/8, 127.0.0.1 ::1/128").unwrap();
        assert!(r[0].contains(ip("10.200.3.4")) && !r[0].contains(ip("11.0.0.1")));
        assert!(r[1].contains(ip("127.0.0.1")) && !r[1].contains(ip("127.0.0.2")));
        assert!(r[2].contains(ip("::1")) && !r[2].contains(ip("127.0.0.1")));
        assert!("0.0.0.0/0".parse::<Cidr>().unwrap().contains(ip("8.8.8.8")));
        assert!(parse_ranges("10.0.0.0/33").is_err());
        assert!(parse_ranges("proxy.local").is_err());
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let trusted = parse_ranges("10.0.0.0/8").unwrap();
        let xff = Some("6.6.6.6, 203.0.113.9, 10.0.0.7");
        // From our proxy: the last address before our own proxies.
        assert_eq!(client_of(ip("10.0.0.2"), xff, &trusted), ip("203.0.113.9"));
        // From anyone else: the header is theirs to forge, and ignored.
        assert_eq!(
            client_of(ip("198.51.100.1"), xff, &trusted),
            ip("198.51.100.1")
        );
        // No header, or garbage: the proxy itself.
        assert_eq!(client_of(ip("10.0.0.2"), None, &trusted), ip("10.0.0.2"));
        assert_eq!(
            client_of(ip("10.0.0.2"), Some("unknown"), &trusted),
            ip("10.0.0.2")
        );
    }
}
