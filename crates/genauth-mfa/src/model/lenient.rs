//! Lenient serde helpers for answer fields the server does not always send
//! with one type: an integer as a number or a string, `null` for a default,
//! text sent as another JSON type kept as text, a flag that is not one
//! unknown, so that one odd field of one entry never fails a whole listing.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// `null` (or a missing key, with `#[serde(default)]`) becomes `T::default()`.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A count: a lenient integer, `None` when negative.
pub(crate) fn lenient_count<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<u64>, D::Error> {
    Ok(lenient_int(d)?.and_then(|n| u64::try_from(n).ok()))
}

/// An integer sent as a JSON number or a numeric string; anything else is `None`.
pub(crate) fn lenient_int<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
    // A visitor rather than an untagged enum, which would buffer the value.
    struct Lenient;
    impl<'de> Visitor<'de> for Lenient {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an integer")
        }
        fn visit_i64<E>(self, v: i64) -> Result<Option<i64>, E> {
            Ok(Some(v))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Option<i64>, E> {
            Ok(i64::try_from(v).ok())
        }
        fn visit_f64<E>(self, f: f64) -> Result<Option<i64>, E> {
            Ok((f.fract() == 0.0 && f.abs() < 1e15).then_some(f as i64))
        }
        fn visit_str<E>(self, s: &str) -> Result<Option<i64>, E> {
            Ok(s.trim().parse().ok())
        }
        fn visit_bool<E>(self, _: bool) -> Result<Option<i64>, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<i64>, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<i64>, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    deserializer.deserialize_any(Lenient)
}

/// Text, or a number or boolean kept as its text, or an array or object as
/// its compact JSON; `null` and absent are `None`.
pub(crate) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    })
}

/// As [`text`], `None` read as empty: for an entry's key (a `userId`, an
/// `ip`, a code), which every entry has.
pub(crate) fn key<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(text(d)?.unwrap_or_default())
}

/// A boolean (or `"true"` / `"false"`); anything else is unknown.
pub(crate) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    })
}

/// A list of texts (each item as [`text`], `null` items left out); `null`
/// or absent is empty, a single value a list of one.
pub(crate) fn texts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let one = |v: Value| match v {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    };
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items.into_iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "super::text")]
        text: Option<String>,
        #[serde(default, deserialize_with = "super::lenient_count")]
        count: Option<u64>,
        #[serde(default, deserialize_with = "super::flag")]
        flag: Option<bool>,
        #[serde(default, deserialize_with = "super::texts")]
        texts: Vec<String>,
    }

    fn probe(json: &str) -> Probe {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn odd_values_are_kept_as_text_or_read_as_unknown() {
        let p = probe(r#"{"text":12,"count":"7","flag":"TRUE","texts":["a",1,null]}"#);
        assert_eq!(p.text.as_deref(), Some("12"));
        assert_eq!((p.count, p.flag), (Some(7), Some(true)));
        assert_eq!(p.texts, ["a", "1"]);
        let p = probe(r#"{"text":null,"count":-1,"flag":1,"texts":"SKIP_MFA"}"#);
        assert_eq!((p.text, p.count, p.flag), (None, None, None));
        assert_eq!(p.texts, ["SKIP_MFA"]);
        let p = probe(r#"{"texts":null}"#);
        assert!(p.texts.is_empty());
    }
}
