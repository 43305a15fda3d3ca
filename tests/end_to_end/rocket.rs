//! The response table (`tests/common/conformance.rs`) on Rocket 0.5, and what is Rocket's own:
//! the `Guard` fairing (and the statuses without it), `Authenticated` bare, in `Option` and in
//! `Result` with the policy in managed state, the application's own catchers and answers, and a
//! data guard that never reads a refused request's body. A real Rocket server on 127.0.0.1
//! (its own multi-threaded runtime, four workers).

use crate::{common, conformance, servers};

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use jwks_guard::{Authenticated, Claims, Policy, Rejection, protected};
use rocket::data::{Data, FromData, Outcome as DataOutcome, ToByteUnit};
use rocket::http::Status;
use rocket::response::status;
use rocket::{Build, Request, Rocket, catch, catchers, get, post, routes};

use common::{Reply, bounded};
use conformance::{Expect, NewOrder, Profile, token};

/// The app with the `Guard` fairing, as the module documentation says to build it.
static APP: LazyLock<String> =
    LazyLock::new(|| servers::rocket(app().attach(jwks_guard::integrations::rocket::Guard)));

/// The same app without the fairing.
static APP_WITHOUT_FAIRING: LazyLock<String> = LazyLock::new(|| servers::rocket(app()));

// ----- the table's handlers -----

#[protected(issuer = "https://conformance.test/", audience = "api")]
#[get("/whoami")]
async fn whoami(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected(issuer = "https://conformance.test/", audience = "api")]
#[get("/profile")]
async fn profile(#[claims] profile: Profile) -> String {
    profile.answer()
}

#[protected(issuer = "https://conformance.test/", audience = "api", scopes = ["orders:read", "orders:list"])]
#[get("/orders")]
async fn list_orders() -> &'static str {
    "orders"
}

#[protected(issuer = "https://conformance.test/", audience = "api")]
#[post("/orders", data = "<order>")]
async fn create_order(#[claims] claims: Claims, order: JsonBody<NewOrder>) -> String {
    conformance::new_order(&claims, &order.0)
}

#[protected(issuer = "https://conformance.test/", audience = "api", typ = "at+jwt")]
#[get("/typed")]
async fn typed() -> &'static str {
    "typed"
}

#[protected(
    issuer = "https://conformance.test/",
    audience = "api",
    claims(tenant = "acme")
)]
#[get("/tenant")]
async fn tenant() -> &'static str {
    "tenant"
}

#[protected(
    issuer = "https://conformance.test/",
    audience = "api",
    token_from = ["authorization", cookie("session"), header("x-forwarded-access-token")]
)]
#[get("/sources")]
async fn sources(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected(
    issuer = "https://conformance.test/",
    audience = "api",
    dpop = "required"
)]
#[get("/dpop-required")]
async fn dpop_required(#[claims] claims: Claims) -> String {
    conformance::bound_to(&claims)
}

#[protected(
    issuer = "https://conformance.test/",
    audience = "api",
    dpop = "disabled"
)]
#[get("/bearer-only")]
async fn bearer_only(#[claims] claims: Claims) -> String {
    conformance::bound_to(&claims)
}

#[protected(issuer = "https://conformance.test/", audience = "api", scopes = ["orders:read"])]
#[get("/maybe")]
async fn maybe(#[claims] claims: Option<Claims>) -> String {
    conformance::maybe(claims.as_ref())
}

#[protected(issuer = env("JWKS_GUARD_TEST_UNSET"), audience = "api")]
#[get("/misconfigured")]
async fn misconfigured() {}

#[protected(issuer = env("JWKS_GUARD_TEST_EMPTY"), audience = "api")]
#[get("/empty-env")]
async fn empty_env() {}

#[protected(issuer = "https://down.rocket.test/", audience = "api")]
#[get("/down")]
async fn down() {}

#[protected(issuer = "https://garbage.rocket.test/", audience = "api")]
#[get("/garbage")]
async fn garbage() {}

