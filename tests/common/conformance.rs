//! The behaviour every framework shares, written once: the README's response table as rows of
//! data (a request, the answer it must get), and the guard-before-body and first-request tests
//! as functions. Each framework's tests (`responses.rs` for axum, `actix.rs`, `rocket.rs` and
//! `poem.rs`, modules of `tests/end_to_end/`) serve the same handlers under their own route
//! attributes and run all of it against their real server on 127.0.0.1; `tests/tonic.rs` runs
//! the rows a gRPC call can carry. Declared once by each binary that uses it, with
//! `#[path = "…/common/conformance.rs"] mod conformance;`.
//!
//! The handlers each framework serves, all with `audience = "api"`:
//!
//! | route                | `#[protected(…)]`                                        | answers            |
//! |----------------------|----------------------------------------------------------|--------------------|
//! | `GET /nested/whoami` | `/whoami` in a nested router (axum `nest`, actix-web `scope`, Rocket `mount`, Poem `nest`) | `sub` |
//! | `GET /whoami`        | `issuer = "https://conformance.test/"`, `#[claims] Claims` | `sub`            |
//! | `GET /profile`       | the same, `#[claims] Profile`                             | `"{sub} <{email}>"` |
//! | `GET /orders`        | the same, `scopes = ["orders:read", "orders:list"]`       | `"orders"`         |
//! | `POST /orders`       | the same, `#[claims] Claims` and a JSON [`NewOrder`]      | `"{item} for {sub}"` |
//! | `GET /typed`         | the same, `typ = "at+jwt"`                                | `"typed"`          |
//! | `GET /tenant`        | the same, `claims(tenant = "acme")`                       | `"tenant"`         |
//! | `GET /maybe`         | the same, `scopes = ["orders:read"]`, `#[claims] Option<Claims>` | [`maybe`]    |
//! | `GET /sources`       | the same, `token_from = ["authorization", cookie("session"), header("x-forwarded-access-token")]`, `#[claims] Claims` | `sub` |
//! | `GET /dpop-required` | the same, `dpop = "required"`, `#[claims] Claims`              | [`bound_to`]       |
//! | `GET /bearer-only`   | the same, `dpop = "disabled"`, `#[claims] Claims`              | [`bound_to`]       |
//! | `GET /misconfigured` | `issuer = env("JWKS_GUARD_TEST_UNSET")`                   |                    |
//! | `GET /empty-env`     | `issuer = env("JWKS_GUARD_TEST_EMPTY")`                   |                    |
//! | `GET /down`          | `issuer = "https://down.<framework>.test/"`               |                    |
//! | `GET /garbage`       | `issuer = "https://garbage.<framework>.test/"`            |                    |
//! | `GET /liar`          | `issuer = "https://liar.<framework>.test/"`               |                    |
//! | `GET /first-requests`| `issuer = "https://first-requests.<framework>.test/"`, `#[claims] Claims` | [`first_request`] |
//!
//! `<framework>` is the name the framework's tests pass to the functions below (`axum`,
//! `actix-web`, `rocket`, `poem`, `tonic`): see [`Providers`].
#![allow(dead_code, unreachable_pub)]

use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwks_guard::Claims;
use jwks_guard_test::{Alg, Answer, DpopClient, ProofBuilder, TestIssuer, TokenBuilder};
use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::common::{self, Reply, bounded};

/// The audience of every handler.
pub const AUDIENCE: &str = "api";

/// A claim value no answer may ever contain.
const SECRET: &str = "s3cr3t-value";

/// `https://conformance.test/`, the table's healthy provider: started once per test binary
/// (like the key cache) and shared by every framework the binary serves.
pub static MAIN: LazyLock<TestIssuer> =
    LazyLock::new(|| TestIssuer::start_as("https://conformance.test/").expect("test issuer"));

/// The providers whose state a framework's tests change, one set per framework, named after
/// it: a failed fetch starts a backoff that the next failure lengthens (a row expects the
/// `Retry-After` of a first failure), and the first-requests test needs a key cache nothing has
/// filled. Key caches are process-wide, one per issuer, so frameworks served in one test binary
/// each get their own.
pub struct Providers {
    /// `https://down.<framework>.test/`: answers 500 to everything.
    pub down: TestIssuer,
    /// `https://garbage.<framework>.test/`: its JWKS is not JSON.
    pub garbage: TestIssuer,
    /// `https://liar.<framework>.test/`: its discovery document names another issuer.
    pub liar: TestIssuer,
    /// `https://first-requests.<framework>.test/`: untouched until the first-requests test.
    pub first_requests: TestIssuer,
}

impl Providers {
    fn start(framework: &str) -> Providers {
        // Started side by side: each makes its own keys.
        let names = ["down", "garbage", "liar", "first-requests"];
        let [down, garbage, liar, first_requests] = std::thread::scope(|scope| {
            names
                .map(|name| format!("https://{name}.{framework}.test/"))
                .map(|issuer| scope.spawn(move || TestIssuer::start_as(issuer)))
                .map(|started| started.join().expect("issuer thread").expect("test issuer"))
        });
        down.set_answer(Answer::Status(500));
        garbage.set_jwks_answer(Answer::Garbage);
        let document =
            json!({"issuer": "https://evil.test/", "jwks_uri": format!("{}jwks", liar.issuer())});
        liar.set_discovery_answer(Answer::Body(document.to_string()));
        Providers {
            down,
            garbage,
            liar,
            first_requests,
        }
    }
}

