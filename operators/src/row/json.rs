//! The JSON reader: one Kafka message is one JSON document (Doris never reads routine-load
//! JSON by line), parsed with simd-json, and turned into rows of source slots the way Doris's
//! `NewJsonReader` does it.
//!
//! - Empty messages never reach the reader (Doris's consumer drops them); a UTF-8 BOM is
//!   dropped; a document that does not parse is one filtered row.
//! - Several documents in one message: the first is loaded and the rest ignored, as Doris's
//!   simdjson reader does (4.x refuses the message when its last byte does not close the first
//!   document).
//! - A top-level object is one row; a top-level array needs `strip_outer_array` and gives one
//!   row per element; an element that is not an object discards every row of the message and
//!   counts one filtered row.
//! - Without jsonpaths, keys match slot names exactly; the first of duplicate keys wins.
//!   With jsonpaths, path *i* fills slot *i*. A slot with no value takes its column's DEFAULT
//!   or NULL; a row where nothing matched is filtered.
//! - Values reach the cast as text: strings unescaped, numbers as written, `true` / `false`
//!   as `1` / `0`, objects and arrays as compact JSON text, `null` as NULL.
//!
//! Doris's simdjson reader only validates what it walks, so it loads some malformed documents
//! (a bad value under an unused key). routinely validates every message completely: such a
//! message is one filtered row here.

use memchr::memchr;
use simd_json::{Buffers, Node, StaticNode, Tape};

use routinely_schemas::version::SimdjsonRelease;

use super::columns::{Buf, Bufs, Slot, Span};
use super::jsonpath::{self, Found, JsonPath};
use super::plan::{LoadPlan, SlotDefault};

/// Receives what the reader makes of a message.
pub(crate) trait RowSink {
    /// One row of source slots.
    fn row(&mut self, plan: &LoadPlan, slots: &[Slot], bufs: &Bufs<'_>);
    /// One filtered row with Doris's reason and source line.
    fn reject(&mut self, reason: &str, src: &[u8]);
    /// The text a missing slot defaults to (DEFAULT CURRENT_TIMESTAMP is the batch's time).
    fn default_text(&self, default: &SlotDefault, out: &mut Vec<u8>) -> bool;
}

/// Padding simd-json needs after the document.
const PAD: usize = simd_json::INPUT_PADDING;

/// Byte offsets of tape nodes, computed from simd-json's structural indexes when a value's
/// original text is needed (numbers that are not plain integers, objects, arrays).
#[derive(Default)]
struct Positions {
    /// Start byte of each node.
    start: Vec<u32>,
    /// End byte (exclusive) of each node.
    end: Vec<u32>,
    /// Structural index of each node's first byte.
    first_structural: Vec<u32>,
    /// Structural index of each container's closing bracket (scalars: their own index).
    last_structural: Vec<u32>,
    /// `gaps[k]`: whitespace gaps before structural k, counted from the start.
    gaps: Vec<u32>,
    stack: Vec<u32>,
    valid: bool,
}

/// The JSON reader's reusable state.
pub(crate) struct JsonReader {
    buffers: Buffers,
    tape: Tape<'static>,
    scratch: Vec<u8>,
    state: WalkState,
}

/// Buffers a message's walk reuses.
struct WalkState {
    arena: Vec<u8>,
    slots: Vec<Slot>,
    seen: Vec<bool>,
    positions: Positions,
    /// Slot names as bytes, for key matching.
    names: Vec<Vec<u8>>,
    json: routinely_schemas::convert::json::JsonScratch,
}

impl JsonReader {
    pub fn new(plan: &LoadPlan) -> JsonReader {
        JsonReader {
            buffers: Buffers::with_max_depth(4096, simd_json::DEFAULT_MAX_DEPTH),
            tape: Tape::null(),
            scratch: Vec::new(),
            state: WalkState {
                arena: Vec::new(),
                slots: Vec::with_capacity(plan.slots.len()),
                seen: vec![false; plan.slots.len()],
                positions: Positions::default(),
                names: plan
                    .slots
                    .iter()
                    .map(|s| s.name.as_bytes().to_vec())
                    .collect(),
                json: Default::default(),
            },
        }
    }

