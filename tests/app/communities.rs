//! Communities: managed communities inside a main (MSSP) one, access
//! inherited from the communities above, invitations to a community or to
//! some of its managed communities, moving a group and refusing cycles.

use crate::backend_tests;
use crate::helpers::*;
use diesel::prelude::*;
use guildhall::db::schema::{group_ancestors, groups, invitations};

backend_tests!(
    parent_members_reach_every_managed_community,
    invited_to_two_managed_communities_sees_exactly_those,
    removal_from_the_parent_ends_inherited_access,
    cycles_and_other_audiences_are_refused,
    a_group_moved_under_a_community_is_reached_through_it,
    invite_preview_and_mail_state_the_reach,
    child_members_list_merges_inherited_members_in_pages,
    only_community_managers_create_managed_communities,
);

const PW: &str = "correct horse battery";

async fn create_group(app: &TestApp, c: &reqwest::Client, name: &str, slug: &str) -> Page {
    app.new_group(c, name, slug, "invite_only").await
}

pub(crate) async fn create_managed(
    app: &TestApp,
    c: &reqwest::Client,
    parent: &str,
    name: &str,
    slug: &str,
) -> Page {
    app.submit_with(
        c,
        &format!("/groups/{parent}/communities/new"),
        &format!("/groups/{parent}/communities"),
        &[
            ("name", name),
            ("slug", slug),
            ("description", ""),
            ("join_method", "invite_only"),
            // Ignored: a managed community takes its main community's audience.
            ("audience", "partner"),
        ],
    )
    .await
}

/// alice runs the invite-only main community `mssp` with managed
/// communities `m1`, `m2`, `m3`.
async fn mssp(app: &TestApp) -> reqwest::Client {
    let (_, alice) = app.logged_in("alice", PW).await;
    assert_eq!(create_group(app, &alice, "MSSP", "mssp").await.status, 303);
    for (name, slug) in [
        ("Managed One", "m1"),
        ("Managed Two", "m2"),
        ("Managed Three", "m3"),
    ] {
        let p = create_managed(app, &alice, "mssp", name, slug).await;
        assert_eq!(p.status, 303, "{}", p.body);
    }
    alice
}

/// POSTs the invite form of `mssp` as `client`.
async fn invite_mssp(app: &TestApp, client: &reqwest::Client, form: &[(&str, &str)]) -> Page {
    app.send_invite(client, "mssp", form).await
}

/// The closure rows of the whole tree, for "nothing changed" checks.
fn tree(app: &TestApp) -> Vec<(i64, i64, i32)> {
    app.db(|c| {
        group_ancestors::table
            .order((group_ancestors::group_id, group_ancestors::ancestor_id))
            .select((
                group_ancestors::group_id,
                group_ancestors::ancestor_id,
                group_ancestors::depth,
            ))
            .load(c)
            .unwrap()
    })
}

fn parent_of(app: &TestApp, slug: &str) -> Option<i64> {
    app.db(|c| {
        groups::table
            .filter(groups::slug.eq(slug))
            .select(groups::parent_id)
            .first(c)
            .unwrap()
    })
}

async fn status(app: &TestApp, c: &reqwest::Client, path: &str) -> u16 {
    app.get_with(c, path).await.status
}

