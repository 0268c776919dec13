//! Where a hook may post (SSRF): http(s) only, and only to public
//! addresses unless private ones are allowed. Checked when a hook is made
//! and again on every delivery, by the client's own resolver, so a name
//! that later resolves to a private address (DNS rebinding) is refused
//! where the connection is made.

use crate::domain::webhook::is_public;
use std::net::{IpAddr, SocketAddr};

/// Why a hook's URL is refused, in the words the form shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetRefused {
    #[error("Enter a URL starting with https:// or http://.")]
    NotHttp,
    #[error("Enter the URL without a user name or password in it.")]
    Credentials,
    /// Not found, or not public: one answer for both, so that the form
    /// cannot be used to map which internal names exist.
    #[error(
        "{0} is not a public address on the internet (or cannot be found): webhooks go only to public addresses."
    )]
    NotPublic(String),
}

/// Checks a URL as typed; the parsed URL when it may be used.
pub async fn check_target(raw: &str, allow_private: bool) -> Result<url::Url, TargetRefused> {
    let url = url::Url::parse(raw.trim()).map_err(|_| TargetRefused::NotHttp)?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(TargetRefused::NotHttp);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetRefused::Credentials);
    }
    let host = url.host_str().unwrap_or_default().to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs = resolve(&host, port).await?;
    allowed(&host, &addrs, allow_private)?;
    Ok(url)
}

/// The addresses `host` stands for (an IP literal stands for itself).
async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, TargetRefused> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    match tokio::net::lookup_host((bare, port)).await {
        Ok(addrs) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                Err(TargetRefused::NotPublic(host.to_string()))
            } else {
                Ok(addrs)
            }
        }
        Err(_) => Err(TargetRefused::NotPublic(host.to_string())),
    }
}

/// Every address must be public: one private address among public ones
/// is enough for a request to reach it.
fn allowed(host: &str, addrs: &[SocketAddr], allow_private: bool) -> Result<(), TargetRefused> {
    if allow_private {
        return Ok(());
    }
    if addrs.iter().all(|a| is_public(a.ip())) {
        Ok(())
    } else {
        Err(TargetRefused::NotPublic(host.to_string()))
    }
}

/// At delivery, a URL whose host is an IP literal (for which the client
/// runs no resolver): refused unless public or private ones are allowed.
/// A hook made while private addresses were allowed stops reaching them
/// when the setting is turned off.
pub(super) fn literal_allowed(url: &str, allow_private: bool) -> Result<(), TargetRefused> {
    let Ok(url) = url::Url::parse(url) else {
        return Err(TargetRefused::NotHttp);
    };
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(url::Host::Domain(_)) => return Ok(()),
        None => return Err(TargetRefused::NotHttp),
    };
    let host = url.host_str().unwrap_or_default();
    allowed(host, &[SocketAddr::new(ip, 0)], allow_private)
}

/// The delivery client's resolver: refuses a name that resolves to a
/// private address at the moment of connecting.
#[derive(Debug, Clone, Copy)]
pub(super) struct GuardedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs = resolve(&host, 0).await?;
            allowed(&host, &addrs, allow_private)?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether a delivery error is (or is caused by) a refused target.
pub(super) fn refusal_in<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a TargetRefused> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<TargetRefused>() {
            return Some(r);
        }
        cur = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn urls_are_checked_before_a_hook_is_made() {
        assert_eq!(
            check_target("ftp://example.com/x", false).await,
            Err(TargetRefused::NotHttp)
        );
        assert_eq!(
            check_target("not a url", false).await,
            Err(TargetRefused::NotHttp)
        );
        assert_eq!(
            check_target("https://user:pw@93.184.216.34/", false).await,
            Err(TargetRefused::Credentials)
        );
        for private in [
            "http://127.0.0.1:9000/hook",
            "http://[::1]/hook",
            "http://169.254.169.254/latest/meta-data",
            "https://10.0.0.5/",
            "http://localhost:8080/",
        ] {
            assert!(
                matches!(
                    check_target(private, false).await,
                    Err(TargetRefused::NotPublic(_))
                ),
                "{private}"
            );
        }
        assert!(
            check_target("http://127.0.0.1:9000/hook", true)
                .await
                .is_ok()
        );
        assert!(
            check_target("https://93.184.216.34/hook", false)
                .await
                .is_ok()
        );
    }
}
