//! [`TokenBuilder`]: tokens signed by a [`TestIssuer`](super::TestIssuer), good or hostile.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::keys::{KeyKind, Material};
use super::server::Shared;
use super::{Alg, TestIssuerError};

/// How far in the past [`TokenBuilder::expired`] puts `exp`, and how far in the future
/// [`TokenBuilder::not_yet_valid`] puts `nbf`: beyond any sensible leeway.
const FAR: i64 = 24 * 60 * 60;

/// The current Unix time, in seconds.
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// Which `kid` the header carries.
#[derive(Debug, Clone)]
enum Kid {
    /// The kid of the signing key (for a foreign key: the kid of the issuer's key it poses as).
    Signing,
    Absent,
    Custom(String),
}

/// Builds a JWT signed by a [`TestIssuer`](super::TestIssuer): made by
/// [`TestIssuer::token`](super::TestIssuer::token).
///
/// Defaults: `iss` = the issuer string, `sub` = `"user-1"`, `iat` = now, `exp` = now + 1 hour,
/// no `aud`; header `alg: "RS256"`, `typ: "JWT"` and the `kid` of the issuer's current RSA key.
/// An issuer started [`like`](super::TestIssuer::like) a provider starts from that provider's
/// access token instead (its claims, its `typ` header or none): see
/// [`Provider`](super::Provider). Every method replaces what an earlier call set (or the
/// default). The key is picked when signing, so a builder made before
/// [`TestIssuer::rotate`](super::TestIssuer::rotate) signs with the new keys.
///
/// ```
/// # use jwks_guard_test::{Alg, TestIssuer};
/// # let issuer = TestIssuer::start()?;
/// let token = issuer
///     .token()
///     .audience("orders-api")
///     .scopes(["orders:read", "orders:write"])
///     .claim("tenant", serde_json::json!("acme"))
///     .alg(Alg::ES256)
///     .sign();
/// assert_eq!(token.split('.').count(), 3);
/// # Ok::<(), jwks_guard_test::TestIssuerError>(())
/// ```
#[derive(Clone)]
#[must_use = "a token builder does nothing until `sign` is called"]
pub struct TokenBuilder {
    shared: Arc<Shared>,
    alg: Alg,
    kid: Kid,
    typ: Option<String>,
    /// Header members set or removed (`None`) by hand, applied last, in order.
    header: Vec<(String, Option<Value>)>,
    claims: Map<String, Value>,
    foreign: bool,
}

impl fmt::Debug for TokenBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenBuilder")
            .field("issuer", &self.shared.issuer)
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("typ", &self.typ)
            .field("header", &self.header)
            .field("claims", &self.claims)
            .field("foreign_key", &self.foreign)
            .finish()
    }
}

impl TokenBuilder {
    pub(crate) fn new(shared: Arc<Shared>) -> TokenBuilder {
        let now = now();
        let mut claims = Map::new();
        claims.insert("iss".into(), Value::String(shared.issuer.clone()));
        claims.insert("sub".into(), Value::String("user-1".into()));
        claims.insert("iat".into(), Value::from(now));
        claims.insert("exp".into(), Value::from(now.saturating_add(3600)));
        let mut typ = Some("JWT".to_owned());
        if let Some(provider) = shared.provider {
            claims.extend(provider.claims(&shared.issuer, shared.tenant.as_deref(), now));
            typ = provider.typ().map(str::to_owned);
        }
        TokenBuilder {
            shared,
            alg: Alg::RS256,
            kid: Kid::Signing,
            typ,
            header: Vec::new(),
            claims,
            foreign: false,
        }
    }

    // ----- claims -----

    /// Sets any claim (`serde_json::json!(...)`, a string, a number, a bool …).
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Removes a claim, default ones included (`without_claim("exp")`).
    pub fn without_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// `aud` as a single string.
    pub fn audience(self, audience: impl Into<String>) -> Self {
        self.claim("aud", audience.into())
    }

    /// `aud` as an array, even of one element.
    pub fn audiences<I, S>(self, audiences: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.claim("aud", strings(audiences))
    }

    /// `sub`.
    pub fn subject(self, subject: impl Into<String>) -> Self {
        self.claim("sub", subject.into())
    }

    /// `iss`, instead of the issuer string.
    pub fn issuer(self, issuer: impl Into<String>) -> Self {
        self.claim("iss", issuer.into())
    }

