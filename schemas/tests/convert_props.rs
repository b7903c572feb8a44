//! Property tests of the load conversion rules (docs/doris/conversion.md §5, doris-spec.md §5.5)
//! against reference implementations written here: slow, obviously-correct code (string
//! arithmetic, chrono's calendar) that never calls back into the crate's parsers. Each
//! reference names the Doris rule it encodes; where a reference had to follow Doris rather than
//! intuition, the comment says why.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, Timelike};
use proptest::prelude::*;
use proptest::test_runner::Config;

use routinely_schemas::convert::datetime::{
    civil_from_days, days_from_civil, days_in_month, is_leap, write_datetime,
};
use routinely_schemas::convert::{
    parse_bool, parse_date, parse_datetime, parse_decimal, parse_f32, parse_f64, parse_int,
};
use routinely_schemas::{DorisVersion, TimeZone, VersionRules};

fn v4() -> VersionRules {
    DorisVersion::V4_0.rules()
}

fn v21() -> VersionRules {
    DorisVersion::V2_1.rules()
}

/// ASCII whitespace as the BE's parsers skip it (`' ' \t \n \v \f \r`).
const WS: [char; 6] = [' ', '\t', '\n', '\u{0b}', '\u{0c}', '\r'];

fn is_ws(c: char) -> bool {
    WS.contains(&c)
}

fn ws_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WS.to_vec()), 0..=max)
        .prop_map(|v| v.into_iter().collect())
}

/// Strings over `alphabet`, for grammar properties.
fn text_over(alphabet: &'static str, max: usize) -> impl Strategy<Value = String> {
    let chars: Vec<char> = alphabet.chars().collect();
    prop::collection::vec(prop::sample::select(chars), 0..=max)
        .prop_map(|v| v.into_iter().collect())
}

fn digits(min: usize, max: usize) -> impl Strategy<Value = String> {
    text_over("0123456789", max).prop_filter("length", move |s| s.len() >= min)
}

fn cfg(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

// =============================================================================================
// Integers: TINYINT .. LARGEINT
// =============================================================================================

/// The integer column types and their ranges.
const INT_TYPES: [(&str, i128, i128); 5] = [
    ("TINYINT", i8::MIN as i128, i8::MAX as i128),
    ("SMALLINT", i16::MIN as i128, i16::MAX as i128),
    ("INT", i32::MIN as i128, i32::MAX as i128),
    ("BIGINT", i64::MIN as i128, i64::MAX as i128),
    ("LARGEINT", i128::MIN, i128::MAX),
];

/// Reference for 4.x `StringParser::string_to_int<T, false>` (docs/doris/conversion.md §5.1): the text
/// must match `ws* [+-]? digit+ ('.' digit*)? ws*`; the fraction is dropped (truncation toward
/// zero); a value outside `[min, max]` is NULL, never saturated. The value is accumulated
/// toward its sign with checked i128 arithmetic, so `i128::MIN` needs no special case.
fn ref_int(text: &str, min: i128, max: i128) -> Option<i128> {
    let t = text.trim_matches(is_ws);
    let mut chars = t.chars().peekable();
    let neg = match chars.peek() {
        Some('+') => {
            chars.next();
            false
        }
        Some('-') => {
            chars.next();
            true
        }
        _ => false,
    };
    let mut int_digits = Vec::new();
    while let Some(&c) = chars.peek()
        && c.is_ascii_digit()
    {
        int_digits.push(c.to_digit(10).unwrap() as i128);
        chars.next();
    }
    if int_digits.is_empty() {
        return None;
    }
    match chars.next() {
        None => {}
        Some('.') if chars.all(|c| c.is_ascii_digit()) => {}
        Some(_) => return None,
    }
    let mut v: i128 = 0;
    for d in int_digits {
        v = v.checked_mul(10)?;
        v = if neg {
            v.checked_sub(d)?
        } else {
            v.checked_add(d)?
        };
    }
    (min <= v && v <= max).then_some(v)
}

/// Values near every type's edges, and zero.
fn int_edges() -> Vec<i128> {
    let mut v = vec![0, 1, -1, 9, 10, -10, 99, 100];
    for (_, min, max) in INT_TYPES {
        for x in [min, max] {
            v.push(x);
            if let Some(y) = x.checked_add(1) {
                v.push(y);
            }
            if let Some(y) = x.checked_sub(1) {
                v.push(y);
            }
        }
    }
    v
}

fn int_value() -> impl Strategy<Value = i128> {
    prop_oneof![
        3 => any::<i128>(),
        3 => any::<i64>().prop_map(i128::from),
        2 => any::<i16>().prop_map(i128::from),
        2 => prop::sample::select(int_edges()),
    ]
}

/// One integer written with Doris-accepted decorations.
#[derive(Debug, Clone)]
struct DecoratedInt {
    value: i128,
    text: String,
    has_fraction: bool,
}

fn decorated_int() -> impl Strategy<Value = DecoratedInt> {
    (
        int_value(),
        ws_string(3),
        any::<bool>(),
        0usize..4,
        prop::option::of(digits(0, 6)),
        ws_string(3),
    )
        .prop_map(|(value, lead, sign, zeros, frac, trail)| {
            // '+' for non-negative values, or "-0" for zero when `sign` is set.
            let sign = match (value < 0, sign) {
                (true, _) => "-",
                (false, true) if value == 0 => "-",
                (false, true) => "+",
                (false, false) => "",
            };
            let frac_text = frac.as_ref().map(|f| format!(".{f}")).unwrap_or_default();
            DecoratedInt {
                value,
                text: format!(
                    "{lead}{sign}{}{}{frac_text}{trail}",
                    "0".repeat(zeros),
                    value.unsigned_abs()
                ),
                has_fraction: frac.is_some(),
            }
        })
}

proptest! {
    #![proptest_config(cfg(1024))]

    // Rule: string_to_int accepts ws, one sign, leading zeros and a dropped `.digits`
    // fraction; out of range is NULL (docs/doris/conversion.md §5.1). A fraction fails in strict mode
    // in every release (regression test_stream_load_cast CA-01: `3.12` is filtered when
    // strict_mode is true; version.rs IntegerFraction::TruncateUnlessStrict).
    #[test]
    fn int_decorations(d in decorated_int()) {
        for (name, min, max) in INT_TYPES {
            let want = (min <= d.value && d.value <= max).then_some(d.value);
            prop_assert_eq!(ref_int(&d.text, min, max), want, "reference {} {:?}", name, d.text);
            for strict in [false, true] {
                let want_strict = if strict && d.has_fraction { None } else { want };
                prop_assert_eq!(
                    parse_int(d.text.as_bytes(), min, max, strict, &v4()),
                    want_strict,
                    "4.x {} strict={} {:?}", name, strict, d.text
                );
                prop_assert_eq!(
                    parse_int(d.text.as_bytes(), min, max, strict, &v21()),
                    want_strict,
                    "2.1 {} strict={} {:?}", name, strict, d.text
                );
            }
        }
    }

    // Rule: the same grammar on near-miss text (signs, dots, exponents, hex, inner spaces,
    // Unicode digits and whitespace the BE does not skip).
    #[test]
    fn int_grammar(s in text_over("0123456789+-. \t\u{0b}\u{0c}\r\nexX,_\u{a0}\u{663}é", 14)) {
        for (name, min, max) in INT_TYPES {
            prop_assert_eq!(
                parse_int(s.as_bytes(), min, max, false, &v4()),
                ref_int(&s, min, max),
                "{} {:?}", name, s
            );
        }
    }

    // Long digit strings around LARGEINT's 39 digits (u128 overflow paths).
    #[test]
    fn int_long_digits(neg in any::<bool>(), d in digits(1, 60), frac in digits(0, 3)) {
        let s = format!("{}{d}.{frac}", if neg { "-" } else { "" });
        for (name, min, max) in INT_TYPES {
            prop_assert_eq!(
                parse_int(s.as_bytes(), min, max, false, &v4()),
                ref_int(&s, min, max),
                "{} {:?}", name, s
            );
        }
    }

    #[test]
    fn int_arbitrary_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..48)) {
        let got = parse_int(&b, i128::MIN, i128::MAX, false, &v4());
        if let Ok(s) = std::str::from_utf8(&b) {
            prop_assert_eq!(got, ref_int(s, i128::MIN, i128::MAX));
        } else {
            prop_assert_eq!(got, None);
        }
    }
}

