//! DPoP with implementations nobody here wrote: access tokens from `oidc-provider` (panva's
//! OpenID provider, its `dPoP` feature, JWT access tokens for a resource) bound to a key of
//! panva's `dpop` package, which makes the proofs, verified by the runtime's proof checks and by
//! a real axum server.
//!
//! Both run under Node, from `tests/interop/dpop/provider.mjs`; the packages are installed into
//! that folder with `npm ci` when missing (`.ci/run` does it too).

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwks_guard::dpop::{
    InMemoryReplayStore, ProofError, ProofRequest, ProofSettings, check_proof, check_replay_in,
};
use jwks_guard::{Alg, Authenticated, Claims, Dpop, Policy};
use serde_json::{Value, json};

use common::{LIMIT, Reply, serve};

/// The resource (the token's audience) the tokens are asked for.
const RESOURCE: &str = "https://orders.example/";
/// The client `provider.mjs` registers; oidc-provider makes it the `sub` of its tokens too.
const CLIENT_ID: &str = "interop-client";
/// How long `npm ci` may take.
const INSTALL_LIMIT: Duration = Duration::from_secs(300);

/// `tests/interop/dpop`: the script and its packages.
fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/dpop")
}

/// Runs `command`, killing it after `limit`; panics naming `what` unless it succeeds.
fn run_bounded(what: &str, command: &mut Command, limit: Duration) {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start it ({e}); is it installed?"));
    let mut stderr = child.stderr.take().expect("piped stderr");
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: not done within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let errors = errors.join().unwrap_or_default();
    assert!(status.success(), "{what}: {status}\n{errors}");
}

/// Installs the pinned packages (`package-lock.json`) unless they are there.
fn install_packages() {
    let folder = folder();
    let installed = ["oidc-provider", "dpop"].iter().all(|name| {
        folder
            .join("node_modules")
            .join(name)
            .join("package.json")
            .is_file()
    });
    if !installed {
        run_bounded(
            "npm ci in tests/interop/dpop (this test needs Node.js and npm)",
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&folder),
            INSTALL_LIMIT,
        );
    }
}

/// `provider.mjs` under Node: an oidc-provider on 127.0.0.1 and a `dpop` client key.
///
/// The script ends when its standard input closes, so it never outlives this process; dropping
/// it kills it at once.
struct Node {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    issuer: String,
}

impl Node {
    fn start() -> Self {
        install_packages();
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(folder())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start node ({e}): this test needs Node.js"));
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        // Answers are the JSON lines; oidc-provider's notices go to stdout too.
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with('{') && send.send(line).is_err() {
                    break;
                }
            }
        });
        let logged = Arc::new(Mutex::new(String::new()));
        let log = Arc::clone(&logged);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut node = Node {
            child,
            stdin,
            lines,
            stderr: logged,
            issuer: String::new(),
        };
        let hello = node.next_answer("the provider's start");
        node.issuer = hello["issuer"]
            .as_str()
            .unwrap_or_else(|| panic!("the first line names the issuer: {hello}"))
            .to_owned();
        node
    }

    /// The next JSON line of the script, within [`LIMIT`].
    fn next_answer(&mut self, what: &str) -> Value {
        let line = match self.lines.recv_timeout(LIMIT) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => {
                panic!("{what}: no answer within {LIMIT:?}{}", self.log())
            }
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.try_wait().ok().flatten();
                panic!("{what}: node closed its output ({status:?}){}", self.log())
            }
        };
        let answer: Value = serde_json::from_str(&line).expect("the script writes JSON lines");
        if let Some(error) = answer["error"].as_str() {
            panic!("{what}: {error}{}", self.log());
        }
        answer
    }

    /// Node's standard error so far, for a failure message.
    fn log(&self) -> String {
        let log = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        format!("\nnode's stderr:\n{log}")
    }

    fn ask(&mut self, request: &Value) -> Value {
        writeln!(self.stdin, "{request}").expect("write to node");
        self.stdin.flush().expect("write to node");
        self.next_answer(&request.to_string())
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One provider for the whole binary.
static NODE: LazyLock<Mutex<Node>> = LazyLock::new(|| Mutex::new(Node::start()));

fn node() -> std::sync::MutexGuard<'static, Node> {
    NODE.lock().unwrap_or_else(|e| e.into_inner())
}

