//! Custom roles: the roles page of a community, creating, changing and
//! deleting roles, roles offered in managed communities, and the refusals
//! (no escalation, foreign role ids, roles in use), each asserting that
//! nothing changed.

use crate::backend_tests;
use crate::helpers::*;
use diesel::prelude::*;
use guildhall::db::schema::{audit_events, invitation_events, invitations, memberships, roles};

backend_tests!(
    member_manager_invites_but_cannot_manage_the_community,
    roles_page_lists_built_in_inherited_and_own_roles,
    bad_role_forms_are_refused_with_the_input_kept,
    no_one_gives_a_role_permissions_they_lack,
    a_role_of_another_community_cannot_be_edited_or_deleted,
    a_role_in_use_cannot_be_deleted,
    a_foreign_role_id_is_refused_in_role_changes_and_invitations,
    a_role_losing_manage_members_ends_its_holders_invitations,
    a_demoted_members_invitations_below_end_too,
);

pub(crate) const PW: &str = "correct horse battery";
const MEMBER_ABOVE: &str = "You cannot give a role permissions you do not have yourself.";

async fn create_group(app: &TestApp, c: &reqwest::Client, name: &str, slug: &str) {
    let p = app.new_group(c, name, slug, "invite_only").await;
    assert_eq!(p.status, 303, "{}", p.body);
}

