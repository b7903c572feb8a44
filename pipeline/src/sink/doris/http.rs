//! The HTTP/1.1 client the Doris sink speaks: one connection per request, Basic auth kept
//! across Doris's 307 redirects (the FE sends every Stream Load and 2PC call to a BE on
//! another port, and common clients drop `Authorization` there), `Expect: 100-continue`
//! (the FE answers the redirect before any body is sent), and request bodies written as they
//! are produced, in chunks.
//!
//! Doris answers almost everything with HTTP 200 and a JSON body; a 307 is followed, and any
//! other status is a transport-level failure the caller may retry.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// A transport failure: the request may or may not have taken effect.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// Connecting, writing or reading failed.
    #[error("{what} {url}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The URL.
        url: String,
        /// The error.
        source: io::Error,
    },
    /// The server answered something that is not HTTP/1.x.
    #[error("{url}: malformed HTTP response: {detail}")]
    Malformed {
        /// The URL.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// Too many redirects, or a redirect without a usable Location.
    #[error("{url}: {detail}")]
    Redirect {
        /// The URL.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// A URL that is not `http://[user[:password]@]host:port/path`.
    #[error("bad URL `{0}`: expected http://HOST:PORT/PATH")]
    Url(String),
}

/// A parsed `http://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `host:port`.
    pub authority: String,
    /// Path and query, starting with `/`.
    pub path: String,
    /// User info embedded in the URL (Doris's FE puts the caller's credentials there).
    pub credentials: Option<(String, String)>,
}

impl Url {
    /// Parses `http://[user[:password]@]host[:port][/path[?query]]`.
    pub fn parse(text: &str) -> Result<Url, HttpError> {
        let rest = text
            .strip_prefix("http://")
            .ok_or_else(|| HttpError::Url(text.to_string()))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (credentials, host) = match authority.rfind('@') {
            Some(i) => {
                let info = &authority[..i];
                let (u, p) = info.split_once(':').unwrap_or((info, ""));
                (
                    Some((percent_decode(u), percent_decode(p))),
                    &authority[i + 1..],
                )
            }
            None => (None, authority),
        };
        if host.is_empty() {
            return Err(HttpError::Url(text.to_string()));
        }
        let authority = if host.contains(':') {
            host.to_string()
        } else {
            format!("{host}:80")
        };
        Ok(Url {
            authority,
            path: path.to_string(),
            credentials,
        })
    }

