//! Private messages: inbox, compose, a conversation and its reply form.

use super::{Unprocessable, see_other};
use crate::auth::CurrentUser;
use crate::db;
use crate::domain::FormErrors;
use crate::error::AppResult;
use crate::models::message::InboxCursor;
use crate::services::messages::{self, ComposeInput};
use crate::state::AppState;
use crate::views::{ComposePage, ConversationPage, InboxPage};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(inbox)
        .service(compose_form)
        .service(send_message)
        .service(conversation)
        .service(reply);
}

#[derive(Deserialize)]
struct InboxQuery {
    unread: Option<u8>,
    after: Option<i64>,
}

#[get("/messages")]
async fn inbox(
    me: CurrentUser,
    state: web::Data<AppState>,
    q: web::Query<InboxQuery>,
) -> AppResult<InboxPage> {
    let after = match q.after {
        Some(id) => InboxCursor {
            unread: q.unread.unwrap_or(0) != 0,
            last_message_id: id,
        },
        None => InboxCursor::START,
    };
    let uid = me.user.id;
    let (rows, next) = db::run(&state.pool, move |c| messages::inbox(c, uid, after)).await?;
    Ok(InboxPage {
        ctx: me.ctx,
        rows,
        next,
    })
}

#[derive(Deserialize)]
struct ComposeQuery {
    to: Option<String>,
}

#[get("/messages/new")]
async fn compose_form(me: CurrentUser, q: web::Query<ComposeQuery>) -> ComposePage {
    ComposePage {
        ctx: me.ctx,
        input: ComposeInput {
            to: q.into_inner().to.unwrap_or_default(),
            ..Default::default()
        },
        errors: FormErrors::default(),
    }
}

#[post("/messages")]
async fn send_message(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<ComposeInput>,
) -> AppResult<HttpResponse> {
    let input = form.into_inner();
    match state.send_message(me.user.id, input.clone()).await? {
        Ok(conversation_id) => {
            me.ctx.flash("success", "Your message has been sent.");
            Ok(see_other(&format!("/messages/{conversation_id}")))
        }
        Err(errors) => Ok(ComposePage {
            ctx: me.ctx,
            input,
            errors,
        }
        .unprocessable(&req)),
    }
}

#[derive(Deserialize)]
struct ConversationQuery {
    before: Option<i64>,
}

#[get("/messages/{id:\\d+}")]
async fn conversation(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: web::Query<ConversationQuery>,
) -> AppResult<ConversationPage> {
    // Only someone who reads the page has read the messages.
    let mark_read = !crate::head::is_head(&req);
    let view = state
        .open_conversation(me.user.id, id.into_inner(), q.before, mark_read)
        .await?;
    Ok(ConversationPage {
        ctx: me.ctx,
        view,
        reply_body: String::new(),
        errors: FormErrors::default(),
    })
}

#[derive(Deserialize)]
struct ReplyForm {
    #[serde(default)]
    body: String,
}

#[post("/messages/{id:\\d+}/reply")]
async fn reply(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<ReplyForm>,
) -> AppResult<HttpResponse> {
    let (body, cid) = (form.into_inner().body, id.into_inner());
    match state.reply(me.user.id, cid, body.clone()).await? {
        Ok(()) => {
            me.ctx.flash("success", "Your reply has been sent.");
            Ok(see_other(&format!("/messages/{cid}")))
        }
        Err((errors, view)) => Ok(ConversationPage {
            ctx: me.ctx,
            view,
            reply_body: body,
            errors,
        }
        .unprocessable(&req)),
    }
}
