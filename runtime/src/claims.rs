//! The verified claims handed to a handler: [`Claims`], [`Audience`] and [`Scopes`].
//!
//! ```
//! use jwks_guard::Claims;
//!
//! let claims: Claims = serde_json::from_value(serde_json::json!({
//!     "iss": "https://id.example.com/",
//!     "sub": "user-1",
//!     "aud": ["orders-api", "billing-api"],
//!     "exp": 1_900_000_000,
//!     "scope": "orders:read orders:write",
//!     "tenant": "acme",
//! }))?;
//! assert!(claims.aud.contains("orders-api"));
//! assert!(claims.has_scope("orders:write"));
//! assert_eq!(claims.get::<String>("tenant").as_deref(), Some("acme"));
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::sync::Arc;

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// The claims of a verified access token.
///
/// The registered claims are parsed into fields; every claim, registered or not, stays
/// reachable through [`Claims::get`] and [`Claims::as_map`]. `Claims` deserialises from any
/// JSON object that carries `iss` and `exp`, so it can also be `#[serde(flatten)]`ed into a
/// claims type of your own.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// `iss`: who issued the token.
    pub iss: String,
    /// `sub`: whom the token is about, if present.
    pub sub: Option<String>,
    /// `aud`: the audiences the token is for.
    pub aud: Audience,
    /// `exp`: expiry, in seconds since the Unix epoch (a fraction is rounded down here; the
    /// expiry check itself compares the exact value).
    pub exp: i64,
    /// `nbf`: not valid before, in seconds since the Unix epoch (rounded down, like `exp`).
    pub nbf: Option<i64>,
    /// `iat`: when the token was issued, in seconds since the Unix epoch (rounded down).
    pub iat: Option<i64>,
    /// `jti`: the token's unique identifier.
    pub jti: Option<String>,
    /// `client_id`: the OAuth client the token was issued to (RFC 9068).
    pub client_id: Option<String>,
    /// The granted scopes, read from `scope` and `scp`, each a space-separated string or an
    /// array of strings; a claim of any other shape grants nothing.
    pub scopes: Scopes,
    /// The decoded payload, shared with the verified-token cache.
    all: Arc<Map<String, Value>>,
}

impl Claims {
    /// Builds the claims from a decoded JWT payload.
    ///
    /// # Errors
    /// A registered claim is missing (`iss`, `exp`) or has the wrong JSON type (RFC 7519: `iss`,
    /// `sub`, `jti`, `client_id` strings; `aud` a string or an array of strings; `exp`, `nbf`,
    /// `iat` numbers within the range of `i64` seconds; `null` is a wrong type, not an absence).
    pub fn from_map(all: Map<String, Value>) -> Result<Self, ClaimsError> {
        let all = Arc::new(all);
        Self::from_verified(&all, &Registered::read(&all)?)
    }

    /// Builds the claims from a payload and its registered claims as already read.
    pub(crate) fn from_verified(
        all: &Arc<Map<String, Value>>,
        registered: &Registered<'_>,
    ) -> Result<Self, ClaimsError> {
        Ok(Claims {
            iss: registered
                .iss
                .ok_or(ClaimsError::Missing("iss"))?
                .to_owned(),
            sub: registered.sub.map(str::to_owned),
            aud: registered
                .aud
                .map(AudienceRef::to_owned)
                .unwrap_or_default(),
            exp: registered.exp.ok_or(ClaimsError::Missing("exp"))?.seconds(),
            nbf: registered.nbf.map(NumericDate::seconds),
            iat: registered.iat.map(NumericDate::seconds),
            jti: registered.jti.map(str::to_owned),
            client_id: registered.client_id.map(str::to_owned),
            scopes: Scopes::from_claims(all),
            all: Arc::clone(all),
        })
    }

    /// The thumbprint of the key the token is bound to (`cnf.jkt`, RFC 9449 §6.1; RFC 7638,
    /// SHA-256, base64url): unless the handler says `dpop = "disabled"`, a bound token is
    /// accepted only with a proof of that key, so this is the client key that called. `None`
    /// for a token not bound to a key. Under `dpop = "disabled"`, a bound token is accepted as
    /// a bearer token and nothing proved the key.
    pub fn dpop_jkt(&self) -> Option<&str> {
        bound_key(&self.all)
    }

    /// Whether `scope` was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }

