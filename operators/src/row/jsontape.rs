//! The JSON parser of the row path: one pass over a message that validates it completely (the
//! grammar of RFC 8259 as simdjson applies it: strings, escapes and surrogate pairs, numbers,
//! literals, nesting up to simdjson's depth limit of 1024) and records a *span tape*: one node
//! per value or key, in document order, with its byte range in the message.
//!
//! Nothing is decoded while parsing. Numbers reach the cast as the text written in the
//! message, so nothing is converted twice and numbers beyond `f64` stay valid, as they are
//! for Doris's reader; strings are unescaped only when a slot takes them. The walk over the
//! tape (jsonpaths, key matching) then costs a few nodes per column.
//!
//! Each node also says what the JSONB printer of a JSON column needs to know: whether a
//! container holds whitespace between its tokens and whether every token in it prints
//! unchanged (no escapes, no `-0`, decimals JSONB prints digit for digit), so a compact
//! message goes into a JSON column as a plain copy.
//!
//! Layout (the same as simd-json's tape, so a container's subtree is the `count` nodes after
//! it): an object is followed by key, value, key, value, ...; an array by its elements.

use memchr::memchr;

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `{...}`: `len` key/value pairs follow.
    Object,
    /// `[...]`: `len` elements follow.
    Array,
    /// A string (the node's range includes the quotes).
    String,
    /// A number, as written.
    Number,
    /// `true`.
    True,
    /// `false`.
    False,
    /// `null`.
    Null,
}

/// Strings: the text holds escapes.
pub(crate) const ESCAPED: u8 = 1;
/// Any node: JSONB would not print it (or something inside it) byte for byte.
pub(crate) const NONCANONICAL: u8 = 2;
/// Containers: whitespace separates some of their tokens.
pub(crate) const SPACED: u8 = 4;

/// One value (or key) of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Node {
    /// What it is.
    pub kind: Kind,
    /// [`ESCAPED`], [`NONCANONICAL`], [`SPACED`].
    pub flags: u8,
    /// Containers: pairs or elements.
    pub len: u32,
    /// Containers: nodes after this one that belong to it.
    pub count: u32,
    /// First byte.
    pub start: u32,
    /// End byte (exclusive).
    pub end: u32,
}

impl Node {
    /// Nodes this one spans, itself included.
    #[inline]
    pub fn span(&self) -> usize {
        match self.kind {
            Kind::Object | Kind::Array => self.count as usize + 1,
            _ => 1,
        }
    }

    /// Whether it is an object or an array.
    #[inline]
    pub fn is_container(&self) -> bool {
        matches!(self.kind, Kind::Object | Kind::Array)
    }

    /// Whether its text is the compact form JSONB prints unchanged.
    #[inline]
    pub fn prints_unchanged(&self) -> bool {
        self.flags & (NONCANONICAL | SPACED) == 0
    }
}

/// Why a message does not parse. Stage-1 errors (invalid UTF-8, control characters in
/// strings, an unclosed string) are told apart by the reader, which reports them first, as
/// simdjson does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// Only whitespace.
    Empty,
    /// The input is not UTF-8.
    Utf8,
    /// A bad escape, `\u` digits or surrogate pair.
    String,
    /// More than [`MAX_DEPTH`] nested containers.
    Depth,
    /// The input ended inside a value.
    Eof,
    /// Anything else: a missing or extra comma, colon, bracket, key; a malformed number or
    /// literal; something after the document.
    Syntax,
}

/// simdjson's `DEFAULT_MAX_DEPTH`: the most containers open at once.
pub(crate) const MAX_DEPTH: usize = 1024;

/// An open container.
#[derive(Debug, Clone, Copy)]
struct Frame {
    node: u32,
    /// Members seen so far.
    members: u32,
    /// Whether it is an object (an array otherwise).
    object: bool,
    /// Non-canonical tokens and whitespace runs seen before it opened.
    noncanonical: u32,
    spaces: u32,
}

/// The parser and its reusable buffers.
#[derive(Debug)]
pub(crate) struct JsonTape {
    nodes: Vec<Node>,
    stack: Vec<Frame>,
    /// Containers nested deeper than this are validated and flagged but their contents get
    /// no nodes (see [`JsonTape::with_depth`]).
    depth: usize,
    /// Open containers (whether each is an object) while one is skipped.
    skip: Vec<bool>,
}

impl Default for JsonTape {
    fn default() -> JsonTape {
        JsonTape::with_depth(usize::MAX)
    }
}

/// 1 for the four JSON whitespace bytes.
static WS: [bool; 256] = {
    let mut t = [false; 256];
    t[b' ' as usize] = true;
    t[b'\t' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'\r' as usize] = true;
    t
};

/// Valid characters after a backslash.
static ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut k = 0;
    let valid = b"\"\\/bfnrtu";
    while k < valid.len() {
        t[valid[k] as usize] = true;
        k += 1;
    }
    t
};

/// Running counts the container flags are computed from.
struct Counters {
    noncanonical: u32,
    spaces: u32,
}

impl JsonTape {
    /// A parser that records nodes only for values at most `depth` containers deep (the root
    /// is at depth 0, its members at 1). A container at depth `depth` still gets its node,
    /// with its range, flags and member count, but no nodes for its contents (`count` 0), so
    /// it is one node to whoever walks the tape. Its contents are validated exactly as
    /// recorded ones are (same errors, same flags). A reader that looks no deeper (a job
    /// whose jsonpaths are one key each, or no jsonpaths) is spared a node for every value
    /// of the nested objects it will copy whole into a JSON column or ignore: measured, the
    /// seed job's row path 8-10% faster.
    pub fn with_depth(depth: usize) -> JsonTape {
        JsonTape {
            nodes: Vec::new(),
            stack: Vec::new(),
            depth: depth.max(1),
            skip: Vec::new(),
        }
    }

