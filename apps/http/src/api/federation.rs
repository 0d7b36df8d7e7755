//! Sign-in with external providers (docs/http-api.md §11): the provider list, the redirect to a
//! provider and its callback, the exchange of the one-time login code for a session, and the
//! caller's linked identities (list, link, unlink).

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use postern_core::FieldError;
use postern_core::domain::IdentityId;
use postern_core::ports::PortError;
use postern_core::usecases::{
    AuthenticateError, CallbackError, CallbackRequest, ExchangeError, ExchangeRequest,
    LoginOutcome, StartSignInError, UnlinkError,
};

use super::ApiTags;
use super::federation_schemas::{
    AuthorizeUrlView, CallbackPerClient, ExchangeBody, IdentityView, LinkBody, ProviderView,
    Redirect, redirect_target,
};
use super::schemas::{LoginAnswer, MessageView};
use crate::answers::{Answer, INTERNAL, INVALID, Invalid, JsonBody, UNAVAILABLE, answers};
use crate::auth::BearerAuth;
use crate::body::ValidJson;
use crate::client::Client;
use crate::limits::Limited;
use crate::middleware::record_user;
use crate::responses::{Done, Failure, Listed, RateLimited, failures};
use crate::state::AppState;

/// 400 `validation_error` for a `redirectTo` outside the allow-list.
const REDIRECT_NOT_ALLOWED: Answer = Answer {
    doc: "`redirectTo` is not under a prefix of `OAUTH_REDIRECT_ALLOWLIST` (named in `details`)",
    ..INVALID
};

/// 404 `not_found` for a provider.
const UNKNOWN_PROVIDER: Answer = Answer {
    status: StatusCode::NOT_FOUND,
    code: "not_found",
    message: "Not found.",
    doc: "no provider of that name is configured",
};

answers!(StartSignInError {
    StartSignInError::RedirectNotAllowed => REDIRECT_NOT_ALLOWED,
    StartSignInError::UnknownProvider => UNKNOWN_PROVIDER,
    StartSignInError::Unavailable(_) => UNAVAILABLE,
    StartSignInError::Unexpected(_) => INTERNAL,
} {
    fn details(&self) -> Vec<FieldError> {
        match self {
            StartSignInError::RedirectNotAllowed => vec![FieldError::new(
                "redirectTo",
                "is not an allowed redirect target",
            )],
            _ => Vec::new(),
        }
    }
});

/// 400 `invalid_state` at the callback.
const INVALID_STATE: Answer = Answer {
    status: StatusCode::BAD_REQUEST,
    code: "invalid_state",
    message: "This sign-in is unknown, expired or already completed; start it again.",
    doc: "`state` is missing, unknown, older than 10 minutes or already used (a replayed or \
          tampered callback), so there is no `redirectTo` to go back to",
};

answers!(CallbackError {
    CallbackError::UnknownState => INVALID_STATE,
    CallbackError::Unavailable(_) => UNAVAILABLE,
    CallbackError::Unexpected(_) => INTERNAL,
});

/// 401 `invalid_token` for a login code that does not work.
const INVALID_LOGIN_CODE: Answer = Answer {
    status: StatusCode::UNAUTHORIZED,
    code: "invalid_token",
    message: "The code is invalid or has expired.",
    doc: "the code is unknown, already exchanged, or older than 60 seconds",
};

/// 403 `forbidden` for a disabled account at the exchange.
const EXCHANGE_DISABLED: Answer = Answer {
    status: StatusCode::FORBIDDEN,
    code: "forbidden",
    message: "This account has been disabled by an administrator.",
    doc: "an admin disabled the account since the provider's callback",
};

answers!(ExchangeError {
    ExchangeError::InvalidCode => INVALID_LOGIN_CODE,
    ExchangeError::AccountDisabled => EXCHANGE_DISABLED,
    ExchangeError::Unavailable(_) => UNAVAILABLE,
    ExchangeError::Unexpected(_) => INTERNAL,
});

/// 404 `not_found` for an identity.
const NO_SUCH_IDENTITY: Answer = Answer {
    status: StatusCode::NOT_FOUND,
    code: "not_found",
    message: "Not found.",
    doc: "the caller has no linked identity with this id",
};

/// 409 `last_sign_in_method`.
const LAST_SIGN_IN_METHOD: Answer = Answer {
    status: StatusCode::CONFLICT,
    code: "last_sign_in_method",
    message: "This is the account's only way left to sign in.",
    doc: "the account has no password and no other linked identity",
};

