//! The client's address, for limits kept per address.

use actix_web::HttpRequest;

/// The address of the peer that sent the request ("unknown" without one).
pub fn address(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}