    /// Reads one non-empty message.
    pub fn read(&mut self, plan: &LoadPlan, value: &[u8], sink: &mut impl RowSink) {
        let msg = value.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(value);
        // `Tape(Vec::new())` does not allocate (`Tape::null()` would).
        let tape = std::mem::replace(&mut self.tape, Tape(Vec::new()));
        let (tape, parsed) = parse(&mut self.scratch, msg, &mut self.buffers, tape);
        let err = match parsed {
            Ok(()) => {
                let st = self.buffers.structural_indexes();
                self.state.walk(plan, msg, msg.len(), &tape.0, st, sink);
                self.tape = tape.reset();
                return;
            }
            Err(e) => e,
        };
        let tape = tape.reset();
        // Doris loads the first of several documents, unless stage 1 fails anywhere in the
        // message.
        if let Some(reason) = stage1_error(msg, plan.rules.simdjson) {
            self.tape = tape;
            sink.reject(&reason, msg);
            return;
        }
        // A number beyond f64's range is valid JSON that simd-json refuses, while Doris's
        // reader hands its text over as written. Parse a copy in which such numbers are
        // finite tokens of the same length: positions stay the same, and number slots take
        // their text from `msg`.
        let patched = finite_numbers(msg);
        let src = patched.as_deref().unwrap_or(msg);
        let mut tape = tape;
        if patched.is_some() {
            let (t, parsed) = parse(&mut self.scratch, src, &mut self.buffers, tape);
            if parsed.is_ok() {
                let st = self.buffers.structural_indexes();
                self.state.walk(plan, msg, msg.len(), &t.0, st, sink);
                self.tape = t.reset();
                return;
            }
            tape = t.reset();
        }
        if let Some(end) = first_document(src, plan.rules.simdjson) {
            let (tape, parsed) = parse(&mut self.scratch, &src[..end], &mut self.buffers, tape);
            if parsed.is_ok() {
                let st = self.buffers.structural_indexes();
                self.state.walk(plan, msg, end, &tape.0, st, sink);
                self.tape = tape.reset();
                return;
            }
            self.tape = tape.reset();
        } else {
            self.tape = tape;
        }
        sink.reject(&parse_error(msg, err.error(), plan.rules.simdjson), msg);
    }
}

/// A copy of `msg` in which every number token outside strings whose value overflows f64
/// (`1e400`, `-2e+999`) is replaced by a finite decimal token of the same length
/// (`1.000`), or `None` when there is none. Only called for messages that failed to parse.
fn finite_numbers(msg: &[u8]) -> Option<Vec<u8>> {
    let mut out: Option<Vec<u8>> = None;
    let mut in_str = false;
    let mut esc = false;
    let mut i = 0;
    while i < msg.len() {
        let b = msg[i];
        if in_str {
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_str = true;
            i += 1;
            continue;
        }
        if b == b'-' || b.is_ascii_digit() {
            let start = i;
            while i < msg.len() && matches!(msg[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
            {
                i += 1;
            }
            let tok = &msg[start..i];
            let sign = usize::from(tok[0] == b'-');
            let overflows = std::str::from_utf8(tok)
                .ok()
                .and_then(|t| t.parse::<f64>().ok())
                .is_some_and(f64::is_infinite);
            if overflows && tok.len() >= sign + 3 {
                let buf = out.get_or_insert_with(|| msg.to_vec());
                buf[start + sign] = b'1';
                buf[start + sign + 1] = b'.';
                buf[start + sign + 2..i].fill(b'0');
            }
            continue;
        }
        i += 1;
    }
    out
}

impl WalkState {
    fn walk(
        &mut self,
        plan: &LoadPlan,
        msg: &[u8],
        doc_len: usize,
        tape: &[Node<'_>],
        structurals: &[u32],
        sink: &mut impl RowSink,
    ) {
        self.arena.clear();
        self.positions.valid = false;
        let mut walk = Walk {
            plan,
            msg,
            doc: &msg[..doc_len],
            tape,
            structurals,
            arena: &mut self.arena,
            slots: &mut self.slots,
            seen: &mut self.seen,
            positions: &mut self.positions,
            names: &self.names,
            json: &mut self.json,
        };
        walk.document(sink);
    }
}

/// Copies `doc` into the padded scratch buffer and parses it onto `tape`.
fn parse<'s>(
    scratch: &'s mut Vec<u8>,
    doc: &[u8],
    buffers: &mut Buffers,
    tape: Tape<'static>,
) -> (Tape<'s>, simd_json::Result<()>) {
    scratch.clear();
    scratch.extend_from_slice(doc);
    scratch.resize(doc.len() + PAD, 0);
    let mut tape = tape.reset();
    let result = simd_json::fill_tape_padded(scratch, doc.len(), buffers, &mut tape);
    (tape, result)
}

/// Everything one message's walk borrows.
struct Walk<'a, 't> {
    plan: &'a LoadPlan,
    msg: &'a [u8],
    doc: &'a [u8],
    tape: &'a [Node<'t>],
    structurals: &'a [u32],
    arena: &'a mut Vec<u8>,
    slots: &'a mut Vec<Slot>,
    seen: &'a mut Vec<bool>,
    positions: &'a mut Positions,
    names: &'a [Vec<u8>],
    json: &'a mut routinely_schemas::convert::json::JsonScratch,
}

const ARRAY_OBJECT: &str = "JSON data is array-object, `strip_outer_array` must be TRUE.";
const NOT_ARRAY_OBJECT: &str =
    "JSON data is not an array-object, `strip_outer_array` must be FALSE.";
const NOT_OBJECT_OR_ARRAY: &str = "Not an json object or json array";
const NOT_OBJECT_ITEM: &str = "Not object item";
const EMPTY_LINE: &str = "Empty json line";

fn incorrect_type(simdjson: SimdjsonRelease) -> &'static str {
    match simdjson {
        SimdjsonRelease::V3_11 => {
            "Parse json data failed. code: 17, error info: INCORRECT_TYPE: The JSON element does not have the requested type."
        }
        _ => {
            "Parse json data failed. code: 16, error info: The JSON element does not have the requested type."
        }
    }
}

fn root_not_found(key: &str, simdjson: SimdjsonRelease) -> String {
    let err = match simdjson {
        SimdjsonRelease::V3_11 => {
            "NO_SUCH_FIELD: The JSON field referenced does not exist in this object."
        }
        _ => "The JSON field referenced does not exist in this object.",
    };
    format!("[NOT_FOUND]Not found target filed, err: {err}, msg: unable to find field: {key}")
}

impl<'a, 't> Walk<'a, 't> {
    fn bufs(&self) -> Bufs<'_> {
        Bufs {
            message: self.doc,
            tape: self.tape,
            reader: self.arena,
            row: &[],
            // simd-json validated the whole message as UTF-8.
            message_is_utf8: true,
        }
    }