async fn parent_members_reach_every_managed_community(b: Backend) {
    let app = spawn_app(b).await;
    let alice = mssp(&app).await;
    // Managed communities take the main community's audience.
    let audiences: Vec<String> = app.db(|c| {
        groups::table
            .filter(groups::parent_id.eq(app.group_id("mssp")))
            .select(groups::audience)
            .load(c)
            .unwrap()
    });
    assert_eq!(audiences, vec!["internal"; 3]);
    for slug in ["mssp", "m1", "m2", "m3"] {
        assert_eq!(status(&app, &alice, &format!("/groups/{slug}")).await, 200);
    }
    let home = app.get_with(&alice, "/groups/mssp").await;
    assert_eq!(
        texts(&home.body, ".community-list > li > ul > li"),
        vec!["Managed One", "Managed Three", "Managed Two"]
    );
    // Drawn as a tree: the main community on top, its own page marked.
    assert_eq!(
        texts(&home.body, ".community-list > li > [aria-current=page]"),
        vec!["MSSP"]
    );
    let one = app.get_with(&alice, "/groups/m1").await;
    assert_eq!(texts(&one.body, ".community-list > li > a"), vec!["MSSP"]);
    assert_eq!(
        texts(&one.body, ".community-list [aria-current=page]"),
        vec!["Managed One"]
    );

    // carol belongs to the main community only, as a plain member.
    let (carol_id, carol) = app.logged_in("carol", PW).await;
    app.add_member("mssp", carol_id, app.builtin_role("GroupMember"));
    for slug in ["mssp", "m1", "m2", "m3"] {
        assert_eq!(status(&app, &carol, &format!("/groups/{slug}")).await, 200);
    }
    let m1 = app.get_with(&carol, "/groups/m1").await;
    assert!(
        m1.main_text()
            .contains("You have access through MSSP (GroupMember)")
    );
    assert_eq!(texts(&m1.body, ".path a"), vec!["MSSP"]);
    // Her dashboard lists the four, the managed ones "through MSSP".
    let dash = app.get_with(&carol, "/").await;
    let mine = texts(&dash.body, ".group-list li");
    assert_eq!(mine.len(), 4, "{mine:?}");
    assert!(mine.contains(&"Managed One GroupMember, through MSSP".to_string()));
    assert!(mine.contains(&"MSSP GroupMember".to_string()));
    // The members page of a managed community says how each has access.
    let members = app.get_with(&carol, "/groups/m1/members").await;
    assert_eq!(members.status, 200);
    let rows = texts(&members.body, "table.members tbody tr td.access");
    assert_eq!(
        rows,
        vec!["Direct; also through MSSP", "Inherited from MSSP"]
    );
    // A plain member gets no power from inheritance: no invite form below.
    assert_eq!(status(&app, &carol, "/groups/m1/invite").await, 403);
    // The directory shows her the invitation-only groups she reaches.
    let dir = app.get_with(&carol, "/groups").await;
    for name in ["MSSP", "Managed One", "Managed Two", "Managed Three"] {
        assert!(
            dir.main_text().contains(name),
            "{name} missing from the directory"
        );
    }
}