#[test]
fn int_examples() {
    let int = |s: &str| {
        parse_int(
            s.as_bytes(),
            i32::MIN as i128,
            i32::MAX as i128,
            false,
            &v4(),
        )
    };
    assert_eq!(int("\u{0b}\u{0c}12\r\n"), Some(12));
    assert_eq!(int("-0.999"), Some(0));
    assert_eq!(int("+.5"), None);
    assert_eq!(int("1 2"), None);
    assert_eq!(int("٣"), None);
    assert_eq!(int("\u{a0}1"), None);
}

// =============================================================================================
// Decimals
// =============================================================================================

/// Reference for 4.x `StringParser::string_to_decimal` (docs/doris/conversion.md §5.4), on decimal
/// strings: trim ws; optional sign; digits with at most one `.` (at least one digit);
/// optional `e|E [+-] digit+`; anything else fails. The exact value is `digits × 10^shift`;
/// the kept digits are its integer part at `scale`, rounded half away from zero on the first
/// dropped digit only. More than `precision` kept digits (before or after the carry) is an
/// integer-part overflow: NULL in 4.x; `saturate` (2.1 / 3.0, PR apache/doris#23602) gives
/// ±(10^p − 1) instead — the rounding carry included, as that parser reports the same
/// PARSE_OVERFLOW for it.
fn ref_decimal(text: &str, precision: u32, scale: u32, saturate: bool) -> Option<i128> {
    let t = text.trim_matches(is_ws);
    let (neg, body) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => {
            let e = &body[i + 1..];
            let (eneg, edigits) = match e.as_bytes().first() {
                Some(b'-') => (true, &e[1..]),
                Some(b'+') => (false, &e[1..]),
                _ => (false, e),
            };
            if edigits.is_empty() || !edigits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // Past ±1000 every exponent acts alike for 38-digit types.
            let significant = edigits.trim_start_matches('0');
            let mag: i64 = if significant.len() > 4 {
                1000
            } else {
                significant.parse::<i64>().unwrap_or(0).min(1000)
            };
            (&body[..i], if eneg { -mag } else { mag })
        }
        None => (body, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let overflow = || {
        saturate.then(|| {
            let max: i128 = "9".repeat(precision as usize).parse().unwrap();
            if neg { -max } else { max }
        })
    };
    let all = format!("{int}{frac}");
    let all = all.trim_start_matches('0');
    // value × 10^scale = all × 10^shift
    let shift = exp - frac.len() as i64 + scale as i64;
    let (kept, first_dropped) = if all.is_empty() {
        (String::new(), 0)
    } else if shift >= 0 {
        if shift > 100 {
            return overflow();
        }
        (format!("{all}{}", "0".repeat(shift as usize)), 0)
    } else {
        let k = (-shift) as usize;
        if k > all.len() {
            (String::new(), 0)
        } else {
            let cut = all.len() - k;
            (all[..cut].to_string(), all.as_bytes()[cut] - b'0')
        }
    };
    let kept = kept.trim_start_matches('0');
    if kept.len() > precision as usize {
        return overflow();
    }
    let mut v: i128 = if kept.is_empty() {
        0
    } else {
        kept.parse().unwrap()
    };
    if first_dropped >= 5 {
        v += 1;
    }
    if v.to_string().len() > precision as usize {
        return overflow();
    }
    Some(if neg { -v } else { v })
}

fn precision_scale() -> impl Strategy<Value = (u8, u8)> {
    (1u8..=38).prop_flat_map(|p| (Just(p), 0..=p))
}

/// Decimal-looking text: ws, sign, int digits, optional fraction, optional exponent, ws.
fn decimal_text() -> impl Strategy<Value = String> {
    (
        ws_string(2),
        prop::sample::select(vec!["", "+", "-"]),
        digits(0, 24),
        prop::option::of(digits(0, 24)),
        prop::option::of((
            prop::sample::select(vec!["e", "E"]),
            prop::sample::select(vec!["", "+", "-"]),
            0u32..50,
            0usize..3,
        )),
        ws_string(2),
    )
        .prop_map(|(lead, sign, int, frac, exp, trail)| {
            let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
            let exp = exp
                .map(|(e, s, v, zeros)| format!("{e}{s}{}{v}", "0".repeat(zeros)))
                .unwrap_or_default();
            format!("{lead}{sign}{int}{frac}{exp}{trail}")
        })
}

/// `unscaled / 10^scale` written as `[-]int[.frac]`.
fn format_unscaled(u: i128, scale: u8) -> String {
    let mag = u.unsigned_abs().to_string();
    let s = scale as usize;
    let padded = format!("{}{mag}", "0".repeat((s + 1).saturating_sub(mag.len())));
    let (int, frac) = padded.split_at(padded.len() - s);
    let sign = if u < 0 { "-" } else { "" };
    if s == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// (precision, scale, unscaled value within the precision).
fn in_range_decimal() -> impl Strategy<Value = (u8, u8, i128)> {
    precision_scale().prop_flat_map(|(p, s)| {
        let max: i128 = "9".repeat(p as usize).parse().unwrap();
        (
            Just(p),
            Just(s),
            prop_oneof![
                4 => -max..=max,
                1 => prop::sample::select(vec![-max, max, 0, 1, -1]),
            ],
        )
    })
}

proptest! {
    #![proptest_config(cfg(2048))]

    #[test]
    fn decimal_matches_reference((p, s) in precision_scale(), text in decimal_text()) {
        prop_assert_eq!(
            parse_decimal(text.as_bytes(), p, s, &v4()),
            ref_decimal(&text, p as u32, s as u32, false),
            "4.x DECIMAL({},{}) {:?}", p, s, text
        );
        prop_assert_eq!(
            parse_decimal(text.as_bytes(), p, s, &v21()),
            ref_decimal(&text, p as u32, s as u32, true),
            "2.1 DECIMAL({},{}) {:?}", p, s, text
        );
    }

    // Values at the edge of the type with extra fraction digits: rounding and carry.
    #[test]
    fn decimal_rounding_near_edges(
        (p, s, u) in in_range_decimal(),
        extra in digits(1, 6),
    ) {
        let mut text = format_unscaled(u, s);
        if s == 0 {
            text.push('.');
        }
        text.push_str(&extra);
        // The same value with the point moved into an exponent: `12.345` → `123450e-4`.
        let (before, after) = text.split_once('.').unwrap();
        let alt = format!("{before}{after}0e-{}", after.len() + 1);
        for t in [&text, &alt] {
            prop_assert_eq!(
                parse_decimal(t.as_bytes(), p, s, &v4()),
                ref_decimal(t, p as u32, s as u32, false),
                "4.x DECIMAL({},{}) {:?}", p, s, t
            );
            prop_assert_eq!(
                parse_decimal(t.as_bytes(), p, s, &v21()),
                ref_decimal(t, p as u32, s as u32, true),
                "2.1 DECIMAL({},{}) {:?}", p, s, t
            );
        }
    }

    // Round trip: an in-range unscaled value printed at its scale parses back unchanged, in
    // plain, zero-padded and exponent spellings.
    #[test]
    fn decimal_round_trip((p, s, u) in in_range_decimal(), zeros in 0usize..4) {
        let plain = format_unscaled(u, s);
        let mag = u.unsigned_abs().to_string();
        let sign = if u < 0 { "-" } else { "" };
        let mut forms = vec![
            plain.clone(),
            format!("{sign}{}{mag}e-{s}", "0".repeat(zeros)),
            format!(" {plain}\t"),
        ];
        if s > 0 {
            forms.push(format!("{plain}{}", "0".repeat(zeros)));
        } else {
            forms.push(format!("{plain}.{}", "0".repeat(zeros)));
        }
        if u >= 0 {
            forms.push(format!("+{plain}"));
        }
        for text in forms {
            prop_assert_eq!(parse_decimal(text.as_bytes(), p, s, &v4()), Some(u), "{:?}", text);
            prop_assert_eq!(parse_decimal(text.as_bytes(), p, s, &v21()), Some(u), "{:?}", text);
        }
    }

    #[test]
    fn decimal_grammar((p, s) in precision_scale(), text in text_over("0123456789+-.eE \t", 16)) {
        prop_assert_eq!(
            parse_decimal(text.as_bytes(), p, s, &v4()),
            ref_decimal(&text, p as u32, s as u32, false),
            "DECIMAL({},{}) {:?}", p, s, text
        );
    }

    #[test]
    fn decimal_arbitrary_text_never_panics((p, s) in precision_scale(), text in "\\PC{0,40}") {
        let _ = parse_decimal(text.as_bytes(), p, s, &v4());
        let _ = parse_decimal(text.as_bytes(), p, s, &v21());
    }
}

#[test]
fn decimal_reference_examples() {
    // The reference itself against docs/doris/conversion.md §5.4's table.
    let r = |t: &str, p, s| ref_decimal(t, p, s, false);
    assert_eq!(r("1.005", 5, 2), Some(101));
    assert_eq!(r("1.0049", 5, 2), Some(100));
    assert_eq!(r("-1.005", 5, 2), Some(-101));
    assert_eq!(r("999.995", 5, 2), None);
    assert_eq!(r("1000", 5, 2), None);
    assert_eq!(r("0.00012e4", 5, 2), Some(120));
    assert_eq!(r("1.5", 1, 0), Some(2));
    assert_eq!(ref_decimal("1000", 5, 2, true), Some(99999));
    assert_eq!(ref_decimal("-1000", 5, 2, true), Some(-99999));
    // Huge exponents.
    assert_eq!(r("1e999999999999", 38, 0), None);
    assert_eq!(r("0e999999999999", 38, 0), Some(0));
    assert_eq!(r("5e-999999999999", 38, 0), Some(0));
    for (t, p, s) in [
        ("1e999999999999", 38, 0),
        ("0e999999999999", 38, 0),
        ("5e-999999999999", 38, 0),
        ("-0.5", 1, 0),
        ("0.5e-0", 1, 0),
        ("00000000000000000000000000000000000000000001", 1, 0),
    ] {
        assert_eq!(
            parse_decimal(t.as_bytes(), p, s, &v4()),
            ref_decimal(t, p as u32, s as u32, false),
            "{t}"
        );
    }
}

// =============================================================================================
// Booleans
// =============================================================================================

/// Reference for 4.x `StringParser::string_to_bool` (docs/doris/conversion.md §5.2): trim ws, then one
/// of `1 0 t f true false yes no on off`, case-insensitively.
fn ref_bool(text: &str) -> Option<bool> {
    match text.trim_matches(is_ws).to_ascii_lowercase().as_str() {
        "1" | "t" | "true" | "yes" | "on" => Some(true),
        "0" | "f" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn random_case(word: &str, mask: u32) -> String {
    word.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 32) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(cfg(512))]

    #[test]
    fn bool_words(
        word in prop::sample::select(vec![
            ("1", true), ("t", true), ("true", true), ("yes", true), ("on", true),
            ("0", false), ("f", false), ("false", false), ("no", false), ("off", false),
        ]),
        mask in any::<u32>(),
        lead in ws_string(3),
        trail in ws_string(3),
    ) {
        let text = format!("{lead}{}{trail}", random_case(word.0, mask));
        prop_assert_eq!(parse_bool(text.as_bytes(), false, &v4()), Some(word.1), "{:?}", text);
        prop_assert_eq!(parse_bool(text.as_bytes(), true, &v4()), Some(word.1), "{:?}", text);
        // 2.1 / 3.0: `true` / `false` (any case) and the integers 0 / 1 only.
        let old = matches!(word.0, "true" | "false" | "1" | "0");
        prop_assert_eq!(
            parse_bool(text.as_bytes(), true, &v21()),
            old.then_some(word.1),
            "2.1 {:?}", text
        );
    }

    #[test]
    fn bool_grammar(s in text_over("01tfrueyasnoTFONY +-.2 \t", 7)) {
        prop_assert_eq!(parse_bool(s.as_bytes(), false, &v4()), ref_bool(&s), "{:?}", s);
    }
}

// =============================================================================================
// FLOAT / DOUBLE
// =============================================================================================

/// Reference grammar for 4.x `StringParser::string_to_float` (docs/doris/conversion.md §5.3): trim ws;
/// skip one leading `+` (a second sign after it fails); then what fast_float's general
/// format accepts, consuming the whole rest: `-? (digit+ ('.' digit*)? | '.' digit+)
/// ([eE] [+-]? digit+)?` or `inf` / `infinity` / `nan` in any case.
fn ref_f64_accepts(text: &str) -> bool {
    let mut t = text.trim_matches(is_ws);
    if let Some(rest) = t.strip_prefix('+') {
        if rest.starts_with(['+', '-']) {
            return false;
        }
        t = rest;
    }
    let t = t.strip_prefix('-').unwrap_or(t);
    if matches!(t.to_ascii_lowercase().as_str(), "inf" | "infinity" | "nan") {
        return true;
    }
    let b = t.as_bytes();
    let mut i = 0;
    let int = b.iter().take_while(|c| c.is_ascii_digit()).count();
    i += int;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac;
    }
    if int + frac == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let e = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if e == 0 {
            return false;
        }
        i += e;
    }
    i == b.len()
}

