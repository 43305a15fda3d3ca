//! Strict JSON for token headers and payloads: one object, no member name twice at any depth.
//!
//! RFC 7515 §5.2 and RFC 7519 §4 let a parser either reject duplicate member names or keep the
//! last one; RFC 8725 §2.8 warns that parsers disagreeing on which one wins is an attack
//! surface (a `sub` or `realm_access.roles` read one way here and another way by the handler's
//! own type). This module rejects them, so every later reader sees the same claims.
//!
//! Numbers come out as serde_json would build them, whichever of its features the application
//! turned on. With `arbitrary_precision`, serde_json hands a float or an integer beyond 64 bits
//! to serde as a one-member map, `{"$serde_json::private::Number": "<the number's text>"}`;
//! such a map becomes that number here, exact to its last digit. The parser reads the map the
//! same way in every build, so an object whose first member has that name is a number given as
//! text, and refused when the text is not a finite JSON number or other members follow, as
//! serde_json with the feature reads it.

use std::cell::Cell;
use std::fmt;
use std::str::FromStr;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

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

/// The member name under which serde_json, with its `arbitrary_precision` feature, passes a
/// number through serde as text (serde_json's private `TOKEN`, spelled out because it is not
/// exported; the test crate `tests/arbitrary-precision` proves the spelling).
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// The number a number token carries: `text` must be one JSON number, finite as an `f64`
/// (serde_json without `arbitrary_precision` refuses the others, such as `1e400`, so both builds
/// refuse them). With the feature the number keeps `text` exactly.
fn number_from_token(text: &str) -> Option<Number> {
    Number::from_str(text)
        .ok()
        .filter(|number| number.as_f64().is_some())
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
        let Some(first) = access.next_key::<String>()? else {
            return Ok(Value::Object(map));
        };
        if first == NUMBER_TOKEN {
            let text: String = access.next_value()?;
            let number = number_from_token(&text)
                .ok_or_else(|| de::Error::custom("not a finite JSON number"))?;
            if access.next_key::<de::IgnoredAny>()?.is_some() {
                return Err(de::Error::custom("a number with other members"));
            }
            return Ok(Value::Number(number));
        }
        map.insert(first, access.next_value_seed(self)?);
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
        for text in [
            r#"{"a":1,"b":[true,null,-2,3.5,"x"],"c":{"d":{}},"e":18446744073709551615}"#,
            r#"{"f":[1.5,1.50,1e3,2.5E-3,-0.0,-0,1700000000.25],"g":{"h":[{"i":0.1}]}}"#,
            r#"{"big":123456789012345678901234567890,"neg":-9223372036854775809}"#,
        ] {
            let expected: Value = serde_json::from_str(text).unwrap_or_default();
            assert_eq!(
                object(text.as_bytes()).map(Value::Object),
                Ok(expected),
                "{text}"
            );
        }
    }

    #[test]
    fn a_number_token_becomes_the_number_it_carries_at_any_depth() {
        let text = r#"{"a":{"$serde_json::private::Number":"1.5"},
            "b":[{"$serde_json::private::Number":"-2"},{"$serde_json::private::Number":"1e3"}],
            "c":{"d":{"$serde_json::private::Number":"123456789012345678901234567890"}}}"#;
        let expected: Value = serde_json::from_str(
            r#"{"a":1.5,"b":[-2,1e3],"c":{"d":123456789012345678901234567890}}"#,
        )
        .unwrap_or_default();
        assert_eq!(object(text.as_bytes()).map(Value::Object), Ok(expected));
    }

    #[test]
    fn a_number_token_that_is_not_one_finite_json_number_is_rejected() {
        for carried in [
            r#""1e400""#,
            r#""-1e400""#,
            r#""abc""#,
            r#""""#,
            r#"" 1""#,
            r#""1 ""#,
            r#""01""#,
            r#""+1""#,
            r#""1.""#,
            r#""NaN""#,
            r#""1,2""#,
            "1",
            "null",
            r#"{"k":1}"#,
        ] {
            let text = format!(r#"{{"a":{{"$serde_json::private::Number":{carried}}}}}"#);
            assert_eq!(
                object(text.as_bytes()),
                Err(StrictJsonError::NotAnObject),
                "{text}"
            );
        }
        let with_more = r#"{"a":{"$serde_json::private::Number":"1","b":2}}"#;
        assert_eq!(
            object(with_more.as_bytes()),
            Err(StrictJsonError::NotAnObject)
        );
        // The whole document must still be an object, not a number.
        let alone = r#"{"$serde_json::private::Number":"1"}"#;
        assert_eq!(object(alone.as_bytes()), Err(StrictJsonError::NotAnObject));
    }

    #[test]
    fn the_token_name_after_the_first_member_is_an_ordinary_member_name() {
        let text = r#"{"a":{"b":1,"$serde_json::private::Number":"2"}}"#;
        let expected = json!({"a": {"b": 1, "$serde_json::private::Number": "2"}});
        assert_eq!(object(text.as_bytes()).map(Value::Object), Ok(expected));
        let twice = r#"{"a":{"b":1,"$serde_json::private::Number":"2","$serde_json::private::Number":"2"}}"#;
        assert_eq!(
            object(twice.as_bytes()),
            Err(StrictJsonError::DuplicateMember)
        );
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
