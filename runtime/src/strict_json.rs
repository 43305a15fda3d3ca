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

use std::borrow::Cow;
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
    match strictly(bytes, |deserializer, duplicate| {
        StrictValue(duplicate).deserialize(deserializer)
    })? {
        Value::Object(map) => Ok(map),
        _ => Err(StrictJsonError::NotAnObject),
    }
}

/// One document read from `bytes` by `read` (given the cell in which a duplicate member name
/// is noted), and nothing after it.
fn strictly<'de, T>(
    bytes: &'de [u8],
    read: impl FnOnce(
        &mut serde_json::Deserializer<serde_json::de::SliceRead<'de>>,
        &Cell<bool>,
    ) -> Result<T, serde_json::Error>,
) -> Result<T, StrictJsonError> {
    let duplicate = Cell::new(false);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = read(&mut deserializer, &duplicate).map_err(|_| {
        if duplicate.get() {
            StrictJsonError::DuplicateMember
        } else {
            StrictJsonError::NotAnObject
        }
    })?;
    deserializer
        .end()
        .map_err(|_| StrictJsonError::NotAnObject)?;
    Ok(value)
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

/// A member [`members`] picked out: a string (borrowed from the document when it has no
/// escapes), a number, or any other value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Member<'de> {
    Text(Cow<'de, str>),
    Number(Number),
    Other,
}

impl Member<'_> {
    /// The text of a string member.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Member::Text(text) => Some(text),
            _ => None,
        }
    }
}

/// Parses `bytes` as [`object`] does (one object, no member name twice at any depth) and gives
/// the members named in `names`, in that order, without building the others: for a small object
/// read by a few names (a DPoP proof's claims), no map and no copy of its strings.
pub(crate) fn members<'de, const N: usize>(
    bytes: &'de [u8],
    names: [&str; N],
) -> Result<[Option<Member<'de>>; N], StrictJsonError> {
    strictly(bytes, |deserializer, duplicate| {
        deserializer.deserialize_any(Picker { names, duplicate })
    })
}

/// Objects with more members than this check their names for duplicates in a set, not a list.
const LISTED_NAMES: usize = 16;

/// The names seen so far in one object: a list while it is short, a set beyond.
#[derive(Default)]
struct SeenNames<'de> {
    list: Vec<Cow<'de, str>>,
    set: std::collections::BTreeSet<Cow<'de, str>>,
}

impl<'de> SeenNames<'de> {
    /// Adds `name`; false when it was seen before.
    fn insert(&mut self, name: Cow<'de, str>) -> bool {
        if self.set.is_empty() {
            if self.list.contains(&name) {
                return false;
            }
            if self.list.len() < LISTED_NAMES {
                self.list.push(name);
                return true;
            }
            self.set.extend(self.list.drain(..));
        }
        self.set.insert(name)
    }
}

/// The visitor of [`members`]' top-level object.
struct Picker<'n, 'c, const N: usize> {
    names: [&'n str; N],
    duplicate: &'c Cell<bool>,
}

impl<'de, const N: usize> Visitor<'de> for Picker<'_, '_, N> {
    type Value = [Option<Member<'de>>; N];

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut picked = [const { None }; N];
        let mut seen = SeenNames::default();
        let mut first = true;
        while let Some(name) = access.next_key_seed(NameSeed)? {
            // With `arbitrary_precision`, a document that is a number reads as this one-member
            // map: not an object.
            if first && name == NUMBER_TOKEN {
                return Err(de::Error::custom("a number, not an object"));
            }
            first = false;
            // The value is read before its name is checked, as `object` does, so that both
            // give the same reason for a document that is wrong in both ways.
            let index = self.names.iter().position(|wanted| *wanted == name);
            let member = match index {
                Some(_) => Some(access.next_value_seed(MemberSeed(self.duplicate))?),
                None => {
                    access.next_value_seed(StrictValue(self.duplicate))?;
                    None
                }
            };
            if !seen.insert(name) {
                self.duplicate.set(true);
                return Err(de::Error::custom("duplicate member name"));
            }
            if let (Some(index), Some(member)) = (index, member) {
                picked[index] = Some(member);
            }
        }
        Ok(picked)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        // Read whole, as `object` does, for the same reason when it holds a duplicate.
        StrictValue(self.duplicate).visit_seq(seq)?;
        Err(de::Error::custom("an array, not an object"))
    }
}

/// A member name, borrowed from the document when it has no escapes.
struct NameSeed;

impl<'de> DeserializeSeed<'de> for NameSeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for NameSeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// A picked member's value: strings and numbers kept, anything else checked as [`StrictValue`]
/// does and then dropped.
struct MemberSeed<'c>(&'c Cell<bool>);