    /// The nodes of the last document parsed.
    #[inline]
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Parses one document that must fill `doc` (whitespace around it allowed). On success
    /// the root is node 0 and `doc` is valid UTF-8: outside strings the grammar admits only
    /// ASCII, and a string holding any other byte is validated as it is parsed.
    pub fn parse(&mut self, doc: &[u8]) -> Result<(), ParseError> {
        self.nodes.clear();
        self.stack.clear();
        let mut c = Counters {
            noncanonical: 0,
            spaces: 0,
        };
        let n = doc.len();
        let mut i = skip_ws(doc, 0, &mut c);
        if i == n {
            return Err(ParseError::Empty);
        }
        'value: loop {
            // A value starts at `i` (not whitespace, possibly the end).
            let Some(&b) = doc.get(i) else {
                return Err(ParseError::Eof);
            };
            match b {
                b'{' | b'[' if self.stack.len() >= self.depth => {
                    // Deeper than the tape keeps: validate it, one node for all of it.
                    let object = b == b'{';
                    let (noncanonical, spaces) = (c.noncanonical, c.spaces);
                    let (end, members) = self.skip_container(doc, i, &mut c)?;
                    let mut flags = 0;
                    if c.noncanonical != noncanonical {
                        flags |= NONCANONICAL;
                    }
                    if c.spaces != spaces {
                        flags |= SPACED;
                    }
                    self.nodes.push(Node {
                        kind: if object { Kind::Object } else { Kind::Array },
                        flags,
                        len: members,
                        count: 0,
                        start: i as u32,
                        end: end as u32,
                    });
                    i = end;
                }
                b'{' | b'[' => {
                    if self.stack.len() >= MAX_DEPTH {
                        return Err(ParseError::Depth);
                    }
                    let object = b == b'{';
                    self.stack.push(Frame {
                        node: self.nodes.len() as u32,
                        members: 0,
                        object: b == b'{',
                        noncanonical: c.noncanonical,
                        spaces: c.spaces,
                    });
                    self.nodes.push(Node {
                        kind: if object { Kind::Object } else { Kind::Array },
                        flags: 0,
                        len: 0,
                        count: 0,
                        start: i as u32,
                        end: 0,
                    });
                    i = skip_ws(doc, i + 1, &mut c);
                    let close = if object { b'}' } else { b']' };
                    match doc.get(i) {
                        None => return Err(ParseError::Eof),
                        Some(&x) if x == close => {
                            i = self.close(i, &c);
                        }
                        Some(_) => {
                            if let Some(top) = self.stack.last_mut() {
                                top.members = 1;
                            }
                            if object {
                                i = self.key(doc, i, &mut c)?;
                            }
                            continue 'value;
                        }
                    }
                }
                b'"' => {
                    i = self.string(doc, i, &mut c)?;
                }
                b'-' | b'0'..=b'9' => {
                    i = self.number(doc, i, &mut c)?;
                }
                b't' => i = self.literal(doc, i, b"true", Kind::True)?,
                b'f' => i = self.literal(doc, i, b"false", Kind::False)?,
                b'n' => i = self.literal(doc, i, b"null", Kind::Null)?,
                _ => return Err(ParseError::Syntax),
            }
            // After a value: the next member, the container's end, or the document's end.
            loop {
                i = skip_ws(doc, i, &mut c);
                let Some(top) = self.stack.last_mut() else {
                    return if i == n {
                        Ok(())
                    } else {
                        Err(ParseError::Syntax)
                    };
                };
                let object = top.object;
                let close = if object { b'}' } else { b']' };
                match doc.get(i) {
                    None => return Err(ParseError::Eof),
                    Some(b',') => {
                        top.members += 1;
                        i = skip_ws(doc, i + 1, &mut c);
                        if object {
                            i = self.key(doc, i, &mut c)?;
                        }
                        continue 'value;
                    }
                    Some(&x) if x == close => {
                        i = self.close(i, &c);
                    }
                    Some(_) => return Err(ParseError::Syntax),
                }
            }
        }
    }

    /// Validates the container whose bracket is at `i` (inside `self.stack.len()` open
    /// containers) as [`JsonTape::parse`] would, recording nothing: the same grammar, errors
    /// and counters. Returns the index after it and its member count.
    fn skip_container(
        &mut self,
        doc: &[u8],
        mut i: usize,
        c: &mut Counters,
    ) -> Result<(usize, u32), ParseError> {
        let outer = self.stack.len();
        let open = &mut self.skip;
        open.clear();
        let mut members = 0u32;
        'value: loop {
            let Some(&b) = doc.get(i) else {
                return Err(ParseError::Eof);
            };
            match b {
                b'{' | b'[' => {
                    if outer + open.len() >= MAX_DEPTH {
                        return Err(ParseError::Depth);
                    }
                    let object = b == b'{';
                    open.push(object);
                    i = skip_ws(doc, i + 1, c);
                    let close = if object { b'}' } else { b']' };
                    match doc.get(i) {
                        None => return Err(ParseError::Eof),
                        Some(&x) if x == close => {
                            open.pop();
                            i += 1;
                            if open.is_empty() {
                                return Ok((i, members));
                            }
                        }
                        Some(_) => {
                            if open.len() == 1 {
                                members = 1;
                            }
                            if object {
                                i = scan_key(doc, i, c)?;
                            }
                            continue 'value;
                        }
                    }
                }
                b'"' => i = scan_string(doc, i, c)?.0,
                b'-' | b'0'..=b'9' => i = scan_number(doc, i, c)?.0,
                b't' => i = scan_literal(doc, i, b"true")?,
                b'f' => i = scan_literal(doc, i, b"false")?,
                b'n' => i = scan_literal(doc, i, b"null")?,
                _ => return Err(ParseError::Syntax),
            }
            // After a value: the next member or the container's end.
            loop {
                i = skip_ws(doc, i, c);
                let Some(&object) = open.last() else {
                    return Ok((i, members));
                };
                let close = if object { b'}' } else { b']' };
                match doc.get(i) {
                    None => return Err(ParseError::Eof),
                    Some(b',') => {
                        if open.len() == 1 {
                            members += 1;
                        }
                        i = skip_ws(doc, i + 1, c);
                        if object {
                            i = scan_key(doc, i, c)?;
                        }
                        continue 'value;
                    }
                    Some(&x) if x == close => {
                        open.pop();
                        i += 1;
                        if open.is_empty() {
                            return Ok((i, members));
                        }
                    }
                    Some(_) => return Err(ParseError::Syntax),
                }
            }
        }
    }

    /// Closes the innermost container at its bracket `i`; returns the next index.
    #[inline]
    fn close(&mut self, i: usize, c: &Counters) -> usize {
        let Some(frame) = self.stack.pop() else {
            return i + 1;
        };
        let idx = frame.node as usize;
        let count = (self.nodes.len() - idx - 1) as u32;
        let mut flags = 0;
        if c.noncanonical != frame.noncanonical {
            flags |= NONCANONICAL;
        }
        if c.spaces != frame.spaces {
            flags |= SPACED;
        }
        let node = &mut self.nodes[idx];
        node.count = count;
        node.len = frame.members;
        node.end = i as u32 + 1;
        node.flags = flags;
        i + 1
    }

    /// An object key at `i`, then its colon; returns where the value starts.
    #[inline(always)]
    fn key(&mut self, doc: &[u8], i: usize, c: &mut Counters) -> Result<usize, ParseError> {
        match doc.get(i) {
            Some(b'"') => {}
            None => return Err(ParseError::Eof),
            Some(_) => return Err(ParseError::Syntax),
        }
        let mut j = self.string(doc, i, c)?;
        j = skip_ws(doc, j, c);
        match doc.get(j) {
            Some(b':') => Ok(skip_ws(doc, j + 1, c)),
            None => Err(ParseError::Eof),
            Some(_) => Err(ParseError::Syntax),
        }
    }

    /// A string at its opening quote `i`; returns the index after its closing quote.
    #[inline(always)]
    fn string(&mut self, doc: &[u8], i: usize, c: &mut Counters) -> Result<usize, ParseError> {
        let (end, flags) = scan_string(doc, i, c)?;
        self.nodes.push(Node {
            kind: Kind::String,
            flags,
            len: 0,
            count: 0,
            start: i as u32,
            end: end as u32,
        });
        Ok(end)
    }

    /// A number at `i`; returns the index after it.
    #[inline]
    fn number(&mut self, doc: &[u8], i: usize, c: &mut Counters) -> Result<usize, ParseError> {
        let (end, flags) = scan_number(doc, i, c)?;
        self.nodes.push(Node {
            kind: Kind::Number,
            flags,
            len: 0,
            count: 0,
            start: i as u32,
            end: end as u32,
        });
        Ok(end)
    }

    /// `true`, `false` or `null` at `i`.
    #[inline]
    fn literal(
        &mut self,
        doc: &[u8],
        i: usize,
        word: &[u8],
        kind: Kind,
    ) -> Result<usize, ParseError> {
        let end = scan_literal(doc, i, word)?;
        self.nodes.push(Node {
            kind,
            flags: 0,
            len: 0,
            count: 0,
            start: i as u32,
            end: end as u32,
        });
        Ok(end)
    }
}

