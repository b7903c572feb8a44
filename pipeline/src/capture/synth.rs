//! The synthetic clickstream capture behind `generate`: events shaped like the bench's
//! `gen_events.py` (`event_time`, `user_id`, `action`, `attr{page, ref, ua, items[],
//! session?, geo?}`, compact JSON), with the same fourteen kinds of type drift applied to a
//! chosen fraction of events. Deterministic for a seed (its own splitmix64 generator; the
//! values differ from the Python script's). JSON is written straight into a reused buffer
//! and streamed to the capture writer, so a gigabyte takes seconds.
//!
//! Event `i` goes to partition `i % partitions` with the next offset of that partition
//! (offsets start at 0), key = the user id as text, timestamp type `create` and timestamp
//! 2025-11-20 10:00:00 UTC plus `i / rate` seconds. About one message in eight carries a
//! `trace_id` header, one in sixty-four a `replayed` header with a null value.

use std::path::Path;

use super::{CaptureError, CaptureFormat, CaptureStats, CaptureWriter, MessageRef};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenOptions {
    /// Stop after this many events.
    pub messages: Option<u64>,
    /// Stop once this many value bytes are written.
    pub bytes: Option<u64>,
    /// Partitions (at least 1).
    pub partitions: u32,
    /// Fraction of events with type drift, 0.0 to 1.0.
    pub drift: f64,
    /// Events per second of message timestamps (default [`DEFAULT_RATE`]).
    pub rate: Option<f64>,
    /// Random seed.
    pub seed: u64,
    /// Topic name.
    pub topic: String,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            messages: Some(1000),
            bytes: None,
            partitions: 1,
            drift: 0.0,
            rate: None,
            seed: 42,
            topic: "events".to_string(),
        }
    }
}

/// Events per second of message timestamps when [`GenOptions::rate`] is not given.
pub const DEFAULT_RATE: f64 = 10_000.0;

/// The most partitions a generated capture may have.
const MAX_PARTITIONS: u32 = 1 << 20;

/// 2025-11-20 10:00:00 UTC in milliseconds.
const BASE_MS: i64 = 1_763_632_800_000;
/// 10:00:00 in seconds of the first day, as the Python generator counts.
const T0: i64 = 36_000;

const ACTIONS: [&str; 11] = [
    "click",
    "view",
    "scroll",
    "add_to_cart",
    "remove_from_cart",
    "purchase",
    "search",
    "login",
    "logout",
    "share",
    "like",
];
const ACTION_WEIGHTS: [u64; 11] = [30, 35, 10, 6, 2, 2, 8, 2, 1, 2, 2];
const CATS: [&str; 7] = [
    "shoes",
    "books",
    "garden",
    "toys",
    "electronics",
    "kitchen",
    "sport",
];
const SLUGS: [&str; 8] = [
    "how-to-return",
    "shipping",
    "winter-sale",
    "gift-ideas",
    "size-guide",
    "privacy",
    "new-arrivals",
    "best-sellers",
];
const QUERIES: [&str; 8] = [
    "red+shoes",
    "usb-c+cable",
    "coffee+grinder",
    "tent",
    "lego",
    "running+socks",
    "%E9%9E%8B",
    "caf%C3%A9",
];
const UAS: [&str; 6] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Mobile Safari/537.36",
    "curl/8.4.0",
    "okhttp/4.12.0",
];
const COUNTRIES: [&str; 5] = ["DE", "US", "FR", "JP", "BR"];
const GARBAGE_IDS: [&str; 5] = ["abc", "", "12x", "NaN", "-"];
const GARBAGE_TIMES: [&str; 4] = ["yesterday", "2025-13-45 99:99:99", "", "20/11/2025 10:00"];

/// The fourteen drift kinds of `gen_events.py`, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drift {
    UserIdString,
    UserIdGarbage,
    UserIdFloat,
    UserIdNull,
    MissingUserId,
    MissingEventTime,
    MissingAction,
    ExtraFields,
    TsIsoT,
    TsEpoch,
    TsGarbage,
    TsDateOnly,
    ActionNumber,
    AttrString,
}