fn same_f64(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        (None, None) => true,
        _ => false,
    }
}

fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |x| x.is_finite()),
        (-1e6f64..1e6),
        prop::sample::select(vec![
            0.0,
            -0.0,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            5e-324,
            0.1,
            1.0 / 3.0
        ]),
    ]
}

proptest! {
    #![proptest_config(cfg(1024))]

    // Round trip through Rust's shortest formatting, plain and exponent, with ws and '+'.
    #[test]
    fn f64_round_trip(x in finite_f64(), lead in ws_string(2), trail in ws_string(2)) {
        let mut forms = vec![format!("{x}"), format!("{x:e}"), format!("{x:E}"), format!("{x:?}")];
        if x.is_sign_positive() {
            forms.push(format!("+{x}"));
        }
        for f in forms {
            let text = format!("{lead}{f}{trail}");
            let got = parse_f64(text.as_bytes(), &v4());
            prop_assert_eq!(got.map(f64::to_bits), Some(x.to_bits()), "{:?}", text);
            let got = parse_f64(text.as_bytes(), &v21());
            prop_assert_eq!(got.map(f64::to_bits), Some(x.to_bits()), "2.1 {:?}", text);
        }
    }

    // FLOAT: read as a double, then narrowed (`static_cast<float>`), so the reference is
    // the std f64 parse of the same text narrowed to f32.
    #[test]
    fn f32_is_narrowed_double(x in any::<f32>().prop_filter("finite", |x| x.is_finite())) {
        for text in [format!("{x}"), format!("{x:e}"), format!("{}", x as f64)] {
            let want = text.parse::<f64>().unwrap() as f32;
            prop_assert_eq!(
                parse_f32(text.as_bytes(), &v4()).map(f32::to_bits),
                Some(want.to_bits()),
                "{:?}", text
            );
        }
    }

    #[test]
    fn f64_whitespace_is_trimmed(
        s in text_over("0123456789.eE+-infatyINF", 10),
        lead in ws_string(3),
        trail in ws_string(3),
    ) {
        let padded = format!("{lead}{s}{trail}");
        prop_assert!(same_f64(
            parse_f64(padded.as_bytes(), &v4()),
            parse_f64(s.as_bytes(), &v4())
        ), "{:?}", padded);
    }

    #[test]
    fn f64_grammar(s in text_over("0123456789.eE+- infatyINFAN", 12)) {
        let got = parse_f64(s.as_bytes(), &v4());
        prop_assert_eq!(got.is_some(), ref_f64_accepts(&s), "{:?} -> {:?}", s, got);
        if let Some(v) = got {
            // Accepted text holds one sign at most after the skipped '+', which std reads.
            let t = s.trim_matches(is_ws);
            let want: f64 = t.strip_prefix('+').unwrap_or(t).parse().unwrap();
            prop_assert!(same_f64(Some(v), Some(want)), "{:?}", s);
        }
    }

    // Sign runs before a number: one `+` is skipped, then at most a `-` (docs/doris/conversion.md §5.3:
    // `++` / `+-` rejected).
    #[test]
    fn f64_signs(signs in text_over("+-", 3), body in prop::sample::select(vec!["1", ".5", "2e3", "inf", "nan"])) {
        let text = format!("{signs}{body}");
        prop_assert_eq!(
            parse_f64(text.as_bytes(), &v4()).is_some(),
            ref_f64_accepts(&text),
            "{:?}", text
        );
    }

    #[test]
    fn float_special_words(
        word in prop::sample::select(vec!["inf", "infinity", "nan"]),
        sign in prop::sample::select(vec!["", "+", "-"]),
        mask in any::<u32>(),
    ) {
        let text = format!("{sign}{}", random_case(word, mask));
        let got = parse_f64(text.as_bytes(), &v4()).unwrap();
        if word == "nan" {
            prop_assert!(got.is_nan());
        } else {
            prop_assert_eq!(got, if sign == "-" { f64::NEG_INFINITY } else { f64::INFINITY });
            // 2.1 refuses overflow only: the literal inf text still reads as infinity.
            prop_assert_eq!(parse_f64(text.as_bytes(), &v21()), Some(got));
        }
    }

    // Overflow: ±Infinity in 4.x, NULL in 2.1 / 3.0 (docs/doris/conversion.md §5.3).
    #[test]
    fn float_overflow(m in 1u32..10, e in 309u32..2000, neg in any::<bool>()) {
        let text = format!("{}{m}e{e}", if neg { "-" } else { "" });
        let inf = if neg { f64::NEG_INFINITY } else { f64::INFINITY };
        prop_assert_eq!(parse_f64(text.as_bytes(), &v4()), Some(inf));
        prop_assert_eq!(parse_f64(text.as_bytes(), &v21()), None);
        prop_assert_eq!(parse_f32(text.as_bytes(), &v4()), Some(inf as f32));
    }
}

