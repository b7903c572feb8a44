//! A minimal HTTP/1.1 client over `std::net::TcpStream` for driving the double: one request
//! per connection, `Expect: 100-continue` handled as curl does, chunked or sized bodies, and
//! helpers for the FE → 307 → BE stream load dance.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use routinely_doris_double::http::base64_encode;
use serde_json::Value;

/// A response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// How to send the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body<'a> {
    None,
    Sized(&'a [u8]),
    Chunked(&'a [u8]),
}

pub fn auth(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64_encode(format!("{user}:{password}").as_bytes())
    )
}

fn read_head(r: &mut BufReader<TcpStream>) -> std::io::Result<(u16, Vec<(String, String)>)> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    Ok((status, headers))
}

fn write_body(s: &mut TcpStream, body: Body<'_>) -> std::io::Result<()> {
    match body {
        Body::None => Ok(()),
        Body::Sized(b) => s.write_all(b),
        Body::Chunked(b) => {
            for c in b.chunks(7) {
                write!(s, "{:x}\r\n", c.len())?;
                s.write_all(c)?;
                s.write_all(b"\r\n")?;
            }
            s.write_all(b"0\r\n\r\n")
        }
    }
}

/// Sends one request on a fresh connection. When `headers` has `Expect: 100-continue`, the
/// body is sent only after `100 Continue`; a final answer before it skips the body.
pub fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Body<'_>,
) -> std::io::Result<Resp> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    match body {
        Body::Sized(b) => head.push_str(&format!("Content-Length: {}\r\n", b.len())),
        Body::Chunked(_) => head.push_str("Transfer-Encoding: chunked\r\n"),
        Body::None => {}
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    let expect = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("expect") && v.eq_ignore_ascii_case("100-continue"));
    let mut r = BufReader::new(s.try_clone()?);
    let (mut status, mut hs);
    if expect && body != Body::None {
        (status, hs) = read_head(&mut r)?;
        if status == 100 {
            write_body(&mut s, body)?;
            (status, hs) = read_head(&mut r)?;
        }
    } else {
        write_body(&mut s, body)?;
        (status, hs) = read_head(&mut r)?;
        while status == 100 {
            (status, hs) = read_head(&mut r)?;
        }
    }
    let len: usize = hs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut b = vec![0; len];
    r.read_exact(&mut b)?;
    Ok(Resp {
        status,
        headers: hs,
        body: b,
    })
}

/// A stream load through the FE: PUT with Expect, follow the 307 with the same headers.
pub fn load_via_fe(
    fe: SocketAddr,
    db: &str,
    table: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Resp> {
    let a = auth("root", "");
    let mut hs: Vec<(&str, &str)> = vec![("Authorization", &a), ("Expect", "100-continue")];
    hs.extend_from_slice(headers);
    let path = format!("/api/{db}/{table}/_stream_load");
    let r = request(fe, "PUT", &path, &hs, Body::Sized(body))?;
    assert_eq!(r.status, 307, "{}", r.text());
    let loc = r.header("Location").expect("Location").to_string();
    let rest = loc.strip_prefix("http://").expect("http URL");
    let (authority, target) = rest.split_at(rest.find('/').expect("path"));
    let host = authority.rsplit('@').next().expect("host");
    let be: SocketAddr = host.parse().expect("BE address");
    request(be, "PUT", target, &hs, Body::Sized(body))
}

/// A stream load straight to the BE, parsed.
pub fn load(be: SocketAddr, db: &str, table: &str, headers: &[(&str, &str)], body: &[u8]) -> Value {
    let a = auth("root", "");
    let mut hs: Vec<(&str, &str)> = vec![("Authorization", &a), ("Expect", "100-continue")];
    hs.extend_from_slice(headers);
    request(
        be,
        "PUT",
        &format!("/api/{db}/{table}/_stream_load"),
        &hs,
        Body::Sized(body),
    )
    .expect("load")
    .json()
}

/// A 2PC call straight to the BE, parsed.
pub fn two_pc(be: SocketAddr, db: &str, headers: &[(&str, &str)]) -> Value {
    let a = auth("root", "");
    let mut hs: Vec<(&str, &str)> = vec![("Authorization", &a)];
    hs.extend_from_slice(headers);
    request(
        be,
        "PUT",
        &format!("/api/{db}/_stream_load_2pc"),
        &hs,
        Body::Sized(b""),
    )
    .expect("2pc")
    .json()
}

/// GET with root auth, parsed.
pub fn get_json(addr: SocketAddr, target: &str) -> Value {
    let a = auth("root", "");
    request(addr, "GET", target, &[("Authorization", &a)], Body::None)
        .expect("get")
        .json()
}
