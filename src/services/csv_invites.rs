//! Invitations from a CSV file (`/groups/{slug}/invite/csv`): the file is
//! read (`domain::csv_invites`), every row classified by a dry run that
//! sends nothing and kept (`models::csv_import`); "Send N invitations"
//! then sends the rows that would go, in the background, a chunk of rows
//! per transaction through the invite form's own `invitations::invite_one`
//! (so the same policy, segregation, quota and only-once rules), each
//! chunk writing its rows' outcomes and the import's progress with its
//! invitations. A worker holds the import by a lease it renews per chunk:
//! after a crash, the same server restarted or another one takes over
//! where the last committed chunk ended.

use crate::db::{self, DbConn};
use crate::domain::csv_invites::{CsvRow, RowClass};
use crate::domain::{InviteOutcome, MESSAGE_MAX};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::models::csv_import::{self, Import, ImportState, NewRow, Row};
use crate::models::invitation_policy::PolicyCache;
use crate::models::{Role, User, invitation, role, send_count};
use crate::policy::{self, AdminClaim, GroupAccess};
use crate::services::App;
use crate::services::invitations::{
    self, InviteEnv, InviteRequest, Sender, grantable_roles, group_refusal, resolve_invitee,
    whole_community,
};
use std::collections::HashMap;
use time::{Duration, PrimitiveDateTime};

/// Rows sent per transaction.
const CHUNK: i64 = 100;
/// How long a worker holds an import between two chunks.
const LEASE: Duration = Duration::seconds(30);
/// Rows listed per page of the import's page.
pub const LISTED: i64 = 200;

/// Where rows go and which roles they may carry, each looked up once per
/// file (or chunk): the page's group, and the managed communities below it
/// that rows name by slug.
struct Scope {
    access: GroupAccess,
    /// How many managed communities the group has (an invitation to it
    /// says "Main + 12 managed communities").
    managed: usize,
    communities: HashMap<String, Option<GroupAccess>>,
    roles: HashMap<i64, Vec<Role>>,
}

impl Scope {
    fn load(conn: &mut DbConn, access: GroupAccess) -> AppResult<Scope> {
        let managed = crate::models::group_tree::count_descendants(conn, access.group.id)? as usize;
        Ok(Scope {
            access,
            managed,
            communities: HashMap::new(),
            roles: HashMap::new(),
        })
    }

    /// The group a row's `community` cell names: the page's group when
    /// empty, else a managed community below it where `inviter` may invite.
    fn target(
        &mut self,
        conn: &mut DbConn,
        inviter: &User,
        community: &str,
    ) -> AppResult<Result<GroupAccess, RowClass>> {
        if community.is_empty() {
            return Ok(Ok(self.access.clone()));
        }
        let key = community.to_lowercase();
        if !self.communities.contains_key(&key) {
            let found = match GroupAccess::load(conn, &key, Some(inviter.id)) {
                Ok(a) => Some(a).filter(|a| {
                    a.ancestors[1..].contains(&self.access.group.id)
                        && policy::may_invite(a).is_ok()
                }),
                Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::Forbidden) => None,
                Err(e) => return Err(e),
            };
            self.communities.insert(key.clone(), found);
        }
        Ok(self.communities[&key]
            .clone()
            .ok_or_else(|| RowClass::UnknownCommunity(community.to_string())))
    }

    /// The role a row's `role` cell names (GroupMember when empty), among
    /// those `inviter` may give in `target`.
    fn role(
        &mut self,
        conn: &mut DbConn,
        inviter: &User,
        target: &GroupAccess,
        name: &str,
    ) -> AppResult<Result<Role, RowClass>> {
        let gid = target.group.id;
        if let std::collections::hash_map::Entry::Vacant(e) = self.roles.entry(gid) {
            e.insert(grantable_roles(conn, target, inviter)?);
        }
        let wanted = if name.is_empty() {
            role::GROUP_MEMBER
        } else {
            name
        };
        Ok(self.roles[&gid]
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(wanted))
            .cloned()
            .ok_or_else(|| RowClass::UnknownRole(name.to_string())))
    }

    /// How the mail names the target: the whole community when it is the
    /// page's group and has managed communities.
    fn labels(&self, target: &GroupAccess) -> Vec<(i64, String)> {
        if target.group.id == self.access.group.id && self.managed > 0 {
            vec![(
                target.group.id,
                whole_community(&target.group, self.managed),
            )]
        } else {
            Vec::new()
        }
    }

    /// A row's place and role, or why it has none.
    fn resolve(
        &mut self,
        conn: &mut DbConn,
        inviter: &User,
        community: &str,
        role_name: &str,
    ) -> AppResult<Plan> {
        let target = match self.target(conn, inviter, community)? {
            Ok(t) => t,
            Err(class) => return Ok(Err(class)),
        };
        Ok(self
            .role(conn, inviter, &target, role_name)?
            .map(|r| (target, r)))
    }
}