/// An object key at `i` and its colon, recording nothing; returns where the value starts.
#[inline(always)]
fn scan_key(doc: &[u8], i: usize, c: &mut Counters) -> Result<usize, ParseError> {
    match doc.get(i) {
        Some(b'"') => {}
        None => return Err(ParseError::Eof),
        Some(_) => return Err(ParseError::Syntax),
    }
    let (mut j, _) = scan_string(doc, i, c)?;
    j = skip_ws(doc, j, c);
    match doc.get(j) {
        Some(b':') => Ok(skip_ws(doc, j + 1, c)),
        None => Err(ParseError::Eof),
        Some(_) => Err(ParseError::Syntax),
    }
}

/// A string at its opening quote `i`: the index after its closing quote and its flags.
#[inline(always)]
fn scan_string(doc: &[u8], i: usize, c: &mut Counters) -> Result<(usize, u8), ParseError> {
    let mut j = i + 1;
    let mut flags = 0;
    let mut high = false;
    loop {
        let (at, h) = find_special(doc, j);
        high |= h;
        j = at.ok_or(ParseError::Eof)?;
        match doc[j] {
            b'"' => break,
            b'\\' => {
                flags = ESCAPED | NONCANONICAL;
                j = escape(doc, j)?;
            }
            // A raw control character (the reader reports it as simdjson's stage 1 does).
            _ => return Err(ParseError::Syntax),
        }
    }
    if high && std::str::from_utf8(&doc[i + 1..j]).is_err() {
        return Err(ParseError::Utf8);
    }
    if flags != 0 {
        c.noncanonical += 1;
    }
    Ok((j + 1, flags))
}

