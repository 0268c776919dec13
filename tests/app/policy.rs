//! Every rule of `guildhall::policy`, each with an allowed and a refused
//! case, on a small world in a real database (both backends): the group
//! rules read the viewer's access from the memberships, segregation reads
//! the company accounts.

use crate::backend_tests;
use crate::helpers::*;
use guildhall::domain::segregation::PARTNER_IN_CLIENT_GROUP;
use guildhall::domain::{Permission, Permissions};
use guildhall::models::{User, group, role, user};
use guildhall::policy::{self, Denied, GroupAccess};
use guildhall::services::{cases, company_accounts, roles};

backend_tests!(policy_rules);

const PW: &str = "correct horse battery";

fn access(app: &TestApp, slug: &str, viewer: i64) -> GroupAccess {
    app.db(|c| GroupAccess::load_unhidden(c, slug, Some(viewer)).unwrap())
}

fn load(app: &TestApp, id: i64) -> User {
    app.db(|c| user::find(c, id).unwrap())
}

/// A company account of `kind` with `members`; the first is its super user.
fn account(app: &TestApp, root: i64, name: &str, kind: &str, members: &[&str]) -> i64 {
    let now = app.clock.now();
    app.db(|c| {
        let spec = company_accounts::AccountInput {
            name: name.into(),
            kind: kind.into(),
        }
        .parse()
        .ok()
        .unwrap();
        let id = company_accounts::create_account(c, root, &spec, now)
            .unwrap()
            .unwrap();
        for m in members {
            company_accounts::attach_user(c, root, m, Some(id), now)
                .unwrap()
                .unwrap();
        }
        company_accounts::set_super_user(c, root, members[0], true, now)
            .unwrap()
            .unwrap();
        id
    })
}

