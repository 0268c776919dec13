//! Who is asking: password hashing, tokens, sessions, CSRF and the extractors
//! that load the current user on every request.

pub mod client;
pub mod csrf;
pub mod extractors;
pub mod links;
pub mod password;
pub mod session;
pub mod tokens;

pub use extractors::{Ctx, CurrentUser, GroupAdmin, SiteAdmin, SuperUser};
pub use session::Flash;
