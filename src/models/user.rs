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
    pub status: UserStatus,
    pub is_site_admin: bool,
    #[diesel(deserialize_as = crate::db::MaybeStamp)]
    pub email_verified_at: Option<PrimitiveDateTime>,
    #[diesel(deserialize_as = crate::db::MaybeStamp)]
    pub approved_at: Option<PrimitiveDateTime>,
    pub session_epoch: i64,
    #[diesel(deserialize_as = crate::db::Stamp)]
    pub created_at: PrimitiveDateTime,
    /// The company account the user belongs to, if any.
    pub account_id: Option<i64>,
    /// May manage the users and see every case of `account_id`.
    pub is_super_user: bool,
    /// Made by `guildhall seed`: demo data with the documented default password.
    pub seeded: bool,
}

impl User {
    pub fn is_active(&self) -> bool {
        self.status == UserStatus::Active
    }
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
    pub fn username_or_email(&self) -> &str {
        self.username.as_deref().unwrap_or(&self.email)
    }
    /// Linked to an account and active: may raise cases, count as its member.
    pub fn member_account(&self) -> Option<i64> {
        self.account_id.filter(|_| self.is_active())
    }
    /// A super user of an account, and active: may manage its users.
    pub fn super_user_of(&self) -> Option<i64> {
        self.member_account().filter(|_| self.is_super_user)
    }
    /// Lost its address to someone who proved it (`release_unconfirmed_email`):
    /// it has none now, so nothing can confirm or reach it.
    pub fn address_released(&self) -> bool {
        self.email.is_empty()
    }
    /// Has logged in before (or can): shown as 'Community User' and may have
    /// their Active Login toggled. Contacts (`invited`) and accounts awaiting
    /// approval are not.
    pub fn is_registered(&self) -> bool {
        self.password_hash.is_some()
            && matches!(self.status, UserStatus::Active | UserStatus::Deactivated)
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
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
    pub status: UserStatus,
    pub is_site_admin: bool,
    pub email_verified_at: Option<PrimitiveDateTime>,
    pub approved_at: Option<PrimitiveDateTime>,
    pub session_epoch: i64,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
    pub account_id: Option<i64>,
    pub is_super_user: bool,
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
    crate::native!(conn, |c| users::table
        .find(id)
        .select(User::as_select())
        .first(c))
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

/// Marks the user's address confirmed; 0 when it was already, or when the
/// account has lost its address to someone who proved it.
pub fn mark_email_verified(
    conn: &mut DbConn,
    id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::email_verified_at.is_null())
            .filter(users::email.ne("")),
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

/// The key a released address leaves behind: unique per account (the
/// unique index on `email_key` keeps holding) and never the key of an
/// address (it has no `@`).
pub fn released_email_key(id: i64) -> String {
    format!("released:{id}")
}

/// Takes the address `email_key` from the user `id` if it is still theirs
/// and still unconfirmed (one conditional UPDATE: a confirmation committed
/// first wins, and then this returns 0). The account keeps its name and
/// password but has no address any more; its sessions end.
pub fn release_unconfirmed_email(
    conn: &mut DbConn,
    id: i64,
    email_key: &str,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::email_key.eq(email_key))
            .filter(users::email_verified_at.is_null()),
    )
    .set((
        users::email.eq(""),
        users::email_key.eq(released_email_key(id)),
        users::updated_at.eq(now),
        users::session_epoch.eq(users::session_epoch + 1),
    ))
    .execute(conn)
}

/// Ends every session of the user at its next request, on every server.
pub fn bump_session_epoch(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::session_epoch.eq(users::session_epoch + 1))
        .execute(conn)
}

/// A new password hash (the use case decides which sessions end with it).
pub fn set_password(
    conn: &mut DbConn,
    id: i64,
    password_hash: &str,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(password_hash),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}

