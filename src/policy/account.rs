//! Company-account rules: super users over their account's people, and
//! support cases.

use super::Denied;
use crate::models::User;
use crate::models::case::Case;

/// The account `actor` is an active super user of.
pub fn super_user_account(actor: &User) -> Result<i64, Denied> {
    actor.super_user_of().ok_or(Denied::NotSuperUser)
}

/// A super user manages the people of their own account only; someone of
/// another account is not disclosed.
pub fn may_manage_account_user(actor: &User, target: &User) -> Result<(), Denied> {
    let account = super_user_account(actor)?;
    if target.account_id == Some(account) {
        Ok(())
    } else {
        Err(Denied::OtherAccount)
    }
}

/// A password is reset or changed only for an account that logs in with
/// one: not a contact who never registered, not a login turned off (a reset
/// must not undo "Active Login" off).
pub fn may_recover_login(user: &User) -> Result<(), Denied> {
    use crate::domain::UserStatus;
    match user.status {
        UserStatus::Active | UserStatus::PendingApproval if user.password_hash.is_some() => Ok(()),
        _ => Err(Denied::NoLogin),
    }
}

/// Nobody squats an address. Someone who has just proved they receive mail
/// at an address (they opened an invitation link mailed there) may take it
/// from the account `holder` that has it, unless that account proved it
/// first: an unconfirmed account (never verified, nor reset by mail) only
/// claims the address, it does not hold it. A contact without a login
/// (`invited`, no password) is not refused here either: registering from
/// the link turns that very row into the account (`register_contact`).
pub fn may_claim_address(holder: &User) -> Result<(), Denied> {
    if holder.email_verified_at.is_none() {
        Ok(())
    } else {
        Err(Denied::AddressHeld)
    }
}

/// Raising a case needs an active link to a company account.
pub fn may_raise_case(user: &User) -> Result<i64, Denied> {
    user.member_account().ok_or(Denied::AccountInactive)
}

/// A case is read by the member of its account who raised it and by the
/// account's super users; to anyone else it does not exist.
pub fn may_read_case(viewer: &User, case: &Case) -> Result<(), Denied> {
    let in_account = viewer.member_account() == Some(case.account_id);
    if in_account
        && (case.raised_by == viewer.id || viewer.super_user_of() == Some(case.account_id))
    {
        Ok(())
    } else {
        Err(Denied::OtherAccount)
    }
}