// =============================================================================================
// Calendar
// =============================================================================================

const DAY_0000_01_01: i32 = -719_528;
const DAY_9999_12_31: i32 = 2_932_896;

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
}

fn chrono_days(d: NaiveDate) -> i32 {
    (d - epoch()).num_days() as i32
}

// Every day of Doris's range, against chrono's proleptic Gregorian calendar.
#[test]
fn civil_days_whole_range() {
    let mut date = NaiveDate::from_ymd_opt(0, 1, 1).unwrap();
    for days in DAY_0000_01_01..=DAY_9999_12_31 {
        let (y, m, d) = civil_from_days(days);
        assert_eq!(
            (y, m, d),
            (date.year(), date.month(), date.day()),
            "day {days}"
        );
        assert_eq!(days_from_civil(y, m, d), days);
        if days < DAY_9999_12_31 {
            date = date.succ_opt().unwrap();
        }
    }
    assert_eq!(date, NaiveDate::from_ymd_opt(9999, 12, 31).unwrap());
}

proptest! {
    #![proptest_config(cfg(1024))]

    // Beyond Doris's range too (the helpers are used for arithmetic on any date).
    #[test]
    fn civil_days_round_trip(days in -100_000_000i32..100_000_000) {
        let (y, m, d) = civil_from_days(days);
        prop_assert!((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m));
        prop_assert_eq!(days_from_civil(y, m, d), days);
        if let Some(date) = NaiveDate::from_ymd_opt(y, m, d) {
            prop_assert_eq!(chrono_days(date), days);
        }
    }

    #[test]
    fn leap_years(y in -10_000i32..20_000) {
        prop_assert_eq!(is_leap(y), NaiveDate::from_ymd_opt(y, 2, 29).is_some());
    }
}

