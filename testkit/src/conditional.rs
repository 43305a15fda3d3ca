//! Validators and conditional `GET` (RFC 9110 §8.8, §13): entity tags, HTTP dates, and the
//! decision between `200` and `304 Not Modified`.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::digest::{SHA256, digest};
use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A strong entity tag for `body`, quotes included: the same bytes always get the same tag, so
/// a tag from another issuer, or from before a restart, matches only the very same document.
pub(crate) fn etag(body: &str) -> String {
    let hash = digest(&SHA256, body.as_bytes());
    let short = hash.as_ref().get(..16).unwrap_or(hash.as_ref());
    format!("\"{}\"", URL_SAFE_NO_PAD.encode(short))
}

/// Seconds since the Unix epoch, now.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

/// Whether a `GET` with these headers gets `304 Not Modified` for the representation with this
/// `etag` and `last_modified` (Unix seconds), in the order of RFC 9110 §13.2.2: `If-None-Match`
/// if present, else `If-Modified-Since`.
pub(crate) fn not_modified(headers: &HeaderMap, etag: &str, last_modified: i64) -> bool {
    let mut none_match = headers.get_all(header::IF_NONE_MATCH).iter().peekable();
    if none_match.peek().is_some() {
        return none_match.any(|field| none_match_hits(field.as_bytes(), etag));
    }
    // Ignored unless it is exactly one valid HTTP-date (RFC 9110 §13.1.3).
    let mut since = headers.get_all(header::IF_MODIFIED_SINCE).iter();
    match (since.next(), since.next()) {
        (Some(field), None) => field
            .to_str()
            .ok()
            .and_then(parse_http_date)
            .is_some_and(|since| last_modified <= since),
        _ => false,
    }
}

/// Whether an `If-None-Match` field value (`*` or a list of entity tags) names `etag`, by the
/// weak comparison `GET` uses (RFC 9110 §8.8.3.2, §13.1.2): `W/"x"` matches `"x"`. A malformed
/// member is skipped up to the next comma.
fn none_match_hits(field: &[u8], etag: &str) -> bool {
    let separator = |byte: &u8| matches!(byte, b' ' | b'\t' | b',');
    let mut rest = field;
    loop {
        rest = &rest[rest
            .iter()
            .position(|b| !separator(b))
            .unwrap_or(rest.len())..];
        let Some(&first) = rest.first() else {
            return false;
        };
        if first == b'*' && rest.get(1).is_none_or(separator) {
            return true;
        }
        let quoted = rest.strip_prefix(b"W/").unwrap_or(rest);
        if let Some(inner) = quoted.strip_prefix(b"\"") {
            // No escapes inside an entity tag: it ends at the next quote.
            let Some(end) = inner.iter().position(|&b| b == b'"') else {
                return false;
            };
            if quoted.get(..end + 2) == Some(etag.as_bytes()) {
                return true;
            }
            rest = &inner[end + 1..];
        } else {
            let Some(comma) = rest.iter().position(|&b| b == b',') else {
                return false;
            };
            rest = &rest[comma..];
        }
    }
}

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `seconds` since the Unix epoch as an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) fn format_http_date(seconds: i64) -> String {
    let (days, time) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let weekday = WEEKDAYS[usize::try_from(days.rem_euclid(7)).unwrap_or(0)];
    let month = MONTHS[usize::try_from(month - 1).unwrap_or(0)];
    let (hour, minute, second) = (time / 3600, time / 60 % 60, time % 60);
    format!("{weekday}, {day:02} {month} {year:04} {hour:02}:{minute:02}:{second:02} GMT")
}

/// An HTTP-date in any of its three formats (RFC 9110 §5.6.7): IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
/// (`Sun Nov  6 08:49:37 1994`), as seconds since the Unix epoch. The weekday is not checked.
pub(crate) fn parse_http_date(text: &str) -> Option<i64> {
    let words: Vec<&str> = text.split_ascii_whitespace().collect();
    let (day, month, year, time) = match words.as_slice() {
        [weekday, day, month, year, time, "GMT"] if weekday.ends_with(',') => {
            (number(day, 2)?, *month, number(year, 4)?, *time)
        }
        [weekday, date, time, "GMT"] if weekday.ends_with(',') => {
            let mut parts = date.split('-');
            let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() {
                return None;
            }
            let year = two_digit_year(number(year, 2)?);
            (number(day, 2)?, month, year, *time)
        }
        [_weekday, month, day, time, year] => {
            let day = number(day, 1).or_else(|| number(day, 2))?;
            (day, *month, number(year, 4)?, *time)
        }
        _ => return None,
    };
    let month = MONTHS.iter().position(|name| *name == month)?;
    let month = i64::try_from(month).ok()? + 1;
    let mut clock = time.split(':');
    let mut field = |limit| number(clock.next()?, 2).filter(|value| *value <= limit);
    let (hour, minute, second) = (field(23)?, field(59)?, field(60)?);
    if clock.next().is_some() || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// `text` as a number of exactly `digits` ASCII digits.
fn number(text: &str, digits: usize) -> Option<i64> {
    if text.len() != digits || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A two-digit RFC 850 year: in this century, unless that is more than 50 years ahead.
fn two_digit_year(year: i64) -> i64 {
    let this_year = civil_from_days(now().div_euclid(86_400)).0;
    let year = this_year - this_year % 100 + year;
    if year > this_year + 50 {
        year - 100
    } else {
        year
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date `days` after 1970-01-01, as (year, month 1–12, day 1–31).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// RFC 9110's example date.
    const EXAMPLE: i64 = 784_111_777;

    #[test]
    fn dates_are_written_as_imf_fixdate() {
        assert_eq!(format_http_date(EXAMPLE), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            format_http_date(951_825_600),
            "Tue, 29 Feb 2000 12:00:00 GMT"
        );
    }

    #[test]
    fn all_three_http_date_formats_are_read() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(EXAMPLE)
        );
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(EXAMPLE)
        );
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(EXAMPLE));
        for seconds in [0, EXAMPLE, 951_825_600, now()] {
            assert_eq!(parse_http_date(&format_http_date(seconds)), Some(seconds));
        }
    }

    #[test]
    fn malformed_http_dates_are_refused() {
        for text in [
            "",
            "yesterday",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "784111777",
        ] {
            assert_eq!(parse_http_date(text), None, "{text:?}");
        }
    }

    #[test]
    fn if_none_match_uses_the_weak_comparison_and_reads_lists() {
        let tag = "\"abc\"";
        for field in [
            "\"abc\"",
            "W/\"abc\"",
            "*",
            " * ",
            "\"x\", \"abc\"",
            "\"x,y\",W/\"abc\"",
            "garbage, \"abc\"",
        ] {
            assert!(none_match_hits(field.as_bytes(), tag), "{field:?}");
        }
        for field in [
            "",
            "\"abcd\"",
            "abc",
            "w/\"abc\"",
            "\"x, \"abc\"",
            "*abc",
            "\"abc",
        ] {
            assert!(!none_match_hits(field.as_bytes(), tag), "{field:?}");
        }
    }
}