/// A number at `i`: the index after it and its flags.
#[inline(always)]
fn scan_number(doc: &[u8], i: usize, c: &mut Counters) -> Result<(usize, u8), ParseError> {
    let n = doc.len();
    let mut j = i;
    if doc[j] == b'-' {
        j += 1;
    }
    let int_start = j;
    match doc.get(j) {
        Some(b'0') => j += 1,
        Some(b'1'..=b'9') => j = digits_end(doc, j + 1),
        _ => return Err(ParseError::Syntax),
    }
    let int_digits = j - int_start;
    let mut frac = None;
    let mut exponent = false;
    if j < n && doc[j] == b'.' {
        let s = j + 1;
        j = digits_end(doc, s);
        if j == s {
            return Err(ParseError::Syntax);
        }
        frac = Some(s..j);
    }
    if j < n && (doc[j] | 0x20) == b'e' {
        exponent = true;
        j += 1;
        if j < n && (doc[j] == b'+' || doc[j] == b'-') {
            j += 1;
        }
        let s = j;
        while j < n && doc[j].is_ascii_digit() {
            j += 1;
        }
        if j == s {
            return Err(ParseError::Syntax);
        }
    }
    // The parts are known here: no search of the token for its point (a memchr call per
    // float, 1% of the row path).
    let canonical = match (exponent, frac) {
        (true, _) => false,
        (false, Some(frac)) => {
            decimal_prints_unchanged(&doc[int_start..int_start + int_digits], &doc[frac])
        }
        (false, None) => int_digits <= 18 && &doc[i..j] != b"-0",
    };
    c.noncanonical += u32::from(!canonical);
    Ok((j, if canonical { 0 } else { NONCANONICAL }))
}

/// `word` (`true`, `false` or `null`) at `i`; returns the index after it.
#[inline(always)]
fn scan_literal(doc: &[u8], i: usize, word: &[u8]) -> Result<usize, ParseError> {
    let end = i + word.len();
    match doc.get(i..end) {
        Some(w) if w == word => Ok(end),
        _ if doc.len() < end && word.starts_with(&doc[i..]) => Err(ParseError::Eof),
        _ => Err(ParseError::Syntax),
    }
}

/// Skips whitespace from `i`, counting a run.
#[inline(always)]
fn skip_ws(doc: &[u8], mut i: usize, c: &mut Counters) -> usize {
    // Every whitespace byte is at most b' ': one compare rules out almost every byte.
    if i < doc.len() && doc[i] <= b' ' && WS[doc[i] as usize] {
        c.spaces += 1;
        i += 1;
        while i < doc.len() && WS[doc[i] as usize] {
            i += 1;
        }
    }
    i
}

/// The first index at or after `j` that is not an ASCII digit (or `doc.len()`): eight bytes
/// at a time, the last eight overlapping, so a number costs no branch per digit.
#[inline(always)]
fn digits_end(doc: &[u8], mut j: usize) -> usize {
    use routinely_schemas::convert::number::non_digits;
    let n = doc.len();
    while let Some(word) = doc.get(j..j + 8) {
        let m = non_digits(u64::from_le_bytes(word.try_into().expect("8 bytes")));
        if m != 0 {
            return j + (m.trailing_zeros() / 8) as usize;
        }
        j += 8;
    }
    if j < n && n >= 8 {
        // The last eight bytes with those before `j` shifted out; the zero bytes shifted in
        // are not digits, so a bit is always found.
        let last = n - 8;
        let word = u64::from_le_bytes(doc[last..].try_into().expect("8 bytes")) >> (8 * (j - last));
        return j + (non_digits(word).trailing_zeros() / 8) as usize;
    }
    while j < n && doc[j].is_ascii_digit() {
        j += 1;
    }
    j
}

/// Checks the escape at the backslash `j`; returns the index after it.
#[inline]
fn escape(doc: &[u8], j: usize) -> Result<usize, ParseError> {
    let Some(&e) = doc.get(j + 1) else {
        return Err(ParseError::Eof);
    };
    if !ESCAPE[e as usize] {
        return Err(ParseError::String);
    }
    if e != b'u' {
        return Ok(j + 2);
    }
    let cp = hex4(doc, j + 2).ok_or(ParseError::String)?;
    if (0xD800..0xDC00).contains(&cp) {
        // A high surrogate must be followed by a `\u` low surrogate.
        if doc.get(j + 6) != Some(&b'\\') || doc.get(j + 7) != Some(&b'u') {
            return Err(ParseError::String);
        }
        let low = hex4(doc, j + 8).ok_or(ParseError::String)?;
        if !(0xDC00..0xE000).contains(&low) {
            return Err(ParseError::String);
        }
        return Ok(j + 12);
    }
    if (0xDC00..0xE000).contains(&cp) {
        // A low surrogate on its own.
        return Err(ParseError::String);
    }
    Ok(j + 6)
}

/// Four hex digits at `at`.
#[inline]
fn hex4(doc: &[u8], at: usize) -> Option<u32> {
    let digits = doc.get(at..at + 4)?;
    let mut v = 0u32;
    for &d in digits {
        v = v * 16 + (d as char).to_digit(16)?;
    }
    Some(v)
}

