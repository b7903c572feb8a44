//! Hiding credentials wherever a job's Kafka settings are printed: `SHOW ROUTINE LOAD`
//! (`CustomProperties`), `SHOW CREATE ROUTINE LOAD`, the end-of-run summary, and the `Debug`
//! form of the job model that ends up in logs. One rule, [`is_sensitive_key`], and one mask,
//! [`MASK`], so every printer agrees.
//!
//! Doris (PR apache/doris#64786, backported to branch-4.0 as #65628 and branch-4.1 as
//! #65629) replaces the value of a sensitive Kafka custom property with `******` in
//! `SHOW ROUTINE LOAD`, `SHOW CREATE ROUTINE LOAD` and `information_schema.routine_load_jobs`;
//! the key stays visible and the consumer still gets the real value. A key is sensitive
//! there when it is `sasl.jaas.config` or `aws.access_key` (case-insensitive), when it is in
//! FE's `PrintableMap.SENSITIVE_KEY` set (`password`, `jdbc.password`, cloud secret keys,
//! case-insensitive), or when its lowercase form matches a substring rule whose exact text
//! the stored sources do not show. Releases before that fix print every value in clear.
//!
//! routinely decision: the substring rule here is a superset chosen so that no librdkafka
//! secret escapes: any key containing `password`, `secret`, `jaas`, `token` (but not a
//! `token.endpoint` URL) or `credential`, the private-key settings `ssl.key.pem` and
//! `ssl_key`, and the AWS key names (`aws.access_key`, `aws.secret_key`,
//! `aws.session_token`).

/// What a sensitive value is printed as (Doris's `SENSITIVE_PROPERTY_MASK`).
pub const MASK: &str = "******";

/// Keys masked whatever they contain (compared case-insensitively, without `property.`).
const SENSITIVE_EXACT: &[&str] = &[
    "sasl.jaas.config",
    "aws.access_key",
    "aws.secret_key",
    "aws.session_token",
    "password",
    "jdbc.password",
    "elasticsearch.password",
    "kerberos_keytab_content",
    "bos_secret_accesskey",
    "ssl.key.pem",
    "ssl_key",
    "sasl.kerberos.keytab",
];

/// Substrings that make a key sensitive (matched on the lowercase key).
const SENSITIVE_PARTS: &[&str] = &["password", "secret", "jaas", "credential"];

/// Whether the value of this Kafka setting must not be printed. `key` may carry the
/// `property.` prefix of FROM KAFKA or be the bare librdkafka name.
pub fn is_sensitive_key(key: &str) -> bool {
    let bare = key.strip_prefix("property.").unwrap_or(key);
    let lower = bare.to_ascii_lowercase();
    if SENSITIVE_EXACT.iter().any(|k| *k == lower) {
        return true;
    }
    if SENSITIVE_PARTS.iter().any(|p| lower.contains(p)) {
        return true;
    }
    // OAuth tokens and token files are secrets; the token endpoint is a URL, not one.
    lower.contains("token") && !lower.contains("endpoint")
}

/// The text to print for a setting: [`MASK`] for a sensitive key, the value otherwise.
pub fn mask_property(key: &str, value: &str) -> String {
    if is_sensitive_key(key) {
        MASK.to_string()
    } else {
        value.to_string()
    }
}

/// A list of settings with every sensitive value replaced by [`MASK`].
pub fn mask_pairs(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.clone(), mask_property(k, v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Doris PR #64786: sasl.jaas.config, aws.access_key and PrintableMap.SENSITIVE_KEY
    // entries are masked with "******"; plain settings are not.
    #[test]
    fn doris_keys_are_masked() {
        for key in [
            "sasl.password",
            "property.sasl.password",
            "SASL.PASSWORD",
            "ssl.key.password",
            "ssl.keystore.password",
            "sasl.jaas.config",
            "aws.access_key",
            "aws.secret_key",
            "sasl.oauthbearer.client.secret",
            "ssl.key.pem",
            "password",
        ] {
            assert!(is_sensitive_key(key), "{key}");
            assert_eq!(mask_property(key, "hunter2"), MASK);
        }
        for key in [
            "group.id",
            "client.id",
            "security.protocol",
            "sasl.mechanism",
            "sasl.username",
            "ssl.ca.location",
            "sasl.oauthbearer.token.endpoint.url",
            "kafka_default_offsets",
        ] {
            assert!(!is_sensitive_key(key), "{key}");
            assert_eq!(mask_property(key, "v"), "v");
        }
    }
}