#[protected(issuer = "https://liar.rocket.test/", audience = "api")]
#[get("/liar")]
async fn liar() {}

#[protected(issuer = "https://first-requests.rocket.test/", audience = "api")]
#[get("/first-requests")]
async fn first_requests(#[claims] claims: Claims) -> String {
    conformance::first_request(&claims)
}

// ----- Rocket's own -----

#[get("/health")]
fn health() -> &'static str {
    "ok"
}

#[get("/authenticated")]
async fn authenticated(auth: Authenticated<Claims>) -> String {
    auth.0.sub.unwrap_or_default()
}

/// The subject, or `anonymous` when the guard gave `None`.
#[get("/optional")]
async fn optional(auth: Option<Authenticated<Claims>>) -> String {
    auth.map_or("anonymous".to_owned(), |auth| {
        auth.0.sub.unwrap_or_default()
    })
}

/// A 404 of the handler's own when the guard gave `None`.
#[get("/optional/profile")]
async fn optional_or_404(
    auth: Option<Authenticated<Claims>>,
) -> Result<String, status::NotFound<&'static str>> {
    auth.map(|Authenticated(claims)| claims.sub.unwrap_or_default())
        .ok_or(status::NotFound("no profile without a token"))
}

/// A 401 of the handler's own when the guard gave `None`.
#[get("/optional/sign-in")]
async fn optional_or_401(
    auth: Option<Authenticated<Claims>>,
) -> Result<String, status::Custom<&'static str>> {
    auth.map(|Authenticated(claims)| claims.sub.unwrap_or_default())
        .ok_or(status::Custom(Status::Unauthorized, "sign in first"))
}

/// The refusal handed to the handler, which answers 200 with its status.
#[get("/result")]
async fn result(auth: Result<Authenticated<Claims>, Rejection>) -> String {
    match auth {
        Ok(Authenticated(claims)) => claims.sub.unwrap_or_default(),
        Err(rejection) => format!("refused with {}", rejection.status()),
    }
}

/// The application's own 401 catcher, for the routes mounted under `/caught`.
#[catch(401)]
fn caught() -> &'static str {
    "the application's catcher"
}

/// How many bodies of requests without an `Authorization` header the data guard below has
/// started to read: none, ever.
static BODIES_READ_WITHOUT_TOKEN: AtomicUsize = AtomicUsize::new(0);

/// A JSON data guard answering as Rocket's `Json<T>` does (413 over its limit, 400 for bad
/// syntax, 422 for the wrong shape), which needs Rocket's `json` feature; this one counts
/// the bodies of requests without a token it reads.
struct JsonBody<T>(T);

#[rocket::async_trait]
impl<'r, T: serde::de::DeserializeOwned> FromData<'r> for JsonBody<T> {
    type Error = String;

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> DataOutcome<'r, Self> {
        if !request.headers().contains("authorization") {
            BODIES_READ_WITHOUT_TOKEN.fetch_add(1, Ordering::SeqCst);
        }
        let body = match data.open(16.kibibytes()).into_string().await {
            Ok(body) if body.is_complete() => body.into_inner(),
            Ok(_) => return DataOutcome::Error((Status::PayloadTooLarge, "too large".into())),
            Err(error) => return DataOutcome::Error((Status::BadRequest, error.to_string())),
        };
        match serde_json::from_str(&body) {
            Ok(value) => DataOutcome::Success(JsonBody(value)),
            Err(error) if error.is_data() => {
                DataOutcome::Error((Status::UnprocessableEntity, error.to_string()))
            }
            Err(error) => DataOutcome::Error((Status::BadRequest, error.to_string())),
        }
    }
}

fn app() -> Rocket<Build> {
    let policy = Policy::builder()
        .issuer("https://conformance.test/")
        .audience(conformance::AUDIENCE)
        .build()
        .expect("a valid policy");
    #[rustfmt::skip]
    let routes = routes![
        whoami, profile, list_orders, create_order, typed, tenant, sources, maybe, dpop_required, bearer_only, misconfigured, empty_env,
        down, garbage, liar, first_requests,
        health, authenticated, optional, optional_or_404, optional_or_401, result
    ];
    rocket::custom(servers::rocket_config())
        .manage(policy)
        .mount("/", routes)
        .mount("/nested", routes![whoami])
        .mount("/caught", routes![whoami, authenticated])
        .register("/caught", catchers![caught])
}