    /// A token of another Entra ID tenant: `tid` = `tenant`, and for an Entra ID preset `iss`
    /// = its issuer template with this tenant (`https://login.microsoftonline.com/{tenant}/v2.0`,
    /// `https://sts.windows.net/{tenant}/`), as that tenant's tokens carry them. For other
    /// issuers, only `tid`.
    ///
    /// The keys stay this issuer's, as Entra ID signs every tenant's tokens with the same keys
    /// (those of the common discovery document): a multi-tenant attribute
    /// (`issuer = "https://login.microsoftonline.com/{tenantid}/v2.0"`) accepts the token
    /// unless its `tenants` list leaves the tenant out.
    ///
    /// ```
    /// # use jwks_guard_test::{Provider, TestIssuer};
    /// let entra = TestIssuer::like(Provider::EntraV2)?;
    /// let token = entra.token().tenant("bbbbcccc-1111-dddd-2222-eeee3333ffff").sign();
    /// # let payload = token.split('.').nth(1).unwrap();
    /// # use base64::Engine;
    /// # let claims: serde_json::Value = serde_json::from_slice(
    /// #     &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    /// # let other = "bbbbcccc-1111-dddd-2222-eeee3333ffff";
    /// # assert_eq!(claims["iss"], format!("https://login.microsoftonline.com/{other}/v2.0"));
    /// # assert_eq!(claims["tid"], other);
    /// # Ok::<(), jwks_guard_test::TestIssuerError>(())
    /// ```
    pub fn tenant(self, tenant: impl Into<String>) -> Self {
        let tenant = tenant.into();
        let template = self.shared.provider.and_then(|p| p.issuer_template());
        let builder = match template {
            Some(template) => self.issuer(super::providers::fill(template, &tenant)),
            None => self,
        };
        builder.claim("tid", tenant)
    }

    /// `scope` as given: one string, scopes separated by spaces (`"orders:read orders:write"`).
    pub fn scope(self, scope: impl Into<String>) -> Self {
        self.claim("scope", scope.into())
    }

    /// `scope` as the space-separated join of `scopes`, as RFC 8693 and most providers write it.
    pub fn scopes<I, S>(self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let joined: Vec<String> = scopes.into_iter().map(Into::into).collect();
        self.claim("scope", joined.join(" "))
    }

    /// `scp` as an array of strings, as some providers (Azure AD, Okta) write scopes.
    pub fn scp<I, S>(self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.claim("scp", strings(scopes))
    }

    /// Binds the token to `client`'s DPoP key (RFC 9449 §6): `cnf` = `{"jkt": thumbprint}`.
    /// A resource server then accepts it only with a proof signed by that key.
    pub fn dpop_bound(self, client: &super::DpopClient) -> Self {
        self.claim("cnf", serde_json::json!({ "jkt": client.thumbprint() }))
    }

    /// `iat`, in Unix seconds.
    pub fn issued_at(self, unix_seconds: i64) -> Self {
        self.claim("iat", unix_seconds)
    }

    /// `exp`, in Unix seconds.
    pub fn expires_at(self, unix_seconds: i64) -> Self {
        self.claim("exp", unix_seconds)
    }

    /// `exp` = now + `duration`.
    pub fn expires_in(self, duration: Duration) -> Self {
        self.expires_at(now().saturating_add(seconds(duration)))
    }

    /// Expired long ago, beyond any leeway: `exp` = now − 1 day, `iat` = now − 1 day − 1 hour.
    pub fn expired(self) -> Self {
        let now = now();
        self.expires_at(now - FAR).issued_at(now - FAR - 3600)
    }

    /// `nbf`, in Unix seconds.
    pub fn not_before(self, unix_seconds: i64) -> Self {
        self.claim("nbf", unix_seconds)
    }

    /// `nbf` = now + `duration`.
    pub fn not_before_in(self, duration: Duration) -> Self {
        self.not_before(now().saturating_add(seconds(duration)))
    }

    /// Not valid before a day from now, beyond any leeway (`exp` moves along to stay after it).
    pub fn not_yet_valid(self) -> Self {
        let now = now();
        self.not_before(now + FAR).expires_at(now + FAR + 3600)
    }

    // ----- header and key -----

    /// The algorithm, and with it the key: RS256 … PS512 sign with the RSA key, ES256 with the
    /// P-256 key, ES384 with the P-384 key, ES512 with the P-521 key, EdDSA with the Ed25519
    /// key. Only an issuer started with
    /// [`p521_key(true)`](super::TestIssuerBuilder::p521_key) holds a P-521 key: for the others,
    /// an ES512 token cannot be signed ([`try_sign`](Self::try_sign) says so).
    ///
    /// The JWKS publishes each key with one `alg` (RS256 for the RSA key), so a PS256 token is
    /// signed by a published key whose JWK says RS256 — unless the issuer was started with
    /// [`publish_alg(false)`](super::TestIssuerBuilder::publish_alg).
    pub fn alg(mut self, alg: Alg) -> Self {
        self.alg = alg;
        self
    }

    /// Signs with a key that is not in the JWKS (nor ever will be) while keeping the `kid` of
    /// the issuer's key of the same kind: the verifier finds a key, and the signature is wrong.
    pub fn foreign_key(mut self) -> Self {
        self.foreign = true;
        self
    }

