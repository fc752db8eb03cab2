//! Objections to information about oneself submitted by others, under `/api/v1/me` (IDV-4).

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_identity::{Objected, Objection};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJsonOrEmpty, SessionCaller};

/// The objection routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(object))
}

/// The caller objects to information about them that others submitted (IDV-4): today an
/// enterprise's legal representative, named by a registrant who warranted their separate consent.
/// Every such information naming the identity document the caller registered with is deleted, and
/// its warranty marked objected. The caller's identity must be verified first (carrier, bank card
/// or face). The body may be empty (every role) or name one role. Open whatever the caller's
/// consent state: exercising a right collects nothing.
#[utoipa::path(post, path = "/api/v1/me/objections", tag = "privacy",
    request_body(content = Objection, description = "Optional: `{\"about\": \"legal_representative\"}`"),
    responses(
        (status = 200, description = "Objected; `objections` is 0 when nothing (more) was found", body = Objected),
        (status = 400, description = "The body is invalid", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "The caller's identity is not verified (FORBIDDEN)", body = ErrorBody)
    ))]
async fn object(
    State(state): State<AppState>,
    SessionCaller(caller): SessionCaller,
    ApiJsonOrEmpty(objection): ApiJsonOrEmpty<Objection>,
) -> Result<Json<Objected>, ApiError> {
    Ok(Json(
        state
            .accounts
            .object_to_third_party_data(&caller.account, &objection)
            .await?,
    ))
}