const DRIFTS: [Drift; 14] = [
    Drift::UserIdString,
    Drift::UserIdGarbage,
    Drift::UserIdFloat,
    Drift::UserIdNull,
    Drift::MissingUserId,
    Drift::MissingEventTime,
    Drift::MissingAction,
    Drift::ExtraFields,
    Drift::TsIsoT,
    Drift::TsEpoch,
    Drift::TsGarbage,
    Drift::TsDateOnly,
    Drift::ActionNumber,
    Drift::AttrString,
];

/// splitmix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    fn weighted(&mut self, weights: &[u64]) -> usize {
        let mut r = self.below(weights.iter().sum());
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }
}

struct Json<'a> {
    out: &'a mut Vec<u8>,
    num: itoa::Buffer,
}

impl Json<'_> {
    fn raw(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    fn int(&mut self, v: i64) {
        let s = self.num.format(v);
        self.out.extend_from_slice(s.as_bytes());
    }

    /// `v / 10^decimals` as Python prints a rounded float: trailing zeros dropped, at least
    /// one decimal.
    fn fixed(&mut self, v: i64, decimals: u32) {
        let scale = 10i64.pow(decimals);
        if v < 0 {
            self.out.push(b'-');
        }
        let v = v.unsigned_abs();
        let scale = scale.unsigned_abs();
        self.int((v / scale) as i64);
        self.out.push(b'.');
        let mut frac = v % scale;
        let mut digits = decimals;
        while digits > 1 && frac.is_multiple_of(10) {
            frac /= 10;
            digits -= 1;
        }
        let s = self.num.format(frac);
        for _ in s.len()..digits as usize {
            self.out.push(b'0');
        }
        self.out.extend_from_slice(s.as_bytes());
    }

    fn padded(&mut self, v: i64, width: usize) {
        let s = self.num.format(v);
        for _ in s.len()..width {
            self.out.push(b'0');
        }
        self.out.extend_from_slice(s.as_bytes());
    }

    fn hex(&mut self, v: u64, digits: u32) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for i in (0..digits).rev() {
            self.out.push(HEX[((v >> (i * 4)) & 0xf) as usize]);
        }
    }

    fn two(&mut self, v: i64) {
        self.padded(v, 2);
    }
}

/// One event's clock: day of month and time of day.
struct Clock {
    day: i64,
    hh: i64,
    mm: i64,
    ss: i64,
}