/// A token oidc-provider issued for [`RESOURCE`].
struct Token {
    access_token: String,
    token_type: String,
    /// The thumbprint of the client's key, as the `dpop` package computes it.
    jkt: String,
}

/// A client-credentials token for [`RESOURCE`], bound to the `dpop` package's key.
fn token() -> Token {
    let answer = node().ask(&json!({"op": "token", "resource": RESOURCE}));
    let field = |name: &str| {
        answer[name]
            .as_str()
            .unwrap_or_else(|| panic!("the token answer has `{name}`: {answer}"))
            .to_owned()
    };
    Token {
        access_token: field("access_token"),
        token_type: field("token_type"),
        jkt: field("jkt"),
    }
}

/// A proof made by the `dpop` package for `method url` with `access_token`.
fn proof(method: &str, url: &str, access_token: &str) -> String {
    let answer = node().ask(&json!({
        "op": "proof", "method": method, "url": url, "access_token": access_token,
    }));
    answer["proof"]
        .as_str()
        .unwrap_or_else(|| panic!("the proof answer has `proof`: {answer}"))
        .to_owned()
}

fn issuer() -> String {
    node().issuer.clone()
}

/// The JSON header and payload of a compact JWS.
fn decoded(jws: &str) -> (Value, Value) {
    let part = |i: usize| -> Value {
        let segment = jws.split('.').nth(i).expect("three segments");
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).expect("base64url")).expect("JSON")
    };
    (part(0), part(1))
}

fn now() -> i64 {
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(elapsed.as_secs()).expect("seconds fit")
}

#[test]
fn oidc_provider_issues_an_at_jwt_bound_to_the_dpop_packages_key() {
    let token = token();
    assert_eq!(token.token_type, "DPoP");
    let (header, claims) = decoded(&token.access_token);
    assert_eq!(
        (&header["alg"], &header["typ"]),
        (&json!("ES256"), &json!("at+jwt"))
    );
    assert_eq!(claims["iss"], json!(issuer()));
    assert_eq!(claims["aud"], json!(RESOURCE));
    assert_eq!(claims["client_id"], json!(CLIENT_ID));
    assert_eq!(claims["sub"], json!(CLIENT_ID));
    assert_eq!(claims["cnf"]["jkt"], json!(token.jkt));
}

#[tokio::test]
async fn the_runtimes_proof_checks_accept_a_dpop_package_proof_for_an_oidc_provider_token_once() {
    let token = token();
    let url = "http://127.0.0.1:8080/orders";
    let proof = proof("GET", url, &token.access_token);
    let check = |uri: &str| {
        check_proof(
            [proof.as_bytes()],
            &ProofRequest { method: "GET", uri },
            &token.access_token,
            Some(&token.jkt),
            &ProofSettings::new(),
            now(),
        )
    };
    let checked = check(url).expect("the dpop package's proof passes");
    assert_eq!(checked.jkt, token.jkt, "the RFC 7638 thumbprints agree");
    assert_eq!(checked.htm, "GET");
    let store = InMemoryReplayStore::default();
    assert_eq!(check_replay_in(&store, &checked).await, Ok(()));
    assert_eq!(
        check_replay_in(&store, &checked).await,
        Err(ProofError::Replayed)
    );
    assert_eq!(
        check("http://127.0.0.1:8080/other").map(|_| ()),
        Err(ProofError::Htu)
    );
}

