//! A small HTTP/1.1 server side written over `std::net`, with the byte-level control fault
//! injection needs: request heads are parsed by hand, bodies are read as a stream
//! (`Content-Length` or `Transfer-Encoding: chunked`) through [`Exchange::body`], which sends
//! `HTTP/1.1 100 Continue` first when the client asked for it, and a handler may answer, or
//! drop the connection without an answer ([`Action::Close`]). Also Basic-auth parsing, query
//! strings and percent-decoding.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

/// Longest request head accepted (request line + headers).
const MAX_HEAD: usize = 64 * 1024;

/// Errors reading a request head.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The socket failed.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    /// The request head is not HTTP/1.x.
    #[error("malformed request: {0}")]
    Malformed(String),
}

/// A parsed request head.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `PUT`, ...
    pub method: String,
    /// The path, percent-encoded as sent.
    pub path: String,
    /// The query string without `?` (empty when absent).
    pub query: String,
    /// Headers in arrival order, names as sent.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The first header called `name` (case-insensitive), trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }

    /// A query parameter, percent-decoded.
    pub fn query_param(&self, key: &str) -> Option<String> {
        self.query.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k, true) == key).then(|| percent_decode(v, true))
        })
    }

    /// The path split on `/`, each segment percent-decoded, empty segments dropped.
    pub fn segments(&self) -> Vec<String> {
        self.path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| percent_decode(s, false))
            .collect()
    }

    /// Whether the client sent `Expect: 100-continue`.
    pub fn expects_continue(&self) -> bool {
        self.header("expect")
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    }

    /// `(user, password)` from a `Basic` Authorization header; `None` when absent or invalid.
    pub fn basic_auth(&self) -> Option<(String, String)> {
        let v = self.header("authorization")?;
        let (scheme, rest) = v.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let raw = base64_decode(rest.trim())?;
        let text = String::from_utf8(raw).ok()?;
        let (u, p) = text.split_once(':')?;
        Some((u.to_string(), p.to_string()))
    }
}

