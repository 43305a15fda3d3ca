//! Properties of the fuzzing entry points, checked by `proptest` on every `cargo test`: the
//! same invariants `fuzz/` (AFL) checks for hours, over inputs shaped like the real thing.
//!
//! JSON is generated as text, not as `serde_json::Value`, so that the inputs include what a
//! `Value` cannot hold: duplicate members, numbers beyond `i64`/`u64`/`f64`, lone surrogates.
//! A finding of the fuzzer becomes a plain `#[test]` at the end of this file, feeding its
//! exact bytes.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::Config;
use serde_json::{Value, json};

use super::{AUDIENCE, ISSUER, JWKS, NOW, authorization, discovery, dpop_proof, jwks, payload};

/// Few enough cases that the whole file runs in seconds in a debug build, unless
/// `PROPTEST_CASES` asks for more; no `proptest-regressions/` files (a failure prints its
/// shrunk input: turn it into a `#[test]` at the end of this file).
fn config() -> Config {
    let defaults = Config::default();
    Config {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            defaults.cases
        } else {
            256
        },
        failure_persistence: None,
        ..defaults
    }
}

// ----- JSON text -----

/// A JSON string literal holding `text`.
fn quoted(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// `{"k":v,...}` from members in order, duplicates kept.
fn object(members: &[(String, String)]) -> String {
    let members: Vec<String> = members
        .iter()
        .map(|(name, value)| format!("{}:{value}", quoted(name)))
        .collect();
    format!("{{{}}}", members.join(","))
}

/// Numbers as a token would carry them, and as no token should: around [`NOW`], fractions,
/// beyond every integer type, beyond `f64`.
fn json_number() -> BoxedStrategy<String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(|f| format!("{f:?}")),
        (-100_000_i64..100_000).prop_map(|d| (NOW + d).to_string()),
        (-100_000_i64..100_000, 1_u32..999).prop_map(|(d, frac)| format!("{}.{frac}", NOW + d)),
        select(vec![
            "0",
            "-0",
            "0.0",
            "-0.0",
            "1e400",
            "-1e400",
            "1e-400",
            "1E3",
            "4.2e1",
            "1.7e9",
            "9.223372036854776e18",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "123456789012345678901234567890",
            "9007199254740993",
            "1700000000.0",
            "1700000060.5",
            "1699999940.999999999",
        ])
        .prop_map(str::to_owned),
    ]
    .boxed()
}

/// String literals: arbitrary text, the names the policy looks for, and escapes.
fn json_string() -> BoxedStrategy<String> {
    prop_oneof![
        3 => any::<String>().prop_map(|s| quoted(&s)),
        2 => select(vec![
            ISSUER, AUDIENCE, "read", "read write", "write read", " read", "admin", "",
            "https://fuzz.test", "https://fuzz.test//", "fuzz-rsa", "fuzz-p256", "fuzz-ed25519",
        ])
        .prop_map(quoted),
        1 => select(vec![
            r#""\ud800""#,
            r#""\udc00\ud800""#,
            r#""\u0000""#,
            r#""read\u0000""#,
            r#""\u0072ead""#,
            r#""https:\/\/fuzz.test\/""#,
            r#""fuzz\u002dapi""#,
        ])
        .prop_map(str::to_owned),
    ]
    .boxed()
}

/// Any JSON value, as text, a few levels deep.
fn json_text() -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        select(vec!["null", "true", "false"]).prop_map(str::to_owned),
        json_number(),
        json_string(),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(|items| format!("[{}]", items.join(","))),
            vec((member_name(), inner), 0..6).prop_map(|members| object(&members)),
        ]
    })
    .boxed()
}

/// Member names: mostly ones the code reads (so duplicates are frequent), some arbitrary.
fn member_name() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(vec![
            "iss", "aud", "exp", "nbf", "iat", "sub", "jti", "client_id", "scope", "scp",
            "realm_access", "roles", "alg", "kid", "typ", "crit", "keys", "kty", "crv", "n", "e",
            "x", "y", "d", "use", "key_ops", "issuer", "jwks_uri",
        ])
        .prop_map(str::to_owned),
        1 => any::<String>(),
    ]
    .boxed()
}

