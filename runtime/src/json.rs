//! Strict JSON for token headers and payloads: one object, no member name twice at any depth.
//!
//! RFC 7515 §5.2 and RFC 7519 §4 let a parser either reject duplicate member names or keep the
//! last one; RFC 8725 §2.8 warns that parsers disagreeing on which one wins is an attack
//! surface (a `sub` or `realm_access.roles` read one way here and another way by the handler's
//! own type). This module rejects them, so every later reader sees the same claims.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Why a document is not a strict JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum StrictJsonError {
    /// Not JSON, not an object, or nested deeper than serde_json allows.
    #[error("not a JSON object")]
    NotAnObject,
    /// A member name appears twice in one object.
    #[error("duplicate member name")]
    DuplicateMember,
}

/// Parses `bytes` as a JSON object, rejecting duplicate member names at any depth.
pub(crate) fn object(bytes: &[u8]) -> Result<Map<String, Value>, StrictJsonError> {
    let duplicate = Cell::new(false);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue(&duplicate)
        .deserialize(&mut deserializer)
        .map_err(|_| {
            if duplicate.get() {
                StrictJsonError::DuplicateMember
            } else {
                StrictJsonError::NotAnObject
            }
        })?;
    deserializer
        .end()
        .map_err(|_| StrictJsonError::NotAnObject)?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(StrictJsonError::NotAnObject),
    }
}

/// Builds a [`Value`] like serde_json does, failing on a duplicate member name (and noting
/// that this was the reason in the cell).
#[derive(Clone, Copy)]
struct StrictValue<'c>(&'c Cell<bool>);

impl<'de> DeserializeSeed<'de> for StrictValue<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // JSON numbers are always finite; `from_f64` only fails for NaN and infinities.
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(name) = access.next_key::<String>()? {
            let value = access.next_value_seed(self)?;
            if map.insert(name, value).is_some() {
                self.0.set(true);
                return Err(de::Error::custom("duplicate member name"));
            }
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_parse_like_serde_json() {
        let text = r#"{"a":1,"b":[true,null,-2,3.5,"x"],"c":{"d":{}},"e":18446744073709551615}"#;
        let expected: Value = serde_json::from_str(text).unwrap_or_default();
        assert_eq!(object(text.as_bytes()).map(Value::Object), Ok(expected));
    }

    #[test]
    fn a_duplicate_name_is_rejected_at_any_depth() {
        for text in [
            r#"{"sub":"a","sub":"b"}"#,
            r#"{"x":{"roles":[],"roles":["admin"]}}"#,
            r#"{"x":[{"k":1,"k":1}]}"#,
        ] {
            assert_eq!(
                object(text.as_bytes()),
                Err(StrictJsonError::DuplicateMember),
                "{text}"
            );
        }
        assert!(object(br#"{"a":{"k":1},"b":{"k":1}}"#).is_ok());
    }

    #[test]
    fn anything_but_one_object_is_rejected() {
        for text in ["[]", "1", "\"s\"", "{} {}", "{", "", "{\"a\":1}x"] {
            assert_eq!(
                object(text.as_bytes()),
                Err(StrictJsonError::NotAnObject),
                "{text}"
            );
        }
        let deep = format!("{}1{}", "{\"a\":".repeat(200), "}".repeat(200));
        assert_eq!(object(deep.as_bytes()), Err(StrictJsonError::NotAnObject));
        assert_eq!(object(b"{\"a\":1}").map(Value::Object), Ok(json!({"a": 1})));
    }
}