/// The providers of `framework` (`"axum"`, `"actix-web"` …), started at its first use.
pub fn providers(framework: &str) -> &'static Providers {
    static STARTED: LazyLock<Mutex<HashMap<String, &'static Providers>>> =
        LazyLock::new(Default::default);
    let mut started = STARTED.lock().unwrap_or_else(PoisonError::into_inner);
    started
        .entry(framework.to_owned())
        .or_insert_with(|| Box::leak(Box::new(Providers::start(framework))))
}

/// A token of the healthy provider for [`AUDIENCE`].
pub fn token() -> TokenBuilder {
    MAIN.token().audience(AUDIENCE)
}

/// The custom claims type of `GET /profile`.
#[derive(Deserialize)]
pub struct Profile {
    pub sub: String,
    pub email: String,
}

impl Profile {
    /// What `GET /profile` answers.
    pub fn answer(&self) -> String {
        format!("{} <{}>", self.sub, self.email)
    }
}

/// The JSON body of `POST /orders`.
#[derive(Deserialize)]
pub struct NewOrder {
    pub item: String,
}

/// What `POST /orders` answers.
pub fn new_order(claims: &Claims, order: &NewOrder) -> String {
    format!(
        "{} for {}",
        order.item,
        claims.sub.as_deref().unwrap_or_default()
    )
}

/// What `GET /maybe` answers: the subject, or `anonymous` without a token.
pub fn maybe(claims: Option<&Claims>) -> String {
    match claims {
        Some(claims) => claims.sub.clone().unwrap_or_default(),
        None => "anonymous".to_owned(),
    }
}

/// What `GET /dpop-required` and `GET /bearer-only` answer: the subject and the key the token
/// is bound to.
pub fn bound_to(claims: &Claims) -> String {
    let sub = claims.sub.as_deref().unwrap_or_default();
    format!("{sub} bound to {}", claims.dpop_jkt().unwrap_or("no key"))
}

/// What `GET /first-requests` answers: the subject and the thread that served it.
pub fn first_request(claims: &Claims) -> String {
    let sub = claims.sub.as_deref().unwrap_or_default();
    format!("{sub} on {:?}", std::thread::current().id())
}