/// GET `path` of the app with the fairing, with the given headers.
async fn get(path: &str, headers: &[(&str, &str)]) -> Reply {
    let url = format!("{}{path}", *APP);
    bounded(&url, common::get(&url, headers)).await
}

/// GET `path` of the app with the fairing, with `Authorization: Bearer <token>`.
async fn get_with_token(path: &str, token: &str) -> Reply {
    get(path, &[("authorization", &format!("Bearer {token}"))]).await
}

// ----- the shared behaviour -----

#[tokio::test]
async fn every_row_of_the_response_table_on_rocket() {
    conformance::every_row("rocket", &APP).await;
}

#[tokio::test]
async fn concurrent_first_requests_on_rockets_workers_share_one_key_fetch() {
    conformance::first_requests_share_one_key_fetch("rocket", &APP).await;
}

// ----- the fairing -----

#[tokio::test]
async fn public_routes_and_rocket_404s_are_left_alone() {
    Expect::Ok("ok").check(&get("/health", &[]).await, "a public route");
    let reply = get("/nowhere", &[]).await;
    assert_eq!((reply.status, reply.www_authenticate), (404, None));
}

#[tokio::test]
async fn an_authorization_header_that_is_not_utf8_counts_as_absent_under_rocket() {
    // Rocket drops header values that are not UTF-8 before any guard sees them.
    let url = format!("{}/whoami", *APP);
    let reply = bounded(
        &url,
        common::get_bytes(&url, &[("authorization", b"Bearer \xff")]),
    );
    Expect::MissingCredentials.check(&reply.await, "a header that is not UTF-8");
}

#[tokio::test]
async fn without_the_fairing_the_status_is_still_right() {
    let (valid, scope) = (
        token().subject("bob").sign(),
        token().scopes(["orders:read"]),
    );
    let cases = [
        ("/whoami", None, 401),
        ("/whoami", Some("Bearer".to_owned()), 400),
        ("/orders", Some(format!("Bearer {}", scope.sign())), 403),
        ("/misconfigured", Some(format!("Bearer {valid}")), 500),
        ("/whoami", Some(format!("Bearer {valid}")), 200),
    ];
    for (path, authorization, status) in cases {
        let url = format!("{}{path}", *APP_WITHOUT_FAIRING);
        let headers: Vec<_> = authorization
            .iter()
            .map(|a| ("authorization", a.as_str()))
            .collect();
        let reply = bounded(&url, common::get(&url, &headers)).await;
        assert_eq!(reply.status, status, "{path} {authorization:?}: {reply:?}");
        assert!(status != 200 || reply.text == "bob", "{reply:?}");
    }
}

#[tokio::test]
async fn the_applications_own_catcher_answer_to_a_refusal_is_completed_by_the_fairing() {
    for path in ["/caught/whoami", "/caught/authenticated"] {
        Expect::MissingCredentials.check(&get(path, &[]).await, path);
        let reply = get_with_token(path, &token().expired().sign()).await;
        Expect::InvalidToken("token expired").check(&reply, path);
    }
}

// ----- Authenticated, bare and in Option or Result -----

#[tokio::test]
async fn authenticated_without_a_token_is_401_with_exactly_a_bare_bearer_challenge() {
    let reply = get("/authenticated", &[]).await;
    Expect::MissingCredentials.check(&reply, "no token");
    let reply = get_with_token("/authenticated", &token().subject("alice").sign()).await;
    Expect::Ok("alice").check(&reply, "a valid token");
}

#[tokio::test]
async fn option_authenticated_without_a_token_is_the_handlers_own_200_with_none() {
    Expect::Ok("anonymous").check(&get("/optional", &[]).await, "no token");
}