impl Clock {
    fn new(secs: i64) -> Self {
        let (d, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        Clock {
            day: 20 + d % 10,
            hh: rem / 3600,
            mm: rem % 3600 / 60,
            ss: rem % 60,
        }
    }

    fn date(&self, j: &mut Json<'_>) {
        j.raw("2025-11-");
        j.two(self.day);
    }

    fn time(&self, j: &mut Json<'_>) {
        j.two(self.hh);
        j.out.push(b':');
        j.two(self.mm);
        j.out.push(b':');
        j.two(self.ss);
    }
}

/// Writes the `attr` object.
fn write_attr(rng: &mut Rng, j: &mut Json<'_>) {
    j.raw("{\"page\":\"");
    match rng.below(10) {
        0 => j.raw("/"),
        1 => j.raw("/home"),
        2 => j.raw("/search"),
        3 => j.raw("/cart"),
        4 => j.raw("/checkout"),
        5 => j.raw("/account"),
        6 => {
            j.raw("/p/");
            j.int(rng.range(1, 99_999));
        }
        7 => {
            j.raw("/c/");
            j.raw(rng.pick(&CATS));
            j.raw("/p/");
            j.int(rng.range(1, 99_999));
        }
        8 => {
            j.raw("/blog/2025/");
            j.raw(rng.pick(&SLUGS));
        }
        _ => {
            j.raw("/help/");
            j.raw(rng.pick(&SLUGS));
        }
    }
    j.raw("\",\"ref\":\"");
    match rng.below(7) {
        0 => {}
        1 => j.raw("https://www.google.com/"),
        2 => {
            j.raw("https://www.bing.com/search?q=");
            j.raw(rng.pick(&QUERIES));
        }
        3 => {
            j.raw("https://t.co/");
            let h = rng.next() >> 32;
            j.hex(h, 8);
        }
        4 => {
            j.raw("https://news.ycombinator.com/item?id=");
            j.int(rng.range(1_000_000, 9_999_999));
        }
        5 => {
            j.raw("https://example.com/newsletter?utm_source=mail&utm_campaign=");
            j.raw(rng.pick(&SLUGS));
        }
        _ => j.raw("direct"),
    }
    j.raw("\",\"ua\":\"");
    j.raw(rng.pick(&UAS));
    j.raw("\",\"items\":[");
    let items = rng.pick(&[0, 0, 0, 1, 1, 2, 3]);
    for i in 0..items {
        if i > 0 {
            j.out.push(b',');
        }
        j.raw("{\"sku\":\"SKU-");
        j.padded(rng.range(0, 999_999), 6);
        j.raw("\",\"qty\":");
        j.int(rng.range(1, 5));
        j.raw(",\"price\":");
        j.fixed(rng.range(50, 49_999), 2);
        j.out.push(b'}');
    }
    j.out.push(b']');
    if rng.unit() < 0.3 {
        j.raw(",\"session\":\"");
        let s = rng.next();
        j.hex(s, 16);
        j.out.push(b'"');
    }
    if rng.unit() < 0.1 {
        j.raw(",\"geo\":{\"country\":\"");
        j.raw(rng.pick(&COUNTRIES));
        j.raw("\",\"lat\":");
        j.fixed(rng.range(-600_000, 600_000), 4);
        j.raw(",\"lon\":");
        j.fixed(rng.range(-1_800_000, 1_800_000), 4);
        j.out.push(b'}');
    }
    j.out.push(b'}');
}

/// Writes event `secs` (seconds since 2025-11-20 00:00:00 UTC) into `out`; returns the user
/// id (the message key).
fn write_event(rng: &mut Rng, secs: i64, drift: f64, out: &mut Vec<u8>, attr: &mut Vec<u8>) -> i64 {
    let clock = Clock::new(secs + rng.range(0, 3));
    let user_id = rng.range(1, 2_000_000_000);
    let action = ACTIONS[rng.weighted(&ACTION_WEIGHTS)];
    attr.clear();
    write_attr(
        rng,
        &mut Json {
            out: attr,
            num: itoa::Buffer::new(),
        },
    );
    let kind = (drift > 0.0 && rng.unit() < drift).then(|| rng.pick(&DRIFTS));

    let mut j = Json {
        out,
        num: itoa::Buffer::new(),
    };
    j.out.push(b'{');
    let mut first = true;
    let mut key = |j: &mut Json<'_>, name: &str| {
        if !first {
            j.out.push(b',');
        }
        first = false;
        j.out.push(b'"');
        j.raw(name);
        j.raw("\":");
    };
    match kind {
        Some(Drift::MissingEventTime) => {}
        Some(Drift::TsEpoch) => {
            key(&mut j, "event_time");
            j.int(1_763_632_800 + rng.range(0, 86_400));
        }
        Some(Drift::TsGarbage) => {
            key(&mut j, "event_time");
            j.out.push(b'"');
            j.raw(rng.pick(&GARBAGE_TIMES));
            j.out.push(b'"');
        }
        Some(Drift::TsDateOnly) => {
            key(&mut j, "event_time");
            j.out.push(b'"');
            clock.date(&mut j);
            j.out.push(b'"');
        }
        Some(Drift::TsIsoT) => {
            key(&mut j, "event_time");
            j.out.push(b'"');
            clock.date(&mut j);
            j.out.push(b'T');
            clock.time(&mut j);
            j.raw("Z\"");
        }
        _ => {
            key(&mut j, "event_time");
            j.out.push(b'"');
            clock.date(&mut j);
            j.out.push(b' ');
            clock.time(&mut j);
            j.out.push(b'"');
        }
    }
    match kind {
        Some(Drift::MissingUserId) => {}
        Some(Drift::UserIdString) => {
            key(&mut j, "user_id");
            j.out.push(b'"');
            j.int(user_id);
            j.out.push(b'"');
        }
        Some(Drift::UserIdGarbage) => {
            key(&mut j, "user_id");
            j.out.push(b'"');
            j.raw(rng.pick(&GARBAGE_IDS));
            j.out.push(b'"');
        }
        Some(Drift::UserIdFloat) => {
            key(&mut j, "user_id");
            j.int(user_id);
            j.raw(".5");
        }
        Some(Drift::UserIdNull) => {
            key(&mut j, "user_id");
            j.raw("null");
        }
        _ => {
            key(&mut j, "user_id");
            j.int(user_id);
        }
    }
    match kind {
        Some(Drift::MissingAction) => {}
        Some(Drift::ActionNumber) => {
            key(&mut j, "action");
            j.int(rng.range(0, 9));
        }
        _ => {
            key(&mut j, "action");
            j.out.push(b'"');
            j.raw(action);
            j.out.push(b'"');
        }
    }
    key(&mut j, "attr");
    if kind == Some(Drift::AttrString) {
        // The attr object is ASCII JSON written above; it is valid UTF-8 by construction.
        super::kcat::push_json_str(j.out, std::str::from_utf8(attr).unwrap_or_default());
    } else {
        j.out.extend_from_slice(attr);
    }
    if kind == Some(Drift::ExtraFields) {
        j.raw(",\"schema_v\":2,\"debug\":{\"host\":\"web-");
        j.two(rng.range(1, 40));
        j.raw("\",\"trace\":true}");
    }
    j.out.push(b'}');
    user_id
}

