//! `vigil tool check web-config FILE…`: promtool's check of web
//! configuration files (`--web.config.file`), as exporter-toolkit's
//! `web.Validate` does it: the file decodes strictly with allowed headers,
//! every basic-auth password is a well-formed bcrypt hash, and when TLS is
//! configured the certificate and key load and belong together (Go's
//! `tls.X509KeyPair`), the client-auth policy is known and the client CA
//! file is readable. Each file gets `<file> SUCCESS` or `<file> FAILED:
//! <reason>` on stderr, as promtool prints them; the exit code is 1 when
//! any failed.

use std::io::Write;
use std::path::Path;

use rustls::pki_types::PrivateSec1KeyDer;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer};
use vigil_config::ConfigError;
use vigil_config::web_config::WebConfig;

/// Checks every file, printing one verdict line each on `err`; returns
/// promtool's exit code (0 all valid, 1 otherwise).
pub fn check_web_config(files: &[String], err: &mut dyn Write) -> std::io::Result<u8> {
    let mut failed = false;
    for f in files {
        match validate(Path::new(f)) {
            Ok(()) => writeln!(err, "{f} SUCCESS")?,
            Err(e) => {
                writeln!(err, "{f} FAILED: {e}")?;
                failed = true;
            }
        }
    }
    Ok(u8::from(failed))
}

/// Validates one web configuration file; the error is worded as
/// exporter-toolkit's.
pub fn validate(path: &Path) -> Result<(), String> {
    let cfg = WebConfig::load_file(path).map_err(|e| go_error(&e))?;
    cfg.check_users().map_err(|e| go_error(&e))?;
    let tls = &cfg.tls_server_config;
    if !tls.is_enabled() {
        return Ok(());
    }
    tls.check_paths().map_err(|e| go_error(&e))?;
    let cert = if tls.cert_file.is_empty() {
        tls.cert.as_bytes().to_vec()
    } else {
        std::fs::read(&tls.cert_file).map_err(|e| {
            format!(
                "failed to read cert_file ({}): {}",
                tls.cert_file,
                open_error(&tls.cert_file, &e)
            )
        })?
    };
    let key = if tls.key_file.is_empty() {
        tls.key.expose().as_bytes().to_vec()
    } else {
        std::fs::read(&tls.key_file).map_err(|e| {
            format!(
                "failed to read key_file ({}): {}",
                tls.key_file,
                open_error(&tls.key_file, &e)
            )
        })?
    };
    x509_key_pair(&cert, &key).map_err(|e| format!("failed to load X509KeyPair: {e}"))?;
    if !tls.client_ca_file.is_empty() {
        std::fs::read(&tls.client_ca_file).map_err(|e| open_error(&tls.client_ca_file, &e))?;
    }
    tls.check().map_err(|e| go_error(&e))?;
    Ok(())
}

/// A config error in Go's words (a failed read as `os.ReadFile` says it).
fn go_error(e: &ConfigError) -> String {
    match e {
        ConfigError::Io { path, error } => open_error(&path.display().to_string(), error),
        other => other.to_string(),
    }
}

/// Go's wording of a failed `os.Open`/`os.ReadFile`.
fn open_error(path: &str, e: &std::io::Error) -> String {
    crate::test_rules::read_error(path, e)
}

/// One PEM block: its type label and decoded bytes.
#[derive(Debug)]
struct PemBlock {
    label: String,
    der: Vec<u8>,
}

/// The PEM blocks of `input` in order, skipping text between them and
/// blocks whose body is not base64 (as Go's `pem.Decode` skips them).
fn pem_blocks(input: &[u8]) -> Vec<PemBlock> {
    use base64::Engine;
    let text = String::from_utf8_lossy(input);
    let mut out = Vec::new();
    let mut rest: &str = &text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + "-----BEGIN ".len()..];
        let Some(label_end) = after.find("-----") else {
            break;
        };
        let label = &after[..label_end];
        let body_start = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let Some(end) = body_start.find(&end_marker) else {
            break;
        };
        // Headers (`Proc-Type: …`) end at an empty line; they carry no key.
        let body = &body_start[..end];
        let body = match body.find("\n\n") {
            Some(i) if body[..i].contains(':') => &body[i..],
            _ => body,
        };
        let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(b64) {
            out.push(PemBlock {
                label: label.to_string(),
                der,
            });
        }
        rest = &body_start[end + end_marker.len()..];
    }
    out
}

/// Go's `%v` of a list of strings.
fn go_list(v: &[String]) -> String {
    format!("[{}]", v.join(" "))
}