    /// Any claim, deserialised into `T`; `None` if it is absent, `null`, or not a `T`.
    pub fn get<T: DeserializeOwned>(&self, name: &str) -> Option<T> {
        match self.all.get(name)? {
            Value::Null => None,
            value => T::deserialize(value).ok(),
        }
    }

    /// Every claim of the token, as sent.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.all
    }

    /// Every claim of the token, as sent.
    pub fn into_map(self) -> Map<String, Value> {
        Arc::unwrap_or_clone(self.all)
    }
}

impl<'de> Deserialize<'de> for Claims {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let all = Map::deserialize(deserializer)?;
        Claims::from_map(all).map_err(D::Error::custom)
    }
}

impl Serialize for Claims {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.all.serialize(serializer)
    }
}

/// Why a JSON object is not a valid set of [`Claims`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimsError {
    /// A required claim is absent.
    #[error("missing `{0}` claim")]
    Missing(&'static str),
    /// A registered claim has the wrong JSON type.
    #[error("malformed `{0}` claim")]
    Malformed(&'static str),
}

/// The `aud` claim: one audience or several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// `"aud": "api"`.
    One(String),
    /// `"aud": ["api", "other"]` (empty when the claim is absent).
    Many(Vec<String>),
}

impl Default for Audience {
    fn default() -> Self {
        Audience::Many(Vec::new())
    }
}

impl Audience {
    /// Whether `audience` is among them.
    pub fn contains(&self, audience: &str) -> bool {
        self.iter().any(|aud| aud == audience)
    }

    /// Every audience.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let slice: &[String] = match self {
            Audience::One(one) => std::slice::from_ref(one),
            Audience::Many(many) => many,
        };
        slice.iter().map(String::as_str)
    }
}

/// The granted scopes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// Whether `scope` is granted.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|granted| granted == scope)
    }

    /// Every granted scope, in token order, without duplicates.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// How many scopes are granted.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no scope is granted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reads `scope` and `scp` from a claims object: each a space-separated string or an
    /// array of strings (providers write both). A claim of any other shape grants nothing: it
    /// matters only to handlers that require scopes, which answer 403.
    pub(crate) fn from_claims(claims: &Map<String, Value>) -> Self {
        let mut scopes: Vec<String> = Vec::new();
        for name in ["scope", "scp"] {
            for_each_scope(claims.get(name), |scope| {
                if !scope.is_empty() && !scopes.iter().any(|s| s == scope) {
                    scopes.push(scope.to_owned());
                }
            });
        }
        Scopes(scopes)
    }
}

/// Calls `f` with every scope of a `scope` or `scp` claim of an accepted shape.
pub(crate) fn for_each_scope<'a>(claim: Option<&'a Value>, f: impl FnMut(&'a str)) {
    match claim {
        Some(Value::String(list)) => list.split(' ').for_each(f),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).for_each(f);
        }
        _ => {}
    }
}

/// The registered claims of a payload, borrowed and type-checked: the one reading of them that
/// both the checks and [`Claims`] use, so a token is judged the same whatever the handler's
/// claims type.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Registered<'a> {
    pub(crate) iss: Option<&'a str>,
    pub(crate) sub: Option<&'a str>,
    pub(crate) aud: Option<AudienceRef<'a>>,
    pub(crate) exp: Option<NumericDate>,
    pub(crate) nbf: Option<NumericDate>,
    pub(crate) iat: Option<NumericDate>,
    pub(crate) jti: Option<&'a str>,
    pub(crate) client_id: Option<&'a str>,
}

impl<'a> Registered<'a> {
    /// Reads and type-checks the registered claims; an absent claim is `None`, one of the wrong
    /// JSON type (`null` included) is an error.
    pub(crate) fn read(claims: &'a Map<String, Value>) -> Result<Self, ClaimsError> {
        let string = |name: &'static str| match claims.get(name) {
            None => Ok(None),
            Some(Value::String(value)) => Ok(Some(value.as_str())),
            Some(_) => Err(ClaimsError::Malformed(name)),
        };
        let date = |name: &'static str| {
            claims
                .get(name)
                .map(|value| NumericDate::from_json(value).ok_or(ClaimsError::Malformed(name)))
                .transpose()
        };
        Ok(Registered {
            iss: string("iss")?,
            sub: string("sub")?,
            aud: claims.get("aud").map(AudienceRef::from_json).transpose()?,
            exp: date("exp")?,
            nbf: date("nbf")?,
            iat: date("iat")?,
            jti: string("jti")?,
            client_id: string("client_id")?,
        })
    }
}