/// The dry run's state: the rows seen so far (for duplicates) and what the
/// quotas still leave, counted down row by row.
struct DryRun<'a> {
    env: &'a InviteEnv<'a>,
    inviter: &'a User,
    now: PrimitiveDateTime,
    policies: PolicyCache,
    /// (entry key, group) → the line it was first seen on.
    seen: HashMap<(String, i64), i32>,
    /// The inviter's quota left, once read.
    left: Option<i64>,
    /// Each group's quota left, once read.
    left_in: HashMap<i64, i64>,
}

impl DryRun<'_> {
    /// What sending `row` now would come to, writing nothing: the same
    /// checks as `invitations::invite_one`, read-only.
    fn classify(
        &mut self,
        conn: &mut DbConn,
        scope: &mut Scope,
        row: &CsvRow,
    ) -> AppResult<RowClass> {
        if row.message.chars().count() > MESSAGE_MAX {
            return Ok(RowClass::MessageTooLong);
        }
        let (target, _role) = match scope.resolve(conn, self.inviter, &row.community, &row.role)? {
            Ok(t) => t,
            Err(class) => return Ok(class),
        };
        let recipient = row.recipient();
        if matches!(recipient, crate::domain::Recipient::Invalid(_)) {
            return Ok(RowClass::Outcome(InviteOutcome::InvalidEntry));
        }
        let gid = target.group.id;
        if let Some(first) = self.seen.get(&(recipient.key(), gid)) {
            return Ok(RowClass::DuplicateRow(*first));
        }
        self.seen.insert((recipient.key(), gid), row.line);
        let who = match resolve_invitee(conn, &recipient, self.inviter)? {
            Ok(who) => who,
            Err(o) => return Ok(RowClass::Outcome(o)),
        };
        let config = self.env.config;
        let refusal = group_refusal(
            conn,
            &mut self.policies,
            &target,
            who.user.as_ref(),
            &who.email,
            config,
        )?;
        if let Some(o) = refusal {
            return Ok(RowClass::Outcome(o));
        }
        if invitation::is_open(conn, gid, &who.email_key, self.now)? {
            return Ok(RowClass::Outcome(InviteOutcome::AlreadyInvited));
        }
        if !self.takes_quota(conn, gid)? {
            return Ok(RowClass::Outcome(InviteOutcome::QuotaReached));
        }
        Ok(RowClass::WillInvite)
    }

    /// Counts one send into `gid` against what the quotas leave; false
    /// when either is spent.
    fn takes_quota(&mut self, conn: &mut DbConn, gid: i64) -> AppResult<bool> {
        if let std::collections::hash_map::Entry::Vacant(e) = self.left_in.entry(gid) {
            let limits = invitations::limits(self.env.config);
            let (overall, groups) =
                send_count::remaining(conn, self.inviter.id, &[gid], limits, self.now)?;
            self.left.get_or_insert(overall);
            e.insert(groups.first().map_or(0, |g| g.1));
        }
        let overall = self.left.get_or_insert(0);
        let here = self.left_in.entry(gid).or_default();
        if *overall == 0 || *here == 0 {
            return Ok(false);
        }
        (*overall, *here) = (*overall - 1, *here - 1);
        Ok(true)
    }
}

/// Classifies every row as sending it now would go, writing nothing.
fn dry_run(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    scope: &mut Scope,
    inviter: &User,
    rows: &[CsvRow],
    now: PrimitiveDateTime,
) -> AppResult<Vec<RowClass>> {
    let mut run = DryRun {
        env,
        inviter,
        now,
        policies: PolicyCache::default(),
        seen: HashMap::new(),
        left: None,
        left_in: HashMap::new(),
    };
    rows.iter()
        .map(|row| run.classify(conn, scope, row))
        .collect()
}

/// What an uploaded file came to: the import's id, or why the whole file
/// was refused.
pub type UploadOutcome = Result<i64, crate::domain::csv_invites::FileError>;

