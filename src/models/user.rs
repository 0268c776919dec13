use crate::db::DbConn;
use crate::db::schema::users;
use crate::domain::UserStatus;
use diesel::prelude::*;
use time::PrimitiveDateTime;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub username: Option<String>,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub country_code: Option<String>,
    pub phone: Option<String>,
    pub password_hash: Option<String>,
    pub status: String,
    pub is_site_admin: bool,
    pub email_verified_at: Option<PrimitiveDateTime>,
    pub approved_at: Option<PrimitiveDateTime>,
    pub session_epoch: i64,
    pub created_at: PrimitiveDateTime,
    /// Made by `guildhall seed`: demo data with the documented default password.
    pub seeded: bool,
}

impl User {
    pub fn status(&self) -> Option<UserStatus> {
        UserStatus::parse(&self.status)
    }
    pub fn is_active(&self) -> bool {
        self.status() == Some(UserStatus::Active)
    }
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
    pub fn username_or_email(&self) -> &str {
        self.username.as_deref().unwrap_or(&self.email)
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: Option<&'a str>,
    pub username_key: Option<String>,
    pub email: &'a str,
    pub email_key: String,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub country_code: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub status: &'a str,
    pub is_site_admin: bool,
    pub email_verified_at: Option<PrimitiveDateTime>,
    pub approved_at: Option<PrimitiveDateTime>,
    pub session_epoch: i64,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
    pub seeded: bool,
}

/// Which unique rule an insert broke.
#[derive(Debug, PartialEq, Eq)]
pub enum Taken {
    Username,
    Email,
}

pub fn insert(conn: &mut DbConn, new: &NewUser<'_>) -> QueryResult<i64> {
    diesel::insert_into(users::table)
        .values(new)
        .returning(users::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<User> {
    users::table.find(id).select(User::as_select()).first(conn)
}

/// Looks a user up by username or e-mail, case-insensitively.
pub fn find_by_login(conn: &mut DbConn, login: &str) -> QueryResult<Option<User>> {
    let key = login.trim().to_lowercase();
    users::table
        .filter(users::username_key.eq(&key).or(users::email_key.eq(&key)))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Which of the username and e-mail keys are already in use.
pub fn taken(conn: &mut DbConn, username_key: &str, email_key: &str) -> QueryResult<Vec<Taken>> {
    let rows: Vec<(Option<String>, String)> = users::table
        .filter(
            users::username_key
                .eq(username_key)
                .or(users::email_key.eq(email_key)),
        )
        .select((users::username_key, users::email_key))
        .load(conn)?;
    let mut out = Vec::new();
    if rows.iter().any(|(u, _)| u.as_deref() == Some(username_key)) {
        out.push(Taken::Username);
    }
    if rows.iter().any(|(_, e)| e == email_key) {
        out.push(Taken::Email);
    }
    Ok(out)
}

pub fn site_admin_exists(conn: &mut DbConn) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::is_site_admin.eq(true)),
    ))
    .get_result(conn)
}

/// Accounts waiting for a site admin, oldest first, keyset-paged by id.
pub fn pending_approval(conn: &mut DbConn, after_id: i64, limit: i64) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::status.eq(UserStatus::PendingApproval.as_str()))
        .filter(users::id.gt(after_id))
        .order(users::id)
        .limit(limit)
        .select(User::as_select())
        .load(conn)
}

pub fn mark_email_verified(
    conn: &mut DbConn,
    id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::email_verified_at.is_null()),
    )
    .set((users::email_verified_at.eq(now), users::updated_at.eq(now)))
    .execute(conn)
}

/// Moves a user from `from` to `to`; returns 0 when the user was not in `from`.
pub fn change_status(
    conn: &mut DbConn,
    id: i64,
    from: UserStatus,
    to: UserStatus,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    let approved = (to == UserStatus::Active && from == UserStatus::PendingApproval).then_some(now);
    let q = diesel::update(
        users::table
            .find(id)
            .filter(users::status.eq(from.as_str())),
    );
    match approved {
        Some(at) => q
            .set((
                users::status.eq(to.as_str()),
                users::approved_at.eq(at),
                users::updated_at.eq(now),
                users::session_epoch.eq(users::session_epoch + 1),
            ))
            .execute(conn),
        None => q
            .set((
                users::status.eq(to.as_str()),
                users::updated_at.eq(now),
                users::session_epoch.eq(users::session_epoch + 1),
            ))
            .execute(conn),
    }
}

/// Ends every session of the user at its next request, on every server.
pub fn bump_session_epoch(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::session_epoch.eq(users::session_epoch + 1))
        .execute(conn)
}

/// An active user with this username (case-insensitive); `None` otherwise.
pub fn find_active_by_username(conn: &mut DbConn, username: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::username_key.eq(username.trim().to_lowercase()))
        .filter(users::status.eq(UserStatus::Active.as_str()))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Up to `limit` active users whose username starts with `prefix`
/// (case-insensitive), by username: (username, first name, last name).
pub fn search_usernames(
    conn: &mut DbConn,
    prefix: &str,
    limit: i64,
) -> QueryResult<Vec<(Option<String>, String, String)>> {
    let key = prefix.trim().to_lowercase();
    // `_` and `%` may be in a username: match them literally.
    let escaped: String = key
        .chars()
        .flat_map(|c| match c {
            '\\' | '%' | '_' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    users::table
        .filter(users::username_key.like(format!("{escaped}%")).escape('\\'))
        .filter(users::status.eq(UserStatus::Active.as_str()))
        .order(users::username_key)
        .limit(limit)
        .select((users::username, users::first_name, users::last_name))
        .load(conn)
}

/// Whether any user was made by `guildhall seed` (`serve` warns then).
pub fn seeded_exist(conn: &mut DbConn) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::seeded.eq(true)),
    ))
    .get_result(conn)
}