    fn document(&mut self, sink: &mut impl RowSink) {
        let plan = self.plan;
        let version = plan.rules.simdjson;
        let strip = plan.json.strip_outer_array;
        let mut root = 0usize;
        match self.tape[0] {
            Node::Object { .. } => {
                if let Some(path) = &plan.json.root {
                    match self.apply_root(0, path) {
                        Ok(n) => root = n,
                        Err(reason) => {
                            sink.reject(&reason, self.msg);
                            return;
                        }
                    }
                }
            }
            Node::Array { .. } => {}
            _ => {
                sink.reject(NOT_OBJECT_OR_ARRAY, self.msg);
                return;
            }
        }
        match self.tape[root] {
            Node::Object { .. } => {
                if strip {
                    sink.reject(NOT_ARRAY_OBJECT, self.msg);
                    return;
                }
                self.object_row(root, None, true, sink);
            }
            Node::Array { len, .. } => {
                if !strip {
                    sink.reject(ARRAY_OBJECT, self.msg);
                    return;
                }
                if len == 0 {
                    if plan.json.paths.is_none() {
                        sink.reject(EMPTY_LINE, b"");
                    }
                    return;
                }
                // An element that is not an object discards the whole message.
                let mut bad = None;
                let mut i = root + 1;
                let mut elements = 0;
                for k in 0..len {
                    if !matches!(self.tape[i], Node::Object { .. }) {
                        bad = Some(k);
                        break;
                    }
                    i += jsonpath::node_span(self.tape, i);
                    elements += 1;
                }
                // Per-element json_root applies with jsonpaths only (simple mode ignores it
                // for a top-level array).
                let element_root = if root == 0 && plan.json.paths.is_some() {
                    plan.json.root.as_ref()
                } else {
                    None
                };
                let mut i = root + 1;
                for _ in 0..elements {
                    self.object_row(i, element_root, bad.is_none(), sink);
                    i += jsonpath::node_span(self.tape, i);
                }
                if bad.is_some() {
                    sink.reject(incorrect_type(version), self.msg);
                }
            }
            _ => {
                // json_root selected a scalar.
                let reason = if plan.json.paths.is_some() {
                    NOT_OBJECT_ITEM
                } else {
                    incorrect_type(version)
                };
                sink.reject(reason, self.msg);
            }
        }
    }