// =============================================================================================
// DATETIME / DATE
// =============================================================================================

/// A civil date-time with the fraction digits as written.
#[derive(Debug, Clone)]
struct Civil {
    date: NaiveDate,
    hour: u32,
    minute: u32,
    second: u32,
    /// Fraction digits (`None`: no `.` at all; `Some("")`: a bare `.`).
    frac: Option<String>,
}

fn date_in_range() -> impl Strategy<Value = NaiveDate> {
    let start = NaiveDate::from_ymd_opt(0, 1, 1).unwrap();
    let span = (DAY_9999_12_31 - DAY_0000_01_01) as u64;
    let special: Vec<NaiveDate> = [
        (0, 1, 1),
        (0, 2, 29),
        (9999, 12, 31),
        (9999, 12, 30),
        (1900, 2, 28),
        (1900, 3, 1),
        (2000, 2, 29),
        (2024, 2, 29),
        (1969, 12, 31),
        (1970, 1, 1),
        (2069, 12, 31),
        (400, 2, 29),
    ]
    .iter()
    .map(|&(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
    .collect();
    prop_oneof![
        4 => (0..=span).prop_map(move |n| start.checked_add_days(Days::new(n)).unwrap()),
        1 => prop::sample::select(special),
    ]
}

fn frac_digits() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(String::new())),
        4 => digits(1, 9).prop_map(Some),
        1 => (1usize..9).prop_map(|n| Some("9".repeat(n))),
    ]
}

fn civil() -> impl Strategy<Value = Civil> {
    (
        date_in_range(),
        prop_oneof![4 => 0u32..24, 1 => Just(23u32)],
        prop_oneof![4 => 0u32..60, 1 => Just(59u32)],
        prop_oneof![4 => 0u32..60, 1 => Just(59u32)],
        frac_digits(),
    )
        .prop_map(|(date, hour, minute, second, frac)| Civil {
            date,
            hour,
            minute,
            second,
            frac,
        })
}

/// The spellings of a date-time the 4.x parser accepts (cast_to_datetimev2_impl.hpp: the
/// strict grammar, then the lenient one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// `YYYY-MM-DD HH:MM:SS`
    Dash,
    /// `YYYY-MM-DDTHH:MM:SS`
    DashT,
    /// `YYYYMMDDHHMMSS`
    Compact14,
    /// `YYYY/MM/DD HH:MM:SS`
    Slash,
    /// `YYYY-M-D H:M:S` (no zero padding)
    Unpadded,
    /// `YYYY.M.D H.M.S` (lenient grammar: any non-alphanumeric separator)
    Dotted,
    /// `  YYYY-MM-DD HH:MM:SS  ` (leading ws: only the lenient grammar)
    Padded,
    /// `YYYYMMDD HHMMSS`
    CompactDateTime,
    /// `YY-MM-DD HH:MM:SS` (years 1970..=2069)
    TwoDigitYear,
    /// `YYYY-MM-DD HH:MM` (seconds 0, no fraction)
    HourMinute,
    /// `YYYY-MM-DDTHHMM` (seconds 0, no fraction)
    CompactHourMinute,
}

const FORMS: [Form; 11] = [
    Form::Dash,
    Form::DashT,
    Form::Compact14,
    Form::Slash,
    Form::Unpadded,
    Form::Dotted,
    Form::Padded,
    Form::CompactDateTime,
    Form::TwoDigitYear,
    Form::HourMinute,
    Form::CompactHourMinute,
];

/// Date-only spellings (midnight).
const DATE_FORMS: [&str; 6] = [
    "YYYY-MM-DD",
    "YYYYMMDD",
    "YYYY/MM/DD",
    "YYYY-M-D",
    "YYMMDD",
    "YYYY-MM-DD  ",
];

/// A zone suffix: its offset in seconds and its spelling.
#[derive(Debug, Clone)]
struct Zone {
    offset: i32,
    text: String,
    /// `+H` / `+HH`: nothing, not even whitespace, may follow (the BE then wants minutes).
    hours_only: bool,
}

/// Offsets the suffix grammar allows: hours 0..=14, minutes 00/30/45, ±14 only with :00.
fn zone() -> impl Strategy<Value = Zone> {
    (
        any::<bool>(),
        0u32..=14,
        prop::sample::select(vec![0u32, 30, 45]),
        0usize..8,
        0usize..3,
    )
        .prop_map(|(neg, h, m, spelling, space)| {
            let m = if h == 14 { 0 } else { m };
            let sign = if neg { '-' } else { '+' };
            let offset = (if neg { -1 } else { 1 }) * (h * 3600 + m * 60) as i32;
            let (text, hours_only) = match spelling {
                0 => (format!("{sign}{h:02}:{m:02}"), false),
                1 => (format!("{sign}{h:02}{m:02}"), false),
                2 if h < 10 => (format!("{sign}{h}:{m:02}"), false),
                3 if h < 10 => (format!("{sign}{h}{m:02}"), false),
                4 if m == 0 => (format!("{sign}{h:02}"), true),
                5 if m == 0 && h < 10 => (format!("{sign}{h}"), true),
                6 | 7 if offset == 0 => {
                    let names = ["Z", "UTC", "gmt", "Zulu"];
                    (
                        names[(spelling + h as usize) % names.len()].to_string(),
                        false,
                    )
                }
                _ => (format!("{sign}{h:02}:{m:02}"), false),
            };
            Zone {
                offset,
                text: format!("{}{text}", " ".repeat(space)),
                hours_only,
            }
        })
}