impl App {
    /// Reads the uploaded `bytes`, runs the dry run and keeps the rows with
    /// their classes; nothing is sent.
    pub async fn check_csv(
        &self,
        claim: AdminClaim,
        inviter: &User,
        file_name: String,
        bytes: Vec<u8>,
    ) -> AppResult<UploadOutcome> {
        // The file is read before the database is asked anything.
        let rows = match crate::domain::csv_invites::read(&bytes) {
            Ok(rows) => rows,
            Err(e) => {
                // The claim is still checked: a refused file says nothing
                // to someone who may not be here.
                let c = claim.clone();
                self.on_pool(move |conn, _| c.check(conn).map(drop)).await?;
                return Ok(Err(e));
            }
        };
        let (app, inviter) = (self.clone(), inviter.clone());
        let id = self
            .on_pool(move |conn, now| {
                let access = claim.check(conn)?;
                let group_id = access.group.id;
                let mut scope = Scope::load(conn, access)?;
                let classes = dry_run(conn, &app.invite_env(), &mut scope, &inviter, &rows, now)?;
                let new: Vec<NewRow<'_>> = rows
                    .iter()
                    .zip(classes)
                    .map(|(r, class)| NewRow {
                        line: r.line,
                        entry: &r.entry,
                        community: &r.community,
                        role: &r.role,
                        message: &r.message,
                        class,
                    })
                    .collect();
                db::write_tx(conn, |conn| {
                    Ok(csv_import::create(
                        conn, group_id, inviter.id, &file_name, &new, now,
                    )?)
                })
            })
            .await?;
        Ok(Ok(id))
    }

    /// "Send N invitations": starts sending import `id` in the background.
    /// False when it was started already.
    pub async fn start_csv_send(
        &self,
        claim: AdminClaim,
        inviter: &User,
        id: i64,
    ) -> AppResult<bool> {
        let who = inviter.id;
        let started = self
            .on_pool(move |conn, _| {
                let access = claim.check(conn)?;
                csv_import::find(conn, id, who, access.group.id)?
                    .ok_or_else(AppError::not_found)?;
                Ok(db::write_tx(conn, |c| csv_import::start(c, id))?)
            })
            .await?;
        if started {
            let app = self.clone();
            actix_web::rt::spawn(async move {
                if let Err(e) = app.send_csv_import(Some(id)).await {
                    tracing::error!(error = %e, import = id, "sending a CSV import failed");
                }
            });
        }
        Ok(started)
    }

    /// Takes import `id` (or any whose worker's lease ran out) and sends it
    /// to the end, chunk by chunk. Returns whether one was taken.
    pub async fn send_csv_import(&self, id: Option<i64>) -> AppResult<bool> {
        let Some(id) = self
            .on_pool(move |c, now| Ok(db::write_tx(c, |c| csv_import::claim(c, id, now, LEASE))?))
            .await?
        else {
            return Ok(false);
        };
        loop {
            let app = self.clone();
            let now = self.clock.now();
            let finished = self
                .writer
                .run(move |c| send_chunk(c, &app.invite_env(), id, now))
                .await?;
            self.mail_wakeup.notify_one();
            if finished {
                return Ok(true);
            }
        }
    }

    /// Sends every import whose worker is gone (run beside the mail worker).
    pub async fn resume_csv_sends(&self) -> AppResult<usize> {
        let mut n = 0;
        while self.send_csv_import(None).await? {
            n += 1;
        }
        Ok(n)
    }
}

/// Where a row goes with which role, or why it goes nowhere.
type Plan = Result<(GroupAccess, Role), RowClass>;

/// Why a row of a chunk is refused before `invite_one` sees it.
fn not_allowed(why: &str) -> RowClass {
    RowClass::Outcome(InviteOutcome::NotAllowed(why.into()))
}

/// Sends the next chunk of import `id`'s rows in one transaction with
/// their outcomes and the import's progress; true when none are left.
fn send_chunk(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    id: i64,
    now: PrimitiveDateTime,
) -> AppResult<bool> {
    let import = csv_import::get(conn, id)?;
    if import.state() != ImportState::Sending {
        return Ok(true);
    }
    let rows = csv_import::unsent(conn, id, CHUNK)?;
    let finished = (rows.len() as i64) < CHUNK;
    let inviter = crate::models::user::find(conn, import.inviter_id)?;
    let slug = crate::models::group::find(conn, import.group_id)?.slug;
    // The inviter's right to invite here is checked again for every chunk.
    let scope = match policy::admin_access(conn, &slug, inviter.id) {
        Ok(access) if inviter.is_active() => Some(Scope::load(conn, access)?),
        Ok(_) => None,
        Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::Forbidden) => None,
        Err(e) => return Err(e),
    };
    let mut planned: Vec<(&Row, Plan)> = Vec::new();
    let mut scope = scope;
    for row in &rows {
        let plan = match scope.as_mut() {
            Some(s) => s.resolve(conn, &inviter, &row.community, &row.role)?,
            None => Err(not_allowed("you no longer manage invitations here")),
        };
        planned.push((row, plan));
    }
    let wants: Vec<i64> = planned
        .iter()
        .filter_map(|(_, p)| p.as_ref().ok().map(|(t, _)| t.group.id))
        .collect();
    let grant = send_count::reserve(
        conn,
        inviter.id,
        &wants,
        invitations::limits(env.config),
        now,
    )?;
    let mut sender = Sender::new(&inviter, grant);
    let written = db::write_tx(conn, |conn| {
        for (row, plan) in &planned {
            let class = match plan {
                Err(class) => class.clone(),
                Ok((target, role)) => {
                    let req = InviteRequest {
                        recipients: Vec::new(),
                        role: role.clone(),
                        message: Some(row.message.clone()).filter(|m| !m.is_empty()),
                        tell_inviter: false,
                        labels: scope.as_ref().map(|s| s.labels(target)).unwrap_or_default(),
                    };
                    let (outcome, _) = invitations::invite_one(
                        conn,
                        env,
                        &[target],
                        &mut sender,
                        &req,
                        &row.recipient(),
                        now,
                    )?;
                    RowClass::Outcome(outcome)
                }
            };
            csv_import::set_outcome(conn, row.id, &class)?;
        }
        csv_import::advance(conn, id, planned.len() as i32, finished, now, LEASE)?;
        AppResult::Ok(())
    });
    if written.is_err() {
        sender.grant.forget_spent();
    }
    sender.grant.settle(conn)?;
    written.map(|()| finished)
}