answers!(UnlinkError {
    UnlinkError::NotFound => NO_SUCH_IDENTITY,
    UnlinkError::LastSignInMethod => LAST_SIGN_IN_METHOD,
    UnlinkError::Unavailable(_) => UNAVAILABLE,
    UnlinkError::Unexpected(_) => INTERNAL,
});

failures!(
    /// Listing providers' documented failures: only the edge's (the global limit's limiter,
    /// a fault), since the list is configuration.
    ProvidersErrors = PortError
);
failures!(
    /// Starting a sign-in's documented failures.
    AuthorizeErrors = StartSignInError, Invalid
);
failures!(
    /// The callback's documented failures.
    CallbackErrors = CallbackError
);
failures!(
    /// The exchange's documented failures.
    ExchangeErrors = ExchangeError, JsonBody, Invalid
);
failures!(
    /// Listing identities' documented failures.
    ListIdentitiesErrors = PortError, AuthenticateError
);
failures!(
    /// Starting a link's documented failures.
    LinkErrors = StartSignInError, AuthenticateError, JsonBody, Invalid
);
failures!(
    /// Unlinking's documented failures.
    UnlinkErrors = UnlinkError, AuthenticateError
);

/// The operations of sign-in with external providers.
pub struct FederationApi;

#[OpenApi(prefix_path = "/api/v1")]
impl FederationApi {
    /// List the identity providers
    ///
    /// The OpenID providers configured for sign-in (`OIDC_PROVIDERS`), in configuration order;
    /// empty when none is. Not paginated.
    #[oai(
        path = "/auth/providers",
        method = "get",
        operation_id = "listIdentityProviders",
        tag = "ApiTags::Auth"
    )]
    async fn providers(
        &self,
        state: Data<&Arc<AppState>>,
    ) -> Result<Listed<ProviderView>, Failure<ProvidersErrors>> {
        Ok(Listed::whole(
            state
                .sign_ins
                .providers()
                .into_iter()
                .map(ProviderView::from)
                .collect(),
        ))
    }

    /// Sign in with a provider
    ///
    /// Redirects the browser (302) to the provider's authorization endpoint: the authorization
    /// code flow with PKCE (S256), a `state` and a `nonce`, each single use and valid 10
    /// minutes. The provider then sends the browser to this provider's callback, which ends at
    /// `redirectTo` with `?code=` (a one-time login code for `POST /auth/oauth/exchange`) or
    /// `?error=`. Open it in the browser (a link or a navigation), not with `fetch`.
    #[oai(
        path = "/auth/oauth/:provider/authorize",
        method = "get",
        operation_id = "authorizeWithProvider",
        tag = "ApiTags::Auth"
    )]
    async fn authorize(
        &self,
        state: Data<&Arc<AppState>>,
        /// The provider's name, as `GET /auth/providers` lists it.
        provider: Path<String>,
        /// Where the browser lands afterwards: under a prefix of `OAUTH_REDIRECT_ALLOWLIST`
        /// (by default `APP_URL`), at most 2048 characters.
        #[oai(name = "redirectTo")]
        redirect_to: Query<Option<String>>,
    ) -> Result<Redirect, Failure<AuthorizeErrors>> {
        let target = redirect_to.0.unwrap_or_default();
        let target = redirect_target(target, "redirectTo").map_err(Invalid::from)?;
        let url = state
            .sign_ins
            .start
            .execute(&provider.0, &target, None)
            .await?;
        Ok(Redirect::Found(url))
    }

    /// The provider's callback
    ///
    /// Where the provider sends the browser back, with `code` and `state` (or `error`). Checks
    /// `state` (single use, 10 minutes), exchanges the code, validates the ID token (signature
    /// from the provider's published keys, `iss`, `aud`, `exp`, `nonce`), then redirects (302)
    /// to the sign-in's `redirectTo` with `?code=` (a sign-in: a one-time login code, 60
    /// seconds, single use), `?linked={provider}` (a link the caller asked for), or `?error=`:
    /// `access_denied`, `invalid_state`, `code_refused`, `invalid_id_token`,
    /// `provider_unavailable`, `email_required`, `account_exists`, `identity_in_use`,
    /// `account_disabled` or `server_error`. Never a token in a URL. Without a known `state`
    /// there is nowhere to go back to: 400 `invalid_state`. Rate limited per client IP.
    #[oai(
        path = "/auth/oauth/:provider/callback",
        method = "get",
        operation_id = "providerCallback",
        tag = "ApiTags::Auth"
    )]
    async fn callback(
        &self,
        state: Data<&Arc<AppState>>,
        client: Limited<CallbackPerClient>,
        /// The provider's name.
        provider: Path<String>,
        /// The `state` of the sign-in, as sent to the provider.
        #[oai(name = "state")]
        sign_in_state: Query<Option<String>>,
        /// The provider's authorization code.
        code: Query<Option<String>>,
        /// The provider's error, when it sent no code.
        error: Query<Option<String>>,
    ) -> RateLimited<Redirect, CallbackErrors> {
        client
            .run(async |_| {
                let location = state
                    .sign_ins
                    .callback
                    .execute(CallbackRequest {
                        provider: provider.0,
                        state: sign_in_state.0,
                        code: code.0,
                        error: error.0,
                    })
                    .await?;
                Ok(Redirect::Found(location))
            })
            .await
    }

    /// Exchange a one-time login code
    ///
    /// Takes the `code` a provider's sign-in brought back (60 seconds, single use) and starts
    /// the session: the answer is a login's, with `amr` `["fed"]` in the access token, or the
    /// `mfaRequired` answer when the account has a second factor (completed at
    /// `POST /auth/mfa/verify`, then `amr` `["fed", "otp", "mfa"]`). Rate limited per client IP.
    #[oai(
        path = "/auth/oauth/exchange",
        method = "post",
        operation_id = "exchangeLoginCode",
        tag = "ApiTags::Auth"
    )]
    async fn exchange(
        &self,
        state: Data<&Arc<AppState>>,
        client: Client,
        body: Limited<ExchangeBody>,
    ) -> RateLimited<Done<LoginAnswer>, ExchangeErrors> {
        body.run(async |code| {
            let outcome = state
                .sign_ins
                .exchange
                .execute(ExchangeRequest {
                    code: code.0,
                    client: client.0,
                })
                .await?;
            if let LoginOutcome::Session { user, .. } = &outcome {
                record_user(user.id);
            }
            Ok(Done(LoginAnswer::from(outcome)))
        })
        .await
    }

    /// The caller's linked identities
    ///
    /// The identities at external providers that sign in to the caller's account, oldest link
    /// first. Not paginated.
    #[oai(
        path = "/user/identities",
        method = "get",
        operation_id = "listIdentities",
        tag = "ApiTags::User"
    )]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
    ) -> Result<Listed<IdentityView>, Failure<ListIdentitiesErrors>> {
        let identities = state
            .sign_ins
            .list_identities
            .execute(auth.0.user_id)
            .await?;
        Ok(Listed::whole(
            identities.into_iter().map(IdentityView::from).collect(),
        ))
    }

    /// Link an identity at a provider
    ///
    /// Answers the provider's authorize URL for the browser to open; completing that flow
    /// links the identity to the caller's account and ends at `redirectTo` with
    /// `?linked={provider}`, or with `?error=identity_in_use` when the identity signs in to
    /// another account (the other codes as at the callback).
    #[oai(
        path = "/user/identities/:id",
        method = "post",
        operation_id = "linkIdentity",
        tag = "ApiTags::User"
    )]
    async fn link(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        body: ValidJson<LinkBody>,
        /// The provider's name, as `GET /auth/providers` lists it. (The path is the one that
        /// unlinks an identity by its id, with `DELETE`.)
        #[oai(name = "id")]
        provider: Path<String>,
    ) -> Result<Done<AuthorizeUrlView>, Failure<LinkErrors>> {
        let url = state
            .sign_ins
            .start
            .execute(&provider.0, &body.0, Some(auth.0.user_id))
            .await?;
        Ok(Done(AuthorizeUrlView { authorize_url: url }))
    }

    /// Unlink an identity
    ///
    /// The identity no longer signs in to the caller's account. Refused with 409
    /// `last_sign_in_method` when the account has no password and no other identity. Any id
    /// that is not one of the caller's identities, malformed or not, is 404.
    #[oai(
        path = "/user/identities/:id",
        method = "delete",
        operation_id = "unlinkIdentity",
        tag = "ApiTags::User"
    )]
    async fn unlink(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        /// The identity's id (a UUID), as listed by `GET /api/v1/user/identities`.
        id: Path<String>,
    ) -> Result<Done<MessageView>, Failure<UnlinkErrors>> {
        // A malformed id names no identity: 404 like an unknown one, not 400.
        let identity = IdentityId::parse(&id.0).ok_or(UnlinkError::NotFound)?;
        state
            .sign_ins
            .unlink_identity
            .execute(auth.0.user_id, identity)
            .await?;
        Ok(Done(MessageView {
            message: "Identity unlinked.".to_owned(),
        }))
    }
}