    /// Applies json_root to the object at `node`.
    fn apply_root(&self, node: usize, path: &JsonPath) -> Result<usize, String> {
        let version = self.plan.rules.simdjson;
        match path {
            JsonPath::Empty => Err(jsonpath::PathError::Empty.reason().to_string()),
            // `$.` as a root is [$, ""]: Doris looks up the key "" and fails.
            JsonPath::Root => Err(root_not_found("", version)),
            JsonPath::Steps(_) => match jsonpath::evaluate(self.tape, node, path) {
                Ok(Found::Node(n)) => Ok(n),
                Ok(_) => Err(root_not_found(&jsonpath::last_key(path), version)),
                Err(e) => Err(e.reason().to_string()),
            },
        }
    }

    /// One row from the object at `obj`. `emit` is false while walking elements of a message
    /// that will be discarded (their reader-level errors still count, as in Doris).
    fn object_row(
        &mut self,
        obj: usize,
        element_root: Option<&JsonPath>,
        emit: bool,
        sink: &mut impl RowSink,
    ) {
        let plan = self.plan;
        let mut obj = obj;
        if let Some(path) = element_root {
            match self.apply_root(obj, path) {
                Ok(n) if matches!(self.tape[n], Node::Object { .. }) => obj = n,
                Ok(_) => {
                    sink.reject(NOT_OBJECT_ITEM, b"");
                    return;
                }
                Err(reason) => {
                    sink.reject(&reason, b"");
                    return;
                }
            }
        }
        let n = plan.slots.len();
        self.slots.clear();
        self.slots.resize(n, Slot::Null);
        self.seen.clear();
        self.seen.resize(n, false);
        let mut matched = false;
        match &plan.json.paths {
            None => {
                let Node::Object { len, .. } = self.tape[obj] else {
                    return;
                };
                let mut i = obj + 1;
                for _ in 0..len {
                    let value = i + 1;
                    if let Node::String(key) = self.tape[i] {
                        let key = key.as_bytes();
                        if let Some(s) = self.names.iter().position(|name| name.as_slice() == key)
                            && !self.seen[s]
                        {
                            self.seen[s] = true;
                            matched = true;
                            self.slots[s] = self.value_slot(value);
                        }
                    }
                    i = value + jsonpath::node_span(self.tape, value);
                }
            }
            Some(paths) => {
                for (s, path) in paths.iter().enumerate().take(n) {
                    match jsonpath::evaluate(self.tape, obj, path) {
                        Ok(Found::Node(v)) => {
                            self.seen[s] = true;
                            matched = true;
                            self.slots[s] = self.value_slot(v);
                        }
                        Ok(Found::Root) => {
                            self.seen[s] = true;
                            matched = true;
                            self.slots[s] = self.root_slot();
                        }
                        Ok(Found::Missing) => {}
                        Err(e) => {
                            sink.reject(e.reason(), b"");
                            return;
                        }
                    }
                }
            }
        }
        if !matched {
            let mut reason =
                String::from("There is no column matching jsonpaths in the json file, columns:[");
            for s in &plan.slots {
                reason.push_str(&s.name);
                reason.push_str(", ");
            }
            reason.push_str("], please check columns and jsonpaths:");
            reason.push_str(&plan.json.paths_text);
            let src = self.raw(obj).to_vec();
            sink.reject(&reason, &src);
            return;
        }
        for s in 0..n {
            if !self.seen[s] {
                let start = self.arena.len();
                self.slots[s] = if sink.default_text(&plan.slots[s].default, self.arena) {
                    Slot::Text(Span::new(Buf::Reader, start, self.arena.len() - start))
                } else {
                    Slot::Null
                };
            }
        }
        if emit {
            let bufs = self.bufs();
            sink.row(plan, self.slots, &bufs);
        }
    }