/// The first `"`, `\` or control byte at or after `i`, and whether any byte above 0x7F was
/// seen on the way (possibly a little past it: the caller then validates the exact range).
#[inline(always)]
fn find_special(doc: &[u8], i: usize) -> (Option<usize>, bool) {
    #[cfg(all(target_arch = "x86_64", target_feature = "avx2"))]
    {
        // SAFETY: AVX2 is enabled at compile time; the function reads only inside `doc`.
        unsafe { find_special_avx2(doc, i) }
    }
    #[cfg(all(target_arch = "x86_64", not(target_feature = "avx2")))]
    {
        // SAFETY: SSE2 is part of the x86_64 baseline; the function reads only inside `doc`.
        unsafe { find_special_sse2(doc, i) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        find_special_scalar(doc, i)
    }
}

#[inline]
fn find_special_scalar(doc: &[u8], i: usize) -> (Option<usize>, bool) {
    let mut high = false;
    for (k, &b) in doc.get(i..).unwrap_or_default().iter().enumerate() {
        if b == b'"' || b == b'\\' || b < 0x20 {
            return (Some(i + k), high);
        }
        high |= b >= 0x80;
    }
    (None, high)
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(dead_code)]
unsafe fn find_special_sse2(doc: &[u8], mut i: usize) -> (Option<usize>, bool) {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    let mut high = 0u32;
    // SAFETY (whole block): every load reads 16 bytes inside `doc` (at `i` with
    // `i + 16 <= doc.len()`, or the last 16); the intrinsics are SSE2, always present on
    // x86_64.
    unsafe {
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        let control = _mm_set1_epi8(0x1F);
        while i + 16 <= doc.len() {
            let v = _mm_loadu_si128(doc.as_ptr().add(i) as *const __m128i);
            let hits = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                // v <= 0x1F (unsigned): min(v, 0x1F) == v.
                _mm_cmpeq_epi8(_mm_min_epu8(v, control), v),
            );
            high |= _mm_movemask_epi8(v) as u32;
            let mask = _mm_movemask_epi8(hits) as u32;
            if mask != 0 {
                return (Some(i + mask.trailing_zeros() as usize), high != 0);
            }
            i += 16;
        }
        // The tail: the last 16 bytes of `doc` (overlapping what was scanned), with the bytes
        // before `i` shifted out, instead of a byte loop.
        if i < doc.len() && doc.len() >= 16 {
            let last = doc.len() - 16;
            let skip = i - last;
            let v = _mm_loadu_si128(doc.as_ptr().add(last) as *const __m128i);
            let hits = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                _mm_cmpeq_epi8(_mm_min_epu8(v, control), v),
            );
            high |= (_mm_movemask_epi8(v) as u32) >> skip;
            let mask = (_mm_movemask_epi8(hits) as u32) >> skip;
            if mask != 0 {
                return (Some(i + mask.trailing_zeros() as usize), high != 0);
            }
            return (None, high != 0);
        }
    }
    let (at, h) = find_special_scalar(doc, i);
    (at, h || high != 0)
}

#[cfg(all(target_arch = "x86_64", target_feature = "avx2"))]
#[inline(always)]
unsafe fn find_special_avx2(doc: &[u8], mut i: usize) -> (Option<usize>, bool) {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_min_epu8, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8,
    };
    let mut high = 0u32;
    // SAFETY (whole block): every load reads 32 bytes inside `doc` (at `i` with
    // `i + 32 <= doc.len()`, or the last 32); AVX2 is enabled at compile time.
    unsafe {
        let quote = _mm256_set1_epi8(b'"' as i8);
        let backslash = _mm256_set1_epi8(b'\\' as i8);
        let control = _mm256_set1_epi8(0x1F);
        while i + 32 <= doc.len() {
            let v = _mm256_loadu_si256(doc.as_ptr().add(i) as *const __m256i);
            let hits = _mm256_or_si256(
                _mm256_or_si256(_mm256_cmpeq_epi8(v, quote), _mm256_cmpeq_epi8(v, backslash)),
                _mm256_cmpeq_epi8(_mm256_min_epu8(v, control), v),
            );
            high |= _mm256_movemask_epi8(v) as u32;
            let mask = _mm256_movemask_epi8(hits) as u32;
            if mask != 0 {
                return (Some(i + mask.trailing_zeros() as usize), high != 0);
            }
            i += 32;
        }
        // The tail: the last 32 bytes of `doc` (overlapping what was scanned), with the bytes
        // before `i` shifted out, instead of narrower loops.
        if i < doc.len() && doc.len() >= 32 {
            let last = doc.len() - 32;
            let skip = i - last;
            let v = _mm256_loadu_si256(doc.as_ptr().add(last) as *const __m256i);
            let hits = _mm256_or_si256(
                _mm256_or_si256(_mm256_cmpeq_epi8(v, quote), _mm256_cmpeq_epi8(v, backslash)),
                _mm256_cmpeq_epi8(_mm256_min_epu8(v, control), v),
            );
            high |= (_mm256_movemask_epi8(v) as u32) >> skip;
            let mask = (_mm256_movemask_epi8(hits) as u32) >> skip;
            if mask != 0 {
                return (Some(i + mask.trailing_zeros() as usize), high != 0);
            }
            return (None, high != 0);
        }
        let (at, h) = find_special_sse2(doc, i);
        (at, h || high != 0)
    }
}