#[tokio::test]
async fn option_authenticated_with_a_refused_token_is_the_handlers_own_200_with_none() {
    for refused in [token().expired().sign(), token().foreign_key().sign()] {
        let reply = get_with_token("/optional", &refused).await;
        Expect::Ok("anonymous").check(&reply, "a refused token");
    }
    let reply = get("/optional", &[("authorization", "Bearer")]).await;
    Expect::Ok("anonymous").check(&reply, "a malformed header");
}

#[tokio::test]
async fn option_authenticated_with_a_valid_token_is_some() {
    let reply = get_with_token("/optional", &token().subject("alice").sign()).await;
    Expect::Ok("alice").check(&reply, "a valid token");
}

#[tokio::test]
async fn a_handlers_own_404_after_option_took_the_refusal_is_kept() {
    let reply = get("/optional/profile", &[]).await;
    Expect::Handler(404, "no profile without a token").check(&reply, "no token");
}

#[tokio::test]
async fn a_handlers_own_401_after_a_refusal_with_another_status_is_kept() {
    // The malformed header is refused with 400; the handler answers 401 of its own.
    let reply = get("/optional/sign-in", &[("authorization", "Bearer")]).await;
    Expect::Handler(401, "sign in first").check(&reply, "a malformed header");
}

#[tokio::test]
async fn a_handlers_own_answer_with_the_refusals_status_gets_the_refusals_headers_and_body() {
    // What the fairing cannot tell from the catcher's answer, as documented.
    let reply = get("/optional/sign-in", &[]).await;
    Expect::MissingCredentials.check(&reply, "no token");
}

#[tokio::test]
async fn result_authenticated_hands_the_rejection_to_the_handler_whose_answer_is_kept() {
    Expect::Ok("refused with 401").check(&get("/result", &[]).await, "no token");
    let reply = get_with_token("/result", &token().subject("alice").sign()).await;
    Expect::Ok("alice").check(&reply, "a valid token");
}

// ----- the data guard -----

// Rocket's server answers only once a request's body has arrived (with or without the fairing),
// so the shared "answered before its body" test runs on the other frameworks; here the data
// guard's counter shows that a refused request's body is never read.

#[tokio::test]
async fn a_refused_requests_body_is_never_read_by_the_data_guard() {
    let url = format!("{}/orders", *APP);
    let large = format!(r#"{{"item":"{}"}}"#, "a".repeat(64 * 1024));
    for body in ["{not json", large.as_str()] {
        let reply = bounded(&url, common::post_json(&url, &[], body)).await;
        Expect::MissingCredentials.check(&reply, "no token");
    }
    let read = BODIES_READ_WITHOUT_TOKEN.load(Ordering::SeqCst);
    assert_eq!(read, 0, "a body was read");
    // With a token, the data guard reads and refuses the large body.
    let auth = format!("Bearer {}", token().sign());
    let headers = [("authorization", auth.as_str())];
    let reply = bounded(&url, common::post_json(&url, &headers, &large)).await;
    Expect::Framework(413).check(&reply, "a large body with a token");
}

#[tokio::test]
async fn a_head_request_served_by_a_get_route_is_checked_against_a_proof_for_head() {
    let url = format!("{}/whoami", *APP);
    let client = jwks_guard_test::DpopClient::new().expect("client key");
    let bound = token().subject("dana").dpop_bound(&client).sign();
    let head = |htm: &str| {
        let proof = client.proof(htm, &url).access_token(&bound).sign();
        reqwest::Client::new()
            .head(&url)
            .header("authorization", format!("DPoP {bound}"))
            .header("dpop", proof)
            .send()
    };
    // Rocket answers HEAD through the GET route, changing the request's method to GET; the
    // client sent HEAD and its proof says so.
    let sent = bounded("HEAD", head("HEAD")).await.expect("an answer");
    assert_eq!(sent.status().as_u16(), 200);
    let rerouted = bounded("HEAD", head("GET")).await.expect("an answer");
    assert_eq!(rerouted.status().as_u16(), 401);
}