    /// The `kid` header, instead of the signing key's.
    pub fn kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Kid::Custom(kid.into());
        self
    }

    /// No `kid` header.
    pub fn no_kid(mut self) -> Self {
        self.kid = Kid::Absent;
        self
    }

    /// The `typ` header, instead of `"JWT"` (for instance `"at+jwt"`, RFC 9068).
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }

    /// No `typ` header.
    pub fn no_typ(mut self) -> Self {
        self.typ = None;
        self
    }

    /// Sets any header member, last, over what the other methods chose: `jku`, `x5u`, `jwk`,
    /// `crit`, even `alg` (the signature is still made with the algorithm from
    /// [`alg`](Self::alg)) — for hostile-token tests.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.header.push((name.into(), Some(value.into())));
        self
    }

    /// Removes a header member, last (`without_header("alg")`).
    pub fn without_header(mut self, name: impl Into<String>) -> Self {
        self.header.push((name.into(), None));
        self
    }

    // ----- output -----

    /// The compact JWS (`header.payload.signature`).
    ///
    /// # Panics
    ///
    /// If signing fails, which the keys a [`TestIssuer`](super::TestIssuer) generates do not
    /// do, or if the issuer holds no key for the algorithm (ES512 without
    /// [`p521_key(true)`](super::TestIssuerBuilder::p521_key)); [`try_sign`](Self::try_sign)
    /// returns the error instead.
    pub fn sign(&self) -> String {
        match self.try_sign() {
            Ok(token) => token,
            Err(error) => panic!("{error}"),
        }
    }

    /// The compact JWS (`header.payload.signature`), or why it could not be signed: for
    /// instance an ES512 token of an issuer without a P-521 key.
    pub fn try_sign(&self) -> Result<String, TestIssuerError> {
        let kind = self.alg.key_type();
        let (key, kid) = {
            let mut keys = self.shared.keys();
            let current = keys
                .current(kind)
                .cloned()
                .ok_or_else(|| no_key_for(self.alg))?;
            let key = if self.foreign {
                keys.foreign(kind)?
            } else {
                current.clone()
            };
            (key, Some(current.kid))
        };
        let message = self.signing_input(kid);
        let signature = sign(&key.material, self.alg, &message)?;
        Ok(format!("{message}.{signature}"))
    }

    /// The header and payload with an empty signature (`header.payload.`), the header saying
    /// `alg: "none"` unless [`header`](Self::header) set another: for `alg: none` attacks.
    pub fn unsigned(&self) -> String {
        let mut builder = self.clone();
        builder
            .header
            .insert(0, ("alg".into(), Some("none".into())));
        let kid = self
            .shared
            .keys()
            .current(self.alg.key_type())
            .map(|k| k.kid.clone());
        format!("{}.", builder.signing_input(kid))
    }

    /// `base64url(header) "." base64url(payload)`; `signing_kid` is the kid `Kid::Signing` uses.
    fn signing_input(&self, signing_kid: Option<String>) -> String {
        let mut header = Map::new();
        header.insert("alg".into(), Value::String(self.alg.name().into()));
        if let Some(typ) = &self.typ {
            header.insert("typ".into(), Value::String(typ.clone()));
        }
        let kid = match &self.kid {
            Kid::Signing => signing_kid,
            Kid::Absent => None,
            Kid::Custom(kid) => Some(kid.clone()),
        };
        if let Some(kid) = kid {
            header.insert("kid".into(), Value::String(kid));
        }
        for (name, value) in &self.header {
            match value {
                Some(value) => header.insert(name.clone(), value.clone()),
                None => header.remove(name),
            };
        }
        let encode = |members: Map<String, Value>| {
            URL_SAFE_NO_PAD.encode(Value::Object(members).to_string())
        };
        format!("{}.{}", encode(header), encode(self.claims.clone()))
    }
}

/// The base64url signature of `message` by `material` with `alg`.
fn sign(material: &Material, alg: Alg, message: &str) -> Result<String, TestIssuerError> {
    Ok(URL_SAFE_NO_PAD.encode(material.sign(alg, message.as_bytes())?))
}

/// The base64url signature of `message` by the issuer's current key for `alg`.
pub(crate) fn sign_with_current_key(
    shared: &Shared,
    alg: Alg,
    message: &str,
) -> Result<String, TestIssuerError> {
    let key = shared
        .keys()
        .current(alg.key_type())
        .cloned()
        .ok_or_else(|| no_key_for(alg))?;
    sign(&key.material, alg, message)
}

/// Why a token of `alg` cannot be signed by an issuer that holds no key of its kind, which
/// only happens for ES512 (P-521 keys are held on request).
fn no_key_for(alg: Alg) -> TestIssuerError {
    TestIssuerError::Sign(if alg.key_type() == KeyKind::P521 {
        format!(
            "{} needs a P-521 key, which this issuer does not hold (start it with \
             `TestIssuer::builder().p521_key(true)`)",
            alg.name()
        )
    } else {
        format!("this issuer holds no key for {}", alg.name())
    })
}

fn strings<I, S>(items: I) -> Value
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    Value::Array(
        items
            .into_iter()
            .map(|item| Value::String(item.into()))
            .collect(),
    )
}