    /// The slot for the value at node `v`.
    fn value_slot(&mut self, v: usize) -> Slot {
        match self.tape[v] {
            Node::String(s) => Slot::Text(Span::new(Buf::Tape, v, s.len())),
            Node::Static(StaticNode::Null) => Slot::Null,
            Node::Static(StaticNode::Bool(b)) => Slot::Text(Span::new(Buf::Lit, b as usize, 1)),
            Node::Static(StaticNode::U64(u)) => {
                let start = self.arena.len();
                let mut buf = itoa::Buffer::new();
                self.arena.extend_from_slice(buf.format(u).as_bytes());
                Slot::Text(Span::new(Buf::Reader, start, self.arena.len() - start))
            }
            Node::Static(StaticNode::I64(i)) => {
                let start = self.arena.len();
                if i == 0 {
                    // Only "-0" parses to a signed zero.
                    self.arena.extend_from_slice(b"-0");
                } else {
                    let mut buf = itoa::Buffer::new();
                    self.arena.extend_from_slice(buf.format(i).as_bytes());
                }
                Slot::Text(Span::new(Buf::Reader, start, self.arena.len() - start))
            }
            Node::Static(StaticNode::F64(_)) => {
                self.ensure_positions();
                let p = &self.positions;
                let (s, e) = (p.start[v] as usize, p.end[v] as usize);
                Slot::Text(Span::new(Buf::Message, s, e - s))
            }
            Node::Object { .. } | Node::Array { .. } => self.container_slot(v),
        }
    }

    /// The slot for `$.`: the whole message.
    fn root_slot(&mut self) -> Slot {
        match self.tape[0] {
            Node::Object { .. } | Node::Array { .. } if self.doc.len() == self.msg.len() => {
                // Fast path: a message with no whitespace between tokens is its own compact
                // form; one structural pass also decides whether JSONB prints it unchanged.
                if let Some(canonical) =
                    compact_and_canonical(self.doc, self.structurals, self.tape)
                {
                    return Slot::Json {
                        span: Span::new(Buf::Message, 0, self.doc.len()),
                        canonical,
                    };
                }
                self.container_slot(0)
            }
            _ => Slot::Text(Span::new(Buf::Message, 0, self.doc.len())),
        }
    }

    /// An object or array: compact text, canonical when JSONB would print it unchanged.
    fn container_slot(&mut self, v: usize) -> Slot {
        self.ensure_positions();
        let p = &self.positions;
        let (s, e) = (p.start[v] as usize, p.end[v] as usize);
        let (fs, ls) = (
            p.first_structural[v] as usize,
            p.last_structural[v] as usize,
        );
        let compact = p.gaps[ls] == p.gaps[fs];
        if compact {
            let canonical = self.canonical(v, s, e);
            return Slot::Json {
                span: Span::new(Buf::Message, s, e - s),
                canonical,
            };
        }
        let start = self.arena.len();
        let raw = &self.doc[s..e];
        if !routinely_schemas::convert::json::write_json_with(
            raw,
            routinely_schemas::convert::json::JsonOutput::Compact,
            self.arena,
            self.json,
        ) {
            // simd-json validated the document; this cannot fail. Keep the raw text.
            self.arena.extend_from_slice(raw);
        }
        Slot::Json {
            span: Span::new(Buf::Reader, start, self.arena.len() - start),
            canonical: false,
        }
    }

    /// Whether the compact container at node `v` (bytes s..e) prints unchanged as JSONB:
    /// no escapes, integers other than `-0`, and decimals JSONB prints digit for digit.
    fn canonical(&self, v: usize, s: usize, e: usize) -> bool {
        if memchr(b'\\', &self.doc[s..e]).is_some() {
            return false;
        }
        let end = v + jsonpath::node_span(self.tape, v);
        for n in v..end {
            match self.tape[n] {
                Node::Static(StaticNode::I64(0)) => return false,
                Node::Static(StaticNode::F64(_)) => {
                    let p = &self.positions;
                    let tok = &self.doc[p.start[n] as usize..p.end[n] as usize];
                    if !f64_token_prints_unchanged(tok) {
                        return false;
                    }
                }
                _ => {}
            }
        }
        true
    }

    /// The original text of a node.
    fn raw(&mut self, v: usize) -> &[u8] {
        self.ensure_positions();
        let p = &self.positions;
        &self.doc[p.start[v] as usize..p.end[v] as usize]
    }

