//! Time zones as Doris names them: the job property `timezone` (validated like FE
//! `TimeUtils.checkTimeZoneValidAndStandardize`), zone suffixes inside DATETIME text (parsed
//! like the BE's cctz lookup), and the offset arithmetic DATETIME conversion needs.

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDateTime, Offset, TimeZone as _};
use chrono_tz::Tz;

/// A time zone: a fixed offset or an IANA region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeZone {
    /// A fixed offset east of UTC, in seconds.
    Fixed(i32),
    /// An IANA zone with daylight-saving rules.
    Named(Tz),
}

/// A `timezone` value Doris would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Unknown or incorrect time zone: '{0}'")]
pub struct UnknownTimeZone(pub String);

/// Java `ZoneId.SHORT_IDS` plus Doris's own aliases (CST and PRC mean Asia/Shanghai).
const ALIASES: &[(&str, &str)] = &[
    ("CST", "Asia/Shanghai"),
    ("PRC", "Asia/Shanghai"),
    ("UTC", "UTC"),
    ("GMT", "UTC"),
    ("ACT", "Australia/Darwin"),
    ("AET", "Australia/Sydney"),
    ("AGT", "America/Argentina/Buenos_Aires"),
    ("ART", "Africa/Cairo"),
    ("AST", "America/Anchorage"),
    ("BET", "America/Sao_Paulo"),
    ("BST", "Asia/Dhaka"),
    ("CAT", "Africa/Harare"),
    ("CNT", "America/St_Johns"),
    ("CTT", "Asia/Shanghai"),
    ("EAT", "Africa/Addis_Ababa"),
    ("ECT", "Europe/Paris"),
    ("IET", "America/Indiana/Indianapolis"),
    ("IST", "Asia/Kolkata"),
    ("JST", "Asia/Tokyo"),
    ("MIT", "Pacific/Apia"),
    ("NET", "Asia/Yerevan"),
    ("NST", "Pacific/Auckland"),
    ("PLT", "Asia/Karachi"),
    ("PNT", "America/Phoenix"),
    ("PRT", "America/Puerto_Rico"),
    ("PST", "America/Los_Angeles"),
    ("SST", "Pacific/Guadalcanal"),
    ("VST", "Asia/Ho_Chi_Minh"),
    ("EST", "-05:00"),
    ("MST", "-07:00"),
    ("HST", "-10:00"),
];

fn alias(name: &str) -> Option<&'static str> {
    ALIASES
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

/// Parses `[+-]?h{1,2}:mm` as FE's OFFSET pattern does; returns seconds east of UTC.
fn parse_fe_offset(s: &str) -> Option<i32> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => (1, s),
    };
    let (h, m) = rest.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    if !h.bytes().all(|b| b.is_ascii_digit()) || !m.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = h.parse().ok()?;
    let m: i32 = m.parse().ok()?;
    if m > 59 {
        return None;
    }
    let secs = sign * (h * 3600 + m * 60);
    // FE rejects offsets beyond -12:00 .. +14:00.
    if !(-12 * 3600..=14 * 3600).contains(&secs) {
        return None;
    }
    Some(secs)
}

fn format_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
}

impl TimeZone {
    /// UTC.
    pub const UTC: TimeZone = TimeZone::Fixed(0);

    /// Validates a `timezone` job property as Doris's FE does and returns the zone with the
    /// text Doris stores for it (offsets are standardised to `+hh:mm`, other names kept as
    /// written).
    pub fn parse_property(value: &str) -> Result<(TimeZone, String), UnknownTimeZone> {
        let err = || UnknownTimeZone(value.to_string());
        if let Some(secs) = parse_fe_offset(value) {
            return Ok((TimeZone::Fixed(secs), format_offset(secs)));
        }
        for prefix in ["GMT", "UTC"] {
            if let Some(rest) = value.strip_prefix(prefix)
                && !rest.is_empty()
            {
                let secs = parse_fe_offset(rest).ok_or_else(err)?;
                return Ok((
                    TimeZone::Fixed(secs),
                    format!("{prefix}{}", format_offset(secs)),
                ));
            }
        }
        if let Some(target) = alias(value) {
            let zone = TimeZone::resolve(target).ok_or_else(err)?;
            return Ok((zone, value.to_string()));
        }
        if !value.contains('/') {
            return Err(err());
        }
        let zone = Tz::from_str(value).map_err(|_| err())?;
        Ok((TimeZone::Named(zone), value.to_string()))
    }