/// The handler's answer: who called, and with which key.
async fn me(Authenticated(claims): Authenticated<Claims>) -> Json<Value> {
    Json(json!({
        "sub": claims.sub,
        "client_id": claims.client_id,
        "jkt": claims.dpop_jkt(),
    }))
}

/// `/me` behind a policy for oidc-provider's tokens with the given DPoP mode; returns its URL.
async fn app(dpop: Dpop) -> String {
    let policy = Policy::builder()
        .issuer(issuer())
        .audience(RESOURCE)
        .client_id(CLIENT_ID)
        .typ("at+jwt")
        .algorithms([Alg::ES256])
        .scopes(["orders:read"])
        .dpop(dpop)
        .build()
        .expect("a valid policy");
    let base = serve(Router::new().route("/me", get(me)).with_state(policy)).await;
    format!("{base}/me")
}

/// GET `url` with `Authorization: <scheme> <token>` and, when given, a `DPoP` header.
async fn call(url: &str, scheme: &str, token: &str, proof: Option<&str>) -> Reply {
    let authorization = format!("{scheme} {token}");
    let mut headers = vec![("authorization", authorization.as_str())];
    headers.extend(proof.map(|proof| ("dpop", proof)));
    common::bounded(url, common::get(url, &headers)).await
}

/// 401 with `WWW-Authenticate: DPoP error="invalid_dpop_proof", …`.
#[track_caller]
fn assert_invalid_dpop_proof(reply: &Reply, case: &str) {
    assert_eq!(reply.status, 401, "{case}: {reply:?}");
    let challenge = reply.www_authenticate.as_deref().unwrap_or_default();
    assert!(
        challenge.starts_with("DPoP ") && challenge.contains(r#"error="invalid_dpop_proof""#),
        "{case}: {reply:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oidc_provider_token_with_a_dpop_package_proof_is_200_with_its_claims() {
    let url = app(Dpop::Required).await;
    let token = token();
    let proof = proof("GET", &url, &token.access_token);
    let reply = call(&url, "DPoP", &token.access_token, Some(&proof)).await;
    reply.assert_ok("DPoP token and proof");
    assert_eq!(
        reply.json(),
        json!({"sub": CLIENT_ID, "client_id": CLIENT_ID, "jkt": token.jkt})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dpop_package_proof_sent_twice_is_401_invalid_dpop_proof_the_second_time() {
    let url = app(Dpop::Required).await;
    let token = token();
    let proof = proof("GET", &url, &token.access_token);
    call(&url, "DPoP", &token.access_token, Some(&proof))
        .await
        .assert_ok("first use");
    let reply = call(&url, "DPoP", &token.access_token, Some(&proof)).await;
    assert_invalid_dpop_proof(&reply, "second use");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dpop_package_proof_for_another_url_is_401_invalid_dpop_proof() {
    let url = app(Dpop::Required).await;
    let token = token();
    let proof = proof("GET", &format!("{url}/elsewhere"), &token.access_token);
    let reply = call(&url, "DPoP", &token.access_token, Some(&proof)).await;
    assert_invalid_dpop_proof(&reply, "htu of another URL");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oidc_provider_dpop_token_sent_as_bearer_is_401_on_a_required_handler() {
    let url = app(Dpop::Required).await;
    let token = token();
    let reply = call(&url, "Bearer", &token.access_token, None).await;
    assert_eq!(reply.status, 401, "{reply:?}");
    assert!(
        reply.challenges.len() == 1 && reply.challenges[0].starts_with("DPoP"),
        "only the DPoP challenge: {reply:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oidc_provider_dpop_token_sent_as_bearer_is_401_invalid_token_on_an_allowed_handler() {
    let url = app(Dpop::Allowed).await;
    let token = token();
    let reply = call(&url, "Bearer", &token.access_token, None).await;
    assert_eq!(
        (reply.status, reply.error().as_str()),
        (401, "invalid_token"),
        "a bound token must not be downgraded to Bearer: {reply:?}"
    );
}