/// Go's `tls.X509KeyPair` checks: the certificate input holds a
/// `CERTIFICATE` block, the key input a `… PRIVATE KEY` block, both parse,
/// and the key's public half is the certificate's.
fn x509_key_pair(cert_pem: &[u8], key_pem: &[u8]) -> Result<(), String> {
    let mut certs = Vec::new();
    let mut skipped = Vec::new();
    for b in pem_blocks(cert_pem) {
        if b.label == "CERTIFICATE" {
            certs.push(b.der);
        } else {
            skipped.push(b.label);
        }
    }
    let Some(leaf) = certs.into_iter().next() else {
        return Err(match skipped.as_slice() {
            [] => "tls: failed to find any PEM data in certificate input".into(),
            [one] if one.ends_with("PRIVATE KEY") => "tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched".into(),
            _ => format!(
                "tls: failed to find \"CERTIFICATE\" PEM block in certificate input after skipping PEM blocks of the following types: {}",
                go_list(&skipped)
            ),
        });
    };
    let mut skipped = Vec::new();
    let mut key = None;
    for b in pem_blocks(key_pem) {
        if b.label == "PRIVATE KEY" || b.label.ends_with(" PRIVATE KEY") {
            key = Some(b);
            break;
        }
        skipped.push(b.label);
    }
    let Some(key) = key else {
        return Err(match skipped.as_slice() {
            [] => "tls: failed to find any PEM data in key input".into(),
            [one] if one == "CERTIFICATE" => {
                "tls: found a certificate rather than a key in the PEM for the private key".into()
            }
            _ => format!(
                "tls: failed to find PEM block with type ending in \"PRIVATE KEY\" in key input after skipping PEM blocks of the following types: {}",
                go_list(&skipped)
            ),
        });
    };
    let leaf = CertificateDer::from(leaf);
    let cert = webpki::EndEntityCert::try_from(&leaf)
        .map_err(|e| format!("x509: malformed certificate ({e})"))?;
    let cert_spki = cert.subject_public_key_info();
    // Go tries PKCS #1, PKCS #8, then SEC 1 whatever the block's label says.
    let signing = [
        PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(key.der.clone())),
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.der.clone())),
        PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(key.der)),
    ]
    .iter()
    .find_map(|k| rustls::crypto::ring::sign::any_supported_type(k).ok())
    .ok_or("tls: failed to parse private key")?;
    let key_spki = signing
        .public_key()
        .ok_or("tls: failed to parse private key")?;
    if key_spki.as_ref() == cert_spki.as_ref() {
        return Ok(());
    }
    if spki_algorithm(key_spki.as_ref()) != spki_algorithm(cert_spki.as_ref()) {
        return Err("tls: private key type does not match public key type".into());
    }
    Err("tls: private key does not match public key".into())
}

/// The algorithm OID of a DER `SubjectPublicKeyInfo` (the curve or other
/// parameters left out, as Go compares key types, not curves).
fn spki_algorithm(spki: &[u8]) -> Option<&[u8]> {
    let (_, spki_body, _) = der_tlv(spki)?;
    let (_, alg_id, _) = der_tlv(spki_body)?;
    let (tag, oid, _) = der_tlv(alg_id)?;
    (tag == 0x06).then_some(oid)
}

/// One DER tag-length-value: tag, contents, and the bytes after it.
fn der_tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (bytes, rest) = rest.split_at(n);
        (
            bytes
                .iter()
                .fold(0usize, |acc, &x| (acc << 8) | usize::from(x)),
            rest,
        )
    };
    if rest.len() < len {
        return None;
    }
    let (body, after) = rest.split_at(len);
    Some((tag, body, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_are_found_between_text() {
        let input = b"junk\n-----BEGIN FOO-----\naGVsbG8=\n-----END FOO-----\ntail\n-----BEGIN BAR-----\n!!\n-----END BAR-----\n";
        let blocks = pem_blocks(input);
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].label, "FOO");
        assert_eq!(blocks[0].der, b"hello");
    }

    #[test]
    fn key_pair_messages_name_the_problem() {
        assert_eq!(
            x509_key_pair(b"", b"").unwrap_err(),
            "tls: failed to find any PEM data in certificate input"
        );
        let foo = b"-----BEGIN FOO-----\naGVsbG8=\n-----END FOO-----\n";
        assert!(
            x509_key_pair(foo, b"")
                .unwrap_err()
                .contains("types: [FOO]")
        );
        let cert = b"-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n";
        assert_eq!(
            x509_key_pair(cert, cert).unwrap_err(),
            "tls: found a certificate rather than a key in the PEM for the private key"
        );
        let key = b"-----BEGIN PRIVATE KEY-----\naGVsbG8=\n-----END PRIVATE KEY-----\n";
        assert!(x509_key_pair(cert, key).unwrap_err().starts_with("x509: "));
    }

    #[test]
    fn der_reader_is_bounded() {
        assert_eq!(der_tlv(&[0x30, 0x05, 1]), None);
        assert_eq!(der_tlv(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(
            der_tlv(&[0x06, 0x01, 7, 9]),
            Some((0x06, &[7u8][..], &[9u8][..]))
        );
        assert_eq!(spki_algorithm(&[]), None);
    }
}