/// The `aud` claim, borrowed: a string, or an array whose every element is a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AudienceRef<'a> {
    One(&'a str),
    Many(&'a [Value]),
}

impl<'a> AudienceRef<'a> {
    fn from_json(value: &'a Value) -> Result<Self, ClaimsError> {
        match value {
            Value::String(one) => Ok(AudienceRef::One(one)),
            Value::Array(many) if many.iter().all(Value::is_string) => Ok(AudienceRef::Many(many)),
            _ => Err(ClaimsError::Malformed("aud")),
        }
    }

    /// Every audience.
    pub(crate) fn iter(self) -> impl Iterator<Item = &'a str> {
        let (one, many) = match self {
            AudienceRef::One(one) => (Some(one), &[][..]),
            AudienceRef::Many(many) => (None, many),
        };
        one.into_iter().chain(many.iter().filter_map(Value::as_str))
    }

    fn to_owned(self) -> Audience {
        match self {
            AudienceRef::One(one) => Audience::One(one.to_owned()),
            AudienceRef::Many(_) => Audience::Many(self.iter().map(str::to_owned).collect()),
        }
    }
}

/// A NumericDate (RFC 7519 §2): seconds since the epoch, a whole number or not, within the
/// range of `i64`. Comparisons use the exact value; nothing is truncated before them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum NumericDate {
    Whole(i64),
    /// Finite, not a whole number, strictly within `i64`'s range.
    Fraction(f64),
}

/// 2^63 as a float: the first value outside `i64`'s range.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

impl NumericDate {
    /// A JSON number within range; `None` for anything else (strings, `null`, `1e19`, …).
    pub(crate) fn from_json(value: &Value) -> Option<Self> {
        let Value::Number(number) = value else {
            return None;
        };
        if let Some(whole) = number.as_i64() {
            return Some(NumericDate::Whole(whole));
        }
        if number.is_u64() {
            return None; // above i64::MAX
        }
        let float = number.as_f64().filter(|f| f.is_finite())?;
        if !(-TWO_POW_63 < float && float < TWO_POW_63) {
            return None;
        }
        if float.fract() == 0.0 {
            // In range and whole, so the conversion is exact.
            Some(NumericDate::Whole(float as i64))
        } else {
            Some(NumericDate::Fraction(float))
        }
    }

    /// Whole seconds, rounded down.
    pub(crate) fn seconds(self) -> i64 {
        match self {
            NumericDate::Whole(seconds) => seconds,
            // In range by construction, so the conversion is exact after `floor`.
            NumericDate::Fraction(seconds) => seconds.floor() as i64,
        }
    }

    /// Whether `now` has reached this date plus `leeway` (an `exp` check: expired when true).
    pub(crate) fn reached_by(self, now: i64, leeway: u64) -> bool {
        let leeway_whole = i64::try_from(leeway).unwrap_or(i64::MAX);
        match self {
            NumericDate::Whole(date) => now >= date.saturating_add(leeway_whole),
            NumericDate::Fraction(date) => now as f64 >= date + leeway as f64,
        }
    }

    /// Whether this date lies beyond `now` plus `leeway` (an `nbf` check: not yet valid when
    /// true).
    pub(crate) fn beyond(self, now: i64, leeway: u64) -> bool {
        let leeway_whole = i64::try_from(leeway).unwrap_or(i64::MAX);
        match self {
            NumericDate::Whole(date) => now.saturating_add(leeway_whole) < date,
            NumericDate::Fraction(date) => (now as f64) + (leeway as f64) < date,
        }
    }
}