/// Decodes `%XX` escapes (and `+` as space when `plus` is set); invalid escapes stay as written.
pub fn percent_decode(s: &str, plus: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' if plus => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes everything outside RFC 3986's unreserved set (for URL userinfo).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk.len();
        let v = (chunk[0] as u32) << 16
            | (chunk.get(1).copied().unwrap_or(0) as u32) << 8
            | chunk.get(2).copied().unwrap_or(0) as u32;
        for i in 0..4 {
            if i <= n {
                out.push(B64[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 (padding optional); `None` on invalid input.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = B64.iter().position(|&x| x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Reads one line ending in `\n` (CR stripped) of at most `limit` bytes.
fn read_line(r: &mut impl BufRead, limit: usize) -> Result<Option<String>, HttpError> {
    let mut line = Vec::new();
    let n = r.take(limit as u64 + 1).read_until(b'\n', &mut line)?;
    if n == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        if line.len() > limit {
            return Err(HttpError::Malformed("header line too long".into()));
        }
        return Err(HttpError::Io(io::ErrorKind::UnexpectedEof.into()));
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

/// Reads a request head; `Ok(None)` when the peer closed before sending anything.
pub fn read_request(r: &mut impl BufRead) -> Result<Option<Request>, HttpError> {
    // Tolerate empty lines between requests (RFC 9112 §2.2).
    let line = loop {
        match read_line(r, MAX_HEAD)? {
            None => return Ok(None),
            Some(l) if l.is_empty() => continue,
            Some(l) => break l,
        }
    };
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(HttpError::Malformed(format!("bad request line: {line}")));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(HttpError::Malformed(format!(
            "unsupported version {version}"
        )));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers = Vec::new();
    let mut total = line.len();
    loop {
        let Some(h) = read_line(r, MAX_HEAD)? else {
            return Err(HttpError::Io(io::ErrorKind::UnexpectedEof.into()));
        };
        if h.is_empty() {
            break;
        }
        total += h.len();
        if total > MAX_HEAD {
            return Err(HttpError::Malformed("request head too large".into()));
        }
        let Some((k, v)) = h.split_once(':') else {
            return Err(HttpError::Malformed(format!("bad header line: {h}")));
        };
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    Ok(Some(Request {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        headers,
    }))
}

/// How a request body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    Empty,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// Body-reading state of one exchange.
#[derive(Debug)]
struct BodyState {
    framing: Framing,
    /// Bytes left in the body (Length) or in the current chunk (Chunked).
    left: u64,
    /// Chunked: the terminating chunk and trailers were read.
    done: bool,
    /// Body bytes handed out so far.
    read: u64,
    /// A read failed; the connection cannot be reused.
    broken: bool,
    /// Chunked: a chunk header was read (so CRLF follows the current chunk's data).
    in_chunk: bool,
}

/// An answer to send.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Extra headers (Content-Length and Connection are added when written).
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// A `200 OK` JSON answer.
    pub fn json(body: impl Into<Vec<u8>>) -> Response {
        Response {
            status: 200,
            headers: vec![(
                "Content-Type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: body.into(),
        }
    }

    /// A plain-text answer with the given status.
    pub fn text(status: u16, body: impl Into<String>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: body.into().into_bytes(),
        }
    }
}

/// What a handler wants done with the connection.
#[derive(Debug)]
pub enum Action {
    /// Send this answer.
    Respond(Response),
    /// Close the connection without answering.
    Close,
}

/// The reason phrase of a status code.
fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

/// One request on a connection: its head, and access to its body and to the socket.
pub struct Exchange<'c> {
    /// The request head.
    pub req: Request,
    reader: &'c mut BufReader<TcpStream>,
    continue_sent: bool,
    body: BodyState,
    /// Set when `Content-Length` and `Transfer-Encoding` were both sent.
    pub both_framings: bool,
}

impl<'c> Exchange<'c> {
    /// Starts an exchange; fails on an unparsable `Content-Length` or a non-chunked
    /// `Transfer-Encoding`.
    pub fn new(req: Request, reader: &'c mut BufReader<TcpStream>) -> Result<Self, String> {
        let te = req.header("transfer-encoding").map(str::to_ascii_lowercase);
        let cl = req.header("content-length");
        let chunked = match te.as_deref() {
            None => false,
            Some("chunked") => true,
            Some(other) => return Err(format!("unsupported transfer-encoding: {other}")),
        };
        let framing = if chunked {
            Framing::Chunked
        } else if let Some(cl) = cl {
            let n: u64 = cl
                .parse()
                .map_err(|_| format!("invalid content-length: {cl}"))?;
            if n == 0 {
                Framing::Empty
            } else {
                Framing::Length(n)
            }
        } else {
            Framing::Empty
        };
        let left = match framing {
            Framing::Length(n) => n,
            _ => 0,
        };
        Ok(Exchange {
            both_framings: chunked && cl.is_some(),
            req,
            reader,
            continue_sent: false,
            body: BodyState {
                framing,
                left,
                done: framing == Framing::Empty,
                read: 0,
                broken: false,
                in_chunk: false,
            },
        })
    }

    /// How the body is delimited.
    pub fn framing(&self) -> Framing {
        self.body.framing
    }

    /// Whether a `Content-Length` header was sent (even `0`).
    pub fn has_content_length(&self) -> bool {
        self.req.header("content-length").is_some()
    }

    /// Body bytes read so far.
    pub fn body_bytes_read(&self) -> u64 {
        self.body.read
    }

    /// Sends `100 Continue` if the client expects it and it was not sent yet.
    pub fn send_continue(&mut self) -> io::Result<()> {
        if self.req.expects_continue() && !self.continue_sent && !self.body.done {
            self.continue_sent = true;
            let s = self.reader.get_mut();
            s.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            s.flush()?;
        }
        Ok(())
    }

    /// The body as a stream (sends `100 Continue` first when expected).
    pub fn body(&mut self) -> io::Result<BodyReader<'_, 'c>> {
        self.send_continue()?;
        Ok(BodyReader { ex: self })
    }

    /// Whether the whole body has been consumed.
    pub fn body_done(&self) -> bool {
        self.body.done && !self.body.broken
    }

    /// Reads and discards the body if it is short (at most `limit` bytes left) and the client
    /// will send it; returns whether the body is now fully consumed.
    pub fn discard_body(&mut self, limit: u64) -> bool {
        if self.body_done() {
            return true;
        }
        if self.req.expects_continue() && !self.continue_sent {
            // The client waits for our verdict and will not send the body.
            return false;
        }
        if let Framing::Length(_) = self.body.framing
            && self.body.left > limit
        {
            return false;
        }
        let mut sink = io::sink();
        let mut r = BodyReader { ex: self };
        match io::copy(&mut (&mut r).take(limit + 1), &mut sink) {
            Ok(_) => self.body_done(),
            Err(_) => false,
        }
    }

    /// Whether the connection may serve another request after this one.
    fn reusable(&self) -> bool {
        self.body_done()
            && !self
                .req
                .header("connection")
                .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }

    /// Writes `resp`; returns whether the connection stays open.
    pub fn respond(mut self, mut resp: Response) -> bool {
        if !self.body_done() {
            self.discard_body(1 << 20);
        }
        let keep = self.reusable();
        resp.headers
            .push(("Content-Length".into(), resp.body.len().to_string()));
        resp.headers.push((
            "Connection".into(),
            if keep { "keep-alive" } else { "close" }.into(),
        ));
        let mut head = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
        for (k, v) in &resp.headers {
            head.push_str(k);
            head.push_str(": ");
            head.push_str(v);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let s = self.reader.get_mut();
        let ok = s
            .write_all(head.as_bytes())
            .and_then(|_| s.write_all(&resp.body))
            .and_then(|_| s.flush())
            .is_ok();
        if !keep || !ok {
            linger_close(s);
            return false;
        }
        true
    }

    /// Closes the connection without an answer (fault injection).
    pub fn close(self) {
        let _ = self.reader.get_mut().shutdown(Shutdown::Both);
    }

    fn next_chunk(&mut self) -> io::Result<()> {
        // After a chunk's data comes CRLF; before the first chunk there is none.
        if self.body.in_chunk {
            let mut crlf = String::new();
            self.reader.take(2).read_line(&mut crlf)?;
        }
        self.body.in_chunk = true;
        let mut line = String::new();
        if self.reader.take(4096).read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let size = line.trim().split(';').next().unwrap_or("").trim();
        let n = u64::from_str_radix(size, 16)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
        if n == 0 {
            // Trailers until an empty line.
            loop {
                let mut t = String::new();
                if self.reader.take(MAX_HEAD as u64).read_line(&mut t)? == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                if t.trim().is_empty() {
                    break;
                }
            }
            self.body.done = true;
        }
        self.body.left = n;
        Ok(())
    }

    fn read_body(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.body.broken {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, "body unreadable"));
        }
        if self.body.done || buf.is_empty() {
            return Ok(0);
        }
        if self.body.framing == Framing::Chunked && self.body.left == 0 {
            if let Err(e) = self.next_chunk() {
                self.body.broken = true;
                return Err(e);
            }
            if self.body.done {
                return Ok(0);
            }
        }
        let want = buf
            .len()
            .min(self.body.left.min(usize::MAX as u64) as usize);
        let n = match self.reader.read(&mut buf[..want]) {
            Ok(0) => {
                self.body.broken = true;
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            Ok(n) => n,
            Err(e) => {
                self.body.broken = true;
                return Err(e);
            }
        };
        self.body.left -= n as u64;
        self.body.read += n as u64;
        if self.body.framing != Framing::Chunked && self.body.left == 0 {
            self.body.done = true;
        }
        Ok(n)
    }
}

/// The body of an [`Exchange`] as a [`Read`]; an early end of the connection is an
/// `UnexpectedEof` error.
pub struct BodyReader<'e, 'c> {
    ex: &'e mut Exchange<'c>,
}

impl Read for BodyReader<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.ex.read_body(buf)
    }
}

/// Closes a socket after the answer was written without resetting it: shuts down our side,
/// then drains what the client still sends for a short while, so unread request bytes do not
/// turn into a TCP reset that would destroy the answer in flight.
pub fn linger_close(s: &mut TcpStream) {
    let _ = s.flush();
    let _ = s.shutdown(Shutdown::Write);
    let _ = s.set_read_timeout(Some(Duration::from_millis(100)));
    let start = Instant::now();
    let mut buf = [0u8; 16 * 1024];
    while start.elapsed() < Duration::from_secs(2) {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(_) => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for s in ["", "a", "ab", "abc", "root:", "user:p@ss:word"] {
            let e = base64_encode(s.as_bytes());
            assert_eq!(base64_decode(&e).as_deref(), Some(s.as_bytes()));
        }
        assert_eq!(base64_encode(b"root:"), "cm9vdDo=");
        assert_eq!(base64_decode("not base64!"), None);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b+c", true), "a b c");
        assert_eq!(percent_decode("a%2", false), "a%2");
        assert_eq!(percent_decode("%41", false), "A");
        assert_eq!(percent_encode("p@ss word"), "p%40ss%20word");
    }

    #[test]
    fn parses_a_head() {
        let raw = b"PUT /api/db/t/_stream_load?x=1 HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nlabel:  l1 \r\n\r\n";
        let req = read_request(&mut &raw[..]).unwrap().unwrap();
        assert_eq!(req.method, "PUT");
        assert_eq!(req.segments(), vec!["api", "db", "t", "_stream_load"]);
        assert_eq!(req.query_param("x").as_deref(), Some("1"));
        assert_eq!(req.header("LABEL"), Some("l1"));
        assert!(req.expects_continue());
    }
}