/// Members: for each name, usually its first `plausible` value (the acceptable one),
/// sometimes another of them, any value, or none; now and then a few extra members
/// (duplicates likely); the whole shuffled.
fn members(
    plausible: &[(&'static str, &'static [&'static str])],
) -> BoxedStrategy<Vec<(String, String)>> {
    let named: Vec<BoxedStrategy<Option<(String, String)>>> = plausible
        .iter()
        .map(|&(name, values)| {
            let member = move |v: &str| Some((name.to_owned(), v.to_owned()));
            prop_oneof![
                12 => Just(member(values[0])),
                3 => select(values).prop_map(member),
                1 => json_text().prop_map(move |v| member(&v)),
                1 => Just(None),
            ]
            .boxed()
        })
        .collect();
    let extra = prop_oneof![
        3 => Just(Vec::new()),
        1 => vec((member_name(), json_text()), 1..3),
    ];
    (named, extra)
        .prop_map(|(named, extra)| named.into_iter().flatten().chain(extra).collect::<Vec<_>>())
        .prop_shuffle()
        .boxed()
}

/// Claims for `authorization`'s policy: often all acceptable, often one or two not.
const CLAIMS: &[(&str, &[&str])] = &[
    (
        "iss",
        &[
            r#""https://fuzz.test/""#,
            r#""https://fuzz.test""#,
            r#"["https://fuzz.test/"]"#,
        ],
    ),
    (
        "aud",
        &[
            r#""fuzz-api""#,
            r#"["fuzz-api"]"#,
            r#"["other","fuzz-api"]"#,
            "[]",
            r#""other""#,
        ],
    ),
    (
        "exp",
        &[
            "1700003600",
            "1700000061",
            "1700000000",
            "1699999900",
            "1700003600.5",
            "1e10",
        ],
    ),
    (
        "nbf",
        &[
            "1699990000",
            "1700000060",
            "1700000061",
            "1700000060.000001",
        ],
    ),
    ("iat", &["1699999000", "1700000000.25"]),
    ("sub", &[r#""user-1""#, r#""""#]),
    (
        "scope",
        &[
            r#""read""#,
            r#""read write""#,
            r#""write""#,
            r#"" read ""#,
            r#""""#,
        ],
    ),
    ("scp", &[r#"["read"]"#, r#""read""#, r#"["write"]"#, "[]"]),
    (
        "realm_access",
        &[
            r#"{"roles":["admin"]}"#,
            r#"{"roles":["user","admin"]}"#,
            r#"{"roles":"admin"}"#,
            r#"{"roles":[]}"#,
            r#"{"roles":["admin"],"roles":[]}"#,
        ],
    ),
];

/// A JWS header: the algorithms and kids of the fuzzing keys, and hostile members.
const HEADER: &[(&str, &[&str])] = &[
    (
        "alg",
        &[
            r#""RS256""#,
            r#""PS256""#,
            r#""ES256""#,
            r#""ES384""#,
            r#""ES512""#,
            r#""EdDSA""#,
            r#""RS512""#,
            r#""HS256""#,
            r#""none""#,
            r#""rs256""#,
        ],
    ),
    (
        "kid",
        &[
            r#""fuzz-rsa""#,
            r#""fuzz-p256""#,
            r#""fuzz-ed25519""#,
            r#""other""#,
        ],
    ),
    (
        "typ",
        &[r#""JWT""#, r#""at+jwt""#, r#""application/at+jwt""#],
    ),
    ("crit", &["[]", r#"["exp"]"#, r#"["b64"]"#]),
    ("cty", &[r#""JWT""#]),
    ("b64", &["false"]),
];

fn claims_text() -> BoxedStrategy<String> {
    members(CLAIMS).prop_map(|m| object(&m)).boxed()
}

fn header_text() -> BoxedStrategy<String> {
    members(HEADER).prop_map(|m| object(&m)).boxed()
}

// ----- tokens, key sets, discovery documents -----

/// base64url without padding mostly; sometimes the standard alphabet, which `b64token`
/// admits but JWS does not.
fn segment(text: &[u8], standard: bool) -> String {
    if standard {
        STANDARD_NO_PAD.encode(text)
    } else {
        URL_SAFE_NO_PAD.encode(text)
    }
}

/// Signature bytes: the lengths the algorithms use, and any other.
fn signature() -> BoxedStrategy<String> {
    let len = prop_oneof![select(vec![0_usize, 1, 64, 96, 256, 512]), 0_usize..600,];
    (len.prop_flat_map(|n| vec(any::<u8>(), n)), 0_u8..6)
        .prop_map(|(bytes, encoding)| match encoding {
            0 => URL_SAFE.encode(&bytes),
            1 => STANDARD.encode(&bytes),
            2 => STANDARD_NO_PAD.encode(&bytes),
            _ => URL_SAFE_NO_PAD.encode(&bytes),
        })
        .boxed()
}

/// `Bearer <header>.<payload>.<signature>`, every segment in the `b64token` alphabet.
fn bearer_jws() -> BoxedStrategy<String> {
    (
        header_text(),
        claims_text(),
        signature(),
        any::<bool>(),
        0_u8..4,
    )
        .prop_map(|(header, claims, signature, standard, extra)| {
            let token = format!(
                "{}.{}.{signature}",
                segment(header.as_bytes(), standard),
                segment(claims.as_bytes(), false),
            );
            match extra {
                // A fourth segment, or only two. (`=` may only end a `b64token`: a padded
                // signature must not be followed by more.)
                0 => format!("Bearer {}.eA", token.trim_end_matches('=')),
                1 => format!(
                    "bearer  {}",
                    token.rsplit_once('.').map_or(&*token, |(hs, _)| hs)
                ),
                _ => format!("Bearer {token}"),
            }
        })
        .boxed()
}

/// base64url of the real coordinates or modulus of the fuzzing keys, or of other bytes.
fn key_material() -> BoxedStrategy<String> {
    prop_oneof![
        2 => select(real_key_members()).prop_map(|v| quoted(&v)),
        2 => prop_oneof![
            select(vec![0_usize, 1, 3, 31, 32, 33, 48, 64, 255, 256, 257, 512, 1025]),
            0_usize..300,
        ]
        .prop_flat_map(|n| vec(any::<u8>(), n))
        .prop_map(|bytes| quoted(&URL_SAFE_NO_PAD.encode(bytes))),
        1 => select(vec![r#""AQAB""#, r#""Aw""#, r#""AAEAAQ""#, r#""AQ""#, r#""AA""#, r#""""#, r#""AQAB=""#, r#""A+/B""#])
            .prop_map(str::to_owned),
        1 => json_text(),
    ]
    .boxed()
}

/// Every base64url member (`n`, `e`, `x`, `y`) of [`JWKS`].
fn real_key_members() -> Vec<String> {
    let set: Value = serde_json::from_str(JWKS).unwrap_or(Value::Null);
    let mut found = Vec::new();
    for key in set["keys"].as_array().into_iter().flatten() {
        for name in ["n", "e", "x", "y"] {
            if let Some(text) = key[name].as_str() {
                found.push(text.to_owned());
            }
        }
    }
    found.push(String::new());
    found
}

/// One JWK member the parser reads, with a fitting or arbitrary value.
fn jwk_member() -> BoxedStrategy<(String, String)> {
    let named = |name: &'static str, values: Vec<&'static str>| {
        prop_oneof![
            4 => select(values).prop_map(str::to_owned),
            1 => json_text(),
        ]
        .prop_map(move |value| (name.to_owned(), value))
    };
    prop_oneof![
        named(
            "kty",
            vec![
                r#""RSA""#, r#""EC""#, r#""OKP""#, r#""oct""#, r#""rsa""#, r#""""#
            ]
        ),
        named(
            "crv",
            vec![
                r#""P-256""#,
                r#""P-384""#,
                r#""P-521""#,
                r#""Ed25519""#,
                r#""Ed448""#,
                r#""X25519""#,
                r#""secp256k1""#,
            ],
        ),
        named(
            "alg",
            vec![
                r#""RS256""#,
                r#""PS256""#,
                r#""PS512""#,
                r#""ES256""#,
                r#""ES384""#,
                r#""ES512""#,
                r#""EdDSA""#,
                r#""HS256""#,
                r#""none""#,
                r#""RSA-OAEP""#,
            ],
        ),
        named("use", vec![r#""sig""#, r#""enc""#, r#""SIG""#, "null"]),
        named(
            "key_ops",
            vec![
                r#"["verify"]"#,
                r#"["sign","verify"]"#,
                r#"["encrypt"]"#,
                "[]",
                r#""verify""#
            ],
        ),
        named(
            "kid",
            vec![
                r#""fuzz-rsa""#,
                r#""fuzz-p256""#,
                r#""fuzz-ed25519""#,
                r#""k1""#,
                r#""""#,
                "7"
            ],
        ),
        select(vec!["n", "e", "x", "y", "d", "p", "k"])
            .prop_flat_map(|name| key_material().prop_map(move |v| (name.to_owned(), v))),
        (member_name(), json_text()),
    ]
    .boxed()
}

/// The members of each key of [`JWKS`], as text.
fn real_jwks() -> Vec<Vec<(String, String)>> {
    let set: Value = serde_json::from_str(JWKS).unwrap_or(Value::Null);
    set["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|key| {
            key.iter()
                .map(|(name, value)| (name.clone(), value.to_string()))
                .collect()
        })
        .collect()
}

/// A JWK-like object: a key of [`JWKS`] with members dropped, changed or added (often still
/// usable), or members drawn independently (rarely usable).
fn jwk() -> BoxedStrategy<String> {
    let edits = vec((0_u8..12, key_material()), 8);
    let mutated =
        (select(real_jwks()), edits, vec(jwk_member(), 0..3)).prop_map(|(key, edits, added)| {
            let members: Vec<(String, String)> = key
                .into_iter()
                .zip(edits)
                .filter_map(|(member, (edit, value))| match edit {
                    0 => None,
                    1 => Some((member.0, value)),
                    _ => Some(member),
                })
                .chain(added)
                .collect();
            object(&members)
        });
    let independent = vec(jwk_member(), 0..10).prop_map(|members| object(&members));
    prop_oneof![2 => mutated, 1 => independent].boxed()
}

/// A DPoP proof: a header of `typ`, `alg` and a JWK-shaped `jwk` (each sometimes absent or
/// wrong), claims-shaped payload with DPoP's claims, and signature bytes.
fn dpop_jws() -> BoxedStrategy<String> {
    let typ = select(vec![
        "\"dpop+jwt\"",
        "\"application/dpop+jwt\"",
        "\"JWT\"",
        "1",
        "",
    ]);
    let alg = select(vec![
        "\"ES256\"",
        "\"EdDSA\"",
        "\"RS256\"",
        "\"PS256\"",
        "\"none\"",
        "\"HS256\"",
        "null",
        "",
    ]);
    let claim = select(vec![
        r#""jti":"j""#,
        r#""htm":"GET""#,
        r#""htu":"https://fuzz.test/orders""#,
        r#""htu":"HTTPS://FUZZ.TEST:443/%6Frders?x""#,
        r#""iat":1700000000"#,
        r#""iat":1.7e9"#,
        r#""ath":"PEaenWxYddN6Q_NT1PiOYfz4EsZu7jRXRlpAsNpBU-A""#,
        r#""nonce":"n""#,
        r#""cnf":{"jkt":"jkt"}"#,
    ]);
    (
        typ,
        alg,
        jwk(),
        vec(claim, 0..9),
        claims_text(),
        signature(),
    )
        .prop_map(|(typ, alg, jwk, claims, more, signature)| {
            let mut header = vec![format!(r#""jwk":{jwk}"#)];
            for (name, value) in [("typ", typ), ("alg", alg)] {
                if !value.is_empty() {
                    header.push(format!(r#""{name}":{value}"#));
                }
            }
            let payload = if claims.is_empty() {
                more
            } else {
                format!("{{{}}}", claims.join(","))
            };
            format!(
                "{}.{}.{}",
                URL_SAFE_NO_PAD.encode(format!("{{{}}}", header.join(","))),
                URL_SAFE_NO_PAD.encode(payload),
                signature.trim_end_matches('=')
            )
        })
        .boxed()
}

/// A discovery document as a `Value` (no duplicate members), so the test can read it back.
fn discovery_document() -> BoxedStrategy<Value> {
    let issuer = prop_oneof![
        4 => Just(Value::from(ISSUER)),
        2 => select(vec!["https://fuzz.test", "https://FUZZ.test/", "https://fuzz.test//"])
            .prop_map(Value::from),
        1 => any::<String>().prop_map(Value::from),
        1 => Just(Value::Null),
        1 => any::<i64>().prop_map(Value::from),
    ];
    let jwks_uri = prop_oneof![
        3 => Just(Value::from("https://fuzz.test/jwks")),
        3 => select(vec![
            "https://fuzz.test/jwks", "https://fuzz.test/.well-known/jwks.json", "/jwks", "",
            "http://[::1", "https://", "file:///etc/passwd", "https://fuzz.test:99999/",
        ])
        .prop_map(Value::from),
        1 => any::<String>().prop_map(Value::from),
        1 => Just(json!(["https://fuzz.test/jwks"])),
    ];
    (
        prop::option::weighted(0.9, issuer),
        prop::option::weighted(0.9, jwks_uri),
    )
        .prop_map(|(issuer, jwks_uri)| {
            let mut document = serde_json::Map::new();
            if let Some(issuer) = issuer {
                document.insert("issuer".into(), issuer);
            }
            if let Some(jwks_uri) = jwks_uri {
                document.insert("jwks_uri".into(), jwks_uri);
            }
            document.insert(
                "id_token_signing_alg_values_supported".into(),
                json!(["RS256"]),
            );
            Value::Object(document)
        })
        .boxed()
}

// ----- properties -----

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_bytes_as_the_authorization_value_are_400_or_401(value in vec(any::<u8>(), 0..300)) {
        let status = authorization(&value);
        prop_assert!(matches!(status, 400 | 401), "status {status}");
    }

    #[test]
    fn bearer_and_any_bytes_are_400_or_401(rest in vec(any::<u8>(), 0..300)) {
        let value = [b"Bearer ".as_slice(), &rest].concat();
        let status = authorization(&value);
        prop_assert!(matches!(status, 400 | 401), "status {status}");
    }

    #[test]
    fn any_b64token_is_401(token in "[A-Za-z0-9._~+/-]{1,300}={0,3}") {
        let status = authorization(format!("Bearer {token}").as_bytes());
        prop_assert_eq!(status, 401);
    }

    #[test]
    fn a_jws_shaped_token_without_a_key_to_sign_it_is_401(value in bearer_jws()) {
        prop_assert_eq!(authorization(value.as_bytes()), 401, "{}", value);
    }

    #[test]
    fn any_payload_bytes_are_200_401_or_403_and_agree_with_claims(json in vec(any::<u8>(), 0..200)) {
        let status = payload(&json);
        prop_assert!(matches!(status, 200 | 401 | 403), "status {status}");
    }

    #[test]
    fn any_json_payload_is_200_401_or_403_and_agrees_with_claims(json in json_text()) {
        let status = payload(json.as_bytes());
        prop_assert!(matches!(status, 200 | 401 | 403), "status {status} for {json}");
    }

    #[test]
    fn claims_shaped_payloads_are_200_401_or_403_and_agree_with_claims(json in claims_text()) {
        let status = payload(json.as_bytes());
        prop_assert!(matches!(status, 200 | 401 | 403), "status {status} for {json}");
    }

    #[test]
    fn any_bytes_as_a_dpop_proof_are_refused(value in vec(any::<u8>(), 0..300)) {
        prop_assert!(!dpop_proof(&value));
    }

    #[test]
    fn a_dpop_proof_shaped_jws_without_a_signing_key_is_refused(proof in dpop_jws()) {
        prop_assert!(!dpop_proof(proof.as_bytes()), "{}", proof);
    }

    #[test]
    fn any_bytes_as_a_jwks_never_panic(document in vec(any::<u8>(), 0..300)) {
        prop_assert_eq!(jwks(&document), 0);
    }

    #[test]
    fn any_json_as_a_jwks_never_panics(document in json_text()) {
        jwks(document.as_bytes());
        jwks(format!(r#"{{"keys":{document}}}"#).as_bytes());
    }

    #[test]
    fn a_jwks_of_jwk_shaped_objects_never_panics_nor_makes_keys_from_nothing(
        keys in vec(jwk(), 0..6),
    ) {
        let document = format!(r#"{{"keys":[{}]}}"#, keys.join(","));
        let usable = jwks(document.as_bytes());
        prop_assert!(usable <= keys.len(), "{usable} keys from {document}");
    }

    #[test]
    fn any_bytes_or_json_as_a_discovery_document_never_panic(
        bytes in vec(any::<u8>(), 0..300),
        json in json_text(),
    ) {
        discovery(&bytes);
        discovery(json.as_bytes());
    }

    #[test]
    fn a_discovery_document_yields_a_jwks_uri_only_for_the_issuer(document in discovery_document()) {
        let found = discovery(document.to_string().as_bytes());
        if document.get("issuer") != Some(&Value::from(ISSUER)) {
            prop_assert!(!found, "{document}");
        }
        if document.get("issuer") == Some(&Value::from(ISSUER))
            && document.get("jwks_uri") == Some(&Value::from("https://fuzz.test/jwks"))
        {
            prop_assert!(found, "{document}");
        }
    }
}

// ----- anchors: the generators reach the accepting paths -----

#[test]
fn an_acceptable_payload_is_200() {
    let json = r#"{"iss":"https://fuzz.test/","aud":"fuzz-api","exp":1700003600,"scope":"read","realm_access":{"roles":["admin"]}}"#;
    assert_eq!(payload(json.as_bytes()), 200);
}

#[test]
fn the_fuzzing_key_set_has_three_usable_keys() {
    assert_eq!(jwks(JWKS.as_bytes()), 3);
}

#[test]
fn a_discovery_document_for_the_issuer_yields_its_jwks_uri() {
    let document = json!({ "issuer": ISSUER, "jwks_uri": "https://fuzz.test/jwks" });
    assert!(discovery(document.to_string().as_bytes()));
}

// ----- findings of the fuzzer: exact bytes, one test each -----