async fn invited_to_two_managed_communities_sees_exactly_those(b: Backend) {
    let app = spawn_app(b).await;
    let alice = mssp(&app).await;
    let (dan_id, dan) = app.logged_in("dan", PW).await;
    let (m1, m2) = (app.group_id("m1"), app.group_id("m2"));
    let member = app.builtin_role("GroupMember").to_string();
    let mails_before = app.outbox().len();
    let p = invite_mssp(
        &app,
        &alice,
        &[
            ("send_to", "dan"),
            ("role_id", &member),
            ("scope", "chosen"),
            ("community", &m1.to_string()),
            ("community", &m2.to_string()),
            ("message", ""),
            ("action", "send"),
        ],
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.body);
    // One invitation per chosen community, none on the main one, one mail.
    let invited: Vec<(i64, i64)> = app.db(|c| {
        invitations::table
            .filter(invitations::invitee_user_id.eq(dan_id))
            .order(invitations::group_id)
            .select((invitations::id, invitations::group_id))
            .load(c)
            .unwrap()
    });
    assert_eq!(
        invited.iter().map(|i| i.1).collect::<Vec<_>>(),
        vec![m1, m2]
    );
    let mails: Vec<_> = app.outbox()[mails_before..]
        .iter()
        .filter(|m| m.recipient == "dan@example.com")
        .cloned()
        .collect();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].text_body.contains("Managed One and Managed Two"));
    for (id, _) in &invited {
        let r = app
            .submit_with(
                &dan,
                "/invitations",
                &format!("/invitations/{id}/accept"),
                &[],
            )
            .await;
        assert_eq!(r.status, 303);
    }
    assert_eq!(status(&app, &dan, "/groups/m1").await, 200);
    assert_eq!(status(&app, &dan, "/groups/m2").await, 200);
    // Neither the sibling nor the main community, even by URL.
    assert_eq!(status(&app, &dan, "/groups/m3").await, 404);
    assert_eq!(status(&app, &dan, "/groups/mssp").await, 404);
    assert_eq!(status(&app, &dan, "/groups/mssp/members").await, 404);

    // A managed community that is not below this one cannot be slipped in.
    create_group(&app, &alice, "Elsewhere", "elsewhere").await;
    let other = app.group_id("elsewhere").to_string();
    let before = app.count("invitations");
    let p = invite_mssp(
        &app,
        &alice,
        &[
            ("send_to", "erin@example.com"),
            ("role_id", &member),
            ("scope", "chosen"),
            ("community", &other),
            ("action", "send"),
        ],
    )
    .await;
    assert_eq!(p.status, 404);
    // Choosing none is a form error.
    let p = invite_mssp(
        &app,
        &alice,
        &[
            ("send_to", "erin@example.com"),
            ("role_id", &member),
            ("scope", "chosen"),
            ("action", "send"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    assert!(
        p.main_text()
            .contains("Choose at least one managed community.")
    );
    assert_eq!(app.count("invitations"), before);
}

async fn removal_from_the_parent_ends_inherited_access(b: Backend) {
    let app = spawn_app(b).await;
    let alice = mssp(&app).await;
    let (carol_id, carol) = app.logged_in("carol", PW).await;
    app.add_member("mssp", carol_id, app.builtin_role("GroupAdmin"));
    assert_eq!(status(&app, &carol, "/groups/m2").await, 200);
    // Inherited GroupAdmin: she manages the managed communities too.
    assert_eq!(status(&app, &carol, "/groups/m2/invite").await, 200);
    // Remove asks first and names what she loses; nothing changes yet.
    let ask = app
        .submit_with(
            &alice,
            "/groups/mssp/members",
            &format!("/groups/mssp/members/{carol_id}/remove"),
            &[],
        )
        .await;
    assert_eq!(ask.status, 200);
    assert_eq!(
        texts(&ask.body, "h1"),
        vec!["Remove Carol Tester from MSSP?"]
    );
    assert_eq!(
        texts(&ask.body, ".consequence"),
        vec![
            "They lose access to MSSP and its 3 managed communities, unless they belong to \
             those directly. You can invite them again later."
        ]
    );
    assert_eq!(status(&app, &carol, "/groups/m2").await, 200);
    let p = app
        .confirm_with(
            &alice,
            "/groups/mssp/members",
            &format!("/groups/mssp/members/{carol_id}/remove"),
            &[],
        )
        .await;
    assert_eq!(p.status, 303);
    // Her very next request: the managed communities are gone too.
    assert_eq!(status(&app, &carol, "/groups/m2").await, 404);
    assert_eq!(status(&app, &carol, "/groups/m2/invite").await, 404);
    assert_eq!(status(&app, &carol, "/groups/mssp").await, 404);
}

async fn cycles_and_other_audiences_are_refused(b: Backend) {
    let app = spawn_app(b).await;
    let alice = mssp(&app).await;
    let p = create_managed(&app, &alice, "m1", "Deep", "deep").await;
    assert_eq!(p.status, 303);
    let before = tree(&app);
    for target in ["m1", "deep", "mssp"] {
        let p = app
            .submit_with(
                &alice,
                "/groups/mssp/settings",
                "/groups/mssp/parent",
                &[("parent", target)],
            )
            .await;
        assert_eq!(p.status, 422, "moving mssp under {target}");
        assert!(
            p.main_text()
                .contains("A community cannot be placed inside itself or inside one of its managed communities."),
            "{target}"
        );
    }
    assert_eq!(tree(&app), before);
    assert_eq!(parent_of(&app, "mssp"), None);

    // Another audience: a partner group cannot sit in an internal community.
    app.submit_with(
        &alice,
        "/groups/new",
        "/groups",
        &[
            ("name", "Partners"),
            ("slug", "partners"),
            ("description", ""),
            ("join_method", "invite_only"),
            ("audience", "partner"),
        ],
    )
    .await;
    let p = app
        .submit_with(
            &alice,
            "/groups/partners/settings",
            "/groups/partners/parent",
            &[("parent", "mssp")],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(
        p.main_text()
            .contains("must have the audience and account of its main community")
    );
    // A community one does not manage is "no such community".
    let (_, bob) = app.logged_in("bob", PW).await;
    create_group(&app, &bob, "Bobs", "bobs").await;
    let p = app
        .submit_with(
            &bob,
            "/groups/bobs/settings",
            "/groups/bobs/parent",
            &[("parent", "mssp")],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(
        p.main_text()
            .contains("No community you manage has this address.")
    );
    // And bob has no settings page of mssp at all.
    assert_eq!(status(&app, &bob, "/groups/mssp/settings").await, 404);
    assert_eq!(tree(&app).len(), before.len() + 2);
    assert_eq!(parent_of(&app, "bobs"), None);
    assert_eq!(parent_of(&app, "partners"), None);
}

async fn a_group_moved_under_a_community_is_reached_through_it(b: Backend) {
    let app = spawn_app(b).await;
    let alice = mssp(&app).await;
    create_group(&app, &alice, "Lone", "lone").await;
    create_managed(&app, &alice, "lone", "Lone Child", "lone-child").await;
    let (carol_id, carol) = app.logged_in("carol", PW).await;
    app.add_member("mssp", carol_id, app.builtin_role("GroupMember"));
    assert_eq!(status(&app, &carol, "/groups/lone-child").await, 404);
    let p = app
        .submit_with(
            &alice,
            "/groups/lone/settings",
            "/groups/lone/parent",
            &[("parent", "mssp")],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(parent_of(&app, "lone"), Some(app.group_id("mssp")));
    // The whole subtree moved: the child is two levels below mssp now.
    let depth: i32 = app.db(|c| {
        group_ancestors::table
            .filter(group_ancestors::group_id.eq(app.group_id("lone-child")))
            .filter(group_ancestors::ancestor_id.eq(app.group_id("mssp")))
            .select(group_ancestors::depth)
            .first(c)
            .unwrap()
    });
    assert_eq!(depth, 2);
    assert_eq!(status(&app, &carol, "/groups/lone-child").await, 200);
    // And out again: the inherited access ends.
    let p = app
        .submit_with(
            &alice,
            "/groups/lone/settings",
            "/groups/lone/parent",
            &[("parent", "")],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(parent_of(&app, "lone"), None);
    assert_eq!(status(&app, &carol, "/groups/lone-child").await, 404);
    let rows = tree(&app)
        .into_iter()
        .filter(|(g, _, _)| *g == app.group_id("lone-child"))
        .count();
    assert_eq!(rows, 2, "itself and lone");
}

async fn invite_preview_and_mail_state_the_reach(b: Backend) {
    let app = spawn_app(b).await;
    let alice = mssp(&app).await;
    let form = app.get_with(&alice, "/groups/mssp/invite").await;
    assert_eq!(
        texts(&form.body, ".reach strong"),
        vec!["MSSP + 3 managed communities"]
    );
    assert!(
        form.main_text()
            .contains("MSSP + 3 managed communities on Guildhall")
    );
    let member = app.builtin_role("GroupMember").to_string();
    let m3 = app.group_id("m3").to_string();
    let p = invite_mssp(
        &app,
        &alice,
        &[
            ("send_to", "erin@example.com"),
            ("role_id", &member),
            ("scope", "chosen"),
            ("community", &m3),
            ("action", "preview"),
        ],
    )
    .await;
    assert_eq!(p.status, 200);
    assert_eq!(texts(&p.body, ".reach strong"), vec!["Managed Three"]);
    assert_eq!(app.count("invitations"), 0, "a preview sends nothing");
    // Sent to the whole community: one invitation, on the main community.
    let p = invite_mssp(
        &app,
        &alice,
        &[
            ("send_to", "erin@example.com"),
            ("role_id", &member),
            ("scope", "whole"),
            ("action", "send"),
        ],
    )
    .await;
    assert_eq!(p.status, 200);
    let groups: Vec<i64> = app.db(|c| {
        invitations::table
            .select(invitations::group_id)
            .load(c)
            .unwrap()
    });
    assert_eq!(groups, vec![app.group_id("mssp")]);
    let mail = app
        .outbox()
        .into_iter()
        .find(|m| m.recipient == "erin@example.com")
        .expect("a mail to erin");
    assert!(mail.text_body.contains("MSSP + 3 managed communities"));
}

async fn child_members_list_merges_inherited_members_in_pages(b: Backend) {
    let app = spawn_app(b).await;
    let alice = mssp(&app).await;
    // 70 members of the main community, 10 of them also in m1 directly,
    // and 5 of m1 only: 76 people in all with alice.
    let mut expected = vec!["alice".to_string()];
    let (mssp_id, m1_id) = (app.group_id("mssp"), app.group_id("m1"));
    let member = app.builtin_role("GroupMember");
    let now = app.clock.now();
    for i in 0..75 {
        let name = format!("u{i:03}");
        let id = app.create_user(&name, PW);
        app.db(|c| {
            use guildhall::services::groups::add_member;
            if i < 70 {
                add_member(c, mssp_id, id, member, None, now).unwrap();
            }
            if !(10..70).contains(&i) {
                add_member(c, m1_id, id, member, None, now).unwrap();
            }
        });
        expected.push(name);
    }
    let (mut seen, mut access) = (Vec::new(), Vec::new());
    let mut path = "/groups/m1/members".to_string();
    let mut pages = 0;
    loop {
        let p = app.get_with(&alice, &path).await;
        assert_eq!(p.status, 200);
        let names = texts(&p.body, "table.members td.member .username");
        assert!(names.len() <= 25);
        seen.extend(
            names
                .into_iter()
                .map(|n| n.trim_start_matches('@').to_string()),
        );
        access.extend(texts(&p.body, "table.members td.access"));
        pages += 1;
        let next = scraper::Html::parse_document(&p.body)
            .select(&scraper::Selector::parse("a[rel=next]").unwrap())
            .next()
            .and_then(|a| a.value().attr("href").map(str::to_string));
        match next {
            Some(n) => path = n,
            None => break,
        }
    }
    assert_eq!(pages, 4);
    // "Alice Tester", then "U000 Tester" … "U074 Tester": the numbers'
    // order, which is also their zero-padded text's.
    expected.sort();
    assert_eq!(seen, expected);
    // alice and u000–u009 are in both, u010–u069 inherit, u070–u074 only here.
    let count = |label: &str| access.iter().filter(|a| *a == label).count();
    assert_eq!(count("Direct; also through MSSP"), 11);
    assert_eq!(count("Inherited from MSSP"), 60);
    assert_eq!(count("Direct"), 5);
}

async fn only_community_managers_create_managed_communities(b: Backend) {
    let app = spawn_app(b).await;
    let _alice = mssp(&app).await;
    let (carol_id, carol) = app.logged_in("carol", PW).await;
    app.add_member("mssp", carol_id, app.builtin_role("GroupMember"));
    let before = app.count("groups");
    assert_eq!(
        status(&app, &carol, "/groups/mssp/communities/new").await,
        403
    );
    let page = app.get_with(&carol, "/groups/mssp").await;
    assert_eq!(page.status, 200, "{}", page.body);
    // Forged: carol's page offers no such form.
    let token = csrf_from(&page.body);
    let p = app
        .post_with(
            &carol,
            "/groups/mssp/communities",
            &[
                ("csrf_token", &token),
                ("name", "Sneaky"),
                ("slug", "sneaky"),
                ("join_method", "open"),
                ("audience", "internal"),
            ],
        )
        .await;
    assert_eq!(p.status, 403);
    assert_eq!(status(&app, &carol, "/groups/mssp/settings").await, 403);
    assert_eq!(app.count("groups"), before);
    // A site admin may, without being a member.
    app.create_admin("root", PW);
    let root = new_client();
    app.login_with(&root, "root", PW).await;
    let p = create_managed(&app, &root, "mssp", "By Admin", "by-admin").await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(parent_of(&app, "by-admin"), Some(app.group_id("mssp")));
}
