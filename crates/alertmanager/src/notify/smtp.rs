//! A small SMTP client on tokio: what Alertmanager's email integration
//! needs and nothing more. Implicit TLS (port 465 or
//! `force_implicit_tls`), STARTTLS (required unless `require_tls: false`),
//! `AUTH` with CRAM-MD5, PLAIN or LOGIN chosen from what the server
//! offers, then one message to its recipients.
//!
//! Written here rather than taken from `lettre` because lettre has no
//! CRAM-MD5 and would bring its own message builder and TLS stack along;
//! the protocol part Alertmanager uses is a few hundred lines.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufStream};
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use vigil_config::http::TlsConfig;

/// Why sending mail failed.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// Connecting, reading or writing failed (worth retrying).
    #[error("{0}")]
    Io(String),
    /// The server answered with an unexpected reply.
    #[error("{context}: {code} {text}")]
    Reply {
        /// What was being done.
        context: &'static str,
        /// The reply code.
        code: u16,
        /// The reply text.
        text: String,
    },
    /// The session cannot go on as configured (TLS, auth).
    #[error("{0}")]
    Config(String),
}

impl SmtpError {
    /// Whether a later attempt may succeed: I/O and 4xx replies.
    pub fn retriable(&self) -> bool {
        match self {
            SmtpError::Io(_) => true,
            SmtpError::Reply { code, .. } => (400..500).contains(code),
            SmtpError::Config(_) => false,
        }
    }
}

/// Credentials.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    /// `auth_username`.
    pub username: String,
    /// `auth_password` (PLAIN, LOGIN).
    pub password: String,
    /// `auth_secret` (CRAM-MD5).
    pub secret: String,
    /// `auth_identity` (PLAIN).
    pub identity: String,
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct Session {
    /// Server host.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// The name sent with `EHLO`.
    pub hello: String,
    /// TLS options.
    pub tls: TlsConfig,
    /// Refuse to go on without STARTTLS.
    pub require_tls: bool,
    /// TLS from the first byte.
    pub implicit_tls: bool,
    /// Credentials, if the username is set.
    pub auth: Option<Auth>,
    /// Bound on the whole session.
    pub timeout: Duration,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

struct Conn {
    s: BufStream<Box<dyn Io>>,
}

fn io(e: std::io::Error) -> SmtpError {
    SmtpError::Io(e.to_string())
}

impl Conn {
    /// Reads a (possibly multi-line) reply: its code and its lines.
    async fn reply(&mut self) -> Result<(u16, Vec<String>), SmtpError> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            if self.s.read_line(&mut line).await.map_err(io)? == 0 {
                return Err(SmtpError::Io("connection closed by the server".into()));
            }
            let line = line.trim_end_matches(['\r', '\n']);
            let code = line
                .get(..3)
                .and_then(|c| c.parse::<u16>().ok())
                .ok_or_else(|| SmtpError::Io(format!("malformed reply {line:?}")))?;
            let more = line.as_bytes().get(3) == Some(&b'-');
            lines.push(line.get(4..).unwrap_or("").to_string());
            if !more {
                return Ok((code, lines));
            }
        }
    }

    async fn expect(&mut self, context: &'static str, want: u16) -> Result<Vec<String>, SmtpError> {
        let (code, lines) = self.reply().await?;
        if code != want && !(want == 250 && code == 251) {
            return Err(SmtpError::Reply {
                context,
                code,
                text: lines.join(" "),
            });
        }
        Ok(lines)
    }

    async fn cmd(&mut self, line: &str) -> Result<(), SmtpError> {
        self.s.write_all(line.as_bytes()).await.map_err(io)?;
        self.s.write_all(b"\r\n").await.map_err(io)?;
        self.s.flush().await.map_err(io)
    }

    async fn ehlo(&mut self, hello: &str) -> Result<Vec<String>, SmtpError> {
        self.cmd(&format!("EHLO {hello}")).await?;
        let lines = self.expect("EHLO", 250).await?;
        Ok(lines.into_iter().skip(1).collect())
    }
}

/// A rustls verifier that accepts any certificate (`insecure_skip_verify`).
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &rustls::pki_types::CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &rustls::pki_types::CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn read_pem(inline: &str, file: &str) -> Result<Option<Vec<u8>>, SmtpError> {
    if !inline.is_empty() {
        return Ok(Some(inline.as_bytes().to_vec()));
    }
    if file.is_empty() {
        return Ok(None);
    }
    std::fs::read(file)
        .map(Some)
        .map_err(|e| SmtpError::Config(format!("unable to read {file}: {e}")))
}

