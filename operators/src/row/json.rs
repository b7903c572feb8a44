//! The JSON reader: one Kafka message is one JSON document (Doris never reads routine-load
//! JSON by line), parsed by [`super::jsontape`], and turned into rows of source slots the way Doris's
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
//! - Values reach the cast as text: strings unescaped, numbers as written (numbers beyond
//!   `f64` included), `true` / `false` as `1` / `0`, objects and arrays as compact JSON text,
//!   `null` as NULL.
//!
//! Parsing is [`super::jsontape`]'s: one validating pass that records where every value is
//! and decodes nothing until a slot takes it. Doris's simdjson reader only validates what it
//! walks, so it loads some malformed documents (a bad value under an unused key). routinely
//! validates every message completely: such a message is one filtered row here.

use routinely_schemas::version::SimdjsonRelease;

use super::columns::{Buf, Bufs, Slot, Span};
use super::jsonpath::{self, Doc, Found, JsonPath};
use super::jsontape::{ESCAPED, JsonTape, Kind, Node, ParseError, SPACED, unescape_into};
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

/// The JSON reader's reusable state.
pub(crate) struct JsonReader {
    tape: JsonTape,
    state: WalkState,
}

/// Buffers a message's walk reuses.
struct WalkState {
    arena: Vec<u8>,
    slots: Vec<Slot>,
    seen: Vec<bool>,
    /// Slot names as bytes, for key matching.
    names: Vec<Vec<u8>>,
    /// The jsonpaths when each is `$` or one key.
    shallow: Option<Shallow>,
    json: routinely_schemas::convert::json::JsonScratch,
}

/// Jsonpaths answered in one pass over an object's members, instead of one search of the
/// object per path: the common `["$.a", "$.b", "$"]` form, where every path is `$` or one key.
struct Shallow {
    /// Slots of the `$` / `$.` paths (the whole message).
    roots: Vec<usize>,
    /// Slots of the `$.key` paths, with their keys (at most 64, one bit each while walking).
    keys: Vec<(usize, Vec<u8>)>,
}

impl Shallow {
    /// The paths of the first `slots` slots as a [`Shallow`], when every path is one.
    fn of(paths: &[JsonPath], slots: usize) -> Option<Shallow> {
        let mut shallow = Shallow {
            roots: Vec::new(),
            keys: Vec::new(),
        };
        for (s, p) in paths.iter().enumerate().take(slots) {
            match p {
                JsonPath::Root => shallow.roots.push(s),
                JsonPath::Steps(steps) => match steps.as_slice() {
                    [step] if step.valid && step.index == jsonpath::Index::None => {
                        shallow.keys.push((s, step.key.clone()));
                    }
                    _ => return None,
                },
                JsonPath::Empty => return None,
            }
        }
        (shallow.keys.len() <= 64).then_some(shallow)
    }
}

impl JsonReader {
    pub fn new(plan: &LoadPlan) -> JsonReader {
        JsonReader {
            tape: JsonTape::with_depth(tape_depth(plan)),
            state: WalkState {
                arena: Vec::new(),
                slots: Vec::with_capacity(plan.slots.len()),
                seen: vec![false; plan.slots.len()],
                names: plan
                    .slots
                    .iter()
                    .map(|s| s.name.as_bytes().to_vec())
                    .collect(),
                shallow: plan
                    .json
                    .paths
                    .as_deref()
                    .and_then(|p| Shallow::of(p, plan.slots.len())),
                json: Default::default(),
            },
        }
    }

    /// Reads one non-empty message.
    pub fn read(&mut self, plan: &LoadPlan, value: &[u8], sink: &mut impl RowSink) {
        let msg = value.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(value);
        let err = match self.tape.parse(msg) {
            Ok(()) => {
                self.state
                    .walk(plan, msg, msg.len(), self.tape.nodes(), sink);
                return;
            }
            Err(e) => e,
        };
        // Doris loads the first of several documents, unless stage 1 fails anywhere in the
        // message.
        if let Some(reason) = stage1_error(msg, plan.rules.simdjson) {
            sink.reject(&reason, msg);
            return;
        }
        if let Some(end) = first_document(msg, plan.rules.simdjson)
            && self.tape.parse(&msg[..end]).is_ok()
        {
            self.state.walk(plan, msg, end, self.tape.nodes(), sink);
            return;
        }
        sink.reject(&parse_error(msg, err, plan.rules.simdjson), msg);
    }
}