/// A new, confirmed e-mail address (the link mailed to it proved it).
pub fn set_email(
    conn: &mut DbConn,
    id: i64,
    email: &str,
    email_key: &str,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::email.eq(email),
            users::email_key.eq(email_key),
            users::email_verified_at.eq(now),
            users::updated_at.eq(now),
        ))
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
    not_in_group: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<(Option<String>, String, String)>> {
    use crate::db::schema::memberships;
    // `_` and `%` may be in a username: match them literally.
    let escaped = crate::db::like_literal(crate::db::search_term(prefix.trim()));
    let mut q = users::table
        .filter(users::username_key.like(format!("{escaped}%")).escape('\\'))
        .filter(users::status.eq(UserStatus::Active.as_str()))
        .order(users::username_key)
        .limit(limit)
        .select((users::username, users::first_name, users::last_name))
        .into_boxed();
    if let Some(g) = not_in_group {
        // Already members are not suggested for their own group.
        q = q.filter(diesel::dsl::not(diesel::dsl::exists(
            memberships::table
                .filter(memberships::group_id.eq(g))
                .filter(memberships::user_id.eq(users::id)),
        )));
    }
    q.load(conn)
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Manage Users: the account's people by e-mail key, `limit` after the
/// cursor (an e-mail key: unique), optionally searched by username, e-mail
/// or name, deactivated ones only when asked. One query whatever the page.
pub fn account_page(
    conn: &mut DbConn,
    account_id: i64,
    q: Option<&str>,
    show_deactivated: bool,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<User>> {
    let mut query = users::table
        .filter(users::account_id.eq(account_id))
        .order(users::email_key)
        .limit(limit)
        .select(User::as_select())
        .into_boxed();
    if !show_deactivated {
        query = query.filter(users::status.ne(UserStatus::Deactivated.as_str()));
    }
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        let p = crate::db::like_contains(q);
        query = query.filter(
            users::username_key
                .like(p.clone())
                .escape('\\')
                .or(users::email_key.like(p.clone()).escape('\\').nullable())
                .or(lower(users::first_name)
                    .like(p.clone())
                    .escape('\\')
                    .nullable())
                .or(lower(users::last_name).like(p).escape('\\').nullable()),
        );
    }
    if let Some(a) = after {
        query = query.filter(users::email_key.gt(a.to_string()));
    }
    query.load(conn)
}

/// Active super users of the account other than `except`.
pub fn count_other_active_super_users(
    conn: &mut DbConn,
    account_id: i64,
    except: i64,
) -> QueryResult<i64> {
    users::table
        .filter(users::account_id.eq(account_id))
        .filter(users::is_super_user.eq(true))
        .filter(users::status.eq(UserStatus::Active.as_str()))
        .filter(users::id.ne(except))
        .count()
        .get_result(conn)
}

/// Links the user to an account (None: to none). Leaving an account also
/// ends super-user powers over it.
pub fn set_account(
    conn: &mut DbConn,
    id: i64,
    account_id: Option<i64>,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::account_id.eq(account_id),
            users::is_super_user.eq(false),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn set_super_user(
    conn: &mut DbConn,
    id: i64,
    on: bool,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::is_super_user.eq(on), users::updated_at.eq(now)))
        .execute(conn)
}

/// Any user with this username (case-insensitive), whatever their status.
pub fn find_by_username(conn: &mut DbConn, username: &str) -> QueryResult<Option<User>> {
    crate::native!(conn, |c| users::table
        .filter(users::username_key.eq(username.trim().to_lowercase()))
        .select(User::as_select())
        .first(c)
        .optional())
}

/// Any user by e-mail address key (lower-cased), whatever their status.
pub fn find_by_email_key(conn: &mut DbConn, email_key: &str) -> QueryResult<Option<User>> {
    crate::native!(conn, |c| users::table
        .filter(users::email_key.eq(email_key))
        .select(User::as_select())
        .first(c)
        .optional())
}

/// The password of every user `guildhall seed` makes (public: demo data).
pub const SEEDED_PASSWORD: &str = "guildhall-demo";

/// Whether any user was made by `guildhall seed` (`serve` warns then).
pub fn seeded_exist(conn: &mut DbConn) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::seeded.eq(true)),
    ))
    .get_result(conn)
}

/// What a contact gives when registering from their invitation link.
pub struct ContactRegistration<'a> {
    pub username: &'a str,
    pub username_key: String,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub country_code: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub password_hash: &'a str,
}

/// Turns a contact (status `invited`, no password) into an active, verified
/// user, keeping its id and account. 0 when it is not a contact any more
/// (someone registered it first).
pub fn register_contact(
    conn: &mut DbConn,
    id: i64,
    r: &ContactRegistration<'_>,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::status.eq(UserStatus::Invited.as_str()))
            .filter(users::password_hash.is_null()),
    )
    .set((
        users::username.eq(r.username),
        users::username_key.eq(&r.username_key),
        users::first_name.eq(r.first_name),
        users::last_name.eq(r.last_name),
        users::country_code.eq(r.country_code),
        users::phone.eq(r.phone),
        users::password_hash.eq(r.password_hash),
        users::status.eq(UserStatus::Active.as_str()),
        users::email_verified_at.eq(now),
        users::approved_at.eq(now),
        users::updated_at.eq(now),
    ))
    .execute(conn)
}