fn tls_config(t: &TlsConfig) -> Result<rustls::ClientConfig, SmtpError> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |e: String| SmtpError::Config(format!("tls_config: {e}"));
    // The workspace builds rustls on ring; its provider is deprecated only
    // for lacking post-quantum key exchange, which SMTP servers rarely offer.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?;
    let builder = if t.insecure_skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        match read_pem(&t.ca, &t.ca_file)? {
            Some(pem) => {
                for c in CertificateDer::pem_slice_iter(&pem) {
                    roots
                        .add(c.map_err(|e| bad(e.to_string()))?)
                        .map_err(|e| bad(e.to_string()))?;
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        builder.with_root_certificates(roots)
    };
    let cert = read_pem(&t.cert, &t.cert_file)?;
    let key = read_pem(t.key.expose(), &t.key_file)?;
    Ok(match (cert, key) {
        (Some(c), Some(k)) => {
            let chain = CertificateDer::pem_slice_iter(&c)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| bad(e.to_string()))?;
            let key = PrivateKeyDer::from_pem_slice(&k).map_err(|e| bad(e.to_string()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| bad(e.to_string()))?
        }
        _ => builder.with_no_client_auth(),
    })
}

async fn wrap_tls(s: Box<dyn Io>, host: &str, t: &TlsConfig) -> Result<Box<dyn Io>, SmtpError> {
    let cfg = tls_config(t)?;
    let name = if t.server_name.is_empty() {
        host
    } else {
        &t.server_name
    };
    let name = rustls::pki_types::ServerName::try_from(name.to_string())
        .map_err(|e| SmtpError::Config(format!("invalid server name {name:?}: {e}")))?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(name, s)
        .await
        .map_err(|e| SmtpError::Io(format!("TLS handshake: {e}")))?;
    Ok(Box::new(tls))
}

/// The CRAM-MD5 answer to a (decoded) challenge: `user hex(hmac-md5)`.
pub fn cram_md5(user: &str, secret: &str, challenge: &[u8]) -> String {
    use md5::{Digest as _, Md5};
    let mut key = secret.as_bytes().to_vec();
    if key.len() > 64 {
        key = Md5::digest(&key).to_vec();
    }
    key.resize(64, 0);
    let ipad: Vec<u8> = key.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = key.iter().map(|b| b ^ 0x5c).collect();
    let inner = Md5::new()
        .chain_update(&ipad)
        .chain_update(challenge)
        .finalize();
    let mac = Md5::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize();
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    format!("{user} {hex}")
}

fn b64(s: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn unb64(s: &str) -> Result<Vec<u8>, SmtpError> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map_err(|e| SmtpError::Io(format!("bad AUTH challenge: {e}")))
}

async fn authenticate(
    c: &mut Conn,
    exts: &[String],
    a: &Auth,
    tls: bool,
    host: &str,
) -> Result<(), SmtpError> {
    let mechs: Vec<String> = exts
        .iter()
        .filter_map(|e| {
            let up = e.to_ascii_uppercase();
            up.strip_prefix("AUTH")
                .map(|m| m.trim_start_matches(['=', ' ']).to_string())
        })
        .flat_map(|m| m.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .collect();
    if mechs.is_empty() {
        // Alertmanager goes on without authenticating when none is offered.
        return Ok(());
    }
    let has = |m: &str| mechs.iter().any(|x| x == m);
    if has("CRAM-MD5") && !a.secret.is_empty() {
        c.cmd("AUTH CRAM-MD5").await?;
        let ch = c.expect("AUTH CRAM-MD5", 334).await?;
        let challenge = unb64(ch.first().map_or("", String::as_str))?;
        c.cmd(&b64(cram_md5(&a.username, &a.secret, &challenge).as_bytes()))
            .await?;
        c.expect("AUTH CRAM-MD5", 235).await?;
        return Ok(());
    }
    if a.password.is_empty() {
        return Err(SmtpError::Config(format!(
            "unknown auth mechanism: {}",
            mechs.join(" ")
        )));
    }
    // Like Go's PlainAuth, never send a password in clear to a remote host.
    let local = matches!(host, "localhost" | "127.0.0.1" | "::1");
    if !tls && !local {
        return Err(SmtpError::Config(
            "refusing to authenticate over an unencrypted connection".into(),
        ));
    }
    if has("PLAIN") {
        let token = format!("{}\0{}\0{}", a.identity, a.username, a.password);
        c.cmd(&format!("AUTH PLAIN {}", b64(token.as_bytes())))
            .await?;
        c.expect("AUTH PLAIN", 235).await?;
        return Ok(());
    }
    if has("LOGIN") {
        c.cmd("AUTH LOGIN").await?;
        c.expect("AUTH LOGIN", 334).await?;
        c.cmd(&b64(a.username.as_bytes())).await?;
        c.expect("AUTH LOGIN", 334).await?;
        c.cmd(&b64(a.password.as_bytes())).await?;
        c.expect("AUTH LOGIN", 235).await?;
        return Ok(());
    }
    Err(SmtpError::Config(format!(
        "unknown auth mechanism: {}",
        mechs.join(" ")
    )))
}

/// Dot-stuffs a message and ends every line with CRLF.
fn dot_stuff(data: &str) -> String {
    let mut out = String::with_capacity(data.len() + 64);
    for line in data.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with('.') {
            out.push('.');
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out
}

async fn run(s: &Session, from: &str, to: &[String], data: &str) -> Result<(), SmtpError> {
    let tcp = TcpStream::connect((s.host.as_str(), s.port))
        .await
        .map_err(|e| SmtpError::Io(format!("establish connection to server: {e}")))?;
    let mut stream: Box<dyn Io> = Box::new(tcp);
    let mut tls = false;
    if s.implicit_tls || s.port == 465 {
        stream = wrap_tls(stream, &s.host, &s.tls).await?;
        tls = true;
    }
    let mut c = Conn {
        s: BufStream::new(stream),
    };
    c.expect("greeting", 220).await?;
    let mut exts = c.ehlo(&s.hello).await?;
    if !tls {
        let starttls = exts.iter().any(|e| e.eq_ignore_ascii_case("STARTTLS"));
        if starttls {
            c.cmd("STARTTLS").await?;
            c.expect("STARTTLS", 220).await?;
            let inner = c.s.into_inner();
            c = Conn {
                s: BufStream::new(wrap_tls(inner, &s.host, &s.tls).await?),
            };
            tls = true;
            exts = c.ehlo(&s.hello).await?;
        } else if s.require_tls {
            return Err(SmtpError::Config(format!(
                "'require_tls' is true (default) but \"{}:{}\" does not advertise the STARTTLS extension",
                s.host, s.port
            )));
        }
    }
    if let Some(a) = s.auth.as_ref().filter(|a| !a.username.is_empty()) {
        authenticate(&mut c, &exts, a, tls, &s.host).await?;
    }
    c.cmd(&format!("MAIL FROM:<{from}>")).await?;
    c.expect("MAIL FROM", 250).await?;
    for rcpt in to {
        c.cmd(&format!("RCPT TO:<{rcpt}>")).await?;
        c.expect("RCPT TO", 250).await?;
    }
    c.cmd("DATA").await?;
    c.expect("DATA", 354).await?;
    c.s.write_all(dot_stuff(data).as_bytes())
        .await
        .map_err(io)?;
    c.cmd(".").await?;
    c.expect("end of DATA", 250).await?;
    // The message is accepted; a failing QUIT does not undo that.
    let _ = c.cmd("QUIT").await;
    Ok(())
}

/// Sends `data` (headers and body, LF or CRLF line ends) from the envelope
/// address `from` to each of `to`.
pub async fn send(s: &Session, from: &str, to: &[String], data: &str) -> Result<(), SmtpError> {
    match tokio::time::timeout(s.timeout, run(s, from, to, data)).await {
        Ok(r) => r,
        Err(_) => Err(SmtpError::Io("SMTP session timed out".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cram_md5_rfc2195() {
        // The example exchange of RFC 2195.
        let got = cram_md5(
            "tim",
            "tanstaaftanstaaf",
            b"<1896.697170952@postoffice.reston.mci.net>",
        );
        assert_eq!(got, "tim b913a602c7eda7a495b4e6e7334d3890");
    }

    #[test]
    fn stuffing() {
        assert_eq!(dot_stuff("a\n.b\r\nc"), "a\r\n..b\r\nc\r\n");
    }

    #[test]
    fn retriable() {
        assert!(SmtpError::Io("x".into()).retriable());
        let r = |code| SmtpError::Reply {
            context: "x",
            code,
            text: String::new(),
        };
        assert!(r(451).retriable());
        assert!(!r(550).retriable());
    }
}