/// Fixed-offset job zones, quarter-hour steps within FE's -12:00 .. +14:00.
fn job_zone() -> impl Strategy<Value = i32> {
    (-48i32..=56).prop_map(|q| q * 900)
}

/// Renders `c` in `form`, with the zone suffix and trailing whitespace.
fn render(form: Form, c: &Civil, zone: Option<&Zone>, trail: &str) -> String {
    let (y, mo, d) = (c.date.year(), c.date.month(), c.date.day());
    let (h, mi, s) = (c.hour, c.minute, c.second);
    let frac = match &c.frac {
        None => String::new(),
        Some(f) => format!(".{f}"),
    };
    let body = match form {
        Form::Dash => format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}{frac}"),
        Form::DashT => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}"),
        Form::Compact14 => format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}{frac}"),
        Form::Slash => format!("{y:04}/{mo:02}/{d:02} {h:02}:{mi:02}:{s:02}{frac}"),
        Form::Unpadded => format!("{y:04}-{mo}-{d} {h}:{mi}:{s}{frac}"),
        Form::Dotted => format!("{y:04}.{mo}.{d} {h}.{mi}.{s}{frac}"),
        Form::Padded => format!(" \t{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}{frac}"),
        Form::CompactDateTime => format!("{y:04}{mo:02}{d:02} {h:02}{mi:02}{s:02}{frac}"),
        Form::TwoDigitYear => format!("{:02}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}{frac}", y % 100),
        Form::HourMinute => format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}"),
        Form::CompactHourMinute => format!("{y:04}-{mo:02}-{d:02}T{h:02}{mi:02}"),
    };
    let zone = zone.map(|z| z.text.as_str()).unwrap_or("");
    format!("{body}{zone}{trail}")
}

/// Makes `c` representable in `form`.
fn fit(form: Form, mut c: Civil) -> Civil {
    match form {
        Form::TwoDigitYear => {
            // 2-digit years read as 1970..=2069 (`complete_4digit_year`).
            let y = 1970 + c.date.year().rem_euclid(100);
            c.date = NaiveDate::from_ymd_opt(y, c.date.month(), c.date.day().min(28)).unwrap();
        }
        Form::HourMinute | Form::CompactHourMinute => {
            c.second = 0;
            c.frac = None;
        }
        _ => {}
    }
    c
}

fn micros_of(dt: NaiveDateTime) -> i64 {
    dt.and_utc().timestamp_micros()
}

fn min_datetime() -> i64 {
    micros_of(NaiveDate::from_ymd_opt(0, 1, 1).unwrap().into())
}

fn max_datetime() -> i64 {
    micros_of(
        NaiveDate::from_ymd_opt(9999, 12, 31)
            .unwrap()
            .and_hms_micro_opt(23, 59, 59, 999_999)
            .unwrap(),
    )
}

/// What the BE reads from `render(form, c, zone, trail)` when an hours-only offset (`+H`,
/// `+HH`) is followed by whitespace: the strict grammar fails (after the hour digits it
/// wants `:`? and two minute digits whenever anything follows). The lenient grammar then
/// only succeeds for `HH:MM+HH ` — it takes the `+` as the separator before the seconds and
/// the offset's digits as the seconds, with no zone. Everything else is NULL.
fn effective<'z>(
    form: Form,
    c: &Civil,
    zone: Option<&'z Zone>,
    trail: &str,
) -> Option<(Civil, Option<&'z Zone>)> {
    match zone {
        Some(z) if z.hours_only && !trail.is_empty() => {
            if form != Form::HourMinute || z.text.starts_with(' ') {
                return None;
            }
            let mut c = c.clone();
            c.second = z.text[1..].parse().unwrap();
            Some((c, None))
        }
        _ => Some((c.clone(), zone)),
    }
}

/// Reference for 4.x DATETIME(p) (docs/doris/conversion.md §5.6, cast_to_datetimev2_impl.hpp): the
/// first `p` fraction digits are kept and the next digit rounds up when >= 5, with carry
/// (chrono arithmetic here); a carry past 9999-12-31 23:59:59.999999 fails before any zone
/// conversion (the BE's `date_add_interval<SECOND>` fails there); a zone suffix converts the
/// wall time from that offset into the job's offset, and a result outside year 0..=9999
/// fails.
fn ref_datetime(
    form: Form,
    c: &Civil,
    p: u8,
    zone: Option<&Zone>,
    trail: &str,
    job: i32,
) -> Option<i64> {
    let (c, zone) = effective(form, c, zone, trail)?;
    let dt = c.date.and_hms_opt(c.hour, c.minute, c.second)?;
    let p = p as usize;
    let unit = 10i64.pow(6 - p as u32);
    let digits = c.frac.clone().unwrap_or_default();
    let kept: String = digits
        .chars()
        .chain(std::iter::repeat('0'))
        .take(p)
        .collect();
    let mut sub = if p == 0 {
        0
    } else {
        kept.parse::<i64>().unwrap() * unit
    };
    if digits.len() > p && digits.as_bytes()[p] >= b'5' {
        sub += unit;
    }
    let local = micros_of(dt) + sub;
    if local > max_datetime() {
        return None;
    }
    let out = match zone {
        Some(z) => local - z.offset as i64 * 1_000_000 + job as i64 * 1_000_000,
        None => local,
    };
    (min_datetime()..=max_datetime())
        .contains(&out)
        .then_some(out)
}

/// Reference for 4.x DATE (docs/doris/conversion.md §5.5, cast_to_datev2_impl.hpp): the same text, the
/// time checked and dropped, fraction digits skipped without rounding, a zone checked and
/// not applied.
fn ref_date(form: Form, c: &Civil, zone: Option<&Zone>, trail: &str) -> Option<i32> {
    let (c, _) = effective(form, c, zone, trail)?;
    c.date.and_hms_opt(c.hour, c.minute, c.second)?;
    Some(chrono_days(c.date))
}

fn show(m: Option<i64>) -> Option<String> {
    m.map(|m| {
        let mut s = String::new();
        write_datetime(m, 6, &mut s);
        s
    })
}

