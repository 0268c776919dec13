//! Custom roles in a real browser, on both backends: alice opens the roles
//! page of her MSSP community, is refused an empty form, creates "Member
//! manager", changes it, and sees it offered (from Main) in the managed
//! community. Each page is checked with axe-core at a desktop and a phone
//! width; the page with the new role is saved as
//! `target/screenshots/roles-{1280,390}.png`.

use crate::backend_tests;
use crate::browser::Browser;
use crate::helpers::spawn_app;
use crate::roles::{PW, community, role_id};

backend_tests!(browser_custom_roles);

async fn browser_custom_roles(b: crate::helpers::Backend) {
    let app = spawn_app(b).await;
    community(&app).await;
    let browser = Browser::start(&app).await;
    browser.log_in("alice", PW).await;
    browser.goto("/groups/main/settings").await;
    browser.follow("Roles").await;
    browser.assert_path("/groups/main/roles").await;
    browser
        .assert_sees(&["Roles of Main", "GroupAdmin", "Built in", "New role"])
        .await;
    browser.check_a11y("roles page").await;

    browser.press("Create role").await;
    browser
        .assert_sees(&["Enter a name.", "Choose at least one permission."])
        .await;
    browser.check_a11y("roles page, new role with errors").await;

    browser.fill("#name", "Member manager").await;
    browser.click("#perm-manage_member").await;
    browser.press("Create role").await;
    browser
        .assert_sees(&["The role Member manager has been created."])
        .await;
    browser.check_a11y("roles page with a custom role").await;
    browser.screenshots("roles").await;

    let id = role_id(&app, Some("main"), "Member manager");
    browser.click("details.role-edit summary").await;
    browser
        .fill(&format!("#name-{id}"), "Member managers")
        .await;
    browser.click(&format!("#perm-{id}-view_members")).await;
    browser.press("Save Member manager").await;
    browser
        .assert_sees(&["The role Member managers has been saved."])
        .await;
    let row = app.db(|c| {
        use diesel::prelude::*;
        use guildhall::db::schema::roles;
        roles::table
            .find(id)
            .select(roles::permissions)
            .first::<String>(c)
            .unwrap()
    });
    assert_eq!(row, "manage_member,view_members");

    browser.goto("/groups/acme/roles").await;
    browser
        .assert_sees(&["Roles of Acme", "Member managers", "from Main"])
        .await;
    browser
        .check_a11y("roles page of a managed community")
        .await;
    browser.quit().await;
}