async fn create_managed(app: &TestApp, c: &reqwest::Client, parent: &str, name: &str, slug: &str) {
    let p = app
        .submit_with(
            c,
            &format!("/groups/{parent}/communities/new"),
            &format!("/groups/{parent}/communities"),
            &[
                ("name", name),
                ("slug", slug),
                ("description", "A managed community."),
                ("join_method", "invite_only"),
                ("audience", "internal"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
}

/// A live role by name: built-in (group None) or of the group.
pub(crate) fn role_id(app: &TestApp, group: Option<&str>, name: &str) -> i64 {
    let g = group.map(|s| app.group_id(s));
    app.db(|c| {
        let mut q = roles::table
            .filter(roles::name.eq(name))
            .filter(roles::deleted_at.is_null())
            .select(roles::id)
            .into_boxed();
        q = match g {
            Some(g) => q.filter(roles::group_id.eq(g)),
            None => q.filter(roles::group_id.is_null()),
        };
        q.first(c).unwrap()
    })
}

type RoleRow = (
    i64,
    Option<i64>,
    String,
    String,
    String,
    Option<time::PrimitiveDateTime>,
);

/// Every role row, as it is stored.
fn all_roles(app: &TestApp) -> Vec<RoleRow> {
    app.db(|c| {
        roles::table
            .order(roles::id)
            .select((
                roles::id,
                roles::group_id,
                roles::name,
                roles::name_key,
                roles::permissions,
                roles::deleted_at,
            ))
            .load(c)
            .unwrap()
    })
}

/// (group id, user id, role id) of every membership.
fn all_memberships(app: &TestApp) -> Vec<(i64, i64, i64)> {
    app.db(|c| {
        memberships::table
            .order(memberships::id)
            .select((
                memberships::group_id,
                memberships::user_id,
                memberships::role_id,
            ))
            .load(c)
            .unwrap()
    })
}

/// Creates a role through the form; the answer (303 when done).
pub(crate) async fn create_role(
    app: &TestApp,
    c: &reqwest::Client,
    slug: &str,
    name: &str,
    perms: &[&str],
) -> Page {
    let mut form = vec![("name", name)];
    form.extend(perms.iter().map(|p| ("permissions", *p)));
    let page = format!("/groups/{slug}/roles");
    app.submit_with(c, &page, &page, &form).await
}

/// The flashes shown on the next page `c` opens.
async fn flashes(app: &TestApp, c: &reqwest::Client, path: &str) -> Vec<String> {
    texts(&app.get_with(c, path).await.body, ".flash")
}

/// Alice administers Main (an MSSP community) and its managed community Acme.
pub(crate) async fn community(app: &TestApp) -> (i64, reqwest::Client) {
    let (alice, a) = app.logged_in("alice", PW).await;
    create_group(app, &a, "Main", "main").await;
    create_managed(app, &a, "main", "Acme", "acme").await;
    (alice, a)
}

/// The community, and "Member manager" (manage_member only) made on Main.
async fn mssp(app: &TestApp) -> (i64, reqwest::Client, i64) {
    let (alice, a) = community(app).await;
    let p = create_role(app, &a, "main", "Member manager", &["manage_member"]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/groups/main/roles"));
    let mm = role_id(app, Some("main"), "Member manager");
    (alice, a, mm)
}

async fn member_manager_invites_but_cannot_manage_the_community(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice, mm) = mssp(&app).await;
    let stored = all_roles(&app).into_iter().find(|r| r.0 == mm).unwrap();
    assert_eq!(stored.1, Some(app.group_id("main")));
    assert_eq!(stored.4, "manage_member");

    let (bob, bc) = app.logged_in("bob", PW).await;
    app.add_member("main", bob, mm);
    for slug in ["main", "acme"] {
        let form = app.get_with(&bc, &format!("/groups/{slug}/invite")).await;
        assert_eq!(form.status, 200, "invite form of {slug}");
        // Bob may give only what he holds: the role he has.
        assert_eq!(
            texts(&form.body, "select[name=role_id] option"),
            vec!["Member manager"]
        );
        for page in ["settings", "roles"] {
            let p = app.get_with(&bc, &format!("/groups/{slug}/{page}")).await;
            assert_eq!(p.status, 403, "{page} of {slug}");
            assert!(
                p.main_text()
                    .contains("You do not have access to this feature.")
            );
        }
    }
    // Bob invites someone into the managed community.
    app.create_user("erin", PW);
    let p = app
        .send_invite(
            &bc,
            "acme",
            &[("send_to", "erin"), ("role_id", &mm.to_string())],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(app.count("invitations"), 1);

    // The role made on Main is offered in Acme: invite form and role select.
    let form = app.get_with(&alice, "/groups/acme/invite").await;
    assert!(texts(&form.body, "select[name=role_id] option").contains(&"Member manager".into()));
    let (carol, _) = app.logged_in("carol", PW).await;
    app.add_member("acme", carol, role_id(&app, None, "GroupMember"));
    let members = app.get_with(&alice, "/groups/acme/members").await;
    assert!(
        texts(&members.body, &format!("#role-{carol} option")).contains(&"Member manager".into())
    );
    let p = app
        .submit_with(
            &alice,
            "/groups/acme/members",
            &format!("/groups/acme/members/{carol}/role"),
            &[("role_id", &mm.to_string())],
        )
        .await;
    assert_eq!(p.status, 303);
    let acme = app.group_id("acme");
    assert!(all_memberships(&app).contains(&(acme, carol, mm)));
}

async fn roles_page_lists_built_in_inherited_and_own_roles(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice, _) = mssp(&app).await;
    let p = create_role(&app, &alice, "acme", "Case viewer", &["view_cases"]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(
        flashes(&app, &alice, "/groups/acme/roles").await,
        vec!["The role Case viewer has been created."]
    );
    let page = app.get_with(&alice, "/groups/acme/roles").await;
    assert_eq!(page.status, 200);
    assert_eq!(texts(&page.body, "h1"), vec!["Roles of Acme"]);
    assert_eq!(
        texts(&page.body, "table.roles th[scope=row]"),
        vec!["GroupAdmin", "GroupMember", "Case viewer", "Member manager"]
    );
    assert_eq!(
        texts(&page.body, "table.roles td.origin"),
        vec!["Built in", "Built in", "This community", "from Main"]
    );
    assert_eq!(
        texts(&page.body, "table.roles td.permissions")[3],
        "manage_member"
    );
    // Alice is GroupAdmin of Acme (she made it): one holder here.
    assert_eq!(
        texts(&page.body, "table.roles td.holders"),
        vec!["1", "0", "0", "0"]
    );
    // Only Acme's own role has an edit form here.
    assert_eq!(
        texts(&page.body, "details.role-edit summary"),
        vec!["Case viewer"]
    );
    // Every field of the forms has a label; checkboxes sit in a fieldset.
    for label in [
        "Invite and manage members (manage_member)",
        "Manage settings, roles and managed communities (manage_group)",
        "View members (view_members)",
        "Post messages (post_messages)",
        "View cases (view_cases)",
    ] {
        assert_eq!(
            texts(&page.body, "fieldset label")
                .iter()
                .filter(|t| *t == label)
                .count(),
            2,
            "{label}: the new-role form and Case viewer's"
        );
    }
    assert_eq!(texts(&page.body, "label[for=name]"), vec!["Name"]);
    // Main is invitation-only: to a stranger its roles page does not exist.
    let (_, stranger) = app.logged_in("stranger", PW).await;
    assert_eq!(
        app.get_with(&stranger, "/groups/main/roles").await.status,
        404
    );

    // Rename and re-permission, then delete: audited.
    let cv = role_id(&app, Some("acme"), "Case viewer");
    let p = app
        .submit_with(
            &alice,
            "/groups/acme/roles",
            &format!("/groups/acme/roles/{cv}"),
            &[
                ("name", "Case reader"),
                ("permissions", "view_cases"),
                ("permissions", "view_members"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let row = all_roles(&app).into_iter().find(|r| r.0 == cv).unwrap();
    assert_eq!(
        (row.2.as_str(), row.4.as_str()),
        ("Case reader", "view_members,view_cases")
    );
    let p = app
        .submit_with(
            &alice,
            "/groups/acme/roles",
            &format!("/groups/acme/roles/{cv}/delete"),
            &[],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(
        flashes(&app, &alice, "/groups/acme/roles").await,
        vec!["The role Case reader has been deleted."]
    );
    let row = all_roles(&app).into_iter().find(|r| r.0 == cv).unwrap();
    assert!(row.5.is_some());
    assert_eq!(row.3, format!("deleted:{cv}"));
    let page = app.get_with(&alice, "/groups/acme/roles").await;
    assert!(!texts(&page.body, "table.roles th[scope=row]").contains(&"Case reader".into()));
    // The name is free again.
    let p = create_role(&app, &alice, "acme", "Case reader", &["view_cases"]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let kinds: Vec<String> = app.db(|c| {
        audit_events::table
            .filter(audit_events::group_id.eq(app.group_id("acme")))
            .order(audit_events::id)
            .select(audit_events::kind)
            .load(c)
            .unwrap()
    });
    assert_eq!(
        kinds,
        vec![
            "role_created",
            "role_updated",
            "role_deleted",
            "role_created"
        ]
    );
}

async fn bad_role_forms_are_refused_with_the_input_kept(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice, _) = mssp(&app).await;
    let before = all_roles(&app);
    let long = "x".repeat(51);
    let cases: Vec<(&str, &str, Vec<&str>, &str)> = vec![
        ("main", "", vec!["view_members"], "Enter a name."),
        (
            "main",
            &long,
            vec!["view_members"],
            "A role name has at most 50 characters.",
        ),
        ("main", "Helper", vec![], "Choose at least one permission."),
        (
            "main",
            "Helper",
            vec!["superpowers"],
            "Choose at least one permission.",
        ),
        (
            "main",
            "groupadmin",
            vec!["view_members"],
            "This name is taken",
        ),
        (
            "main",
            "MEMBER MANAGER",
            vec!["view_members"],
            "This name is taken",
        ),
        // The name of a role above, and of a role below.
        (
            "acme",
            "member manager",
            vec!["view_members"],
            "This name is taken",
        ),
    ];
    for (slug, name, perms, msg) in cases {
        let p = create_role(&app, &alice, slug, name, &perms).await;
        assert_eq!(p.status, 422, "{name:?} {perms:?}");
        assert!(
            texts(&p.body, ".field-error")
                .iter()
                .any(|t| t.starts_with(msg)),
            "{name:?} {perms:?}: {:?}",
            texts(&p.body, ".field-error")
        );
    }
    // The input is kept.
    let p = create_role(&app, &alice, "main", "Helper", &[]).await;
    let doc = p.body.clone();
    assert!(doc.contains(r#"id="name" name="name" type="text" value="Helper""#));
    assert_eq!(all_roles(&app), before);

    // A role on Acme, then the same name on Main (a role below) is refused.
    assert_eq!(
        create_role(&app, &alice, "acme", "Helper", &["view_members"])
            .await
            .status,
        303
    );
    let p = create_role(&app, &alice, "main", "helper", &["view_members"]).await;
    assert_eq!(p.status, 422);
    let before = all_roles(&app);
    // Renaming to a taken name, or dropping every permission.
    let mm = role_id(&app, Some("main"), "Member manager");
    let edit = format!("/groups/main/roles/{mm}");
    let page = app.get_with(&alice, "/groups/main/roles").await;
    let form = app.form_posting_to(&page, "/groups/main/roles", &edit);
    for form in [
        // A name taken by a built-in role.
        form.clone()
            .with(&[("name", "GroupMember"), ("permissions", "manage_member")]),
        // Every permission unticked.
        form.clone()
            .with(&[("name", "Member manager")])
            .clear("permissions"),
    ] {
        let p = app.send(&alice, &form).await;
        assert_eq!(p.status, 422, "{:?}", form.fields());
        // The edit form of that role opens again with the error.
        assert!(p.body.contains("<details class=\"role-edit\" open>"));
    }
    assert_eq!(all_roles(&app), before);
}

async fn no_one_gives_a_role_permissions_they_lack(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice, mm) = mssp(&app).await;
    // A "settings admin": manage_group but not manage_member.
    assert_eq!(
        create_role(
            &app,
            &alice,
            "main",
            "Settings admin",
            &["manage_group", "view_members"]
        )
        .await
        .status,
        303
    );
    let sa = role_id(&app, Some("main"), "Settings admin");
    let (dave, dc) = app.logged_in("dave", PW).await;
    app.add_member("main", dave, sa);
    assert_eq!(app.get_with(&dc, "/groups/main/roles").await.status, 200);
    assert_eq!(app.get_with(&dc, "/groups/acme/roles").await.status, 200);
    let before = all_roles(&app);
    for slug in ["main", "acme"] {
        let p = create_role(
            &app,
            &dc,
            slug,
            "Sneaky",
            &["manage_member", "view_members"],
        )
        .await;
        assert_eq!(p.status, 422);
        assert!(texts(&p.body, ".field-error").contains(&MEMBER_ABOVE.to_string()));
    }
    assert_eq!(all_roles(&app), before);
    // Not offered an edit form for a role above his own, and refused when forged.
    let page = app.get_with(&dc, "/groups/main/roles").await;
    assert!(
        page.main_text()
            .contains("You cannot change this role: it has permissions you do not have.")
    );
    let p = app
        .forge_with(
            &dc,
            "/groups/main/roles",
            &format!("/groups/main/roles/{mm}"),
            &[("name", "Member manager"), ("permissions", "view_members")],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(
        flashes(&app, &dc, "/groups/main/roles").await,
        vec!["You cannot change or delete a role that has permissions you do not have."]
    );
    let p = app
        .forge_with(
            &dc,
            "/groups/main/roles",
            &format!("/groups/main/roles/{mm}/delete"),
            &[],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(all_roles(&app), before);
    // What he holds he may give; adding manage_member to it later is refused.
    assert_eq!(
        create_role(&app, &dc, "acme", "Reader", &["view_members"])
            .await
            .status,
        303
    );
    let reader = role_id(&app, Some("acme"), "Reader");
    let before = all_roles(&app);
    let p = app
        .submit_with(
            &dc,
            "/groups/acme/roles",
            &format!("/groups/acme/roles/{reader}"),
            &[
                ("name", "Reader"),
                ("permissions", "view_members"),
                ("permissions", "manage_member"),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(texts(&p.body, ".field-error").contains(&MEMBER_ABOVE.to_string()));
    assert_eq!(all_roles(&app), before);
    // A site admin is exempt (a member of nothing here but Acme is
    // invitation-only, so he joins Main as GroupMember first).
    app.create_admin("root", PW);
    let root = new_client();
    app.login_with(&root, "root", PW).await;
    let root_id = app.user_by_username("root").id;
    app.add_member("main", root_id, role_id(&app, None, "GroupMember"));
    let p = create_role(
        &app,
        &root,
        "main",
        "Deputy",
        &["manage_member", "manage_group"],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
}

async fn a_role_of_another_community_cannot_be_edited_or_deleted(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice, mm) = mssp(&app).await;
    create_group(&app, &alice, "Other", "other").await;
    assert_eq!(
        create_role(&app, &alice, "other", "Helper", &["view_members"])
            .await
            .status,
        303
    );
    let helper = role_id(&app, Some("other"), "Helper");
    let builtin = role_id(&app, None, "GroupMember");
    let before = all_roles(&app);
    // Another community's role; a role from above edited below; a built-in
    // role; an id that does not exist.
    for (slug, id) in [
        ("main", helper),
        ("acme", mm),
        ("main", builtin),
        ("main", 999_999),
    ] {
        let p = app
            .forge_with(
                &alice,
                &format!("/groups/{slug}/roles"),
                &format!("/groups/{slug}/roles/{id}"),
                &[("name", "Hijacked"), ("permissions", "view_members")],
            )
            .await;
        assert_eq!(p.status, 404, "save {id} on {slug}");
        let p = app
            .forge_with(
                &alice,
                &format!("/groups/{slug}/roles"),
                &format!("/groups/{slug}/roles/{id}/delete"),
                &[],
            )
            .await;
        assert_eq!(p.status, 404, "delete {id} on {slug}");
    }
    assert_eq!(all_roles(&app), before);
}

async fn a_role_in_use_cannot_be_deleted(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice, mm) = mssp(&app).await;
    let (bob, _) = app.logged_in("bob", PW).await;
    // Held in the managed community, not on Main where it is defined.
    app.add_member("acme", bob, mm);
    let before = (all_roles(&app), all_memberships(&app));
    let p = app
        .submit_with(
            &alice,
            "/groups/main/roles",
            &format!("/groups/main/roles/{mm}/delete"),
            &[],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(
        flashes(&app, &alice, "/groups/main/roles").await,
        vec!["This role is held by 1 member; give them another role first."]
    );
    assert_eq!((all_roles(&app), all_memberships(&app)), before);

    // Bob is the only one who manages members of Beta: manage_member
    // cannot be taken out of his role.
    create_managed(&app, &alice, "main", "Beta", "beta").await;
    app.add_member("beta", bob, mm);
    let (beta, member_role) = (app.group_id("beta"), role_id(&app, None, "GroupMember"));
    app.db(|c| {
        diesel::update(memberships::table.filter(memberships::group_id.eq(beta)))
            .filter(memberships::user_id.ne(bob))
            .set(memberships::role_id.eq(member_role))
            .execute(c)
            .unwrap()
    });
    let before = all_roles(&app);
    let p = app
        .submit_with(
            &alice,
            "/groups/main/roles",
            &format!("/groups/main/roles/{mm}"),
            &[("name", "Member manager"), ("permissions", "view_members")],
        )
        .await;
    assert_eq!(p.status, 303);
    assert!(
        flashes(&app, &alice, "/groups/main/roles").await[0]
            .starts_with("In some groups only the holders of this role manage members")
    );
    assert_eq!(all_roles(&app), before);
    let bob_in_beta = all_memberships(&app)
        .into_iter()
        .find(|m| m.0 == beta && m.1 == bob)
        .unwrap();
    app.db(|c| {
        diesel::delete(memberships::table.filter(memberships::group_id.eq(beta)))
            .filter(memberships::user_id.eq(bob_in_beta.1))
            .execute(c)
            .unwrap()
    });

    // Bob gets another role; a pending invitation still offers it.
    let member = role_id(&app, None, "GroupMember").to_string();
    app.submit_with(
        &alice,
        "/groups/acme/members",
        &format!("/groups/acme/members/{bob}/role"),
        &[("role_id", &member)],
    )
    .await;
    app.create_user("erin", PW);
    let p = app
        .send_invite(
            &alice,
            "acme",
            &[("send_to", "erin"), ("role_id", &mm.to_string())],
        )
        .await;
    assert_eq!(p.status, 200);
    let before = all_roles(&app);
    app.submit_with(
        &alice,
        "/groups/main/roles",
        &format!("/groups/main/roles/{mm}/delete"),
        &[],
    )
    .await;
    assert_eq!(
        flashes(&app, &alice, "/groups/main/roles").await,
        vec!["This role is offered by 1 pending invitation; cancel them first."]
    );
    assert_eq!(all_roles(&app), before);

    // Cancelled: now it goes.
    let inv: i64 = app.db(|c| invitations::table.select(invitations::id).first(c).unwrap());
    let p = app
        .submit_with(
            &alice,
            &format!("/groups/acme/invitations/{inv}/cancel"),
            &format!("/groups/acme/invitations/{inv}/cancel"),
            &[],
        )
        .await;
    assert_eq!(p.status, 303);
    app.submit_with(
        &alice,
        "/groups/main/roles",
        &format!("/groups/main/roles/{mm}/delete"),
        &[],
    )
    .await;
    let row = all_roles(&app).into_iter().find(|r| r.0 == mm).unwrap();
    assert!(row.5.is_some(), "deleted");
    // A deleted role is no longer offered.
    let form = app.get_with(&alice, "/groups/acme/invite").await;
    assert!(!texts(&form.body, "select[name=role_id] option").contains(&"Member manager".into()));
}

async fn a_foreign_role_id_is_refused_in_role_changes_and_invitations(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice, mm) = mssp(&app).await;
    create_group(&app, &alice, "Other", "other").await;
    create_role(&app, &alice, "other", "Helper", &["view_members"]).await;
    let helper = role_id(&app, Some("other"), "Helper");
    let (carol, _) = app.logged_in("carol", PW).await;
    app.add_member("acme", carol, role_id(&app, None, "GroupMember"));
    app.add_member("other", carol, role_id(&app, None, "GroupMember"));
    app.create_user("erin", PW);
    let before = all_memberships(&app);
    // Helper (Other's) in Acme; Member manager (Main's) in Other.
    for (slug, id) in [("acme", helper), ("other", mm)] {
        let p = app
            .submit_with(
                &alice,
                &format!("/groups/{slug}/members"),
                &format!("/groups/{slug}/members/{carol}/role"),
                &[("role_id", &id.to_string())],
            )
            .await;
        assert_eq!(p.status, 303);
        assert_eq!(
            flashes(&app, &alice, &format!("/groups/{slug}/members")).await,
            vec!["This role does not belong to this group."]
        );
        let p = app
            .send_invite(
                &alice,
                slug,
                &[("send_to", "erin"), ("role_id", &id.to_string())],
            )
            .await;
        assert_eq!(p.status, 422, "invite to {slug} with role {id}");
        assert!(
            p.main_text()
                .contains("Choose one of the roles you may give.")
        );
    }
    assert_eq!(all_memberships(&app), before);
    assert_eq!(app.count("invitations"), 0);
}

/// `who` invites `to` (a username) into `slug` with `role`; the page says so.
async fn invite_as(app: &TestApp, who: &reqwest::Client, slug: &str, to: &str, role: i64) {
    let p = app
        .send_invite(
            who,
            slug,
            &[("send_to", to), ("role_id", &role.to_string())],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.main_text().contains("1 invited"), "{}", p.body);
}

/// (invitee's username, status) of every invitation, oldest first.
fn invitation_statuses(app: &TestApp) -> Vec<(String, String)> {
    use guildhall::db::schema::users;
    app.db(|c| {
        invitations::table
            .inner_join(users::table.on(invitations::invitee_user_id.eq(users::id.nullable())))
            .order(invitations::id)
            .select((users::username.assume_not_null(), invitations::status))
            .load(c)
            .unwrap()
    })
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

async fn a_role_losing_manage_members_ends_its_holders_invitations(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice, mm) = mssp(&app).await;
    let admin = role_id(&app, None, "GroupAdmin");
    let member = role_id(&app, None, "GroupMember");
    // Bob can invite only through "Member manager" on Main (into Main and
    // Acme below it); carol holds it too, but is also an admin of Acme.
    let (bob, bc) = app.logged_in("bob", PW).await;
    let (carol, cc) = app.logged_in("carol", PW).await;
    app.add_member("main", bob, mm);
    app.add_member("main", carol, mm);
    app.add_member("acme", carol, admin);
    for name in ["erin", "fred", "gina", "hank"] {
        app.create_user(name, PW);
    }
    invite_as(&app, &bc, "acme", "erin", mm).await;
    invite_as(&app, &bc, "main", "fred", mm).await;
    invite_as(&app, &cc, "acme", "gina", mm).await;
    invite_as(&app, &alice, "main", "hank", member).await;

    let p = app
        .submit_with(
            &alice,
            "/groups/main/roles",
            &format!("/groups/main/roles/{mm}"),
            &[("name", "Member manager"), ("permissions", "view_members")],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(
        flashes(&app, &alice, "/groups/main/roles").await,
        vec![
            "The role Member manager has been saved. Its members can no longer invite: \
             2 pending invitations cancelled."
        ]
    );
    assert_eq!(
        invitation_statuses(&app),
        vec![
            pair("erin", "cancelled"),
            pair("fred", "cancelled"),
            pair("gina", "pending"),
            pair("hank", "pending"),
        ]
    );
    let revoked: i64 = app.db(|c| {
        invitation_events::table
            .filter(invitation_events::kind.eq("revoked"))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(revoked, 2);
    // Erin no longer sees an invitation to accept.
    let ec = new_client();
    app.login_with(&ec, "erin", PW).await;
    let inbox = app.get_with(&ec, "/invitations").await;
    assert!(
        inbox
            .main_text()
            .contains("You have no pending invitations.")
    );
}

async fn a_demoted_members_invitations_below_end_too(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice, mm) = mssp(&app).await;
    let member = role_id(&app, None, "GroupMember");
    let (bob, bc) = app.logged_in("bob", PW).await;
    app.add_member("main", bob, mm);
    app.create_user("erin", PW);
    invite_as(&app, &bc, "acme", "erin", mm).await;
    let p = app
        .submit_with(
            &alice,
            "/groups/main/members",
            &format!("/groups/main/members/{bob}/role"),
            &[("role_id", &member.to_string())],
        )
        .await;
    assert_eq!(p.status, 303);
    assert!(all_memberships(&app).contains(&(app.group_id("main"), bob, member)));
    // His invitation into Acme, given through his role on Main, ends too.
    assert_eq!(invitation_statuses(&app), vec![pair("erin", "cancelled")]);
}
