//! Support cases: list, raise, read and comment.

use super::{Unprocessable, see_other};
use crate::auth::CurrentUser;
use crate::db;
use crate::domain::FormErrors;
use crate::error::AppResult;
use crate::models::case;
use crate::services::cases::{self, CaseInput};
use crate::state::AppState;
use crate::views::{CasePage, CasesPage, NewCasePage};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

pub fn config(cfg: &mut web::ServiceConfig) {
    // `/cases/new` before `/cases/{id}`.
    cfg.service(list_cases)
        .service(new_case_form)
        .service(raise_case)
        .service(show_case)
        .service(add_comment);
}

const CASES_PAGE: crate::db::PageSize = crate::db::PageSize(25);
const COMMENTS_PAGE: crate::db::PageSize = crate::db::PageSize(100);

#[derive(Deserialize)]
struct BeforeQuery {
    before: Option<i64>,
}

#[get("/cases")]
async fn list_cases(
    me: CurrentUser,
    state: web::Data<AppState>,
    q: web::Query<BeforeQuery>,
) -> AppResult<CasesPage> {
    let account = me.user.member_account();
    let all = me.user.super_user_of().is_some();
    let (uid, before) = (me.user.id, q.before);
    let mut rows = match account {
        Some(a) => {
            db::run(&state.pool, move |c| {
                let mine = (!all).then_some(uid);
                Ok(case::page(c, a, mine, before, CASES_PAGE.fetch())?)
            })
            .await?
        }
        None => Vec::new(),
    };
    let next_href = CASES_PAGE.next(&mut rows, |r| format!("/cases?before={}", r.0.id));
    Ok(CasesPage {
        ctx: me.ctx,
        member: account.is_some(),
        all_of_account: all,
        rows,
        next_href,
    })
}

#[get("/cases/new")]
async fn new_case_form(me: CurrentUser) -> NewCasePage {
    NewCasePage {
        member: me.user.member_account().is_some(),
        ctx: me.ctx,
        input: CaseInput::default(),
        errors: FormErrors::default(),
    }
}

#[post("/cases")]
async fn raise_case(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<CaseInput>,
) -> AppResult<HttpResponse> {
    let input = form.into_inner();
    let render = |ctx, input, errors, member| {
        NewCasePage {
            ctx,
            member,
            input,
            errors,
        }
        .unprocessable(&req)
    };
    let spec = match input.parse() {
        Ok(spec) => spec,
        Err(errors) => {
            let member = me.user.member_account().is_some();
            return Ok(render(me.ctx, input, errors, member));
        }
    };
    match state.raise_case(me.user.id, spec).await? {
        Ok(id) => {
            me.ctx.flash("success", "Your case has been raised.");
            Ok(see_other(&format!("/cases/{id}")))
        }
        Err(_not_member) => Ok(render(me.ctx, input, FormErrors::default(), false)),
    }
}

#[derive(Deserialize)]
struct AfterQuery {
    after: Option<i64>,
}

async fn case_page(
    me: CurrentUser,
    state: &AppState,
    id: i64,
    after: Option<i64>,
    body: String,
    errors: FormErrors,
) -> AppResult<CasePage> {
    let viewer = me.user.clone();
    let ((case, raised_by), mut comments) = db::run(&state.pool, move |c| {
        let found = cases::visible(c, &viewer, id)?;
        let comments = case::comments(c, id, after, COMMENTS_PAGE.fetch())?;
        Ok((found, comments))
    })
    .await?;
    let next_href = COMMENTS_PAGE.next(&mut comments, |r| format!("/cases/{id}?after={}", r.0.id));
    Ok(CasePage {
        ctx: me.ctx,
        case,
        raised_by: raised_by.unwrap_or_default(),
        comments,
        next_href,
        body,
        errors,
    })
}

#[get("/cases/{id}")]
async fn show_case(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: web::Query<AfterQuery>,
) -> AppResult<CasePage> {
    case_page(
        me,
        &state,
        id.into_inner(),
        q.after,
        String::new(),
        FormErrors::default(),
    )
    .await
}

#[derive(Deserialize)]
struct CommentForm {
    #[serde(default)]
    body: String,
}

#[post("/cases/{id}/comments")]
async fn add_comment(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<CommentForm>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let body = form.into_inner().body;
    match cases::parse_comment(&body) {
        Ok(text) => {
            state.comment_on_case(me.user.id, id, text).await?;
            me.ctx.flash("success", "Your comment has been added.");
            Ok(see_other(&format!("/cases/{id}")))
        }
        Err(msg) => {
            let mut errors = FormErrors::default();
            errors.add("body", msg);
            let page = case_page(me, &state, id, None, body, errors).await?;
            Ok(page.unprocessable(&req))
        }
    }
}