    fn resolve(target: &str) -> Option<TimeZone> {
        if let Some(secs) = parse_fe_offset(target) {
            return Some(TimeZone::Fixed(secs));
        }
        if target == "UTC" {
            return Some(TimeZone::UTC);
        }
        Tz::from_str(target).ok().map(TimeZone::Named)
    }

    /// Parses a zone written after a DATETIME value (`Z`, `+08:00`, `-0530`, `+8`, `UTC`,
    /// `Asia/Shanghai`, case-insensitively), as the BE does. Offsets allow hours up to 14 and
    /// minutes 00, 30 or 45.
    pub fn parse_suffix(text: &[u8]) -> Option<TimeZone> {
        let s = std::str::from_utf8(text).ok()?;
        match s.as_bytes().first()? {
            b'+' | b'-' => return parse_suffix_offset(s).map(TimeZone::Fixed),
            _ => {}
        }
        if s.eq_ignore_ascii_case("Z")
            || s.eq_ignore_ascii_case("UTC")
            || s.eq_ignore_ascii_case("GMT")
            || s.eq_ignore_ascii_case("ZULU")
        {
            return Some(TimeZone::UTC);
        }
        if s.eq_ignore_ascii_case("CST") {
            return Some(TimeZone::Fixed(8 * 3600));
        }
        Tz::from_str_insensitive(s).ok().map(TimeZone::Named)
    }

    /// The zone of this machine: `TZ` if set, else `/etc/localtime`, else UTC.
    pub fn system() -> TimeZone {
        if let Ok(tz) = std::env::var("TZ") {
            let tz = tz.trim_start_matches(':');
            if let Ok((zone, _)) = TimeZone::parse_property(tz) {
                return zone;
            }
        }
        if let Ok(target) = std::fs::read_link("/etc/localtime") {
            let path = target.to_string_lossy();
            if let Some(idx) = path.find("zoneinfo/")
                && let Ok(zone) = Tz::from_str(&path[idx + "zoneinfo/".len()..])
            {
                return TimeZone::Named(zone);
            }
        }
        TimeZone::UTC
    }

    /// The name `system()` resolves to, for display (`Etc/UTC` style names kept).
    pub fn system_name() -> String {
        TimeZone::system().to_string()
    }

    /// Offset east of UTC, in seconds, at a UTC instant (seconds since the epoch).
    pub fn offset_at_utc(&self, utc_secs: i64) -> i32 {
        match self {
            TimeZone::Fixed(s) => *s,
            TimeZone::Named(tz) => match chrono::DateTime::from_timestamp(utc_secs, 0) {
                Some(dt) => tz
                    .offset_from_utc_datetime(&dt.naive_utc())
                    .fix()
                    .local_minus_utc(),
                None => 0,
            },
        }
    }

    /// Offset east of UTC, in seconds, for a wall-clock time in this zone. In a gap or a
    /// fold the earlier offset is used, as cctz's `lookup(civil)` pre-transition rule does.
    pub fn offset_at_local(&self, local: NaiveDateTime) -> i32 {
        match self {
            TimeZone::Fixed(s) => *s,
            TimeZone::Named(tz) => match tz.offset_from_local_datetime(&local) {
                chrono::LocalResult::Single(o) => o.fix().local_minus_utc(),
                chrono::LocalResult::Ambiguous(a, _) => a.fix().local_minus_utc(),
                chrono::LocalResult::None => {
                    // In a gap: the offset in force just before it.
                    let before = local - chrono::Duration::hours(3);
                    tz.offset_from_utc_datetime(&before).fix().local_minus_utc()
                }
            },
        }
    }

    /// Wall-clock time in this zone for a UTC instant (seconds).
    pub fn local_from_utc(&self, utc_secs: i64) -> i64 {
        utc_secs + self.offset_at_utc(utc_secs) as i64
    }

    /// UTC instant (seconds) for a wall-clock time in this zone.
    pub fn utc_from_local(&self, local: NaiveDateTime) -> i64 {
        local.and_utc().timestamp() - self.offset_at_local(local) as i64
    }
}