/// Whether JSONB's `%.15g` prints this decimal token digit for digit: no exponent, at most
/// 15 significant digits, no trailing zero after the point, not below 1e-4.
/// The parser applies it to the parts it has found ([`decimal_prints_unchanged`]); the
/// whole-token form is the rule the tests state.
#[cfg(test)]
pub(crate) fn f64_token_prints_unchanged(tok: &[u8]) -> bool {
    let t = tok.strip_prefix(b"-").unwrap_or(tok);
    let Some(dot) = memchr(b'.', t) else {
        return false;
    };
    let (int, frac) = (&t[..dot], &t[dot + 1..]);
    if !int.iter().all(u8::is_ascii_digit) || !frac.iter().all(u8::is_ascii_digit) {
        return false;
    }
    decimal_prints_unchanged(int, frac)
}

/// [`f64_token_prints_unchanged`] for a token without exponent split at its point: `int` and
/// `frac` are its digits before and after it.
#[inline]
fn decimal_prints_unchanged(int: &[u8], frac: &[u8]) -> bool {
    if frac.is_empty() || frac.last() == Some(&b'0') {
        return false;
    }
    let significant = if int == b"0" {
        let lead = frac.iter().take_while(|d| **d == b'0').count();
        if lead >= 4 {
            return false;
        }
        frac.len() - lead
    } else {
        int.len() + frac.len()
    };
    significant <= 15
}

/// Appends the unescaped content of a string token (quotes included in `tok`) to `out`.
/// The token was validated by the parser.
pub(crate) fn unescape_into(tok: &[u8], out: &mut Vec<u8>) {
    let body = &tok[1..tok.len().saturating_sub(1).max(1)];
    let mut i = 0;
    while i < body.len() {
        let Some(p) = memchr(b'\\', &body[i..]) else {
            out.extend_from_slice(&body[i..]);
            return;
        };
        out.extend_from_slice(&body[i..i + p]);
        let (bytes, len, next) = decode_escape(body, i + p);
        out.extend_from_slice(&bytes[..len]);
        i = next;
    }
}