    /// Computes node positions by walking the structural indexes alongside the tape.
    fn ensure_positions(&mut self) {
        if self.positions.valid {
            return;
        }
        let p = &mut *self.positions;
        let nodes = self.tape.len();
        p.start.clear();
        p.start.resize(nodes, 0);
        p.end.clear();
        p.end.resize(nodes, 0);
        p.first_structural.clear();
        p.first_structural.resize(nodes, 0);
        p.last_structural.clear();
        p.last_structural.resize(nodes, 0);
        p.gaps.clear();
        p.stack.clear();
        let doc = self.doc;
        let st = self.structurals;
        let mut node = 0usize;
        let mut gaps = 0u32;
        // The previous scalar waiting for its end.
        let mut open_scalar: Option<usize> = None;
        for (k, &pos) in st.iter().enumerate() {
            let pos = pos as usize;
            if pos >= doc.len() {
                break;
            }
            if k > 0 && is_ws(doc[pos - 1]) {
                gaps += 1;
            }
            p.gaps.push(gaps);
            if let Some(sc) = open_scalar.take() {
                let mut end = pos;
                while end > p.start[sc] as usize && is_ws(doc[end - 1]) {
                    end -= 1;
                }
                p.end[sc] = end as u32;
            }
            match doc[pos] {
                b':' | b',' => {}
                b'}' | b']' => {
                    if let Some(open) = p.stack.pop() {
                        p.end[open as usize] = pos as u32 + 1;
                        p.last_structural[open as usize] = k as u32;
                    }
                }
                b'{' | b'[' => {
                    if node < nodes {
                        p.start[node] = pos as u32;
                        p.first_structural[node] = k as u32;
                        p.stack.push(node as u32);
                    }
                    node += 1;
                }
                _ => {
                    if node < nodes {
                        p.start[node] = pos as u32;
                        p.first_structural[node] = k as u32;
                        p.last_structural[node] = k as u32;
                        open_scalar = Some(node);
                    }
                    node += 1;
                }
            }
        }
        if let Some(sc) = open_scalar {
            let mut end = doc.len();
            while end > p.start[sc] as usize && is_ws(doc[end - 1]) {
                end -= 1;
            }
            p.end[sc] = end as u32;
        }
        // Strings end at their closing quote: the next structural minus whitespace, which the
        // loop above already handled as a scalar.
        p.valid = true;
    }
}

#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// 1 for JSON whitespace bytes.
static WS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b' ' as usize] = 1;
    t[b'\t' as usize] = 1;
    t[b'\n' as usize] = 1;
    t[b'\r' as usize] = 1;
    t
};

