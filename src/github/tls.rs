//! What TLS trusts and how its failures read, for every HTTPS client of the GitHub module (the
//! API client and the git transport): rustls with the system's roots, or the PEM file
//! `SSL_CERT_FILE` names instead (a GitHub Enterprise Server behind a private CA), checked up
//! front so that a typo is said plainly; and a network error's innermost cause, which reqwest's
//! own message leaves out (an untrusted certificate, with how to trust a private CA).

/// The innermost cause of a network error (what reqwest's own message leaves out: the refused
/// connection, the name not found, the certificate not trusted, with how to trust a private CA).
pub fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    // An io::Error hides the error it wraps from `source()`: step into it by hand.
    let chain = std::iter::successors(Some(e), |c| match c.downcast_ref::<std::io::Error>() {
        Some(io) => io
            .get_ref()
            .map(|inner| inner as &(dyn std::error::Error + 'static)),
        None => c.source(),
    });
    let cause = chain.last().unwrap_or(e);
    match cause.downcast_ref::<rustls::Error>() {
        Some(rustls::Error::InvalidCertificate(_)) => {
            format!("{cause} (a private CA is trusted by naming its PEM file in SSL_CERT_FILE)")
        }
        _ => cause.to_string(),
    }
}

/// `SSL_CERT_FILE`, when set, replaces the system's roots (for a GHES behind a private CA): a
/// file that cannot be read or holds no certificate is said plainly, not left to show up as
/// every server's certificate being untrusted.
pub fn check_ssl_cert_file() -> Result<(), String> {
    let Some(path) = std::env::var_os("SSL_CERT_FILE") else {
        return Ok(());
    };
    let shown = std::path::Path::new(&path).display().to_string();
    let pem = std::fs::read(&path).map_err(|e| format!("SSL_CERT_FILE {shown}: {e}"))?;
    if memchr::memmem::find(&pem, b"-----BEGIN CERTIFICATE-----").is_none() {
        return Err(format!("SSL_CERT_FILE {shown}: no PEM certificate in it"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_untrusted_certificate_is_named_under_the_wrappers_with_how_to_trust_a_ca() {
        use rustls::{CertificateError, Error};
        let tls = Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let wrapped =
            std::io::Error::other(std::io::Error::new(std::io::ErrorKind::InvalidData, tls));
        let cause = root_cause(&wrapped);
        assert!(cause.contains("UnknownIssuer"), "{cause}");
        assert!(cause.contains("SSL_CERT_FILE"), "{cause}");
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(root_cause(&refused), refused.to_string());
    }
}
