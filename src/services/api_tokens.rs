//! Personal access tokens (`/account/tokens`): made with a name, scopes,
//! the communities they reach and an expiry; shown once, kept as a hash;
//! revocable; last use shown. `authenticate` turns a Bearer token into the
//! user it acts as, for `/api/v1`.

use crate::auth::tokens;
use crate::db::{self, DbConn};
use crate::domain::FormErrors;
use crate::error::AppResult;
use crate::models::api_token::{self, ApiToken, NewToken};
use crate::models::{Group, User};
use crate::policy::GroupAccess;
use crate::services::App;
use time::PrimitiveDateTime;

/// The scopes a token may have, with what each lets it do.
pub const SCOPES: [(&str, &str); 3] = [
    ("invitations:read", "List and read invitations"),
    (
        "invitations:write",
        "Send, resend, extend and cancel invitations",
    ),
    ("members:read", "List members"),
];
/// How long a token may live, in days.
pub const EXPIRY_DAYS: [i64; 4] = [7, 30, 90, 365];
/// What a token starts with, so it is recognised when pasted somewhere.
const PREFIX: &str = "ghp_";
const NAME_MAX: usize = 100;
/// Communities offered for a token, at most.
const OFFERED: i64 = 200;

/// The "New token" form as typed.
#[derive(Debug, Default, Clone)]
pub struct TokenInput {
    pub name: String,
    pub scopes: Vec<String>,
    pub communities: Vec<i64>,
    pub days: String,
}

impl TokenInput {
    /// From the raw form pairs (`scope` and `community` repeat).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut input = TokenInput::default();
        for (k, v) in pairs {
            match k.as_str() {
                "name" => input.name = v,
                "scope" if !input.scopes.contains(&v) => input.scopes.push(v),
                "community" => {
                    if let Ok(id) = v.trim().parse()
                        && !input.communities.contains(&id)
                    {
                        input.communities.push(id);
                    }
                }
                "days" => input.days = v,
                _ => {}
            }
        }
        input
    }

    pub fn has_scope(&self, s: &str) -> bool {
        self.scopes.iter().any(|x| x == s)
    }
    pub fn has_community(&self, id: &i64) -> bool {
        self.communities.contains(id)
    }
    pub fn days_or_default(&self) -> i64 {
        self.days.trim().parse().unwrap_or(30)
    }
}

/// What `/account/tokens` shows.
pub struct TokensPage {
    /// Each token with the names of its communities.
    pub tokens: Vec<(ApiToken, Vec<String>)>,
    /// Where the user may invite: what a token can be limited to.
    pub communities: Vec<Group>,
}

/// A token just made: shown once.
pub struct MadeToken {
    pub name: String,
    pub token: String,
}

impl App {
    pub async fn tokens_page(&self, user: &User) -> AppResult<TokensPage> {
        let id = user.id;
        self.on_pool(move |c, _| {
            Ok(TokensPage {
                tokens: api_token::of_user(c, id)?,
                communities: crate::models::group::managed_by(c, id, -1, OFFERED)?,
            })
        })
        .await
    }

    /// `user`'s token `id`, for its revoke confirmation; another's is 404.
    pub async fn token_of(&self, user: &User, id: i64) -> AppResult<ApiToken> {
        let who = user.id;
        self.on_pool(move |c, _| {
            api_token::find_of_user(c, who, id)?.ok_or_else(crate::error::AppError::not_found)
        })
        .await
    }