/// Decodes the escape at the backslash `i` of a validated string body: the UTF-8 bytes it
/// stands for, how many, and the index after it (a surrogate pair is one escape).
pub(crate) fn decode_escape(body: &[u8], i: usize) -> ([u8; 4], usize, usize) {
    let mut out = [0u8; 4];
    let simple = match body.get(i + 1).copied().unwrap_or(b'\\') {
        b'"' => Some(b'"'),
        b'\\' => Some(b'\\'),
        b'/' => Some(b'/'),
        b'b' => Some(0x08),
        b'f' => Some(0x0C),
        b'n' => Some(b'\n'),
        b'r' => Some(b'\r'),
        b't' => Some(b'\t'),
        _ => None,
    };
    if let Some(ch) = simple {
        out[0] = ch;
        return (out, 1, i + 2);
    }
    let mut cp = hex4(body, i + 2).unwrap_or(0xFFFD);
    let mut next = i + 6;
    if (0xD800..0xDC00).contains(&cp)
        && let Some(low) = hex4(body, next + 2)
    {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF);
        next += 6;
    }
    let ch = char::from_u32(cp).unwrap_or('\u{FFFD}');
    let len = ch.encode_utf8(&mut out).len();
    (out, len, next.min(body.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Vec<Node>, ParseError> {
        let mut t = JsonTape::default();
        t.parse(s.as_bytes()).map(|()| t.nodes().to_vec())
    }

    #[test]
    fn layout_matches_the_document() {
        let doc = r#"{"a":[1,2.5,{"b":null}],"c":"x\ty","d":true}"#;
        let nodes = parse(doc).unwrap();
        let kinds: Vec<Kind> = nodes.iter().map(|n| n.kind).collect();
        use Kind::*;
        assert_eq!(
            kinds,
            vec![
                Object, String, Array, Number, Number, Object, String, Null, String, String,
                String, True
            ]
        );
        assert_eq!((nodes[0].len, nodes[0].count), (3, 11));
        assert_eq!((nodes[2].len, nodes[2].count), (3, 5));
        assert_eq!((nodes[5].len, nodes[5].count), (1, 2));
        let text = |n: &Node| &doc[n.start as usize..n.end as usize];
        assert_eq!(text(&nodes[2]), r#"[1,2.5,{"b":null}]"#);
        assert_eq!(text(&nodes[9]), r#""x\ty""#);
        assert_eq!(nodes[9].flags, ESCAPED | NONCANONICAL);
        assert_eq!(nodes[0].flags, NONCANONICAL);
        assert!(nodes[2].prints_unchanged());
        assert_eq!(nodes[0].end as usize, doc.len());
    }

    #[test]
    fn whitespace_and_canonical_flags() {
        let nodes = parse(r#" { "a" : [1, 2], "b":[3,4.50] } "#).unwrap();
        assert_eq!(nodes[0].flags & SPACED, SPACED);
        assert_eq!(nodes[2].flags, SPACED);
        assert_eq!(nodes[6].flags, NONCANONICAL);
        let nodes = parse(r#"[-0,1000000000000000000,1.5]"#).unwrap();
        assert_eq!(nodes[1].flags, NONCANONICAL);
        assert_eq!(nodes[2].flags, NONCANONICAL);
        assert_eq!(nodes[3].flags, 0);
    }

    #[test]
    fn grammar() {
        for ok in [
            "0",
            "-0.0e+1",
            "1e400",
            "123456789012345678901234567890",
            r#""\u00e9\ud83d\ude00\/""#,
            "[]",
            "{}",
            " [ true , false , null ] ",
            r#"{"":{"":[]}}"#,
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
        for (bad, err) in [
            ("", ParseError::Empty),
            ("  ", ParseError::Empty),
            ("[1,]", ParseError::Syntax),
            ("[01]", ParseError::Syntax),
            ("[1.]", ParseError::Syntax),
            ("[.5]", ParseError::Syntax),
            ("[1e]", ParseError::Syntax),
            ("[+1]", ParseError::Syntax),
            ("[1x]", ParseError::Syntax),
            ("[tru]", ParseError::Syntax),
            ("[truex]", ParseError::Syntax),
            ("{\"a\" 1}", ParseError::Syntax),
            ("{1:2}", ParseError::Syntax),
            ("{\"a\":1,}", ParseError::Syntax),
            ("[1] x", ParseError::Syntax),
            ("[1", ParseError::Eof),
            ("{\"a\":", ParseError::Eof),
            ("[tr", ParseError::Eof),
            (r#"["\x"]"#, ParseError::String),
            (r#"["\u12g4"]"#, ParseError::String),
            (r#"["\ud800"]"#, ParseError::String),
            (r#"["\ud800\u0041"]"#, ParseError::String),
            (r#"["\udc00"]"#, ParseError::String),
        ] {
            assert_eq!(parse(bad), Err(err), "{bad:?}");
        }
        assert_eq!(
            JsonTape::default().parse(b"[\"\xff\"]"),
            Err(ParseError::Utf8)
        );
        let deep_ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&deep_ok).is_ok());
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(&deep), Err(ParseError::Depth));
    }

    #[test]
    fn strings_of_every_length_find_their_end() {
        for len in 0..70 {
            let body = "a".repeat(len);
            let doc = format!(r#"["{body}",1]"#);
            let nodes = parse(&doc).unwrap();
            assert_eq!(nodes[1].end as usize, len + 3, "{len}");
            let doc = format!("[\"{body}\u{1}\"]");
            assert_eq!(parse(&doc), Err(ParseError::Syntax), "{len}");
            // Non-ASCII text is validated wherever it falls in the SIMD blocks.
            let doc = format!(r#"["{body}é😀",{len}]"#);
            assert!(parse(&doc).is_ok(), "{len}");
            let mut bad = format!(r#"["{body}é",1]"#).into_bytes();
            bad[len + 3] = 0xFF;
            assert_eq!(
                JsonTape::default().parse(&bad),
                Err(ParseError::Utf8),
                "{len}"
            );
        }
    }

    #[test]
    fn special_bytes_are_found_where_the_scalar_scan_finds_them() {
        // Every length, every placement of a special byte (or none), every start: the SIMD
        // scan (whole blocks, the overlapping tail) agrees with the byte loop, and reports
        // every byte above 0x7F before the hit.
        for len in 0..100 {
            for special in [None, Some(b'"'), Some(b'\\'), Some(0x01), Some(0x1F)] {
                for at in 0..len.max(1) {
                    let mut doc = vec![b'a'; len];
                    if len > 0 {
                        doc[len / 3] = 0xC3;
                        if let Some(b) = special {
                            doc[at] = b;
                        }
                    }
                    for i in 0..=len {
                        let (want, want_high) = find_special_scalar(&doc, i);
                        let (got, got_high) = find_special(&doc, i);
                        assert_eq!(got, want, "{doc:?} from {i}");
                        assert!(got_high || !want_high, "{doc:?} from {i}");
                    }
                    if special.is_none() {
                        break;
                    }
                }
            }
        }
    }

    #[test]
    fn digit_runs_end_where_the_scalar_loop_ends() {
        let scalar = |doc: &[u8], mut j: usize| {
            while j < doc.len() && doc[j].is_ascii_digit() {
                j += 1;
            }
            j
        };
        // Runs of every length, at every distance from the end, followed by every kind of
        // byte (including ones whose low bits look like digits).
        for len in 0..40 {
            for tail in 0..12 {
                for stop in [
                    b'x',
                    b'/',
                    b':',
                    b'.',
                    b'e',
                    0x00,
                    0x80,
                    0xB5,
                    0xF9,
                    b'0' + 0x80,
                ] {
                    let mut doc = b"[".to_vec();
                    doc.extend(std::iter::repeat_n(b'7', len));
                    doc.push(stop);
                    doc.extend(std::iter::repeat_n(b'1', tail));
                    for j in 0..doc.len() {
                        assert_eq!(digits_end(&doc, j), scalar(&doc, j), "{doc:?} at {j}");
                    }
                }
            }
        }
        let nodes = parse("[12345678901234567890123,1.2345678901234567e-123456789]").unwrap();
        assert_eq!(nodes[1].end, 24);
        assert_eq!(nodes[2].end as usize, 54);
    }

    /// The full tape cut to `depth`: what [`JsonTape::with_depth`] should record.
    fn cut(nodes: &[Node], depth: usize) -> Vec<Node> {
        fn go(nodes: &[Node], i: usize, d: usize, depth: usize, out: &mut Vec<Node>) -> usize {
            let node = nodes[i];
            let at = out.len();
            out.push(node);
            if !node.is_container() {
                return i + 1;
            }
            let end = i + node.span();
            if d >= depth {
                out[at].count = 0;
                return end;
            }
            let mut k = i + 1;
            while k < end {
                k = go(nodes, k, d + 1, depth, out);
            }
            out[at].count = (out.len() - at - 1) as u32;
            end
        }
        let mut out = Vec::new();
        if !nodes.is_empty() {
            go(nodes, 0, 0, depth, &mut out);
        }
        out
    }

    #[test]
    fn a_shallow_tape_is_the_full_tape_cut() {
        // Documents of every shape (and broken ones: the same error must come back), plus
        // deterministic random byte soups over JSON's alphabet.
        let mut docs: Vec<Vec<u8>> = [
            r#"{"a":{"b":[1,{"c":"x\ty"}],"d":2.50},"e":[[],{}],"f":"g"}"#,
            r#"[{"a":1},{"b":{"c":[1,2,{"d":null}]}},3]"#,
            r#" { "a" : { "b" : [ 1 , 2 ] } , "c":{"d":-0} } "#,
            r#"{"a":{"b":[1,2}}"#,
            r#"{"a":{"b":"\x"}}"#,
            r#"{"a":{"b":[1,]}}"#,
            r#"{"a":{"b":[1"#,
            r#"{"a":{"b":1 "c":2}}"#,
            r#"{"a":{"b":tru}}"#,
            r#"{"a":{"b":01}}"#,
            "{\"a\":{\"b\":\"\u{1}\"}}",
            r#"{"a":{1:2}}"#,
            r#"{"a":[{"b":{}},[[[]]]],"z":{"y":{"x":{"w":"v"}}}}"#,
        ]
        .iter()
        .map(|d| d.as_bytes().to_vec())
        .collect();
        docs.push(b"{\"a\":{\"b\":\"\xff\"}}".to_vec());
        docs.push(
            format!(
                "{{\"a\":{}{}}}",
                "[".repeat(MAX_DEPTH),
                "]".repeat(MAX_DEPTH)
            )
            .into_bytes(),
        );
        docs.push(
            format!(
                "[{}{}]",
                "[".repeat(MAX_DEPTH - 1),
                "]".repeat(MAX_DEPTH - 1)
            )
            .into_bytes(),
        );
        let alphabet = b"{}[]\":,  1-.e0\"\"ab\\ntfu";
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            let mut doc = b"{\"k\":".to_vec();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 24) as usize;
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                doc.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            docs.push(doc);
        }
        // Valid documents of random shape, whitespace, escapes and numbers.
        fn next(seed: &mut u64) -> u64 {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            *seed
        }
        fn value(seed: &mut u64, d: usize, out: &mut Vec<u8>) {
            const SCALARS: [&str; 10] = [
                "1",
                "-0",
                "2.50",
                "1e3",
                "\"x\"",
                "\"a\\nb\"",
                "\"é\"",
                "true",
                "null",
                "12.25",
            ];
            let ws = |seed: &mut u64, out: &mut Vec<u8>| {
                if next(seed).is_multiple_of(8) {
                    out.push(b' ');
                }
            };
            let pick = next(seed) % 10;
            if d > 4 || pick < 5 {
                out.extend_from_slice(SCALARS[(next(seed) % 10) as usize].as_bytes());
                return;
            }
            let object = pick < 8;
            out.push(if object { b'{' } else { b'[' });
            let n = next(seed) % 4;
            for k in 0..n {
                if k > 0 {
                    out.push(b',');
                }
                ws(seed, out);
                if object {
                    out.extend_from_slice(format!("\"k{}\"", next(seed) % 3).as_bytes());
                    ws(seed, out);
                    out.push(b':');
                    ws(seed, out);
                }
                value(seed, d + 1, out);
                ws(seed, out);
            }
            out.push(if object { b'}' } else { b']' });
        }
        for _ in 0..5_000 {
            let mut doc = Vec::new();
            value(&mut seed, 0, &mut doc);
            docs.push(doc);
        }
        let mut checked = 0;
        for doc in &docs {
            let mut full = JsonTape::default();
            let want = full.parse(doc);
            for depth in 1..4 {
                let mut shallow = JsonTape::with_depth(depth);
                let got = shallow.parse(doc);
                assert_eq!(
                    got,
                    want,
                    "{:?} at depth {depth}",
                    String::from_utf8_lossy(doc)
                );
                if want.is_ok() {
                    checked += 1;
                    assert_eq!(
                        shallow.nodes(),
                        cut(full.nodes(), depth).as_slice(),
                        "{:?} at depth {depth}",
                        String::from_utf8_lossy(doc)
                    );
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }

    #[test]
    fn number_flags_follow_the_token_rule() {
        for tok in [
            "6.18",
            "-123.45",
            "0.001",
            "0.0001",
            "0.00012",
            "1.0",
            "1.50",
            "1e3",
            "1.5e3",
            "-0.5",
            "0.5E-2",
            "123456789012345.1",
            "12345678901234.5",
            "0.123456789012345",
            "0.1234567890123456",
            "10.01",
            "-0.0",
        ] {
            let nodes = parse(&format!("[{tok}]")).unwrap();
            let canonical = nodes[1].flags & NONCANONICAL == 0;
            assert_eq!(
                canonical,
                f64_token_prints_unchanged(tok.as_bytes()),
                "{tok}"
            );
        }
    }

    #[test]
    fn unescapes() {
        let mut out = Vec::new();
        unescape_into(br#""a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00""#, &mut out);
        assert_eq!(out, "a\"b\\c/d\u{8}\u{c}\n\r\té😀".as_bytes());
    }
}
