//! Every "may this person do this" rule of Guildhall, each a named function
//! returning `Result<(), Denied>`. A newcomer finds a rule by grepping its
//! name; a use case calls it inside its own transaction, on what it has just
//! read, so the check and the write it guards see the same rows.
//!
//! - `group`: seeing a group, inviting, managing it and its members, which
//!   roles one may hand out (`may_grant`), client/partner segregation
//!   (`may_enter_group`);
//! - `account`: super users over their company account's people, support
//!   cases, whose password may be reset or changed (`may_recover_login`),
//!   who may take an address from an unconfirmed account (`may_claim_address`);
//! - `invitation`: who may answer an invitation;
//! - `invitation_policy`: a community's invitation policy (allowed and
//!   blocked domains, disposable addresses, who may invite, invitations
//!   off), checked on every path that makes, resends or accepts an
//!   invitation, and that a managed community only narrows it; "Any
//!   member" suggests (`may_suggest`);
//! - `join_link`: who may join by a multi-use join link.
//!
//! `GroupAccess` (what a viewer holds in a group and the communities above
//! it) is the subject of the group rules and lives here too.

mod access;
mod account;
mod denied;
mod group;
mod invitation;
mod invitation_policy;
mod join_link;

pub use access::{AdminClaim, GroupAccess, Inherited, admin_access};
pub use account::{
    may_claim_address, may_manage_account_user, may_raise_case, may_read_case, may_recover_login,
    super_user_account,
};
pub use denied::Denied;
pub use group::{
    may_enter_group, may_enter_group_as, may_enter_group_given, may_give_role, may_grant,
    may_invite, may_manage_group, may_manage_member, may_view_group, may_view_members,
};
pub use invitation::may_answer_invitation;
pub use invitation_policy::{
    Breach, invitations_off, may_invite_address, may_invite_under, may_narrow, may_suggest,
};
pub use join_link::may_use_join_link;
