//! The invite form's POST as one use case: what the form may choose from is
//! read with the visitor, then the list is previewed, checked, or sent
//! entry by entry with its results kept as a report (POST/redirect/GET).
//! Its own service because it joins `invitations` and `invite_reports`.

use crate::db::{self, DbConn};
use crate::domain::FormErrors;
use crate::error::{AppError, AppResult};
use crate::models::{Role, User, send_count};
use crate::policy::{self, GroupAccess};
use crate::services::App;
use crate::services::invitations::{self, InviteInput};
use crate::services::invite_reports::{self, EntryResult};

/// What the form's button (or the page's script) asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendAction {
    /// "Send Invitation", or one slice of the script's.
    Send,
    /// "Preview": the form again with the mail preview open.
    Preview,
    /// The script's first request: may the whole list be sent?
    Check,
}

impl SendAction {
    fn of(input: &InviteInput) -> Self {
        match input.action.as_deref() {
            Some("preview") => Self::Preview,
            Some("check") => Self::Check,
            _ => Self::Send,
        }
    }
}

/// The group and what its form may choose from.
pub struct SendScope {
    access: GroupAccess,
    roles: Vec<Role>,
    /// "Also invite to" groups, each one the inviter may invite to.
    extra: Vec<GroupAccess>,
    /// The group itself, or the managed communities chosen below it.
    targets: Vec<GroupAccess>,
    /// How many managed communities the group has.
    managed: usize,
}

/// Reads the scope of `input` in `slug`'s group, answering 404 / 403 as the
/// form's own page would. Runs in the visitor's read (`CurrentUser::with`).
pub fn send_scope(
    c: &mut DbConn,
    slug: &str,
    viewer: &User,
    input: &InviteInput,
) -> AppResult<SendScope> {
    let access = policy::admin_access(c, slug, viewer.id)?;
    let roles = invitations::grantable_roles(c, &access, viewer)?;
    let extra = invitations::extra_groups(c, viewer.id, &input.also)?;
    let (targets, managed) = invitations::targets(c, access.clone(), viewer.id, input)?;
    Ok(SendScope {
        access,
        roles,
        extra,
        targets,
        managed,
    })
}

/// What became of the form.
pub enum SendOutcome {
    /// The form again with the preview open; nothing checked or sent.
    Preview {
        access: GroupAccess,
        input: InviteInput,
    },
    /// The form again with what to correct; nothing was sent.
    Invalid {
        access: GroupAccess,
        input: InviteInput,
        errors: FormErrors,
    },
    /// `Check`: the whole list may be sent.
    Valid,
    /// Every entry was tried, all in one transaction, and `report` keeps
    /// what each came to.
    Sent {
        slug: String,
        report: i64,
        results: Vec<EntryResult>,
    },
}

impl App {
    /// The invite form sent by `inviter`: all or nothing (one transaction),
    /// so a crash or an error mid-list leaves no half-sent list.
    pub async fn send_invitations(
        &self,
        inviter: &User,
        scope: SendScope,
        input: InviteInput,
    ) -> AppResult<SendOutcome> {
        let action = SendAction::of(&input);
        let SendScope {
            access,
            roles,
            extra,
            targets,
            managed,
        } = scope;
        if action == SendAction::Preview {
            return Ok(SendOutcome::Preview { access, input });
        }
        let parsed = input
            .parse(&roles)
            .and_then(|r| invitations::check_extra(r, &extra, inviter))
            .and_then(|r| invitations::check_targets(r, &input, &targets, managed, inviter));
        let request = match parsed {
            Err(errors) => {
                return Ok(SendOutcome::Invalid {
                    access,
                    input,
                    errors,
                });
            }
            Ok(_) if action == SendAction::Check => return Ok(SendOutcome::Valid),
            Ok(request) => request,
        };
        let now = self.clock.now();
        let (app, inviter, group_id) = (self.clone(), inviter.clone(), access.group.id);
        let (report, results) = self
            .writer
            .run(move |c| {
                let env = app.invite_env();
                let targets: Vec<&GroupAccess> = targets.iter().chain(extra.iter()).collect();
                // Every entry into every group, reserved before the list is
                // written; what the list did not spend goes back after.
                let wants: Vec<i64> = request
                    .recipients
                    .iter()
                    .flat_map(|_| targets.iter().map(|a| a.group.id))
                    .collect();
                let limits = invitations::limits(env.config);
                let grant = send_count::reserve(c, inviter.id, &wants, limits, now)?;
                let mut sender = invitations::Sender::new(&inviter, grant);
                let reserved = sender.grant.clone();
                let send_list = |c: &mut DbConn, sender: &mut invitations::Sender<'_>| {
                    db::write_tx(c, |c| {
                        let existing =
                            invite_reports::existing(c, input.report, group_id, inviter.id)?;
                        let mut results = Vec::with_capacity(request.recipients.len());
                        for r in &request.recipients {
                            let (outcome, groups) = invitations::invite_one(
                                c, &env, &targets, sender, &request, r, now,
                            )?;
                            results.push(EntryResult {
                                entry: r.label().to_string(),
                                outcome,
                                groups: invitations::join_names(&groups),
                            });
                        }
                        let report = invite_reports::record(
                            c, existing, group_id, inviter.id, &input, &results, now,
                        )?;
                        AppResult::Ok((report, results))
                    })
                };
                // First without a savepoint per entry (two statements each
                // saved); only a race the unique index decides needs them,
                // and then the list is tried again with them.
                sender.guarded = false;
                let mut sent = send_list(c, &mut sender);
                if sent.as_ref().is_err_and(AppError::is_unique_violation) {
                    sender.grant = reserved;
                    sender.guarded = true;
                    sent = send_list(c, &mut sender);
                }
                if sent.is_err() {
                    sender.grant.forget_spent();
                }
                sender.grant.settle(c)?;
                sent
            })
            .await?;
        if results.iter().any(|l| l.outcome.is_success()) {
            self.mail_wakeup.notify_one();
        }
        Ok(SendOutcome::Sent {
            slug: access.group.slug,
            report,
            results,
        })
    }
}
