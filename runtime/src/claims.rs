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
    /// `exp`: expiry, in seconds since the Unix epoch.
    pub exp: i64,
    /// `nbf`: not valid before, in seconds since the Unix epoch.
    pub nbf: Option<i64>,
    /// `iat`: when the token was issued, in seconds since the Unix epoch.
    pub iat: Option<i64>,
    /// `jti`: the token's unique identifier.
    pub jti: Option<String>,
    /// `client_id`: the OAuth client the token was issued to (RFC 9068).
    pub client_id: Option<String>,
    /// The granted scopes, read from `scope` (space-separated) and `scp` (array or
    /// space-separated string).
    pub scopes: Scopes,
    all: Map<String, Value>,
}

impl Claims {
    /// Builds the claims from a decoded JWT payload.
    ///
    /// # Errors
    /// A registered claim is missing (`iss`, `exp`) or has the wrong JSON type.
    pub fn from_map(all: Map<String, Value>) -> Result<Self, ClaimsError> {
        Ok(Claims {
            iss: string_claim(&all, "iss")?.ok_or(ClaimsError::Missing("iss"))?,
            sub: string_claim(&all, "sub")?,
            aud: Audience::from_claim(all.get("aud"))?,
            exp: numeric_date(&all, "exp")?.ok_or(ClaimsError::Missing("exp"))?,
            nbf: numeric_date(&all, "nbf")?,
            iat: numeric_date(&all, "iat")?,
            jti: string_claim(&all, "jti")?,
            client_id: string_claim(&all, "client_id")?,
            scopes: Scopes::from_claims(&all)?,
            all,
        })
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
        self.all
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

    fn from_claim(value: Option<&Value>) -> Result<Self, ClaimsError> {
        match value {
            None | Some(Value::Null) => Ok(Audience::default()),
            Some(value) => Audience::deserialize(value).map_err(|_| ClaimsError::Malformed("aud")),
        }
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

    /// Reads `scope` (space-separated string) and `scp` (array of strings, or a
    /// space-separated string) from a claims object.
    pub(crate) fn from_claims(claims: &Map<String, Value>) -> Result<Self, ClaimsError> {
        let mut scopes = Vec::new();
        let mut push = |scope: &str| {
            if !scope.is_empty() && !scopes.iter().any(|s: &String| s == scope) {
                scopes.push(scope.to_owned());
            }
        };
        match claims.get("scope") {
            None | Some(Value::Null) => {}
            Some(Value::String(list)) => list.split(' ').for_each(&mut push),
            Some(_) => return Err(ClaimsError::Malformed("scope")),
        }
        match claims.get("scp") {
            None | Some(Value::Null) => {}
            Some(Value::String(list)) => list.split(' ').for_each(&mut push),
            Some(Value::Array(items)) => {
                for item in items {
                    match item {
                        Value::String(scope) => push(scope),
                        _ => return Err(ClaimsError::Malformed("scp")),
                    }
                }
            }
            Some(_) => return Err(ClaimsError::Malformed("scp")),
        }
        Ok(Scopes(scopes))
    }
}

fn string_claim(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<String>, ClaimsError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(ClaimsError::Malformed(name)),
    }
}

/// A NumericDate (RFC 7519 §2): seconds since the epoch, possibly with a fraction, which is
/// truncated.
pub(crate) fn numeric_date(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, ClaimsError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => {
            if let Some(seconds) = number.as_i64() {
                Ok(Some(seconds))
            } else if let Some(seconds) = number.as_f64().filter(|s| s.is_finite()) {
                // Saturating float-to-int conversion; far-future dates stay far in the future.
                Ok(Some(seconds as i64))
            } else {
                Err(ClaimsError::Malformed(name))
            }
        }
        Some(_) => Err(ClaimsError::Malformed(name)),
    }
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
    fn fractional_numeric_dates_are_truncated() {
        let c =
            claims(json!({"iss": "i", "exp": 10.9, "nbf": 3})).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((c.exp, c.nbf), (10, Some(3)));
    }

    #[test]
    fn missing_or_malformed_registered_claims_are_errors() {
        assert_eq!(claims(json!({"exp": 1})), Err(ClaimsError::Missing("iss")));
        assert_eq!(
            claims(json!({"iss": "i"})),
            Err(ClaimsError::Missing("exp"))
        );
        assert_eq!(
            claims(json!({"iss": "i", "exp": "soon"})),
            Err(ClaimsError::Malformed("exp"))
        );
        assert_eq!(
            claims(json!({"iss": "i", "exp": 1, "scope": ["a"]})),
            Err(ClaimsError::Malformed("scope"))
        );
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