async fn policy_rules(b: Backend) {
    let app = spawn_app(b).await;
    let root_id = app.create_admin("root", PW);
    let (alice_id, alice) = app.logged_in("alice", PW).await;
    let bob_id = app.create_user("bob", PW);
    let carol_id = app.create_user("carol", PW);
    app.new_group(&alice, "Big", "big", "open").await;
    app.new_group(&alice, "Secret", "secret", "invite_only")
        .await;
    app.new_group(&alice, "Other", "other", "open").await;
    app.add_member("big", bob_id, app.builtin_role("GroupMember"));
    let (root, alice_u, bob) = (
        load(&app, root_id),
        load(&app, alice_id),
        load(&app, bob_id),
    );
    let admin_role = app.db(|c| role::builtin(c, role::GROUP_ADMIN).unwrap());
    let member_role = app.db(|c| role::builtin(c, role::GROUP_MEMBER).unwrap());
    let now = app.clock.now();
    // A custom role of "other" (foreign to "big"), and one of "big" that
    // manages members but not the group.
    let custom = |slug: &str, name: &str, perms: &[&str]| {
        let input = roles::RoleInput {
            name: name.into(),
            permissions: perms.iter().map(|p| p.to_string()).collect(),
        };
        let made = app.db(|c| roles::create(c, slug, &alice_u, &input, now).unwrap());
        assert!(made.is_ok(), "role {name} not made");
        app.db(|c| {
            role::for_path(c, &[app.group_id(slug)])
                .unwrap()
                .into_iter()
                .find(|r| r.name == name)
                .unwrap()
        })
    };
    let foreign = custom("other", "Helper", &["post_messages"]);
    let manager = custom(
        "big",
        "Manager",
        &[
            "manage_member",
            "view_members",
            "post_messages",
            "view_cases",
        ],
    );
    let dave_id = app.create_user("dave", PW);
    app.add_member("big", dave_id, manager.id);

    let (a_alice, a_bob, a_carol, a_root, a_dave) = (
        access(&app, "big", alice_id),
        access(&app, "big", bob_id),
        access(&app, "big", carol_id),
        access(&app, "big", root_id),
        access(&app, "big", dave_id),
    );

    // may_view_group: an invitation-only group is hidden from outsiders only.
    assert_eq!(
        policy::may_view_group(&access(&app, "secret", alice_id)),
        Ok(())
    );
    assert_eq!(
        policy::may_view_group(&access(&app, "secret", carol_id)),
        Err(Denied::Hidden)
    );
    assert_eq!(
        policy::may_view_group(&a_carol),
        Ok(()),
        "open groups are seen"
    );
    assert!(app.db(|c| GroupAccess::load(c, "secret", Some(carol_id)).is_err()));

    // may_view_members
    assert_eq!(policy::may_view_members(&a_bob), Ok(()));
    assert_eq!(policy::may_view_members(&a_carol), Err(Denied::NoAccess));

    // may_invite
    assert_eq!(policy::may_invite(&a_alice), Ok(()));
    assert_eq!(policy::may_invite(&a_dave), Ok(()));
    assert_eq!(policy::may_invite(&a_bob), Err(Denied::NoAccess));

    // may_manage_group: site admins shape every community.
    assert_eq!(policy::may_manage_group(&a_alice, &alice_u), Ok(()));
    assert_eq!(policy::may_manage_group(&a_root, &root), Ok(()));
    assert_eq!(
        policy::may_manage_group(&a_dave, &load(&app, dave_id)),
        Err(Denied::NoAccess)
    );

    // may_grant: nobody grants above their own.
    let all: Permissions = Permission::ALL.into_iter().collect();
    assert_eq!(policy::may_grant(&a_alice, &alice_u, all), Ok(()));
    assert_eq!(policy::may_grant(&a_root, &root, all), Ok(()));
    assert_eq!(
        policy::may_grant(&a_bob, &bob, admin_role.perms()),
        Err(Denied::RoleAboveOwn)
    );
    assert_eq!(policy::may_grant(&a_bob, &bob, member_role.perms()), Ok(()));

    // may_give_role: the role must be offered here, then grantable.
    assert_eq!(policy::may_give_role(&a_alice, &alice_u, &manager), Ok(()));
    assert_eq!(
        policy::may_give_role(&a_alice, &alice_u, &foreign),
        Err(Denied::ForeignRole)
    );
    assert_eq!(
        policy::may_give_role(&a_dave, &load(&app, dave_id), &admin_role),
        Err(Denied::RoleAboveOwn)
    );

    // may_manage_member: the power, and never over someone above oneself.
    assert_eq!(policy::may_manage_member(&a_alice, &member_role), Ok(()));
    assert_eq!(policy::may_manage_member(&a_dave, &member_role), Ok(()));
    assert_eq!(
        policy::may_manage_member(&a_dave, &admin_role),
        Err(Denied::MemberAboveOwn)
    );
    assert_eq!(
        policy::may_manage_member(&a_bob, &member_role),
        Err(Denied::NoAccess)
    );

    // may_enter_group: a partner never enters a client group.
    app.create_user("pat", PW);
    app.create_user("cleo", PW);
    let partner = account(&app, root_id, "Partner Co", "partner", &["pat"]);
    let client = account(&app, root_id, "Client Co", "client", &["cleo"]);
    let mut client_group = app.db(|c| group::find_by_slug(c, "big").unwrap().unwrap());
    client_group.audience = "client".into();
    let (pat, cleo) = (
        app.user_by_username("pat").id,
        app.user_by_username("cleo").id,
    );
    assert_eq!(
        app.db(|c| policy::may_enter_group(c, &client_group, pat).unwrap()),
        Err(Denied::Segregated(PARTNER_IN_CLIENT_GROUP))
    );
    assert_eq!(
        app.db(|c| policy::may_enter_group(c, &client_group, cleo).unwrap()),
        Ok(Some(client))
    );
    // The same rule for a user already read (the invite form's path).
    let (pat_u, cleo_u) = (load(&app, pat), load(&app, cleo));
    assert_eq!(
        app.db(|c| policy::may_enter_group_as(c, &client_group, &pat_u).unwrap()),
        Err(Denied::Segregated(PARTNER_IN_CLIENT_GROUP))
    );
    assert_eq!(
        app.db(|c| policy::may_enter_group_as(c, &client_group, &cleo_u).unwrap()),
        Ok(Some(client))
    );
    assert_eq!(
        app.db(|c| policy::may_enter_group_as(c, &client_group, &bob).unwrap()),
        Ok(None),
        "a user of no company account may enter a client group"
    );

    // Super users manage their own account's people only.
    assert_eq!(policy::super_user_account(&pat_u), Ok(partner));
    assert_eq!(policy::may_manage_account_user(&pat_u, &pat_u), Ok(()));
    assert_eq!(
        policy::may_manage_account_user(&pat_u, &cleo_u),
        Err(Denied::OtherAccount)
    );
    assert_eq!(
        policy::may_manage_account_user(&bob, &cleo_u),
        Err(Denied::NotSuperUser)
    );

    // Cases: raised with an account, read by the raiser and super users.
    assert_eq!(policy::may_raise_case(&cleo_u), Ok(client));
    assert_eq!(policy::may_raise_case(&bob), Err(Denied::AccountInactive));
    let spec = cases::CaseInput {
        title: "Printer on fire".into(),
        description: "Again.".into(),
    }
    .parse()
    .ok()
    .unwrap();
    let case_id = app
        .db(|c| cases::raise(c, cleo, &spec, now).unwrap())
        .unwrap();
    let case = app.db(|c| {
        guildhall::models::case::find(c, case_id)
            .unwrap()
            .unwrap()
            .0
    });
    assert_eq!(policy::may_read_case(&cleo_u, &case), Ok(()));
    assert_eq!(
        policy::may_read_case(&pat_u, &case),
        Err(Denied::OtherAccount)
    );

    // may_answer_invitation: only the person it was sent to.
    let page = app
        .send_invite(
            &alice,
            "big",
            &[
                ("send_to", "carol"),
                ("role_id", &member_role.id.to_string()),
                ("action", "send"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let inv = app.db(|c| {
        use diesel::prelude::*;
        use guildhall::db::schema::invitations;
        invitations::table
            .filter(invitations::invitee_user_id.eq(carol_id))
            .select(invitations::id)
            .first::<i64>(c)
            .unwrap()
    });
    let inv = app.db(|c| {
        guildhall::models::invitation::find(c, inv)
            .unwrap()
            .unwrap()
    });
    assert_eq!(
        policy::may_answer_invitation(&load(&app, carol_id), &inv),
        Ok(())
    );
    assert_eq!(
        policy::may_answer_invitation(&bob, &inv),
        Err(Denied::NotTheInvitee)
    );

    // may_claim_address: an account that never confirmed its address does
    // not hold it against someone who proves it; a confirmed one does.
    let mut unconfirmed = load(&app, carol_id);
    unconfirmed.email_verified_at = None;
    assert_eq!(policy::may_claim_address(&unconfirmed), Ok(()));
    assert_eq!(
        policy::may_claim_address(&load(&app, carol_id)),
        Err(Denied::AddressHeld)
    );
}