/// How deep the walk looks into a document: the root is depth 0, a top-level array's
/// elements (strip_outer_array) or the root object's members 1, and each jsonpath key or
/// index one more. The tape needs nodes no deeper (see [`JsonTape::with_depth`]); a json_root
/// keeps them all.
fn tape_depth(plan: &LoadPlan) -> usize {
    if plan.json.root.is_some() {
        return usize::MAX;
    }
    let base = usize::from(plan.json.strip_outer_array);
    let path_depth = |p: &JsonPath| match p {
        JsonPath::Steps(steps) => steps
            .iter()
            .map(|s| 1 + usize::from(s.index != jsonpath::Index::None))
            .sum(),
        JsonPath::Root | JsonPath::Empty => 0,
    };
    let walk = match &plan.json.paths {
        None => 1,
        Some(paths) => paths.iter().map(path_depth).max().unwrap_or(0),
    };
    base + walk.max(1)
}

impl WalkState {
    fn walk(
        &mut self,
        plan: &LoadPlan,
        msg: &[u8],
        doc_len: usize,
        nodes: &[Node],
        sink: &mut impl RowSink,
    ) {
        self.arena.clear();
        let mut walk = Walk {
            plan,
            msg,
            doc: Doc {
                text: &msg[..doc_len],
                nodes,
            },
            arena: &mut self.arena,
            slots: &mut self.slots,
            seen: &mut self.seen,
            names: &self.names,
            shallow: self.shallow.as_ref(),
            json: &mut self.json,
        };
        walk.document(sink);
    }
}

/// Everything one message's walk borrows.
struct Walk<'a> {
    plan: &'a LoadPlan,
    msg: &'a [u8],
    doc: Doc<'a>,
    arena: &'a mut Vec<u8>,
    slots: &'a mut Vec<Slot>,
    seen: &'a mut Vec<bool>,
    names: &'a [Vec<u8>],
    shallow: Option<&'a Shallow>,
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

