//! Every behaviour that differs between Doris releases, in one place.
//!
//! A job picks the release it emulates with the routinely-specific property
//! `"doris_version" = "2.1" | "3.0" | "4.0"` (default: current Doris, 4.0). Nothing else asks
//! "which version?": code asks [`VersionRules`] for the named rule, so the table of
//! differences is [`VersionRules::of`], and a new difference is one new field here and the one
//! place that reads it.

use std::fmt;
use std::str::FromStr;

/// The Doris release whose load semantics a job follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum DorisVersion {
    /// Doris 2.1.x.
    V2_1,
    /// Doris 3.0.x.
    V3_0,
    /// Doris 4.0.x and current master (the default).
    #[default]
    V4_0,
}

impl DorisVersion {
    /// The property value spelling (`"2.1"`, `"3.0"`, `"4.0"`).
    pub fn as_str(self) -> &'static str {
        match self {
            DorisVersion::V2_1 => "2.1",
            DorisVersion::V3_0 => "3.0",
            DorisVersion::V4_0 => "4.0",
        }
    }

    /// The rules of this release.
    pub fn rules(self) -> VersionRules {
        VersionRules::of(self)
    }
}

impl fmt::Display for DorisVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a `doris_version` value that is not one of the supported releases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("doris_version should be one of {{'2.1', '3.0', '4.0'}}, but found {0}")]
pub struct UnknownVersion(pub String);

impl FromStr for DorisVersion {
    type Err = UnknownVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "2.1" | "2.1.x" => Ok(DorisVersion::V2_1),
            "3.0" | "3.0.x" => Ok(DorisVersion::V3_0),
            "4.0" | "4.0.x" | "4" | "master" => Ok(DorisVersion::V4_0),
            other => Err(UnknownVersion(other.to_string())),
        }
    }
}

/// What happens to a CHAR/VARCHAR value longer than the column's byte length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverlongString {
    /// Filtered in every mode (2.1 / 3.0): "the length of input is too long than schema".
    AlwaysFilter,
    /// Truncated to the byte limit when strict mode is off, filtered when it is on (4.x).
    TruncateUnlessStrict,
}

/// What a DECIMAL whose integer part does not fit `precision - scale` digits becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalOverflow {
    /// Saturates to the largest (or smallest) value of the type and loads (2.1 / 3.0 cast
    /// path: PARSE_OVERFLOW counted as parsed, the old parser returning the type's max).
    Saturate,
    /// A conversion failure: NULL when strict mode is off, filtered when it is on (4.x).
    Fail,
}

/// What FLOAT / DOUBLE text beyond the type's range (`1e400`) becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatOverflow {
    /// A conversion failure (2.1 / 3.0).
    Fail,
    /// ±Infinity (4.x).
    Infinity,
}

/// Which words a BOOLEAN column accepts besides numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BooleanWords {
    /// `true` / `false` only, case-insensitively (2.1 / 3.0).
    TrueFalse,
    /// Also `t` / `f`, `yes` / `no`, `on` / `off` (4.x).
    Extended,
}

/// What a column absent from a JSON row (missing key or unmatched jsonpath) becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingJsonKey {
    /// The column's DEFAULT when it has one, else NULL.
    Default,
    /// NULL, whatever the column's DEFAULT.
    Null,
}

/// How an integer column treats text with a fractional part (`"3.12"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegerFraction {
    /// The fraction is dropped in non-strict mode and fails in strict mode (regression
    /// test_stream_load_cast; the same in every supported release so far).
    TruncateUnlessStrict,
}

/// How a COLUMNS mapping sees a table column it names that is also a plain source column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappingSourceView {
    /// The raw source text, as VARCHAR (2.1 / 3.0 legacy planner).
    RawText,
    /// The value already cast to the column's type (4.x Nereids load planner).
    Converted,
}

/// How an enclosed CSV field with `enclose = '"'` is read when `trim_double_quotes` is not set
/// (routine load can never set it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvDoubleQuoteEnclose {
    /// The quotes stay in the value (before apache/doris#54937).
    KeepQuotes,
    /// The quotes are stripped like any other enclose character (after apache/doris#54937).
    Strip,
}

/// How `GET_JSON_STRING` / `GET_JSON_INT` treat their input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetJsonFlavor {
    /// rapidjson functions: JSON null → SQL NULL, `GET_JSON_INT` only for int32 values.
    Rapidjson,
    /// Aliases of `JSON_EXTRACT_STRING` / `JSON_EXTRACT_INT`: JSON null → `"null"`, cast rules.
    JsonbCast,
}

/// Which text grammar DATE / DATETIME conversion uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatetimeParser {
    /// 4.x `cast_to_datetimev2_impl`: a strict grammar, then a lenient one.
    StrictThenLenient,
    /// 2.1 / 3.0 `DateV2Value::from_date_str_base`: MySQL-style lenient parsing.
    MysqlLegacy,
}

/// At which instant a zone suffix's offset is taken when converting into the job zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneOffsetAt {
    /// At the value's own instant (DST-aware, 4.x cctz lookup).
    Instant,
    /// At 1970-01-01 (2.1 / 3.0 compute it at `cctz::civil_second{}`).
    Epoch,
}

/// The simdjson release inside Doris's JSON reader: its error codes and texts, and how it
/// treats content after the first document of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimdjsonRelease {
    /// simdjson 3.11.6 (4.x): codes like `13 EMPTY: ...`; content after the first document
    /// is accepted only when the message's last byte closes that document.
    V3_11,
    /// simdjson 3.0.1 (2.1 / 3.0): codes one lower, texts without the `NAME: ` prefix;
    /// content after the first document is ignored.
    V3_0,
}