impl<'de> DeserializeSeed<'de> for MemberSeed<'_> {
    type Value = Member<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MemberSeed<'_> {
    type Value = Member<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Owned(v)))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Member::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Member::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Number::from_f64(v).map_or(Member::Other, Member::Number))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        StrictValue(self.0).visit_seq(seq).map(|_| Member::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Self::Value, A::Error> {
        // A number under `arbitrary_precision`, or an object.
        match StrictValue(self.0).visit_map(access)? {
            Value::Number(number) => Ok(Member::Number(number)),
            _ => Ok(Member::Other),
        }
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

    /// What [`members`] must give: what [`object`] reads, member by member.
    fn as_object_reads<const N: usize>(
        text: &str,
        names: [&str; N],
    ) -> Result<[Option<Member<'static>>; N], StrictJsonError> {
        let map = object(text.as_bytes())?;
        Ok(names.map(|name| {
            map.get(name).map(|value| match value {
                Value::String(text) => Member::Text(Cow::Owned(text.clone())),
                Value::Number(number) => Member::Number(number.clone()),
                _ => Member::Other,
            })
        }))
    }

    #[test]
    fn members_read_what_object_reads_and_refuse_what_it_refuses() {
        let many: String = (0..40).map(|i| format!(r#""m{i}":{i},"#)).collect();
        let many_then_twice = format!(r#"{{{many}"jti":"a","m7":1}}"#);
        let many_then_jti = format!(r#"{{{many}"jti":"a"}}"#);
        let deep = format!("{{\"jti\":{}1{}}}", "{\"a\":".repeat(200), "}".repeat(200));
        let token_later = format!(r#"{{{many}"$serde_json::private::Number":"1","jti":"a"}}"#);
        for text in [
            r#"{"jti":"a","htm":"GET","htu":"https://x/y","iat":1700000000,"ath":"h"}"#,
            r#"{"iat":1700000000.75,"jti":"a\u0062c","htm":"G\"T","extra":{"k":[1,{"j":2}]}}"#,
            r#"{"jti":5,"htm":null,"htu":true,"iat":"1","ath":[],"nonce":{}}"#,
            r#"{"iat":18446744073709551615,"jti":"","x\u0041":1}"#,
            r#"{"iat":{"$serde_json::private::Number":"1.5"},"jti":{"$serde_json::private::Number":"2"}}"#,
            r#"{"iat":{"$serde_json::private::Number":"1e400"}}"#,
            r#"{"$serde_json::private::Number":"1"}"#,
            r#"{"jti":"a","jti":"b"}"#,
            r#"{"jti":"a","j\u0074i":"b"}"#,
            r#"{"x":{"roles":[],"roles":["admin"]},"jti":"a"}"#,
            r#"{"x":[{"k":1,"k":1}]}"#,
            r#"{"jti":{"k":1,"k":2}}"#,
            r#"{}"#,
            "[]",
            "1",
            "\"s\"",
            "{} {}",
            "{",
            "",
            r#"{"jti":"a"}x"#,
            &many_then_twice,
            &many_then_jti,
            &deep,
            &token_later,
            r#"{"jti":"a","jti":}"#,
            r#"{"a":1,"a":tru}"#,
            r#"{"a":1,"a":"#,
            r#"{"a":1,"a":{"b":1,"b":2}}"#,
            r#"[{"a":1,"a":2}]"#,
            r#"[1,2]"#,
            "null",
        ] {
            let names = ["jti", "htm", "htu", "iat", "ath", "nonce"];
            assert_eq!(
                members(text.as_bytes(), names),
                as_object_reads(text, names),
                "{text}"
            );
        }
    }

    #[test]
    fn members_borrow_strings_without_escapes() {
        let text = br#"{"jti":"plain","htm":"G\u0045T"}"#;
        let Ok([Some(Member::Text(jti)), Some(Member::Text(htm))]) = members(text, ["jti", "htm"])
        else {
            panic!("both members are strings");
        };
        assert!(matches!(jti, Cow::Borrowed("plain")));
        assert_eq!(htm, "GET");
    }
}