/// The answer a row expects.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    /// 200 with this body and no challenge.
    Ok(&'static str),
    /// 401, `unauthorized`, and two challenges (RFC 6750 §3.1, RFC 9449 §7.1): exactly
    /// `Bearer`, then `DPoP algs="…"` (every route accepts DPoP-bound tokens, the default).
    MissingCredentials,
    /// 400 `invalid_request` with this description, in the challenge and the body.
    InvalidRequest(&'static str),
    /// 401 `invalid_token` with this description, in the challenge and the body.
    InvalidToken(&'static str),
    /// 403 `insufficient_scope` naming the route's scopes in the challenge.
    InsufficientScope {
        scope: &'static str,
        description: &'static str,
    },
    /// 503 `temporarily_unavailable`, no challenge, `Retry-After` of a first failure (1–2 s).
    Unavailable,
    /// 500 `server_error`, no challenge, no `Retry-After`.
    Misconfigured,
    /// The framework's own answer with this status (the guard let the request through).
    Framework(u16),
    /// The handler's own answer: this status and body, no challenge.
    Handler(u16, &'static str),
    /// 401 `invalid_dpop_proof` with this description, under the `DPoP` scheme.
    DpopProof(&'static str),
    /// 401 `invalid_token` with this description, under the `DPoP` scheme.
    DpopToken(&'static str),
    /// 400 `invalid_request` with this description, under the `DPoP` scheme.
    DpopRequest(&'static str),
    /// 401, `unauthorized`, `WWW-Authenticate: DPoP algs="…"` alone (`dpop = "required"`).
    DpopMissingCredentials,
    /// 401, `unauthorized`, `WWW-Authenticate: Bearer` alone (`dpop = "disabled"`).
    BearerMissingCredentials,
    /// 403 `insufficient_scope` naming the route's scopes, under the `DPoP` scheme.
    DpopScope {
        scope: &'static str,
        description: &'static str,
    },
}

/// The proof algorithms a `DPoP` challenge names by default.
pub const ALGS: &str = "ES256 ES384 PS256 RS256 EdDSA";

impl Expect {
    /// Checks everything a client reads of `reply`; `case` names the row in a failure.
    #[track_caller]
    pub fn check(self, reply: &Reply, case: &str) {
        let Some((status, challenges, error, description)) = self.refusal() else {
            let (status, body) = match self {
                Expect::Ok(body) => (200, Some(body)),
                Expect::Handler(status, body) => (status, Some(body)),
                Expect::Framework(status) => (status, None),
                refusal => unreachable!("{refusal:?} has a refusal"),
            };
            let seen = (reply.status, reply.challenges.as_slice());
            assert_eq!(seen, (status, &[][..]), "{case}: {reply:?}");
            assert!(
                body.is_none_or(|body| reply.text == body),
                "{case}: {reply:?}"
            );
            return;
        };
        let body = json!({"error": error, "error_description": description}).to_string();
        let seen = (
            reply.status,
            reply.challenges.clone(),
            reply.content_type.as_deref(),
        );
        let expected = (status, challenges, Some("application/json"));
        assert_eq!(
            (seen, &*reply.text),
            (expected, &*body),
            "{case}: {reply:?}"
        );
        let retry_after = reply.retry_after.as_deref();
        if status == 503 {
            // The first retry waits the initial backoff of one second, ±10 %, rounded up.
            assert!(matches!(retry_after, Some("1" | "2")), "{case}: {reply:?}");
        } else {
            assert_eq!(retry_after, None, "{case}: {reply:?}");
        }
    }

    /// The status, every challenge, the `error` and the description of a refusal.
    #[rustfmt::skip]
    pub fn refusal(self) -> Option<(u16, Vec<String>, &'static str, &'static str)> {
        let bearer = |error, description| {
            vec![format!(r#"Bearer error="{error}", error_description="{description}""#)]
        };
        let dpop = |error, description| {
            vec![format!(r#"DPoP error="{error}", error_description="{description}", algs="{ALGS}""#)]
        };
        Some(match self {
            Expect::MissingCredentials => (401, vec!["Bearer".into(), format!(r#"DPoP algs="{ALGS}""#)], "unauthorized", "bearer token required"),
            Expect::InvalidRequest(text) => (400, bearer("invalid_request", text), "invalid_request", text),
            Expect::InvalidToken(text) => (401, bearer("invalid_token", text), "invalid_token", text),
            Expect::InsufficientScope { scope, description } => {
                let challenge = format!(r#"Bearer error="insufficient_scope", scope="{scope}""#);
                (403, vec![challenge], "insufficient_scope", description)
            }
            Expect::Unavailable => (503, vec![], "temporarily_unavailable", "signing keys are temporarily unavailable"),
            Expect::Misconfigured => (500, vec![], "server_error", "authentication is misconfigured"),
            Expect::DpopMissingCredentials => (401, vec![format!(r#"DPoP algs="{ALGS}""#)], "unauthorized", "a DPoP-bound token and its DPoP proof required"),
            Expect::BearerMissingCredentials => (401, vec!["Bearer".into()], "unauthorized", "bearer token required"),
            Expect::DpopProof(text) => (401, dpop("invalid_dpop_proof", text), "invalid_dpop_proof", text),
            Expect::DpopToken(text) => (401, dpop("invalid_token", text), "invalid_token", text),
            Expect::DpopRequest(text) => (400, dpop("invalid_request", text), "invalid_request", text),
            Expect::DpopScope { scope, description } => {
                let challenge = format!(r#"DPoP error="insufficient_scope", scope="{scope}", algs="{ALGS}""#);
                (403, vec![challenge], "insufficient_scope", description)
            }
            Expect::Ok(_) | Expect::Handler(..) | Expect::Framework(_) => return None,
        })
    }
}

/// What a row sends.
enum Request {
    /// GET with these headers.
    Get(Vec<(&'static str, String)>),
    /// POST of this JSON body, with these headers.
    Post(Vec<(&'static str, String)>, &'static str),
}

/// `Authorization: Bearer <token>`.
fn bearer(token: &str) -> Vec<(&'static str, String)> {
    vec![("authorization", format!("Bearer {token}"))]
}

/// `Authorization: <value>`.
fn authorization(value: &str) -> Vec<(&'static str, String)> {
    vec![("authorization", value.to_owned())]
}

/// The response table on `framework`: a name, a path, what is sent and the answer it must get.
#[rustfmt::skip]
fn rows(framework: &str) -> Vec<(&'static str, &'static str, Request, Expect)> {
    use Expect::*;
    use Request::*;
    let providers = providers(framework);
    let valid = token().subject("alice").sign();
    let tampered = {
        let mut parts: Vec<String> = valid.split('.').map(str::to_owned).collect();
        parts[1] = token().subject("mallory").sign().split('.').nth(1).expect("payload").into();
        parts.join(".")
    };
    let orders = |scopes: &[&str]| Get(bearer(&token().subject("alice").scopes(scopes.iter().copied()).sign()));
    let on_whoami = |builder: TokenBuilder| Get(bearer(&builder.sign()));
    let scope = "orders:read orders:list";
    let tenant = |value: Option<&str>| {
        let builder = token();
        Get(bearer(&match value {
            Some(value) => builder.claim("tenant", value).sign(),
            None => builder.sign(),
        }))
    };
    let twice = vec![
        ("authorization", format!("Bearer {valid}")),
        ("authorization", format!("Bearer {valid}")),
    ];
    let post = |headers, body| Post(headers, body);
    let cookie = |value: &str| ("cookie", value.to_owned());
    let session = |token: &str| cookie(&format!("theme=dark; session={token}"));
    let forwarded = |value: &str| ("x-forwarded-access-token", value.to_owned());
    let oversized = "a".repeat(16 * 1024 + 1);
    let expired = token().expired().sign();
    let in_two_places = "a token in more than one place: send it one way only";
    let charset = "bearer token contains characters not allowed by RFC 6750";
    vec![
        // 200
        ("a valid token", "/whoami", Get(bearer(&valid)), Ok("alice")),
        ("the scheme in any case", "/whoami", Get(authorization(&format!("bEaReR {valid}"))), Ok("alice")),
        ("claims that fit the custom type", "/profile", on_whoami(token().subject("carol").claim("email", "carol@example.com")), Ok("carol <carol@example.com>")),
        // 401 without an error code
        ("no Authorization header", "/whoami", Get(vec![]), MissingCredentials),
        ("another scheme", "/whoami", Get(authorization("Basic dXNlcjpwYXNz")), MissingCredentials),
        ("no Authorization header, custom claims type", "/profile", Get(vec![]), MissingCredentials),
        // 400
        ("`Bearer` alone", "/whoami", Get(authorization("Bearer")), InvalidRequest("empty bearer token")),
        ("`Bearer` and a space", "/whoami", Get(authorization("Bearer ")), InvalidRequest("empty bearer token")),
        ("a comma in the token", "/whoami", Get(authorization("Bearer a,b")), InvalidRequest("bearer token contains characters not allowed by RFC 6750")),
        ("a space in the token", "/whoami", Get(authorization("Bearer a b")), InvalidRequest("bearer token contains characters not allowed by RFC 6750")),
        ("a quote in the token", "/whoami", Get(authorization("Bearer a\"b")), InvalidRequest("bearer token contains characters not allowed by RFC 6750")),
        ("`=` leading the token", "/whoami", Get(authorization("Bearer =abc")), InvalidRequest("bearer token contains characters not allowed by RFC 6750")),
        ("a tab after `Bearer`", "/whoami", Get(authorization(&format!("Bearer\t{valid}"))), InvalidRequest("the bearer token must follow `Bearer` and a space")),
        ("two Authorization headers", "/whoami", Get(twice), InvalidRequest("several Authorization headers")),
        // 401 invalid_token
        ("one segment", "/whoami", Get(bearer("not-a-jwt")), InvalidToken("not a JWS: expected three dot-separated parts")),
        ("two segments", "/whoami", Get(bearer("abc.def")), InvalidToken("not a JWS: expected three dot-separated parts")),
        ("a foreign key", "/whoami", on_whoami(token().foreign_key()), InvalidToken("invalid signature")),
        ("a tampered payload", "/whoami", Get(bearer(&tampered)), InvalidToken("invalid signature")),
        ("an unknown kid", "/whoami", on_whoami(token().kid("no-such-key")), InvalidToken("unknown signing key")),
        ("alg HS256", "/whoami", on_whoami(token().header("alg", "HS256")), InvalidToken("algorithm not allowed")),
        ("alg none", "/whoami", on_whoami(token().header("alg", "none")), InvalidToken("unsigned tokens are not accepted")),
        ("an expired token", "/whoami", on_whoami(token().expired()), InvalidToken("token expired")),
        ("an expired token carrying a secret", "/whoami", on_whoami(token().expired().claim("secret", SECRET)), InvalidToken("token expired")),
        ("a token not yet valid", "/whoami", on_whoami(token().not_yet_valid()), InvalidToken("token not yet valid")),
        ("no exp", "/whoami", on_whoami(token().without_claim("exp")), InvalidToken("token has no exp claim")),
        ("no iss", "/whoami", on_whoami(token().without_claim("iss")), InvalidToken("token has no iss claim")),
        ("another iss", "/whoami", on_whoami(token().issuer("https://elsewhere.test/")), InvalidToken("issuer mismatch")),
        ("no aud", "/whoami", on_whoami(MAIN.token()), InvalidToken("token has no aud claim")),
        ("another aud", "/whoami", on_whoami(MAIN.token().audience("another-api")), InvalidToken("audience mismatch")),
        ("a string exp", "/whoami", on_whoami(token().claim("exp", "tomorrow")), InvalidToken("malformed `exp` claim")),
        ("typ JWT where at+jwt is required", "/typed", on_whoami(token().typ("JWT")), InvalidToken("token type mismatch")),
        ("typ application/at+jwt", "/typed", on_whoami(token().typ("application/at+jwt")), Ok("typed")),
        ("claims that do not fit the custom type", "/profile", on_whoami(token()), InvalidToken("token claims do not match the expected claims type: missing field email")),
        // 403
        ("a missing scope", "/orders", orders(&["orders:read"]), InsufficientScope { scope, description: "missing scope orders:list" }),
        ("every scope", "/orders", orders(&["orders:list", "orders:read"]), Ok("orders")),
        ("a missing required claim", "/tenant", tenant(None), InsufficientScope { scope: "", description: "missing claim tenant" }),
        ("a required claim's other value", "/tenant", tenant(Some("globex")), InsufficientScope { scope: "", description: "claim tenant does not have the required value" }),
        ("a required claim's value", "/tenant", tenant(Some("acme")), Ok("tenant")),
        // token sources: the default reads `Authorization` alone
        ("a session cookie where only Authorization is read", "/whoami", Get(vec![session(&valid)]), MissingCredentials),
        ("a forwarded token where only Authorization is read", "/whoami", Get(vec![forwarded(&valid)]), MissingCredentials),
        // token sources: `token_from = ["authorization", cookie("session"), header("x-forwarded-access-token")]`
        ("Authorization among the sources", "/sources", Get(bearer(&valid)), Ok("alice")),
        ("the session cookie", "/sources", Get(vec![session(&valid)]), Ok("alice")),
        ("the session cookie in a second Cookie header", "/sources", Get(vec![cookie("theme=dark"), cookie(&format!("session={valid}"))]), Ok("alice")),
        ("the forwarded header without a scheme", "/sources", Get(vec![forwarded(&valid)]), Ok("alice")),
        ("the forwarded header with Bearer", "/sources", Get(vec![forwarded(&format!("Bearer {valid}"))]), Ok("alice")),
        ("no source carrying a token", "/sources", Get(vec![cookie("theme=dark; sessions=x")]), MissingCredentials),
        ("another scheme beside the cookie", "/sources", Get(vec![("authorization", "Basic dXNlcjpwYXNz".into()), session(&valid)]), Ok("alice")),
        ("an empty session cookie", "/sources", Get(vec![cookie("session=")]), MissingCredentials),
        ("Authorization and the cookie", "/sources", Get(vec![("authorization", format!("Bearer {valid}")), session(&valid)]), InvalidRequest(in_two_places)),
        ("the cookie and the forwarded header", "/sources", Get(vec![session(&valid), forwarded(&valid)]), InvalidRequest(in_two_places)),
        ("the session cookie twice", "/sources", Get(vec![cookie(&format!("session={valid}; session={valid}"))]), InvalidRequest("the token's cookie is sent more than once")),
        ("the forwarded header twice", "/sources", Get(vec![forwarded(&valid), forwarded(&valid)]), InvalidRequest("the token's header is sent more than once")),
        ("a comma in the cookie's token", "/sources", Get(vec![cookie("session=a,b")]), InvalidRequest(charset)),
        ("a quoted cookie token", "/sources", Get(vec![cookie(&format!("session=\"{valid}\""))]), InvalidRequest(charset)),
        ("a space in the forwarded token", "/sources", Get(vec![forwarded("a b")]), InvalidRequest(charset)),
        ("an oversized cookie token", "/sources", Get(vec![cookie(&format!("session={oversized}"))]), InvalidToken("token too large")),
        ("an oversized forwarded token", "/sources", Get(vec![forwarded(&oversized)]), InvalidToken("token too large")),
        ("an expired token in the cookie", "/sources", Get(vec![session(&expired)]), InvalidToken("token expired")),
        ("an expired token in the forwarded header", "/sources", Get(vec![forwarded(&expired)]), InvalidToken("token expired")),
        // optional authentication: `#[claims] Option<Claims>`, `scopes = ["orders:read"]`
        ("an optional handler without a token", "/maybe", Get(vec![]), Ok("anonymous")),
        ("an optional handler with another scheme", "/maybe", Get(authorization("Basic dXNlcjpwYXNz")), Ok("anonymous")),
        ("an optional handler with a valid token", "/maybe", orders(&["orders:read"]), Ok("alice")),
        ("an optional handler with a foreign key", "/maybe", on_whoami(token().scope("orders:read").foreign_key()), InvalidToken("invalid signature")),
        ("an optional handler with an expired token", "/maybe", on_whoami(token().scope("orders:read").expired()), InvalidToken("token expired")),
        ("an optional handler with a token lacking the scope", "/maybe", orders(&[]), InsufficientScope { scope: "orders:read", description: "missing scope orders:read" }),
        ("an optional handler with malformed credentials", "/maybe", Get(authorization("Bearer a,b")), InvalidRequest(charset)),
        // the guard before the body
        ("bad JSON without a token", "/orders", post(vec![], "{not json"), MissingCredentials),
        ("bad JSON with an expired token", "/orders", post(bearer(&token().expired().sign()), "{not json"), InvalidToken("token expired")),
        ("bad JSON with a valid token", "/orders", post(bearer(&valid), "{not json"), Framework(400)),
        ("JSON with a valid token", "/orders", post(bearer(&valid), r#"{"item":"tea"}"#), Ok("tea for alice")),
        // 503
        ("a provider answering 500", "/down", on_whoami(providers.down.token().audience(AUDIENCE)), Unavailable),
        ("a provider answering garbage", "/garbage", on_whoami(providers.garbage.token().audience(AUDIENCE).alg(Alg::ES256)), Unavailable),
        ("a discovery document naming another issuer", "/liar", on_whoami(providers.liar.token().audience(AUDIENCE)), Unavailable),
        // 500
        ("an unset environment variable", "/misconfigured", Get(bearer(&valid)), Misconfigured),
        ("an empty environment variable", "/empty-env", Get(bearer(&valid)), Misconfigured),
    ]
}

/// A row that sends no body: name, path, headers, answer.
/// A request's headers, as (lowercase name, value).
type Headers = Vec<(&'static str, String)>;

/// `text` for the life of the test binary: a row's expected body made at run time.
fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// The rows of DPoP (RFC 9449) on the default mode (`allowed`): a token bound to a client's
/// key (`cnf.jkt`) with a proof for each request, made for the server at `base`; each refused
/// proof breaks one rule. In order: a row may replay an earlier row's proof.
#[rustfmt::skip]
fn dpop_rows(base: &str) -> Vec<(&'static str, String, Headers, Expect)> {
    use Expect::*;
    let client = DpopClient::new().expect("client key");
    let other = DpopClient::new().expect("another client key");
    let bound = token().subject("dana").dpop_bound(&client).sign();
    let whoami = format!("{base}/whoami");
    let proof = |builder: ProofBuilder| builder.access_token(&bound).sign();
    let fresh = || client.proof("GET", &whoami);
    let dpop = |token: &str, proof: String| vec![("authorization", format!("DPoP {token}")), ("dpop", proof)];
    let sent = |proof: String| dpop(&bound, proof);
    let first = sent(proof(fresh()));
    let now = i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs()).expect("seconds");
    let with_query = client.proof("GET", &whoami).access_token(&bound).sign();
    let shouting = client.proof("GET", &whoami.replace("http://", "HTTP://")).access_token(&bound).sign();
    let unbound = token().subject("erin").sign();
    let expired = token().expired().dpop_bound(&client).sign();
    let unscoped = token().subject("dana").dpop_bound(&client).sign();
    let orders = format!("{base}/orders");
    let maybe = format!("{base}/maybe");
    let scoped = token().subject("dana").scope("orders:read").dpop_bound(&client).sign();
    let off_curve = URL_SAFE_NO_PAD.encode([7u8; 32]);
    let ed = DpopClient::with_alg(Alg::EdDSA).expect("an Ed25519 client key");
    let ed_bound = token().subject("dana").dpop_bound(&ed).sign();
    // The identity point: with it, a forged signature (R = identity, S = 0) verifies anything.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let small_order = json!({"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(identity)});
    let required = format!("{base}/dpop-required");
    let bearer_only = format!("{base}/bearer-only");
    let must_dpop = "this resource requires a DPoP-bound token: send it as `Authorization: DPoP` with a DPoP proof";
    let wrong_key = "the access token is bound to another key than the DPoP proof's (cnf.jkt)";
    vec![
        ("a bound token with its proof", "/whoami".into(), first.clone(), Ok("dana")),
        ("the same proof again", "/whoami".into(), first, DpopProof("the DPoP proof was already used; make a fresh proof (a new jti) for each request")),
        ("a proof without the query the request has", "/whoami?page=2".into(), sent(with_query), Ok("dana")),
        ("a nested route: the proof names the URL the client called", "/nested/whoami".into(), sent(proof(client.proof("GET", &format!("{base}/nested/whoami")))), Ok("dana")),
        ("a proof whose htu differs in the scheme's case", "/whoami".into(), sent(shouting), Ok("dana")),
        ("the scheme DPoP in any case", "/whoami".into(), vec![("authorization", format!("dpop {bound}")), ("dpop", proof(fresh()))], Ok("dana")),
        ("a bound token as Bearer", "/whoami".into(), bearer(&bound), DpopToken("the token is bound to a key (cnf.jkt): send it as `Authorization: DPoP` with a DPoP proof, not as a bearer token")),
        ("a bound token as Bearer with a proof", "/whoami".into(), vec![("authorization", format!("Bearer {bound}")), ("dpop", proof(fresh()))], DpopToken("the token is bound to a key (cnf.jkt): send it as `Authorization: DPoP` with a DPoP proof, not as a bearer token")),
        ("an unbound token under DPoP", "/whoami".into(), dpop(&unbound, client.proof("GET", &whoami).access_token(&unbound).sign()), DpopToken("the token is not bound to a key (no cnf.jkt): it cannot be sent under the DPoP scheme")),
        ("an expired bound token", "/whoami".into(), dpop(&expired, client.proof("GET", &whoami).access_token(&expired).sign()), DpopToken("token expired")),
        ("a malformed token under DPoP", "/whoami".into(), vec![("authorization", "DPoP a,b".into()), ("dpop", proof(fresh()))], DpopRequest("bearer token contains characters not allowed by RFC 6750")),
        ("no DPoP header", "/whoami".into(), vec![("authorization", format!("DPoP {bound}"))], DpopProof("the request has no DPoP header; send one holding a proof made for this request")),
        ("two DPoP headers", "/whoami".into(), vec![("authorization", format!("DPoP {bound}")), ("dpop", proof(fresh())), ("dpop", proof(fresh()))], DpopProof("the request has more than one DPoP header; send exactly one")),
        ("a proof that is not a JWS", "/whoami".into(), sent("not-a-proof".into()), DpopProof("the DPoP proof is malformed: not a compact JWS: expected three dot-separated parts")),
        ("an oversized proof", "/whoami".into(), sent("a".repeat(16 * 1024 + 1)), DpopProof("the DPoP proof is longer than 16384 bytes")),
        ("typ JWT", "/whoami".into(), sent(proof(fresh().typ("JWT"))), DpopProof("the DPoP proof's typ must be dpop+jwt")),
        ("alg HS256", "/whoami".into(), sent(proof(fresh().header("alg", "HS256"))), DpopProof("the DPoP proof's alg is not allowed; use one of: ES256 ES384 PS256 RS256 EdDSA")),
        ("no jwk", "/whoami".into(), sent(proof(fresh().without_header("jwk"))), DpopProof("the DPoP proof has no jwk header holding its public key")),
        ("alg none", "/whoami".into(), sent(proof(fresh().header("alg", "none"))), DpopProof("the DPoP proof's alg is not allowed; use one of: ES256 ES384 PS256 RS256 EdDSA")),
        ("a jwk off its curve", "/whoami".into(), sent(proof(fresh().jwk_member("y", off_curve))), DpopProof("the DPoP proof's jwk is not a usable public key: the public key is not valid for its type")),
        ("a small-order Ed25519 jwk", "/whoami".into(), dpop(&ed_bound, ed.proof("GET", &whoami).access_token(&ed_bound).header("jwk", small_order).sign()), DpopProof("the DPoP proof's jwk is not a usable public key: Ed25519 key is a small-order or non-canonical point")),
        ("a private key in the jwk", "/whoami".into(), sent(proof(fresh().private_key_in_jwk())), DpopProof("the DPoP proof's jwk holds private key material; send the public key only")),
        ("a signature by another key", "/whoami".into(), sent(proof(fresh().signed_by(&other))), DpopProof("the DPoP proof's signature does not verify with its jwk")),
        ("no jti", "/whoami".into(), sent(proof(fresh().without_claim("jti"))), DpopProof("the DPoP proof's `jti` claim is missing or not of its type")),
        ("htm POST on a GET", "/whoami".into(), sent(proof(fresh().htm("POST"))), DpopProof("the DPoP proof's htm is not this request's method")),
        ("htu of another path", "/whoami".into(), sent(proof(fresh().htu(format!("{base}/profile")))), DpopProof("the DPoP proof's htu is not this request's URI (without query and fragment)")),
        ("iat five minutes ago", "/whoami".into(), sent(proof(fresh().issued_at(now - 300))), DpopProof("the DPoP proof's iat is outside the accepted window; make a fresh proof for each request")),
        ("iat five minutes ahead", "/whoami".into(), sent(proof(fresh().issued_at(now + 300))), DpopProof("the DPoP proof's iat is outside the accepted window; make a fresh proof for each request")),
        ("no ath", "/whoami".into(), sent(client.proof("GET", &whoami).sign()), DpopProof("the DPoP proof's `ath` claim is missing or not of its type")),
        ("the ath of another token", "/whoami".into(), sent(fresh().access_token(&unbound).sign()), DpopProof("the DPoP proof's ath is not the hash of this access token")),
        ("a proof by another key than the token's", "/whoami".into(), sent(other.proof("GET", &whoami).access_token(&bound).sign()), DpopProof(wrong_key)),
        ("a bound token lacking a scope", "/orders".into(), dpop(&unscoped, client.proof("GET", &orders).access_token(&unscoped).sign()), DpopScope { scope: "orders:read orders:list", description: "missing scope orders:read" }),
        ("a required handler, a bound token with its proof", "/dpop-required".into(), dpop(&bound, client.proof("GET", &required).access_token(&bound).sign()), Ok(leak(format!("dana bound to {}", client.thumbprint())))),
        ("a required handler, an unbound Bearer token", "/dpop-required".into(), bearer(&unbound), DpopToken(must_dpop)),
        ("a required handler, a bound token as Bearer", "/dpop-required".into(), bearer(&bound), DpopToken(must_dpop)),
        ("a required handler, a token in a cookie it does not read", "/dpop-required".into(), vec![("cookie", format!("session={bound}"))], DpopMissingCredentials),
        ("a required handler without credentials", "/dpop-required".into(), vec![], DpopMissingCredentials),
        ("a disabled handler, a bound token as Bearer", "/bearer-only".into(), bearer(&bound), Ok(leak(format!("dana bound to {}", client.thumbprint())))),
        ("a disabled handler, the DPoP scheme", "/bearer-only".into(), dpop(&bound, client.proof("GET", &bearer_only).access_token(&bound).sign()), BearerMissingCredentials),
        ("a disabled handler without credentials", "/bearer-only".into(), vec![], BearerMissingCredentials),
        ("an optional handler with a bound token", "/maybe".into(), dpop(&scoped, client.proof("GET", &maybe).access_token(&scoped).sign()), Ok("dana")),
        ("an optional handler with a bad proof", "/maybe".into(), dpop(&scoped, client.proof("POST", &maybe).access_token(&scoped).sign()), DpopProof("the DPoP proof's htm is not this request's method")),
    ]
}

pub type BodilessRow = (
    &'static str,
    &'static str,
    Vec<(&'static str, String)>,
    Expect,
);

/// The rows on `framework` that send no body, as (name, path, headers, answer): what a gRPC
/// call can carry (`tests/tonic.rs` serves each path as a method of `conformance.Probe`).
pub fn rows_without_body(framework: &str) -> Vec<BodilessRow> {
    rows(framework)
        .into_iter()
        .filter_map(|(name, path, send, expect)| match send {
            Request::Get(headers) => Some((name, path, headers, expect)),
            Request::Post(..) => None,
        })
        .collect()
}

/// Sends every row of the table to the server at `base` and checks each answer; a failure
/// names the framework and the row.
pub async fn every_row(framework: &str, base: &str) {
    for (name, path, send, expect) in rows(framework) {
        let case = format!("{framework}, {name} ({path})");
        let url = format!("{base}{path}");
        let reply = match &send {
            Request::Get(headers) => bounded(&case, common::get(&url, &pairs(headers))).await,
            Request::Post(headers, body) => {
                bounded(&case, common::post_json(&url, &pairs(headers), body)).await
            }
        };
        expect.check(&reply, &case);
        let (Request::Get(headers) | Request::Post(headers, _)) = &send;
        never_echoed(&reply, headers, &case);
    }
    let dpop_routes = [
        "/whoami",
        "/nested/whoami",
        "/orders",
        "/maybe",
        "/dpop-required",
        "/bearer-only",
    ];
    every_dpop_row(framework, base, &dpop_routes).await;
    assert_eq!(
        providers(framework).liar.jwks_requests(),
        0,
        "{framework}: keys were fetched from an unverified discovery document"
    );
}

/// Sends the DPoP rows of the table whose path (query aside) is among `paths` to the server at
/// `base` and checks each answer: a server protecting `/whoami` alone (a layer) runs those.
pub async fn every_dpop_row(framework: &str, base: &str, paths: &[&str]) {
    for (name, path, headers, expect) in dpop_rows(base) {
        let route = path.split('?').next().unwrap_or_default();
        if !paths.contains(&route) {
            continue;
        }
        let case = format!("{framework}, DPoP: {name} ({path})");
        let url = format!("{base}{path}");
        let reply = bounded(&case, common::get(&url, &pairs(&headers))).await;
        expect.check(&reply, &case);
        never_echoed(&reply, &headers, &case);
    }
}

/// Asserts that `reply` quotes no secret claim and no long part of what was `sent`.
#[track_caller]
fn never_echoed(reply: &Reply, sent: &[(&'static str, String)], case: &str) {
    let everything = format!("{reply:?}");
    assert!(!everything.contains(SECRET), "{case}: echoes a claim");
    for (_, value) in sent {
        for part in value.split(['.', ' ']).filter(|part| part.len() >= 16) {
            assert!(!everything.contains(part), "{case}: echoes the token");
        }
    }
}

fn pairs<'a>(headers: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    headers.iter().map(|(n, v)| (*n, v.as_str())).collect()
}

/// Sixteen requests with tokens of `framework`'s first-requests provider, whose discovery takes
/// half a second, sent together to `base` + `/first-requests`: each gets 200 with its own
/// subject, every one of them is answered only once that first fetch is done, and the provider
/// sees one discovery and one JWKS request. Returns the threads that answered.
pub async fn first_requests_share_one_key_fetch(framework: &str, base: &str) -> HashSet<String> {
    let issuer = &providers(framework).first_requests;
    let delay = Duration::from_millis(500);
    issuer.set_discovery_answer(Answer::Delay(delay));
    let mut requests = tokio::task::JoinSet::new();
    for n in 0..16 {
        let url = format!("{base}/first-requests");
        let token = issuer
            .token()
            .audience(AUDIENCE)
            .subject(format!("user-{n}"));
        let (token, case) = (token.sign(), format!("{framework}, first request {n}"));
        requests.spawn(async move {
            let start = Instant::now();
            let reply = bounded(&case, common::get_with_token(&url, &token)).await;
            (n, reply, start.elapsed())
        });
    }
    let mut threads = HashSet::new();
    while let Some(joined) = requests.join_next().await {
        let (n, reply, elapsed) = joined.expect("request task");
        let (status, answer) = (reply.status, reply.text.split_once(" on "));
        let subject = format!("user-{n}");
        assert_eq!(
            (status, answer.map(|(sub, _)| sub)),
            (200, Some(subject.as_str())),
            "{framework}: {reply:?}"
        );
        assert!(
            elapsed >= delay / 2,
            "{framework}: answered in {elapsed:?}, not during the first fetch"
        );
        threads.extend(answer.map(|(_, thread)| thread.to_owned()));
    }
    assert_eq!(
        (issuer.discovery_requests(), issuer.jwks_requests()),
        (1, 1),
        "{framework}: one discovery and one JWKS request for all first requests"
    );
    threads
}

/// A JSON body announced as `length` bytes of which only `{"item":` is sent, without a token,
/// to `POST /orders`: answered 401 without the body, whatever the framework's body limit
/// (1 kB is within every limit, 1 GB beyond them). With a token, the framework's body
/// extractor has the request: no 401 (it waits for the body, or refuses its length).
pub async fn a_request_without_a_token_is_answered_before_its_body(framework: &str, base: &str) {
    for length in [1_000, 1_000_000_000] {
        let case = format!("{framework}, Content-Length {length}");
        let reply = unfinished_body(base, length, None, common::LIMIT).await;
        Expect::MissingCredentials.check(&reply.expect(&case), &case);
    }
    let auth = format!("Bearer {}", token().sign());
    let wait = Duration::from_millis(500);
    let reply = unfinished_body(base, 1_000_000_000, Some(&auth), wait).await;
    assert!(
        reply.as_ref().is_none_or(|reply| reply.status != 401),
        "{framework}: with a token, the guard answered: {reply:?}"
    );
}

/// POSTs to `base/orders` a body announced as `length` bytes of which only `{"item":` is ever
/// sent; the answer, or `None` when none came within `wait`.
async fn unfinished_body(
    base: &str,
    length: usize,
    authorization: Option<&str>,
    wait: Duration,
) -> Option<Reply> {
    let host = base.trim_start_matches("http://");
    let mut head = format!(
        "POST /orders HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\n"
    );
    if let Some(value) = authorization {
        head.push_str(&format!("Authorization: {value}\r\n"));
    }
    head.push_str("\r\n{\"item\":");
    let mut stream = bounded(host, tokio::net::TcpStream::connect(host))
        .await
        .expect("connect to the app");
    bounded(host, stream.write_all(head.as_bytes()))
        .await
        .expect("send the request head");
    tokio::time::timeout(wait, read_response(&mut stream))
        .await
        .ok()
}

/// Reads one HTTP/1.1 response with a `Content-Length` body.
async fn read_response(stream: &mut tokio::net::TcpStream) -> Reply {
    let mut received = Vec::new();
    let mut buffer = [0; 4096];
    let (head, mut body) = loop {
        let read = stream.read(&mut buffer).await.expect("read the response");
        assert!(read > 0, "connection closed mid-response: {received:?}");
        received.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            break (head.to_owned(), body.as_bytes().to_vec());
        }
    };
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .expect("Content-Length");
    while body.len() < length {
        let read = stream.read(&mut buffer).await.expect("read the body");
        assert!(read > 0, "connection closed mid-body");
        body.extend_from_slice(&buffer[..read]);
    }
    Reply {
        status,
        www_authenticate: header("www-authenticate"),
        challenges: headers
            .iter()
            .filter(|(n, _)| n == "www-authenticate")
            .map(|(_, v)| v.clone())
            .collect(),
        dpop_nonce: header("dpop-nonce"),
        retry_after: header("retry-after"),
        content_type: header("content-type"),
        text: String::from_utf8_lossy(&body).into_owned(),
    }
}