impl Walk<'_> {
    fn bufs(&self) -> Bufs<'_> {
        Bufs {
            message: self.doc.text,
            reader: self.arena,
            row: &[],
            // The parser validated the whole message as UTF-8.
            message_is_utf8: true,
        }
    }

    fn document(&mut self, sink: &mut impl RowSink) {
        let plan = self.plan;
        let version = plan.rules.simdjson;
        let strip = plan.json.strip_outer_array;
        let mut root = 0usize;
        match self.doc.nodes[0].kind {
            Kind::Object => {
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
            Kind::Array => {}
            _ => {
                sink.reject(NOT_OBJECT_OR_ARRAY, self.msg);
                return;
            }
        }
        let root_node = self.doc.nodes[root];
        match root_node.kind {
            Kind::Object => {
                if strip {
                    sink.reject(NOT_ARRAY_OBJECT, self.msg);
                    return;
                }
                self.object_row(root, None, true, sink);
            }
            Kind::Array => {
                let len = root_node.len;
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
                    if self.doc.nodes[i].kind != Kind::Object {
                        bad = Some(k);
                        break;
                    }
                    i += self.doc.span(i);
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
                    i += self.doc.span(i);
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
            JsonPath::Steps(_) => match jsonpath::evaluate(&self.doc, node, path) {
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
                Ok(n) if self.doc.nodes[n].kind == Kind::Object => obj = n,
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
                let node = self.doc.nodes[obj];
                if node.kind != Kind::Object {
                    return;
                }
                let mut i = obj + 1;
                for _ in 0..node.len {
                    let value = i + 1;
                    if let Some(s) = self.slot_of_key(i)
                        && !self.seen[s]
                    {
                        self.seen[s] = true;
                        matched = true;
                        self.value_slot_into(value, s);
                    }
                    i = value + self.doc.span(value);
                }
            }
            Some(_) if let Some(shallow) = self.shallow => {
                // One pass over the members; for each path the first matching key wins, as
                // `jsonpath::evaluate` finds it. `pending` has a bit per key not found yet.
                for &s in &shallow.roots {
                    self.seen[s] = true;
                    matched = true;
                    self.root_slot_into(s);
                }
                let node = self.doc.nodes[obj];
                let mut pending = match (node.kind, shallow.keys.len()) {
                    (Kind::Object, 64) => u64::MAX,
                    (Kind::Object, k) => (1u64 << k) - 1,
                    _ => 0,
                };
                let mut i = obj + 1;
                for _ in 0..node.len {
                    if pending == 0 {
                        break;
                    }
                    let value = i + 1;
                    let key = self.doc.nodes[i];
                    let body = &self.doc.text[key.start as usize + 1..key.end as usize - 1];
                    let mut bits = pending;
                    while bits != 0 {
                        let k = bits.trailing_zeros() as usize;
                        bits &= bits - 1;
                        let (s, want) = &shallow.keys[k];
                        let hit = if key.flags & ESCAPED == 0 {
                            jsonpath::short_eq(body, want)
                        } else {
                            self.doc.key_node_is(i, want)
                        };
                        if hit {
                            pending &= !(1u64 << k);
                            self.seen[*s] = true;
                            matched = true;
                            self.value_slot_into(value, *s);
                        }
                    }
                    i = value + self.doc.span(value);
                }
            }
            Some(paths) => {
                for (s, path) in paths.iter().enumerate().take(n) {
                    match jsonpath::evaluate(&self.doc, obj, path) {
                        Ok(Found::Node(v)) => {
                            self.seen[s] = true;
                            matched = true;
                            self.value_slot_into(v, s);
                        }
                        Ok(Found::Root) => {
                            self.seen[s] = true;
                            matched = true;
                            self.root_slot_into(s);
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

    /// The slot whose name is the key at node `k`, if any.
    #[inline]
    fn slot_of_key(&self, k: usize) -> Option<usize> {
        let node = self.doc.nodes[k];
        if node.flags & ESCAPED == 0 {
            let key = &self.doc.text[node.start as usize + 1..node.end as usize - 1];
            return self
                .names
                .iter()
                .position(|name| jsonpath::short_eq(name, key));
        }
        self.names
            .iter()
            .position(|name| self.doc.key_node_is(k, name))
    }

    /// Fills slot `s` with the value at node `v`. Slots are written in place: building one
    /// on the stack and copying it stalled the copy on store forwarding (half of this
    /// function's samples before).
    #[inline(always)]
    fn value_slot_into(&mut self, v: usize, s: usize) {
        let node = self.doc.nodes[v];
        let (start, end) = (node.start as usize, node.end as usize);
        let slot = match node.kind {
            Kind::String if node.flags & ESCAPED == 0 => {
                Slot::Text(Span::new(Buf::Message, start + 1, end - start - 2))
            }
            Kind::String => {
                let at = self.arena.len();
                unescape_into(&self.doc.text[start..end], self.arena);
                Slot::Text(Span::new(Buf::Reader, at, self.arena.len() - at))
            }
            Kind::Null => Slot::Null,
            Kind::True => Slot::Text(Span::new(Buf::Lit, 1, 1)),
            Kind::False => Slot::Text(Span::new(Buf::Lit, 0, 1)),
            Kind::Number => Slot::Text(Span::new(Buf::Message, start, end - start)),
            Kind::Object | Kind::Array => return self.container_slot_into(v, s),
        };
        self.slots[s] = slot;
    }

    /// Fills slot `s` for `$.`: the whole message.
    #[inline(always)]
    fn root_slot_into(&mut self, s: usize) {
        if self.doc.nodes[0].is_container() {
            self.container_slot_into(0, s);
        } else {
            self.slots[s] = Slot::Text(Span::new(Buf::Message, 0, self.doc.text.len()));
        }
    }

    /// Fills slot `s` with the object or array at `v`: compact text, canonical when JSONB
    /// would print it unchanged.
    #[inline(always)]
    fn container_slot_into(&mut self, v: usize, s: usize) {
        let node = self.doc.nodes[v];
        let (start, end) = (node.start as usize, node.end as usize);
        if node.flags & SPACED == 0 {
            self.slots[s] = Slot::Json {
                span: Span::new(Buf::Message, start, end - start),
                canonical: node.prints_unchanged(),
            };
            return;
        }
        self.spaced_container_slot_into(v, s);
    }

    /// [`Walk::container_slot_into`] for a container with whitespace: compacted into the
    /// arena.
    #[cold]
    fn spaced_container_slot_into(&mut self, v: usize, s: usize) {
        let node = self.doc.nodes[v];
        let at = self.arena.len();
        let raw = &self.doc.text[node.start as usize..node.end as usize];
        if !routinely_schemas::convert::json::write_json_with(
            raw,
            routinely_schemas::convert::json::JsonOutput::Compact,
            self.arena,
            self.json,
        ) {
            // The parser validated the document; this cannot fail. Keep the raw text.
            self.arena.extend_from_slice(raw);
        }
        self.slots[s] = Slot::Json {
            span: Span::new(Buf::Reader, at, self.arena.len() - at),
            canonical: false,
        };
    }

    /// The original text of a node.
    fn raw(&self, v: usize) -> &[u8] {
        let node = self.doc.nodes[v];
        &self.doc.text[node.start as usize..node.end as usize]
    }
}

#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
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
fn parse_error(msg: &[u8], err: ParseError, simdjson: SimdjsonRelease) -> String {
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
    if err == ParseError::Utf8 {
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
        ParseError::String => walk_failed(5, 5, "STRING_ERROR", "Problem while parsing a string"),
        ParseError::Eof => walk_failed(
            28,
            27,
            "INCOMPLETE_ARRAY_OR_OBJECT",
            "JSON document ended early in the middle of an object or array.",
        ),
        ParseError::Depth => walk_failed(
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

    use super::super::jsontape::f64_token_prints_unchanged;

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