/// Generates a synthetic clickstream capture at `out` (Arrow for `.arrow`, else kcat lines;
/// see [`CaptureFormat::from_extension`]). Stops after `messages` events or once `bytes`
/// value bytes are written, whichever comes first.
pub fn generate(opts: GenOptions, out: &Path) -> Result<CaptureStats, CaptureError> {
    let invalid = |why: String| Err(CaptureError::InvalidOption(why));
    if opts.messages.is_none() && opts.bytes.is_none() {
        return invalid("give a number of messages or of bytes".into());
    }
    if opts.partitions == 0 || opts.partitions > MAX_PARTITIONS {
        return invalid(format!(
            "partitions must be between 1 and {MAX_PARTITIONS}, not {}",
            opts.partitions
        ));
    }
    if !(0.0..=1.0).contains(&opts.drift) {
        return invalid(format!("drift {} is not between 0 and 1", opts.drift));
    }
    let rate = opts.rate.unwrap_or(DEFAULT_RATE);
    if !(rate.is_finite() && rate > 0.0) {
        return invalid(format!("rate {rate} is not a positive number"));
    }
    let mut writer = CaptureWriter::create(out, CaptureFormat::from_extension(out))?;
    let mut rng = Rng(opts.seed);
    let mut value = Vec::with_capacity(1024);
    let mut attr = Vec::with_capacity(1024);
    let mut key = itoa::Buffer::new();
    let mut next_offset = vec![0i64; opts.partitions as usize];
    let mut headers: Vec<(String, Option<Vec<u8>>)> = Vec::new();
    let mut i: u64 = 0;
    let mut written: u64 = 0;
    while opts.messages.is_none_or(|m| i < m) && opts.bytes.is_none_or(|b| written < b) {
        let ts = BASE_MS + (i as f64 * 1000.0 / rate) as i64;
        value.clear();
        let user_id = write_event(
            &mut rng,
            T0 + (ts - BASE_MS) / 1000,
            opts.drift,
            &mut value,
            &mut attr,
        );
        headers.clear();
        if rng.below(8) == 0 {
            let mut id = Vec::with_capacity(16);
            let mut j = Json {
                out: &mut id,
                num: itoa::Buffer::new(),
            };
            let trace = rng.next();
            j.hex(trace, 16);
            headers.push(("trace_id".to_string(), Some(id)));
        }
        if rng.below(64) == 0 {
            headers.push(("replayed".to_string(), None));
        }
        let partition = (i % u64::from(opts.partitions)) as usize;
        let offset = next_offset[partition];
        next_offset[partition] += 1;
        writer.write_ref(MessageRef {
            topic: &opts.topic,
            partition: partition as i32,
            offset,
            timestamp_ms: Some(ts),
            timestamp_type: Some("create"),
            key: Some(key.format(user_id).as_bytes()),
            value: Some(&value),
            headers: &headers,
        })?;
        written += value.len() as u64;
        i += 1;
    }
    writer.finish()
}
