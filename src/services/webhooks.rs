//! A community's webhooks (`/groups/{slug}/webhooks`, `manage_group`):
//! made with a URL, a secret and the events they hear; each hook's page
//! logs its deliveries, with "Send test event" and "Redeliver". Events are
//! queued by the changes themselves (`models::webhook`) and delivered by
//! `crate::webhooks::WebhookWorker`.

use crate::db::{self, PageSize};
use crate::domain::FormErrors;
use crate::domain::webhook::EVENTS;
use crate::error::{AppError, AppResult};
use crate::models::User;
use crate::models::webhook::{self, Delivery, Webhook};
use crate::policy::GroupAccess;
use crate::services::App;
use crate::services::communities::managed_group;

/// Hooks one community may have.
pub const MAX_HOOKS: i64 = 20;
const URL_MAX: usize = 2000;
const SECRET_MIN: usize = 16;
const SECRET_MAX: usize = 200;
/// Deliveries a hook's page shows at once.
const DELIVERIES: PageSize = PageSize(50);

/// The "New webhook" form as typed.
#[derive(Debug, Default, Clone)]
pub struct HookInput {
    pub url: String,
    pub secret: String,
    pub events: Vec<String>,
}

impl HookInput {
    /// From the raw form pairs (`event` repeats).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut input = HookInput::default();
        for (k, v) in pairs {
            match k.as_str() {
                "url" => input.url = v,
                "secret" => input.secret = v,
                "event" if !input.events.contains(&v) => input.events.push(v),
                _ => {}
            }
        }
        input
    }

    /// A fresh form: every event chosen.
    pub fn fresh() -> Self {
        HookInput {
            events: EVENTS.iter().map(|(e, _)| e.to_string()).collect(),
            ..Default::default()
        }
    }

    pub fn has_event(&self, e: &str) -> bool {
        self.events.iter().any(|x| x == e)
    }

    /// The checks that need no network or database.
    fn check(&self) -> Result<(String, String), FormErrors> {
        let mut e = FormErrors::default();
        if self.url.trim().is_empty() {
            e.add("url", "Enter the URL the events are posted to.");
        } else if self.url.len() > URL_MAX {
            e.add(
                "url",
                format!("Enter a URL of at most {URL_MAX} characters."),
            );
        }
        let secret = self.secret.trim();
        let n = secret.chars().count();
        if n > 0 && !(SECRET_MIN..=SECRET_MAX).contains(&n) {
            e.add(
                "secret",
                format!(
                    "Enter a secret of {SECRET_MIN} to {SECRET_MAX} characters, or leave it empty to have one made."
                ),
            );
        }
        if self.events.is_empty() {
            e.add("event", "Choose at least one event.");
        } else if self
            .events
            .iter()
            .any(|x| !crate::domain::webhook::is_event(x))
        {
            e.add("event", "Choose among the events listed.");
        }
        if !e.is_empty() {
            return Err(e);
        }
        // In the order of the list, whatever the form's order.
        let events: Vec<&str> = EVENTS
            .iter()
            .map(|(x, _)| *x)
            .filter(|x| self.has_event(x))
            .collect();
        let secret = if secret.is_empty() {
            crate::auth::tokens::random()
        } else {
            secret.to_string()
        };
        Ok((events.join(" "), secret))
    }
}

/// A hook just made: its id and the secret, shown once.
pub struct MadeHook {
    pub id: i64,
    pub secret: String,
}

/// What `/groups/{slug}/webhooks` shows.
pub struct HooksPage {
    pub access: GroupAccess,
    /// Each hook with its latest delivery.
    pub hooks: Vec<(Webhook, Option<Delivery>)>,
}

/// What a hook's page shows.
pub struct HookPage {
    pub access: GroupAccess,
    pub hook: Webhook,
    pub deliveries: Vec<Delivery>,
    /// The next page's cursor (deliveries before this id).
    pub next: Option<i64>,
}

impl App {
    pub async fn webhooks_page(&self, slug: String, actor: &User) -> AppResult<HooksPage> {
        let actor = actor.clone();
        self.on_pool(move |c, _| {
            let access = managed_group(c, &slug, &actor)?;
            let mut hooks = Vec::new();
            for h in webhook::of_group(c, access.group.id, MAX_HOOKS)? {
                let latest = webhook::deliveries(c, h.id, None, 1)?.pop();
                hooks.push((h, latest));
            }
            Ok(HooksPage { access, hooks })
        })
        .await
    }