/// For a whole document: `None` when whitespace separates any two tokens (or surrounds the
/// document); otherwise whether JSONB prints it byte for byte (no escapes, integers other
/// than `-0` below 10^18, decimals [`f64_token_prints_unchanged`] accepts).
fn compact_and_canonical(doc: &[u8], structurals: &[u32], tape: &[Node<'_>]) -> Option<bool> {
    let (&first, &last) = (structurals.first()?, structurals.last()?);
    if first != 0 || last as usize + 1 != doc.len() {
        return None;
    }
    // Branch-free: any whitespace right before a structural means a gap between tokens.
    let mut ws = 0u8;
    for &pos in &structurals[1..] {
        ws |= WS[doc[pos as usize - 1] as usize];
    }
    if ws != 0 {
        return None;
    }
    if memchr(b'\\', doc).is_some() {
        return Some(false);
    }
    let mut has_f64 = false;
    for node in tape {
        match node {
            Node::Static(StaticNode::F64(_)) => has_f64 = true,
            Node::Static(StaticNode::I64(0)) => return Some(false),
            Node::Static(StaticNode::U64(u)) if *u >= 1_000_000_000_000_000_000 => {
                return Some(false);
            }
            _ => {}
        }
    }
    if !has_f64 {
        return Some(true);
    }
    for w in structurals.windows(2) {
        let (s, e) = (w[0] as usize, w[1] as usize);
        let c = doc[s];
        if (c == b'-' || c.is_ascii_digit()) && !number_prints_unchanged(&doc[s..e]) {
            return Some(false);
        }
    }
    Some(true)
}

/// Whether JSONB prints a number token unchanged.
#[inline]
fn number_prints_unchanged(tok: &[u8]) -> bool {
    let digits = tok.strip_prefix(b"-").unwrap_or(tok);
    if digits.iter().all(u8::is_ascii_digit) {
        return tok != b"-0" && digits.len() <= 18;
    }
    f64_token_prints_unchanged(tok)
}

/// Whether JSONB's `%.15g` prints this decimal token digit for digit: no exponent, at most
/// 15 significant digits, no trailing zero after the point, not below 1e-4.
fn f64_token_prints_unchanged(tok: &[u8]) -> bool {
    let t = tok.strip_prefix(b"-").unwrap_or(tok);
    let Some(dot) = memchr(b'.', t) else {
        return false;
    };
    let (int, frac) = (&t[..dot], &t[dot + 1..]);
    if frac.is_empty()
        || !int.iter().all(u8::is_ascii_digit)
        || !frac.iter().all(u8::is_ascii_digit)
        || frac.last() == Some(&b'0')
    {
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

/// Where the first complete object or array ends, when more follows it. 4.x (simdjson 3.11)
/// only accepts the message when its last non-space byte closes that first document.
fn first_document(msg: &[u8], simdjson: SimdjsonRelease) -> Option<usize> {
    let end = first_document_end(msg)?;
    if msg[end..].iter().all(|b| is_ws(*b)) {
        return None;
    }
    if simdjson == SimdjsonRelease::V3_11 {
        let last = msg.iter().rposition(|b| !is_ws(*b))?;
        if msg[last] != msg[end - 1] {
            return None;
        }
    }
    Some(end)
}

/// The end of the first object or array of `msg` (its brackets balanced, strings skipped),
/// or `None` when the message does not start with one or it never closes.
fn first_document_end(msg: &[u8]) -> Option<usize> {
    let start = msg.iter().position(|b| !is_ws(*b))?;
    if !matches!(msg[start], b'{' | b'[') {
        return None;
    }
    let mut first_close = None;
    walk_brackets(&msg[start..], |i, depth| {
        if depth == 0 {
            first_close = Some(start + i + 1);
            return false;
        }
        depth > 0
    });
    first_close
}

/// Walks the brackets of `msg` outside strings, calling `on_close(index, depth_after)` at
/// every closing bracket until it returns false. Returns the final depth.
fn walk_brackets(msg: &[u8], mut on_close: impl FnMut(usize, i64) -> bool) -> i64 {
    let mut depth = 0i64;
    let mut in_str = false;
    let mut esc = false;
    for (i, &b) in msg.iter().enumerate() {
        if in_str {
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if !on_close(i, depth) {
                    break;
                }
            }
            _ => {}
        }
    }
    depth
}

/// The errors simdjson's stage 1 finds anywhere in the message, whatever follows the first
/// document: nothing but whitespace, invalid UTF-8, a raw control character inside a string,
/// a string never closed (docs/doris/json-reader.md §2.2-§2.3).
fn stage1_error(msg: &[u8], simdjson: SimdjsonRelease) -> Option<String> {
    let v4 = simdjson == SimdjsonRelease::V3_11;
    let doc_failed = |code4: u32, code2: u32, name: &str, text: &str| {
        if v4 {
            format!("Parse json data for JsonDoc failed. code: {code4}, error info: {name}: {text}")
        } else {
            format!("Parse json data for JsonDoc failed. code: {code2}, error info: {text}")
        }
    };
    if msg.iter().all(|b| is_ws(*b)) {
        return Some(if v4 {
            "Parse json data for JsonDoc failed. code: 13, error info: EMPTY: no JSON found".into()
        } else {
            "Parse json data for JsonDoc failed. code: 12, error info: Empty: no JSON found".into()
        });
    }
    if std::str::from_utf8(msg).is_err() {
        return Some(doc_failed(
            11,
            10,
            "UTF8_ERROR",
            "The input is not valid UTF-8",
        ));
    }
    // Strings: unclosed, or holding raw control characters.
    let mut in_str = false;
    let mut esc = false;
    for &b in msg {
        if in_str {
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            } else if b < 0x20 {
                return Some(doc_failed(
                    14,
                    13,
                    "UNESCAPED_CHARS",
                    "Within strings, some characters must be escaped, we found unescaped characters",
                ));
            }
        } else if b == b'"' {
            in_str = true;
        }
    }
    in_str.then(|| {
        doc_failed(
            15,
            14,
            "UNCLOSED_STRING",
            "A string is opened, but never closed.",
        )
    })
}

/// Doris's reason for a message that does not parse.
fn parse_error(msg: &[u8], err: &simd_json::ErrorType, simdjson: SimdjsonRelease) -> String {
    use simd_json::ErrorType as E;
    let v4 = simdjson == SimdjsonRelease::V3_11;
    let doc_failed = |code4: u32, code2: u32, name: &str, text: &str| {
        if v4 {
            format!("Parse json data for JsonDoc failed. code: {code4}, error info: {name}: {text}")
        } else {
            format!("Parse json data for JsonDoc failed. code: {code2}, error info: {text}")
        }
    };
    let walk_failed = |code4: u32, code2: u32, name: &str, text: &str| {
        if v4 {
            format!("Parse json data failed. code: {code4}, error info: {name}: {text}")
        } else {
            format!("Parse json data failed. code: {code2}, error info: {text}")
        }
    };
    if let Some(reason) = stage1_error(msg, simdjson) {
        return reason;
    }
    if matches!(err, E::InvalidUtf8) {
        return doc_failed(11, 10, "UTF8_ERROR", "The input is not valid UTF-8");
    }
    let first = msg.iter().position(|b| !is_ws(*b)).unwrap_or(0);
    match msg[first] {
        b'{' | b'[' => {}
        b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => return NOT_OBJECT_OR_ARRAY.into(),
        _ => {
            return doc_failed(
                3,
                3,
                "TAPE_ERROR",
                "The JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc.",
            );
        }
    }
    // simdjson 3.11 (4.x) checks only that the message's last byte closes the first
    // document; when a complete first document is followed by anything else it reports
    // INCOMPLETE_ARRAY_OR_OBJECT (docs/doris/json-reader.md §1.4, harness).
    if v4 && first_document_end(msg).is_some_and(|end| end < msg.trim_ascii_end().len()) {
        return walk_failed(
            28,
            27,
            "INCOMPLETE_ARRAY_OR_OBJECT",
            "JSON document ended early in the middle of an object or array.",
        );
    }
    match err {
        E::InvalidEscape | E::InvalidUnicodeEscape | E::InvalidUnicodeCodepoint => {
            walk_failed(5, 5, "STRING_ERROR", "Problem while parsing a string")
        }
        E::Eof => walk_failed(
            28,
            27,
            "INCOMPLETE_ARRAY_OR_OBJECT",
            "JSON document ended early in the middle of an object or array.",
        ),
        E::DepthLimitExceeded => walk_failed(
            2,
            2,
            "DEPTH_ERROR",
            "The JSON document was too deep (too many nested objects and arrays)",
        ),
        _ => {
            // An unbalanced document ran out before closing.
            if walk_brackets(msg, |_, _| true) > 0 {
                walk_failed(
                    28,
                    27,
                    "INCOMPLETE_ARRAY_OR_OBJECT",
                    "JSON document ended early in the middle of an object or array.",
                )
            } else {
                walk_failed(
                    3,
                    3,
                    "TAPE_ERROR",
                    "The JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc.",
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_decimals() {
        assert!(f64_token_prints_unchanged(b"6.18"));
        assert!(f64_token_prints_unchanged(b"-123.45"));
        assert!(f64_token_prints_unchanged(b"0.001"));
        assert!(!f64_token_prints_unchanged(b"1.0"));
        assert!(!f64_token_prints_unchanged(b"1.50"));
        assert!(!f64_token_prints_unchanged(b"1e3"));
        assert!(!f64_token_prints_unchanged(b"0.00001"));
        assert!(!f64_token_prints_unchanged(b"3.141592653589793"));
    }

    #[test]
    fn overflowing_numbers_become_finite_tokens() {
        assert_eq!(finite_numbers(br#"{"a":1e3,"b":"1e999"}"#), None);
        assert_eq!(
            finite_numbers(br#"{"a":1.79769e+309,"b":[-2e999],"c":"9e999"}"#).as_deref(),
            Some(&br#"{"a":1.0000000000,"b":[-1.000],"c":"9e999"}"#[..])
        );
    }

    #[test]
    fn first_document_rules() {
        assert_eq!(
            first_document(br#"{"a":1}{"a":2}"#, SimdjsonRelease::V3_11),
            Some(7)
        );
        assert_eq!(
            first_document(b"{\"a\":1}\n{\"a\":2}", SimdjsonRelease::V3_11),
            Some(7)
        );
        assert_eq!(
            first_document(br#"{"a":1} x"#, SimdjsonRelease::V3_11),
            None
        );
        assert_eq!(
            first_document(br#"{"a":1} x"#, SimdjsonRelease::V3_0),
            Some(7)
        );
        assert_eq!(first_document(br#"{"a":1}"#, SimdjsonRelease::V3_11), None);
        assert_eq!(
            first_document(br#"[{"a":1}][{"a":2}]"#, SimdjsonRelease::V3_11),
            Some(9)
        );
    }
}