/// The `cnf.jkt` of a token's claims, when it is a string.
pub(crate) fn bound_key(claims: &Map<String, Value>) -> Option<&str> {
    claims.get("cnf")?.get("jkt")?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Value) -> Result<Claims, ClaimsError> {
        match value {
            Value::Object(map) => Claims::from_map(map),
            _ => unreachable!("tests pass objects"),
        }
    }

    #[test]
    fn scopes_are_read_from_scope_and_scp_without_duplicates() {
        let c = claims(json!({"iss": "i", "exp": 1, "scope": "a b", "scp": ["b", "c"]}));
        let c = c.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.scopes.iter().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert!(c.has_scope("c"));
        assert!(!c.has_scope("d"));
    }

    #[test]
    fn scp_may_be_a_space_separated_string() {
        let c =
            claims(json!({"iss": "i", "exp": 1, "scp": "x  y"})).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.scopes.iter().collect::<Vec<_>>(), ["x", "y"]);
    }

    #[test]
    fn audience_may_be_one_or_many() {
        let one =
            claims(json!({"iss": "i", "exp": 1, "aud": "a"})).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(one.aud, Audience::One("a".into()));
        let many = claims(json!({"iss": "i", "exp": 1, "aud": ["a", "b"]}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(many.aud.contains("b"));
        assert_eq!(
            claims(json!({"iss": "i", "exp": 1, "aud": 5})),
            Err(ClaimsError::Malformed("aud"))
        );
    }

    #[test]
    fn fractional_numeric_dates_round_down_in_claims_and_compare_exactly() {
        let c =
            claims(json!({"iss": "i", "exp": 10.9, "nbf": -3.5})).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((c.exp, c.nbf), (10, Some(-4)));
        let exp = NumericDate::Fraction(100.5);
        assert!(!exp.reached_by(100, 0));
        assert!(exp.reached_by(101, 0));
        assert!(!exp.reached_by(101, 1));
        let nbf = NumericDate::Fraction(100.5);
        assert!(nbf.beyond(100, 0));
        assert!(!nbf.beyond(100, 1));
        assert_eq!(
            NumericDate::from_json(&json!(1.0e9)),
            Some(NumericDate::Whole(1_000_000_000))
        );
    }

    #[test]
    fn numeric_dates_outside_i64_or_of_another_type_are_malformed() {
        for bad in [
            json!(9_223_372_036_854_775_808_u64),
            json!(1e19),
            json!(-1e19),
            json!("1700000000"),
            json!(null),
            json!(true),
            json!([1]),
        ] {
            assert_eq!(NumericDate::from_json(&bad), None, "{bad}");
        }
        assert_eq!(
            NumericDate::from_json(&json!(i64::MIN)),
            Some(NumericDate::Whole(i64::MIN))
        );
        assert!(!NumericDate::Whole(i64::MAX).reached_by(i64::MAX - 1, u64::MAX));
        assert!(NumericDate::Whole(i64::MIN).reached_by(0, 0));
    }

    #[test]
    fn missing_or_malformed_registered_claims_are_errors() {
        assert_eq!(claims(json!({"exp": 1})), Err(ClaimsError::Missing("iss")));
        assert_eq!(
            claims(json!({"iss": "i"})),
            Err(ClaimsError::Missing("exp"))
        );
        for (name, bad) in [
            ("exp", json!("soon")),
            ("exp", json!(null)),
            ("nbf", json!(null)),
            ("iat", json!("now")),
            ("iss", json!(["i"])),
            ("sub", json!(5)),
            ("sub", json!(null)),
            ("jti", json!({})),
            ("client_id", json!(1)),
            ("aud", json!(5)),
            ("aud", json!({"a": 1})),
            ("aud", json!(["a", 5])),
            ("aud", json!(null)),
        ] {
            let mut value = json!({"iss": "i", "exp": 1});
            value[name] = bad.clone();
            assert_eq!(
                claims(value),
                Err(ClaimsError::Malformed(name)),
                "{name}: {bad}"
            );
        }
    }

    #[test]
    fn a_scope_claim_of_another_shape_grants_nothing() {
        for scope in [json!(["a", 1]), json!(5), json!({"a": true}), json!(null)] {
            let c = claims(json!({"iss": "i", "exp": 1, "scope": scope, "scp": "b"}))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(c.scopes.iter().collect::<Vec<_>>(), ["b"]);
        }
        let spring = claims(json!({"iss": "i", "exp": 1, "scope": ["a", "b"]}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spring.scopes.iter().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn other_claims_are_reachable_with_get() {
        let c = claims(json!({"iss": "i", "exp": 1, "n": 3, "nil": null}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.get::<u32>("n"), Some(3));
        assert_eq!(c.get::<String>("n"), None);
        assert_eq!(c.get::<Value>("nil"), None);
        assert_eq!(c.get::<String>("iss").as_deref(), Some("i"));
    }
}
