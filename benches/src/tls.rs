//! TLS for a server the benchmark did not start (`--addr https://…`): one
//! rustls client configuration for the process, used by the setup's HTTP
//! client and by every WebSocket. It trusts the public roots (webpki-roots)
//! and the CA in `--ca-file`, or, with `--insecure`, any certificate (a test
//! server's self-signed one). Set once at start-up, before any connection.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();

/// Builds the process's configuration. Call once, before connecting.
pub fn configure(ca_file: Option<&Path>, insecure: bool) -> Result<(), String> {
    let config = build(ca_file, insecure)?;
    CONFIG.set(Arc::new(config)).map_err(|_| "TLS is configured already".to_owned())
}

/// The configuration: the one configured, else the public roots only.
pub fn config() -> Arc<ClientConfig> {
    CONFIG.get_or_init(|| Arc::new(build(None, false).expect("the public roots load"))).clone()
}

fn build(ca_file: Option<&Path>, insecure: bool) -> Result<ClientConfig, String> {
    // The process default too, for any other client reqwest builds.
    let _ = CryptoProvider::install_default(ring::default_provider());
    let provider = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    if insecure {
        let verifier = Arc::new(AnyCertificate(provider));
        return Ok(builder.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth());
    }
    let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(path) = ca_file {
        let failed = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        for cert in CertificateDer::pem_file_iter(path).map_err(|e| failed(&e))? {
            roots.add(cert.map_err(|e| failed(&e))?).map_err(|e| failed(&e))?;
        }
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

/// An HTTP client for the setup that uses the configuration.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured((*config()).clone())
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// Accepts any server certificate, still checking the handshake's
/// signatures (`--insecure`, for a test server's self-signed certificate).
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