/// What the import's page shows.
pub struct ImportPage {
    pub access: GroupAccess,
    pub import: Import,
    /// (code, rows), most first.
    pub counts: Vec<(String, i64)>,
    /// Refused rows from after line `after`, a page of them.
    pub refused: Vec<Row>,
    /// The first rows that go (or went) out.
    pub going: Vec<Row>,
}

/// The codes of rows that go (or went) out.
const GOING: [&str; 4] = [
    csv_import::WILL_INVITE,
    "invited",
    "invited_in_app",
    "invited_by_email",
];

impl App {
    pub async fn csv_import_page(
        &self,
        claim: AdminClaim,
        inviter: &User,
        id: i64,
        after: i32,
    ) -> AppResult<ImportPage> {
        let who = inviter.id;
        self.on_pool(move |conn, _| {
            let access = claim.check(conn)?;
            let import = csv_import::find(conn, id, who, access.group.id)?
                .ok_or_else(AppError::not_found)?;
            Ok(ImportPage {
                counts: csv_import::counts(conn, id)?,
                refused: csv_import::page(conn, id, &GOING, true, after, LISTED)?,
                going: csv_import::page(conn, id, &GOING, false, 0, LISTED)?,
                access,
                import,
            })
        })
        .await
    }

    /// The refused rows as a CSV to correct and upload again, with why
    /// each was refused; every cell escaped (`csv_invites::escape_cell`).
    pub async fn csv_refused_rows(
        &self,
        claim: AdminClaim,
        inviter: &User,
        id: i64,
    ) -> AppResult<(String, Vec<u8>)> {
        let who = inviter.id;
        self.on_pool(move |conn, _| {
            let access = claim.check(conn)?;
            let import = csv_import::find(conn, id, who, access.group.id)?
                .ok_or_else(AppError::not_found)?;
            let mut rows = Vec::new();
            let mut after = 0;
            loop {
                let page = csv_import::page(conn, id, &GOING, true, after, 1000)?;
                let Some(last) = page.last() else { break };
                after = last.line;
                rows.extend(page);
            }
            let reasons: Vec<String> = rows.iter().map(|r| r.class().label()).collect();
            let csv = crate::domain::csv_invites::write(
                &["email", "community", "role", "message", "refused"],
                rows.iter().zip(&reasons).map(|(r, why)| {
                    vec![
                        r.entry.as_str(),
                        r.community.as_str(),
                        r.role.as_str(),
                        r.message.as_str(),
                        why.as_str(),
                    ]
                }),
            );
            let stem = import.file_name.trim_end_matches(".csv");
            Ok((format!("{stem}-refused.csv"), csv))
        })
        .await
    }
}

/// What the upload page shows: the group, the roles the inviter may give
/// and the managed communities rows may name.
pub struct UploadInfo {
    pub access: GroupAccess,
    pub roles: Vec<Role>,
    pub communities: Vec<crate::models::Group>,
}

/// Managed communities named on the upload page, at most.
const COMMUNITIES_SHOWN: i64 = 50;

impl App {
    pub async fn csv_upload_info(
        &self,
        claim: AdminClaim,
        inviter: &User,
    ) -> AppResult<UploadInfo> {
        let viewer = inviter.clone();
        self.on_pool(move |conn, _| {
            let access = claim.check(conn)?;
            Ok(UploadInfo {
                roles: grantable_roles(conn, &access, &viewer)?,
                communities: crate::models::group_tree::descendants(
                    conn,
                    access.group.id,
                    COMMUNITIES_SHOWN,
                )?,
                access,
            })
        })
        .await
    }
}