    fn display(&self) -> String {
        format!("http://{}{}", self.authority, self.path)
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `Basic base64(user:password)`.
pub fn basic_auth(user: &str, password: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{password}");
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(6 + bytes.len().div_ceil(3) * 4);
    out.push_str("Basic ");
    for chunk in bytes.chunks(3) {
        let n = (chunk[0] as u32) << 16
            | (chunk.get(1).copied().unwrap_or(0) as u32) << 8
            | chunk.get(2).copied().unwrap_or(0) as u32;
        out.push(ALPHABET[(n >> 18) as usize & 63] as char);
        out.push(ALPHABET[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            ALPHABET[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            ALPHABET[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// A response: status, headers (names lower-cased) and body.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Timeouts of one request.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Connecting.
    pub connect: Duration,
    /// How long to wait for `100 Continue` before sending the body anyway (as curl does).
    pub expect: Duration,
    /// Each read or write once connected (the response of a load can take a while).
    pub io: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            expect: Duration::from_secs(1),
            io: Duration::from_secs(120),
        }
    }
}

/// A request about to be sent: method, URL, headers (besides Host, Authorization,
/// Content-Length / Transfer-Encoding, which the client adds).
#[derive(Debug, Clone)]
pub struct Request {
    /// `PUT`, `GET`, ...
    pub method: &'static str,
    /// Where.
    pub url: Url,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// `Authorization` value.
    pub auth: String,
}

/// Redirects followed at most (FE → BE is one).
const MAX_REDIRECTS: usize = 3;

impl Request {
    /// Sends a request with a small body in one piece (follows 307s).
    pub fn send(&self, body: &[u8], timeouts: Timeouts) -> Result<Response, HttpError> {
        let mut open = self.open(Some(body.len()), timeouts)?;
        open.write_all(body)?;
        open.finish()
    }

    /// Opens a request whose body follows: the headers are sent, redirects answered before
    /// the body are followed, and the returned [`BodyWriter`] takes the body. `length`:
    /// `Some(n)` sends `Content-Length: n`, `None` a chunked body.
    pub fn open(&self, length: Option<usize>, timeouts: Timeouts) -> Result<BodyWriter, HttpError> {
        let mut url = self.url.clone();
        let mut auth = self.auth.clone();
        for _ in 0..=MAX_REDIRECTS {
            let mut conn = Conn::connect(&url, timeouts)?;
            conn.write_head(self, &url, &auth, length)?;
            // Wait for the interim answer: 100 Continue, a redirect or an early final answer.
            match conn.await_continue(timeouts)? {
                Early::Continue => {
                    return Ok(BodyWriter {
                        conn,
                        chunked: length.is_none(),
                        url: url.display(),
                        early: None,
                    });
                }
                Early::Final(resp) if resp.status == 307 || resp.status == 302 => {
                    let location = resp.header("location").ok_or_else(|| HttpError::Redirect {
                        url: url.display(),
                        detail: format!("redirect {} without Location", resp.status),
                    })?;
                    let next = if location.starts_with('/') {
                        Url {
                            authority: url.authority.clone(),
                            path: location.to_string(),
                            credentials: None,
                        }
                    } else {
                        Url::parse(location)?
                    };
                    if let Some((u, p)) = &next.credentials {
                        auth = basic_auth(u, p);
                    }
                    url = next;
                }
                Early::Final(resp) => {
                    return Ok(BodyWriter {
                        conn,
                        chunked: length.is_none(),
                        url: url.display(),
                        early: Some(resp),
                    });
                }
            }
        }
        Err(HttpError::Redirect {
            url: self.url.display(),
            detail: format!("more than {MAX_REDIRECTS} redirects"),
        })
    }
}

enum Early {
    Continue,
    Final(Response),
}

struct Conn {
    reader: BufReader<TcpStream>,
    stream: TcpStream,
    url: String,
}

impl Conn {
    fn connect(url: &Url, timeouts: Timeouts) -> Result<Conn, HttpError> {
        let shown = url.display();
        let io_err = |what: &'static str| {
            let shown = shown.clone();
            move |source| HttpError::Io {
                what,
                url: shown,
                source,
            }
        };
        let addrs: Vec<_> = url
            .authority
            .to_socket_addrs()
            .map_err(io_err("resolving"))?
            .collect();
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, timeouts.connect) {
                Ok(stream) => {
                    stream.set_nodelay(true).map_err(io_err("configuring"))?;
                    stream
                        .set_write_timeout(Some(timeouts.io))
                        .map_err(io_err("configuring"))?;
                    let reader = BufReader::new(stream.try_clone().map_err(io_err("cloning"))?);
                    return Ok(Conn {
                        reader,
                        stream,
                        url: shown,
                    });
                }
                Err(e) => last = e,
            }
        }
        Err(io_err("connecting to")(last))
    }

    fn io(&self, what: &'static str) -> impl FnOnce(io::Error) -> HttpError + '_ {
        move |source| HttpError::Io {
            what,
            url: self.url.clone(),
            source,
        }
    }

    fn write_head(
        &mut self,
        req: &Request,
        url: &Url,
        auth: &str,
        length: Option<usize>,
    ) -> Result<(), HttpError> {
        let mut head = String::with_capacity(512);
        head.push_str(req.method);
        head.push(' ');
        head.push_str(&url.path);
        head.push_str(" HTTP/1.1\r\nHost: ");
        head.push_str(&url.authority);
        head.push_str("\r\nAuthorization: ");
        head.push_str(auth);
        head.push_str("\r\nConnection: close\r\nExpect: 100-continue\r\n");
        match length {
            Some(n) => {
                head.push_str("Content-Length: ");
                head.push_str(&n.to_string());
                head.push_str("\r\n");
            }
            None => head.push_str("Transfer-Encoding: chunked\r\n"),
        }
        for (k, v) in &req.headers {
            head.push_str(k);
            head.push_str(": ");
            head.push_str(v);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let stream = &mut self.stream;
        let shown = self.url.clone();
        stream
            .write_all(head.as_bytes())
            .map_err(|source| HttpError::Io {
                what: "sending to",
                url: shown,
                source,
            })
    }

    fn await_continue(&mut self, timeouts: Timeouts) -> Result<Early, HttpError> {
        self.stream
            .set_read_timeout(Some(timeouts.expect))
            .map_err(self.io("configuring"))?;
        let first = self.reader.fill_buf().map(|b| b.len());
        self.stream
            .set_read_timeout(Some(timeouts.io))
            .map_err(self.io("configuring"))?;
        match first {
            Ok(0) => Err(HttpError::Io {
                what: "reading from",
                url: self.url.clone(),
                source: io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"),
            }),
            Ok(_) => {
                let resp = self.read_response()?;
                if resp.status == 100 {
                    Ok(Early::Continue)
                } else {
                    Ok(Early::Final(resp))
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(Early::Continue)
            }
            Err(e) => Err(self.io("reading from")(e)),
        }
    }

    /// Reads one response (a `100 Continue` is returned as such, without a body).
    fn read_response(&mut self) -> Result<Response, HttpError> {
        let malformed = |detail: String| HttpError::Malformed {
            url: self.url.clone(),
            detail,
        };
        let mut line = String::new();
        read_line(&mut self.reader, &mut line).map_err(self.io("reading from"))?;
        if line.is_empty() {
            return Err(HttpError::Io {
                what: "reading from",
                url: self.url.clone(),
                source: io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"),
            });
        }
        let mut parts = line.trim_end().splitn(3, ' ');
        let version = parts.next().unwrap_or("");
        if !version.starts_with("HTTP/1.") {
            return Err(malformed(format!("status line `{}`", line.trim_end())));
        }
        let status: u16 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| malformed(format!("status line `{}`", line.trim_end())))?;
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            read_line(&mut self.reader, &mut h).map_err(self.io("reading from"))?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        if status == 100 {
            return Ok(Response {
                status,
                headers,
                body: Vec::new(),
            });
        }
        let get = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let mut body = Vec::new();
        if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            loop {
                let mut size = String::new();
                read_line(&mut self.reader, &mut size).map_err(self.io("reading from"))?;
                let size = size.trim().split(';').next().unwrap_or("");
                let n = usize::from_str_radix(size, 16)
                    .map_err(|_| malformed(format!("chunk size `{size}`")))?;
                if n == 0 {
                    let mut trailer = String::new();
                    read_line(&mut self.reader, &mut trailer).map_err(self.io("reading from"))?;
                    break;
                }
                let at = body.len();
                body.resize(at + n, 0);
                self.reader
                    .read_exact(&mut body[at..])
                    .map_err(self.io("reading from"))?;
                let mut crlf = [0u8; 2];
                self.reader
                    .read_exact(&mut crlf)
                    .map_err(self.io("reading from"))?;
            }
        } else if let Some(len) = get("content-length") {
            let n: usize = len
                .parse()
                .map_err(|_| malformed(format!("content-length `{len}`")))?;
            body.resize(n, 0);
            self.reader
                .read_exact(&mut body)
                .map_err(self.io("reading from"))?;
        } else if status != 204 && status != 304 {
            self.reader
                .read_to_end(&mut body)
                .map_err(self.io("reading from"))?;
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// Reads a header line (at most 64 KiB).
fn read_line(reader: &mut BufReader<TcpStream>, line: &mut String) -> io::Result<()> {
    let n = reader.by_ref().take(65536).read_line(line)?;
    if n == 65536 && !line.ends_with('\n') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "header line over 64 KiB",
        ));
    }
    Ok(())
}

/// The body of an open request. Dropping it without [`BodyWriter::finish`] closes the
/// connection, which Doris treats as a cancelled load.
pub struct BodyWriter {
    conn: Conn,
    chunked: bool,
    url: String,
    /// A final answer the server gave before the body (an error): the body is not sent.
    early: Option<Response>,
}

impl BodyWriter {
    /// Whether the server already answered (and the body will not be read).
    pub fn answered(&self) -> bool {
        self.early.is_some()
    }

    /// Writes a piece of the body (a chunk, when chunked). Nothing is sent when the server
    /// already answered.
    pub fn write_all(&mut self, data: &[u8]) -> Result<(), HttpError> {
        if self.early.is_some() || data.is_empty() {
            return Ok(());
        }
        let stream = &mut self.conn.stream;
        let r = if self.chunked {
            let head = format!("{:x}\r\n", data.len());
            stream
                .write_all(head.as_bytes())
                .and_then(|()| stream.write_all(data))
                .and_then(|()| stream.write_all(b"\r\n"))
        } else {
            stream.write_all(data)
        };
        r.map_err(|source| HttpError::Io {
            what: "sending to",
            url: self.url.clone(),
            source,
        })
    }

    /// Ends the body and reads the final response.
    pub fn finish(mut self) -> Result<Response, HttpError> {
        if let Some(resp) = self.early.take() {
            return Ok(resp);
        }
        if self.chunked {
            self.conn
                .stream
                .write_all(b"0\r\n\r\n")
                .map_err(|source| HttpError::Io {
                    what: "sending to",
                    url: self.url.clone(),
                    source,
                })?;
        }
        let _ = self.conn.stream.flush();
        loop {
            let resp = self.conn.read_response()?;
            if resp.status != 100 {
                return Ok(resp);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls_with_credentials() {
        let u = Url::parse("http://root:p%40ss@127.0.0.1:8040/api/db/t/_stream_load?").unwrap();
        assert_eq!(u.authority, "127.0.0.1:8040");
        assert_eq!(u.path, "/api/db/t/_stream_load?");
        assert_eq!(u.credentials, Some(("root".into(), "p@ss".into())));
        let u = Url::parse("http://fe:8030").unwrap();
        assert_eq!(u.path, "/");
        assert_eq!(u.credentials, None);
        assert!(Url::parse("https://fe:8030/").is_err());
    }

    #[test]
    fn encodes_basic_auth() {
        assert_eq!(basic_auth("root", ""), "Basic cm9vdDo=");
        assert_eq!(
            basic_auth("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }
}