    /// Makes a hook from the form: the URL is checked (and resolved)
    /// first, then the right, the limit and the write in one transaction.
    pub async fn create_webhook(
        &self,
        slug: String,
        actor: &User,
        input: HookInput,
    ) -> AppResult<Result<MadeHook, FormErrors>> {
        let (events, secret) = match input.check() {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        let url = match crate::webhooks::check_target(&input.url, self.config.webhook_allow_private)
            .await
        {
            Ok(u) => u.to_string(),
            Err(why) => {
                let mut e = FormErrors::default();
                e.add("url", why.to_string());
                return Ok(Err(e));
            }
        };
        let actor = actor.clone();
        self.on_pool(move |c, now| {
            db::write_tx(c, |c| {
                let access = managed_group(c, &slug, &actor)?;
                if webhook::count_of_group(c, access.group.id)? >= MAX_HOOKS {
                    let mut e = FormErrors::default();
                    e.add(
                        "url",
                        format!("A community has at most {MAX_HOOKS} webhooks: delete one first."),
                    );
                    return Ok(Err(e));
                }
                let id =
                    webhook::insert(c, access.group.id, &url, &secret, &events, actor.id, now)?;
                Ok(Ok(MadeHook { id, secret }))
            })
        })
        .await
    }

    /// Hook `id` of the community at `slug`, for its delete confirmation.
    pub async fn webhook(&self, slug: String, actor: &User, id: i64) -> AppResult<Webhook> {
        let actor = actor.clone();
        self.on_pool(move |c, _| {
            let access = managed_group(c, &slug, &actor)?;
            webhook::find_in_group(c, access.group.id, id)?.ok_or_else(AppError::not_found)
        })
        .await
    }

    pub async fn webhook_page(
        &self,
        slug: String,
        actor: &User,
        id: i64,
        before: Option<i64>,
    ) -> AppResult<HookPage> {
        let actor = actor.clone();
        self.on_pool(move |c, _| {
            let access = managed_group(c, &slug, &actor)?;
            let hook =
                webhook::find_in_group(c, access.group.id, id)?.ok_or_else(AppError::not_found)?;
            let mut deliveries = webhook::deliveries(c, hook.id, before, DELIVERIES.fetch())?;
            let next = DELIVERIES.next(&mut deliveries, |d| d.id);
            Ok(HookPage {
                access,
                hook,
                deliveries,
                next,
            })
        })
        .await
    }

    /// "Delete webhook": the hook and its deliveries go.
    pub async fn delete_webhook(&self, slug: String, actor: &User, id: i64) -> AppResult<()> {
        self.on_hook(slug, actor, id, |c, hook, _, _| {
            webhook::delete(c, hook.id)?;
            Ok(())
        })
        .await
    }

    /// "Send test event": a `ping` queued behind the hook's other events.
    pub async fn send_test_event(&self, slug: String, actor: &User, id: i64) -> AppResult<()> {
        self.on_hook(slug, actor, id, |c, hook, actor, now| {
            webhook::queue_ping(c, &hook, actor.id, now)?;
            Ok(())
        })
        .await
    }

    /// "Redeliver": the delivery queued again with the same key.
    pub async fn redeliver(
        &self,
        slug: String,
        actor: &User,
        id: i64,
        delivery: i64,
    ) -> AppResult<()> {
        self.on_hook(slug, actor, id, move |c, hook, _, now| {
            if webhook::redeliver(c, hook.id, delivery, now)? {
                Ok(())
            } else {
                Err(AppError::not_found())
            }
        })
        .await
    }

    /// Runs `f` on hook `id` of the community at `slug`, the right to
    /// manage it checked in the same transaction.
    async fn on_hook<T: Send + 'static>(
        &self,
        slug: String,
        actor: &User,
        id: i64,
        f: impl FnOnce(&mut db::DbConn, Webhook, &User, time::PrimitiveDateTime) -> AppResult<T>
        + Send
        + 'static,
    ) -> AppResult<T> {
        let actor = actor.clone();
        self.on_pool(move |c, now| {
            db::write_tx(c, |c| {
                let access = managed_group(c, &slug, &actor)?;
                let hook = webhook::find_in_group(c, access.group.id, id)?
                    .ok_or_else(AppError::not_found)?;
                f(c, hook, &actor, now)
            })
        })
        .await
    }
}