    /// Makes a token for `user` from the form; the token itself is returned
    /// once and only its hash kept.
    pub async fn create_token(
        &self,
        user: &User,
        input: TokenInput,
    ) -> AppResult<Result<MadeToken, FormErrors>> {
        let id = user.id;
        self.on_pool(move |c, now| {
            let offered = crate::models::group::managed_by(c, id, -1, OFFERED)?;
            let mut e = FormErrors::default();
            let name = input.name.trim().to_string();
            if name.is_empty() {
                e.add(
                    "name",
                    "Enter a name, to tell this token apart from others.",
                );
            } else if name.chars().count() > NAME_MAX {
                e.add("name", format!("A name has at most {NAME_MAX} characters."));
            }
            let scopes: Vec<&str> = SCOPES
                .iter()
                .map(|(s, _)| *s)
                .filter(|s| input.has_scope(s))
                .collect();
            if scopes.is_empty() || scopes.len() < input.scopes.len() {
                e.add("scope", "Choose at least one of the scopes listed.");
            }
            let groups: Vec<i64> = offered
                .iter()
                .map(|g| g.id)
                .filter(|g| input.has_community(g))
                .collect();
            if groups.is_empty() || groups.len() < input.communities.len() {
                e.add(
                    "community",
                    "Choose at least one of the communities listed.",
                );
            }
            let days = input.days.trim().parse::<i64>().ok();
            let Some(days) = days.filter(|d| EXPIRY_DAYS.contains(d)) else {
                e.add("days", "Choose one of the expiries listed.");
                return Ok(Err(e));
            };
            if !e.is_empty() {
                return Ok(Err(e));
            }
            let secret = tokens::random();
            let token = format!("{PREFIX}{secret}");
            let hash = tokens::hash(&token);
            let prefix: String = token.chars().take(PREFIX.len() + 4).collect();
            db::write_tx(c, |c| {
                api_token::insert(
                    c,
                    &NewToken {
                        user_id: id,
                        name: &name,
                        token_hash: &hash,
                        prefix: &prefix,
                        scopes: &scopes.join(" "),
                        expires_at: now + time::Duration::days(days),
                        groups: &groups,
                    },
                    now,
                )
            })?;
            Ok(Ok(MadeToken { name, token }))
        })
        .await
    }

    /// "Revoke": false when it was revoked already; "not found" when it is
    /// not theirs.
    pub async fn revoke_token(&self, user: &User, id: i64) -> AppResult<bool> {
        let who = user.id;
        self.on_pool(move |c, now| {
            db::write_tx(c, |c| api_token::revoke(c, who, id, now))?
                .ok_or_else(crate::error::AppError::not_found)
        })
        .await
    }
}

/// A request's token, checked: the user it acts as, its scopes and the
/// communities it reaches.
#[derive(Debug, Clone)]
pub struct TokenAuth {
    pub user: User,
    pub token: ApiToken,
    pub groups: Vec<i64>,
}

impl TokenAuth {
    /// Whether the token reaches `access`'s group: one of its communities
    /// or a managed community below one.
    pub fn reaches(&self, access: &GroupAccess) -> bool {
        access.ancestors.iter().any(|a| self.groups.contains(a))
    }
}

/// Why a Bearer token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    /// Unknown, revoked or expired (one answer for all three).
    Invalid,
    /// Its user's account cannot log in now.
    AccountInactive,
    /// Too many requests with it this minute.
    Throttled,
}

/// Requests one token may make a minute.
pub const PER_MINUTE: i64 = 600;

/// The user `bearer` acts as, counting the request against the token's
/// rate and noting its use.
pub fn authenticate(
    conn: &mut DbConn,
    bearer: &str,
    now: PrimitiveDateTime,
) -> AppResult<Result<TokenAuth, TokenRefusal>> {
    if !bearer.strip_prefix(PREFIX).is_some_and(tokens::looks_valid) {
        return Ok(Err(TokenRefusal::Invalid));
    }
    let Some((token, groups)) = api_token::find_by_hash(conn, &tokens::hash(bearer))? else {
        return Ok(Err(TokenRefusal::Invalid));
    };
    if !token.is_live(now) {
        return Ok(Err(TokenRefusal::Invalid));
    }
    let user = crate::models::user::find(conn, token.user_id)?;
    if !user.is_active() {
        return Ok(Err(TokenRefusal::AccountInactive));
    }
    let key = format!("api-token:{}", token.id);
    let since = now - time::Duration::MINUTE;
    if !crate::models::rate_limit::take(conn, &key, PER_MINUTE, since, now)? {
        return Ok(Err(TokenRefusal::Throttled));
    }
    api_token::touch(conn, token.id, now)?;
    Ok(Ok(TokenAuth {
        user,
        token,
        groups,
    }))
}