proptest! {
    #![proptest_config(cfg(4096))]

    #[test]
    fn datetime_forms(
        form in prop::sample::select(FORMS.to_vec()),
        c in civil(),
        p in 0u8..=6,
        zone in prop::option::of(zone()),
        trail in prop::sample::select(vec!["", " ", " \t"]),
        job in job_zone(),
    ) {
        let c = fit(form, c);
        let text = render(form, &c, zone.as_ref(), trail);
        let tz = TimeZone::Fixed(job);
        let want = ref_datetime(form, &c, p, zone.as_ref(), trail, job);
        let got = parse_datetime(text.as_bytes(), p, &tz, &v4());
        prop_assert_eq!(show(got), show(want), "DATETIME({}) {:?} job {}", p, text, job);
        prop_assert_eq!(
            parse_date(text.as_bytes(), &v4()),
            ref_date(form, &c, zone.as_ref(), trail),
            "DATE {:?}", text
        );
    }

    // Date-only text is midnight, in any job zone.
    #[test]
    fn date_only_forms(
        form in prop::sample::select(DATE_FORMS.to_vec()),
        date in date_in_range(),
        p in 0u8..=6,
        job in job_zone(),
    ) {
        let (y, m, d) = (date.year(), date.month(), date.day());
        let (text, date) = match form {
            "YYYY-MM-DD" => (format!("{y:04}-{m:02}-{d:02}"), date),
            "YYYYMMDD" => (format!("{y:04}{m:02}{d:02}"), date),
            "YYYY/MM/DD" => (format!("{y:04}/{m:02}/{d:02}"), date),
            "YYYY-M-D" => (format!("{y:04}-{m}-{d}"), date),
            "YYYY-MM-DD  " => (format!("{y:04}-{m:02}-{d:02}  "), date),
            _ => {
                let d = d.min(28);
                let yy = y.rem_euclid(100);
                let y = if yy < 70 { 2000 + yy } else { 1900 + yy };
                (format!("{yy:02}{m:02}{d:02}"), NaiveDate::from_ymd_opt(y, m, d).unwrap())
            }
        };
        let want = micros_of(date.into());
        prop_assert_eq!(
            parse_datetime(text.as_bytes(), p, &TimeZone::Fixed(job), &v4()),
            Some(want),
            "{:?}", text
        );
        prop_assert_eq!(parse_date(text.as_bytes(), &v4()), Some(chrono_days(date)), "{:?}", text);
    }

    // 2.1 / 3.0 (MySQL-style parser) on the common spellings. Fixed offsets make its
    // 1970-offset zone rule exact.
    #[test]
    fn datetime_forms_21(
        form in prop::sample::select(vec![Form::Dash, Form::DashT, Form::Slash, Form::Unpadded]),
        c in civil(),
        p in 0u8..=6,
        zone in prop::option::of(zone()),
        job in job_zone(),
    ) {
        let mut c = c;
        if c.frac.as_deref() == Some("") {
            c.frac = None;
        }
        // 2.1 reads the whole rest as the zone name: keep to `+HH:MM` / `+HHMM` spellings.
        let zone = zone.filter(|z| {
            let t = z.text.trim_start();
            t.len() >= 5 && t.starts_with(['+', '-'])
        });
        let text = render(form, &c, zone.as_ref(), "");
        let want = ref_datetime(form, &c, p, zone.as_ref(), "", job);
        let got = parse_datetime(text.as_bytes(), p, &TimeZone::Fixed(job), &v21());
        prop_assert_eq!(show(got), show(want), "2.1 DATETIME({}) {:?}", p, text);
    }

    // Calendar-invalid fields never parse: month 0 / 13+, day 0 / past the month's end
    // (Feb 29 in common years), hour 24+, minute 60+, second 60+.
    #[test]
    fn invalid_datetimes(
        form in prop::sample::select(vec![
            Form::Dash, Form::DashT, Form::Compact14, Form::Slash, Form::Unpadded, Form::Dotted,
        ]),
        date in date_in_range(),
        which in 0u8..5,
        bad in 0u32..40,
        hms in (0u32..24, 0u32..60, 0u32..60),
    ) {
        let (y, mut m, mut d) = (date.year(), date.month(), date.day());
        let (mut h, mut mi, mut s) = hms;
        match which {
            0 => m = if bad % 5 == 0 { 0 } else { 13 + bad % 87 },
            1 => d = if bad % 5 == 0 { 0 } else { days_in_month(y, m) + 1 + bad % (99 - days_in_month(y, m)) },
            2 => h = 24 + bad % 76,
            3 => mi = 60 + bad % 40,
            _ => s = 60 + bad % 40,
        }
        let text = match form {
            Form::Dash => format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
            Form::DashT => format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.5"),
            Form::Compact14 => format!("{y:04}{m:02}{d:02}{h:02}{mi:02}{s:02}"),
            Form::Slash => format!("{y:04}/{m:02}/{d:02} {h:02}:{mi:02}:{s:02}+08:00"),
            Form::Unpadded => format!("{y:04}-{m}-{d} {h}:{mi}:{s}"),
            _ => format!("{y:04}.{m}.{d} {h}.{mi}.{s}"),
        };
        for p in [0, 6] {
            prop_assert_eq!(parse_datetime(text.as_bytes(), p, &TimeZone::UTC, &v4()), None, "{:?}", text);
            prop_assert_eq!(parse_datetime(text.as_bytes(), p, &TimeZone::UTC, &v21()), None, "2.1 {:?}", text);
        }
        prop_assert_eq!(parse_date(text.as_bytes(), &v4()), None, "DATE {:?}", text);
        if which < 2 {
            let date_only = format!("{y:04}-{m:02}-{d:02}");
            prop_assert_eq!(parse_date(date_only.as_bytes(), &v4()), None, "{:?}", date_only);
        }
    }

    // What write_datetime prints reads back as the value truncated to p digits.
    #[test]
    fn write_then_parse(c in civil(), micros in 0u32..1_000_000, p in 0u8..=6) {
        let dt = c.date.and_hms_micro_opt(c.hour, c.minute, c.second, micros).unwrap();
        let m = micros_of(dt);
        let mut text = String::new();
        write_datetime(m, p, &mut text);
        let unit = 10i64.pow(6 - p as u32);
        let want = m - m.rem_euclid(unit);
        let mut expected = dt.format("%Y-%m-%d %H:%M:%S").to_string();
        if p > 0 {
            expected.push_str(&format!(".{:06}", micros)[..=p as usize]);
        }
        prop_assert_eq!(&text, &expected);
        prop_assert_eq!(parse_datetime(text.as_bytes(), p, &TimeZone::UTC, &v4()), Some(want));
        prop_assert_eq!(parse_datetime(text.as_bytes(), p, &TimeZone::UTC, &v21()), Some(want));
        prop_assert_eq!(parse_date(text.as_bytes(), &v4()), Some(chrono_days(c.date)));
        prop_assert_eq!(dt.nanosecond() / 1000, micros);
    }

    // Mutated valid text and arbitrary text never panic.
    #[test]
    fn datetime_never_panics(
        c in civil(),
        form in prop::sample::select(FORMS.to_vec()),
        at in any::<prop::sample::Index>(),
        with in any::<char>(),
        junk in "\\PC{0,40}",
    ) {
        let text = render(form, &fit(form, c), None, "");
        let mut chars: Vec<char> = text.chars().collect();
        let i = at.index(chars.len());
        chars[i] = with;
        let mutated: String = chars.into_iter().collect();
        for t in [&mutated, &junk] {
            for rules in [v4(), v21()] {
                let _ = parse_datetime(t.as_bytes(), 6, &TimeZone::UTC, &rules);
                let _ = parse_date(t.as_bytes(), &rules);
            }
        }
    }
}