/// What the jsonpath `$` alone means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DollarPath {
    /// The whole message, like `$.` (4.x rewrites `$` to `$.`).
    WholeDocument,
    /// An empty path: every row is rejected with `empty json path` (2.1 / 3.0).
    Empty,
}

/// Which release's message texts errors use (statement validation, CSV field-count errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageTexts {
    /// 4.x (Nereids statements, current BE texts).
    Current,
    /// 2.1 / 3.0 (legacy statements, older BE texts).
    Legacy,
}

/// How load expressions are typed and evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExprSemantics {
    /// 4.x: Nereids typing, runtime errors raised (Doris fails the task), Unicode
    /// UPPER/LOWER, `from_unixtime` over a decimal range.
    Nereids,
    /// 2.1 / 3.0: legacy functions that return NULL where 4.x raises, ASCII-only case
    /// mapping, narrower `from_unixtime` / `unix_timestamp` ranges.
    Legacy,
}

/// The rules of one Doris release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionRules {
    /// The release these rules describe.
    pub version: DorisVersion,
    /// Overlong CHAR / VARCHAR.
    pub overlong_string: OverlongString,
    /// DECIMAL integer-part overflow.
    pub decimal_overflow: DecimalOverflow,
    /// FLOAT / DOUBLE overflow.
    pub float_overflow: FloatOverflow,
    /// BOOLEAN words.
    pub boolean_words: BooleanWords,
    /// Missing JSON keys.
    pub missing_json_key: MissingJsonKey,
    /// Integer text with a fraction.
    pub integer_fraction: IntegerFraction,
    /// Table columns inside COLUMNS mappings.
    pub mapping_source_view: MappingSourceView,
    /// CSV enclose `"` without trim_double_quotes.
    pub csv_double_quote_enclose: CsvDoubleQuoteEnclose,
    /// Whether `empty_field_as_null` is a known property.
    pub has_empty_field_as_null: bool,
    /// `GET_JSON_*` function family.
    pub get_json: GetJsonFlavor,
    /// DATE / DATETIME text grammar.
    pub datetime_parser: DatetimeParser,
    /// Zone-suffix offsets.
    pub zone_offset_at: ZoneOffsetAt,
    /// The JSON reader's simdjson.
    pub simdjson: SimdjsonRelease,
    /// The jsonpath `$`.
    pub dollar_path: DollarPath,
    /// Whether a doubled enclose byte inside an enclosed CSV field is one literal enclose byte.
    pub csv_doubled_enclose: bool,
    /// Error message texts.
    pub messages: MessageTexts,
    /// Expression typing and evaluation.
    pub expr: ExprSemantics,
}

impl VersionRules {
    /// The rules of `version`.
    pub fn of(version: DorisVersion) -> Self {
        match version {
            DorisVersion::V2_1 | DorisVersion::V3_0 => VersionRules {
                version,
                overlong_string: OverlongString::AlwaysFilter,
                decimal_overflow: DecimalOverflow::Saturate,
                float_overflow: FloatOverflow::Fail,
                boolean_words: BooleanWords::TrueFalse,
                missing_json_key: MissingJsonKey::Default,
                integer_fraction: IntegerFraction::TruncateUnlessStrict,
                mapping_source_view: MappingSourceView::RawText,
                csv_double_quote_enclose: CsvDoubleQuoteEnclose::KeepQuotes,
                has_empty_field_as_null: false,
                get_json: GetJsonFlavor::Rapidjson,
                datetime_parser: DatetimeParser::MysqlLegacy,
                zone_offset_at: ZoneOffsetAt::Epoch,
                simdjson: SimdjsonRelease::V3_0,
                dollar_path: DollarPath::Empty,
                csv_doubled_enclose: false,
                messages: MessageTexts::Legacy,
                expr: ExprSemantics::Legacy,
            },
            DorisVersion::V4_0 => VersionRules {
                version,
                overlong_string: OverlongString::TruncateUnlessStrict,
                decimal_overflow: DecimalOverflow::Fail,
                float_overflow: FloatOverflow::Infinity,
                boolean_words: BooleanWords::Extended,
                missing_json_key: MissingJsonKey::Default,
                // Regression test_stream_load_cast (CA-01/02): `3.12` into INT loads 3 with
                // strict mode off and is filtered with it on.
                integer_fraction: IntegerFraction::TruncateUnlessStrict,
                mapping_source_view: MappingSourceView::Converted,
                csv_double_quote_enclose: CsvDoubleQuoteEnclose::Strip,
                has_empty_field_as_null: true,
                get_json: GetJsonFlavor::JsonbCast,
                datetime_parser: DatetimeParser::StrictThenLenient,
                zone_offset_at: ZoneOffsetAt::Instant,
                simdjson: SimdjsonRelease::V3_11,
                dollar_path: DollarPath::WholeDocument,
                csv_doubled_enclose: true,
                messages: MessageTexts::Current,
                expr: ExprSemantics::Nereids,
            },
        }
    }
}

impl Default for VersionRules {
    fn default() -> Self {
        VersionRules::of(DorisVersion::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!("2.1".parse::<DorisVersion>(), Ok(DorisVersion::V2_1));
        assert_eq!(" 4.0 ".parse::<DorisVersion>(), Ok(DorisVersion::V4_0));
        let err = "1.2".parse::<DorisVersion>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "doris_version should be one of {'2.1', '3.0', '4.0'}, but found 1.2"
        );
    }

    #[test]
    fn default_is_current_doris() {
        assert_eq!(VersionRules::default().version, DorisVersion::V4_0);
        assert_eq!(
            VersionRules::default().overlong_string,
            OverlongString::TruncateUnlessStrict
        );
        assert_eq!(
            DorisVersion::V2_1.rules().overlong_string,
            OverlongString::AlwaysFilter
        );
    }
}
