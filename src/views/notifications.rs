//! Notifications (templates/notifications/).

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "notifications/index.html")]
pub struct NotificationsPage {
    pub ctx: Ctx,
    pub rows: Vec<Notification>,
    pub next_before: Option<i64>,
    /// The newest notification shown: "Mark all as read" stops there.
    pub up_to: i64,
}