fn named(zone: &str) -> TimeZone {
    TimeZone::parse_property(zone).unwrap().0
}

fn dt_in(text: &str, p: u8, tz: &TimeZone) -> Option<String> {
    parse_datetime(text.as_bytes(), p, tz, &v4()).map(|m| {
        let mut s = String::new();
        write_datetime(m, p, &mut s);
        s
    })
}

// DST in a named job zone: the instant's own offset is used (cctz, docs/doris/conversion.md §5.6).
#[test]
fn dst_named_job_zone() {
    let ny = named("America/New_York");
    let c = |t: &str, want: &str| assert_eq!(dt_in(t, 0, &ny).as_deref(), Some(want), "{t}");
    // Spring forward 2024-03-10 07:00 UTC: 01:59:59 EST, then 03:00:00 EDT.
    c("2024-03-10 06:59:59Z", "2024-03-10 01:59:59");
    c("2024-03-10 07:00:00Z", "2024-03-10 03:00:00");
    // Fall back 2024-11-03 06:00 UTC: 01:30 happens twice.
    c("2024-11-03 05:30:00Z", "2024-11-03 01:30:00");
    c("2024-11-03 06:30:00Z", "2024-11-03 01:30:00");
    c("2024-07-01 12:00:00+00:00", "2024-07-01 08:00:00");
    c("2024-01-15 12:00:00+00:00", "2024-01-15 07:00:00");
    let london = named("Europe/London");
    // Rounding happens before the conversion: 00:59:59.5 UTC → 01:00:00 UTC → 02:00 BST.
    assert_eq!(
        dt_in("2024-03-31 00:59:59.5Z", 0, &london).as_deref(),
        Some("2024-03-31 02:00:00")
    );
}

// A named zone suffix: `cctz::convert(civil_second, zone)` takes the pre-transition offset
// for a repeated wall time and the transition instant for a skipped one (cctz time_zone.h).
#[test]
fn dst_named_suffix() {
    let utc = TimeZone::UTC;
    let c = |t: &str, tz: &TimeZone, want: &str| {
        assert_eq!(dt_in(t, 0, tz).as_deref(), Some(want), "{t} in {tz}")
    };
    c(
        "2024-07-01 12:00:00 Europe/London",
        &utc,
        "2024-07-01 11:00:00",
    );
    c(
        "2024-01-15 12:00:00 Europe/London",
        &utc,
        "2024-01-15 12:00:00",
    );
    // 02:30 does not exist in New York on 2024-03-10: the transition, 07:00 UTC.
    c(
        "2024-03-10 02:30:00 America/New_York",
        &utc,
        "2024-03-10 07:00:00",
    );
    // 01:30 exists twice on 2024-11-03: the first (EDT).
    c(
        "2024-11-03 01:30:00 America/New_York",
        &utc,
        "2024-11-03 05:30:00",
    );
    // The same zone as the job's still goes through the lookup.
    let ny = named("America/New_York");
    c(
        "2024-03-10 02:30:00 America/New_York",
        &ny,
        "2024-03-10 03:00:00",
    );
    c(
        "2024-11-03 01:30:00 America/New_York",
        &ny,
        "2024-11-03 01:30:00",
    );
}

// Grammar corners of 4.x cast_to_datetimev2_impl.hpp `from_string_strict_mode`.
#[test]
fn strict_grammar_corners() {
    let utc = TimeZone::UTC;
    let c = |t: &str, want: Option<&str>| assert_eq!(dt_in(t, 0, &utc).as_deref(), want, "{t:?}");
    // `.` then `skip_any_digit`: a bare dot is a fraction of no digits.
    c("2024-04-02 17:00:00.", Some("2024-04-02 17:00:00"));
    c("2024-04-02 17:00:00.+08:00", Some("2024-04-02 09:00:00"));
    c("2024.04.02 17.00.00.", Some("2024-04-02 17:00:00"));
    // Digits after the last time field are skipped.
    c("2024-04-02 17:00:001", Some("2024-04-02 17:00:00"));
    c("2024-04-02 17000", Some("2024-04-02 17:00:00"));
    c("2024-04-02 123", Some("2024-04-02 12:00:00"));
    c("2024-04-02 17:0512", Some("2024-04-02 17:05:00"));
    c("20240402170000123", Some("2024-04-02 17:00:00"));
    // ... but a fraction must follow the seconds directly.
    c("20240402170000123.5", None);
    c("2024-04-02 1700001.5", None);
    // `+HH` must end the text.
    c("2024-04-02 17:00:00+08 ", None);
    c("2024-04-02 17:00:00+08", Some("2024-04-02 09:00:00"));
    c("2024-04-02 17:00:00+08:00 ", Some("2024-04-02 09:00:00"));
    c("2024-04-02 17:00:00+800 ", Some("2024-04-02 09:00:00"));
    c("2024-04-02 17:00:00 UTC ", Some("2024-04-02 17:00:00"));
    // A rounding carry past 9999-12-31 fails before the zone would bring it back.
    assert_eq!(dt_in("9999-12-31 23:59:59.9999995+01:00", 6, &utc), None);
    assert_eq!(dt_in("9999-12-31 23:59:59.5+01:00", 0, &utc), None);
    assert_eq!(
        dt_in("9999-12-31 23:59:59.4+01:00", 0, &utc).as_deref(),
        Some("9999-12-31 22:59:59")
    );
    assert_eq!(dt_in("0000-01-01 00:30:00+01:00", 0, &utc), None);
    assert_eq!(
        parse_date(b"9999-12-31 23:59:59.9999999", &v4()),
        Some(DAY_9999_12_31)
    );
}
