//! Text → IPV4 / IPV6, as Doris 4.x reads them: an IPv4 dotted quad whose octets have one to
//! three digits (leading zeros allowed); IPv6 in the standard, compressed and IPv4-mapped
//! forms. Surrounding whitespace is ignored. Source: Doris docs
//! `sql-data-types/conversion/ip-conversion.md`.

use std::net::Ipv6Addr;
use std::str::FromStr;

use crate::convert::number::trim_ws;

/// Parses an IPv4 address into its 32-bit value.
pub fn parse_ipv4(text: &[u8]) -> Option<u32> {
    let s = trim_ws(text);
    let mut value: u32 = 0;
    let mut parts = 0;
    for part in s.split(|b| *b == b'.') {
        if part.is_empty() || part.len() > 3 || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let octet = part.iter().fold(0u32, |a, d| a * 10 + (d - b'0') as u32);
        if octet > 255 {
            return None;
        }
        value = (value << 8) | octet;
        parts += 1;
    }
    (parts == 4).then_some(value)
}

/// Parses an IPv6 address into its 128-bit value.
pub fn parse_ipv6(text: &[u8]) -> Option<u128> {
    let s = std::str::from_utf8(trim_ws(text)).ok()?;
    Ipv6Addr::from_str(s).ok().map(u128::from)
}

/// Formats an IPv4 value as a dotted quad.
pub fn format_ipv4(v: u32) -> String {
    std::net::Ipv4Addr::from(v).to_string()
}

/// Formats an IPv6 value in RFC 5952 form (as Doris prints it).
pub fn format_ipv6(v: u128) -> String {
    Ipv6Addr::from(v).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Doris docs ip-conversion: leading zeros allowed, 0..255 octets, whitespace trimmed.
    #[test]
    fn ipv4() {
        assert_eq!(parse_ipv4(b"192.168.1.1"), Some(0xC0A8_0101));
        assert_eq!(parse_ipv4(b" 192.168.01.1 "), Some(0xC0A8_0101));
        for bad in ["1.2.3", "256.0.0.1", "1.2.+3.4", "1.2.3.4.5", "", "1..2.3"] {
            assert_eq!(parse_ipv4(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(format_ipv4(0xC0A8_0101), "192.168.1.1");
    }

    #[test]
    fn ipv6() {
        assert_eq!(parse_ipv6(b"::1"), Some(1));
        assert!(parse_ipv6(b"::ffff:1.2.3.4").is_some());
        assert_eq!(parse_ipv6(b"1:1:::1"), None);
        let v = parse_ipv6(b"2001:0DB8:0000:0000:0000:0000:0000:0001").unwrap();
        assert_eq!(format_ipv6(v), "2001:db8::1");
    }
}
