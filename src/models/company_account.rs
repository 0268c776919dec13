use crate::db::DbConn;
use crate::db::schema::{company_accounts, users};
use crate::domain::AccountKind;
use diesel::prelude::*;
use time::PrimitiveDateTime;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = company_accounts)]
pub struct CompanyAccount {
    pub id: i64,
    pub name: String,
    pub name_key: String,
    pub kind: String,
    pub created_at: PrimitiveDateTime,
}

impl CompanyAccount {
    /// None for a kind written by a newer release: treated as no account by
    /// the segregation rule (the most restricted).
    pub fn kind(&self) -> Option<AccountKind> {
        AccountKind::parse(&self.kind).ok()
    }
    pub fn kind_label(&self) -> &'static str {
        self.kind().map(AccountKind::label).unwrap_or("")
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = company_accounts, treat_none_as_default_value = false)]
pub struct NewCompanyAccount<'a> {
    pub name: &'a str,
    pub name_key: String,
    pub kind: &'a str,
    pub created_at: PrimitiveDateTime,
}

pub fn insert(conn: &mut DbConn, new: &NewCompanyAccount<'_>) -> QueryResult<i64> {
    diesel::insert_into(company_accounts::table)
        .values(new)
        .returning(company_accounts::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<CompanyAccount>> {
    company_accounts::table
        .find(id)
        .select(CompanyAccount::as_select())
        .first(conn)
        .optional()
}

pub fn name_exists(conn: &mut DbConn, key: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        company_accounts::table.filter(company_accounts::name_key.eq(key)),
    ))
    .get_result(conn)
}

/// Accounts by name, `limit` after the cursor name key (unique).
pub fn page(
    conn: &mut DbConn,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<CompanyAccount>> {
    let mut q = company_accounts::table
        .order(company_accounts::name_key)
        .limit(limit)
        .select(CompanyAccount::as_select())
        .into_boxed();
    if let Some(k) = after {
        q = q.filter(company_accounts::name_key.gt(k.to_string()));
    }
    q.load(conn)
}

/// The account kind and id of a user, in one query (None: no account).
pub fn of_user(conn: &mut DbConn, user_id: i64) -> QueryResult<(Option<i64>, Option<AccountKind>)> {
    let q = users::table
        .left_join(company_accounts::table)
        .filter(users::id.eq(user_id))
        .select((users::account_id, company_accounts::kind.nullable()));
    let (account_id, kind): (Option<i64>, Option<String>) = crate::native!(conn, |c| q.first(c))?;
    Ok((account_id, kind.and_then(|k| AccountKind::parse(&k).ok())))
}

/// The kind of account `id` (None: no such account).
pub fn kind_of(conn: &mut DbConn, id: i64) -> QueryResult<Option<AccountKind>> {
    let q = company_accounts::table
        .find(id)
        .select(company_accounts::kind);
    let kind: Option<String> = crate::native!(conn, |c| q.first(c).optional())?;
    Ok(kind.and_then(|k| AccountKind::parse(&k).ok()))
}

/// Takes the account's row lock (PostgreSQL) before rules that count its
/// super users, so two super users cannot deactivate each other at once.
/// SQLite write transactions are serialised already.
pub fn lock(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::update(company_accounts::table.find(id))
        .set(company_accounts::kind.eq(company_accounts::kind))
        .execute(conn)
}