/// `+H`, `+HH`, `+HMM`, `+HHMM`, each optionally with `:` before the minutes.
fn parse_suffix_offset(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    let sign = if b[0] == b'-' { -1 } else { 1 };
    let rest = &b[1..];
    let digits: Vec<u8> = rest.iter().copied().filter(|c| *c != b':').collect();
    if rest.iter().filter(|c| **c == b':').count() > 1 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let colon_pos = rest.iter().position(|c| *c == b':');
    let (h, m) = match (digits.len(), colon_pos) {
        (1, None) => (digits[0] - b'0', 0),
        (2, None) => ((digits[0] - b'0') * 10 + digits[1] - b'0', 0),
        (3, None) => (digits[0] - b'0', (digits[1] - b'0') * 10 + digits[2] - b'0'),
        (4, None) => (
            (digits[0] - b'0') * 10 + digits[1] - b'0',
            (digits[2] - b'0') * 10 + digits[3] - b'0',
        ),
        (3, Some(1)) => (digits[0] - b'0', (digits[1] - b'0') * 10 + digits[2] - b'0'),
        (4, Some(2)) => (
            (digits[0] - b'0') * 10 + digits[1] - b'0',
            (digits[2] - b'0') * 10 + digits[3] - b'0',
        ),
        _ => return None,
    };
    if h > 14 || !matches!(m, 0 | 30 | 45) || (h == 14 && m != 0) {
        return None;
    }
    Some(sign * (h as i32 * 3600 + m as i32 * 60))
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeZone::Fixed(0) => f.write_str("UTC"),
            TimeZone::Fixed(s) => f.write_str(&format_offset(*s)),
            TimeZone::Named(tz) => f.write_str(tz.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Rule: FE TimeUtils.checkTimeZoneValidAndStandardize (offsets standardised, -12..+14).
    #[test]
    fn property_forms() {
        assert_eq!(
            TimeZone::parse_property("8:00").unwrap(),
            (TimeZone::Fixed(8 * 3600), "+08:00".to_string())
        );
        assert_eq!(
            TimeZone::parse_property("-7:30").unwrap().1,
            "-07:30".to_string()
        );
        assert!(TimeZone::parse_property("+14:01").is_err());
        assert!(TimeZone::parse_property("-12:01").is_err());
        assert!(TimeZone::parse_property("+8").is_err());
        assert!(TimeZone::parse_property("+0800").is_err());
        assert_eq!(
            TimeZone::parse_property("UTC+8:00").unwrap().1,
            "UTC+08:00".to_string()
        );
        assert!(TimeZone::parse_property("gmt+08:00").is_err());
        assert!(TimeZone::parse_property("Europe/Nowhere").is_err());
        assert_eq!(
            TimeZone::parse_property("cst").unwrap().0,
            TimeZone::Named(Tz::Asia__Shanghai)
        );
        assert_eq!(
            TimeZone::parse_property("EST").unwrap().0,
            TimeZone::Fixed(-5 * 3600)
        );
        let err = TimeZone::parse_property("Mars").unwrap_err();
        assert_eq!(err.to_string(), "Unknown or incorrect time zone: 'Mars'");
    }

    // Rule: BE datetime zone suffixes (cast_to_datetimev2_impl): hours <= 14, minutes 0/30/45.
    #[test]
    fn suffix_forms() {
        assert_eq!(TimeZone::parse_suffix(b"Z"), Some(TimeZone::UTC));
        assert_eq!(
            TimeZone::parse_suffix(b"+08:00"),
            Some(TimeZone::Fixed(8 * 3600))
        );
        assert_eq!(
            TimeZone::parse_suffix(b"-0530"),
            Some(TimeZone::Fixed(-(5 * 3600 + 30 * 60)))
        );
        assert_eq!(
            TimeZone::parse_suffix(b"+8"),
            Some(TimeZone::Fixed(8 * 3600))
        );
        assert_eq!(TimeZone::parse_suffix(b"+08:15"), None);
        assert_eq!(TimeZone::parse_suffix(b"+15"), None);
        assert_eq!(
            TimeZone::parse_suffix(b"asia/shanghai"),
            Some(TimeZone::Named(Tz::Asia__Shanghai))
        );
    }

    #[test]
    fn dst_offsets() {
        let ny = TimeZone::Named(Tz::America__New_York);
        // 2024-07-01 12:00 UTC is EDT (-4h).
        assert_eq!(ny.offset_at_utc(1_719_835_200), -4 * 3600);
        let local = chrono::NaiveDate::from_ymd_opt(2024, 1, 15)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        assert_eq!(ny.offset_at_local(local), -5 * 3600);
    }
}
