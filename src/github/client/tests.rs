//! Unit tests of `github::client`.

use super::*;

#[test]
fn urls_must_be_https_unless_loopback() {
    assert!(check_url("https://api.github.com").is_ok());
    assert!(check_url("https://ghes.example.com/api/v3").is_ok());
    assert!(check_url("http://127.0.0.1:8080").is_ok());
    assert!(check_url("http://localhost:1234/api/v3").is_ok());
    assert!(check_url("http://[::1]:99").is_ok());
    assert!(matches!(
        check_url("http://api.github.com"),
        Err(ApiError::Insecure(_))
    ));
    assert!(matches!(
        check_url("http://10.0.0.1"),
        Err(ApiError::Insecure(_))
    ));
    assert!(matches!(check_url("ftp://x"), Err(ApiError::BadUrl(_))));
}

#[test]
fn web_hosts() {
    assert_eq!(web_host("https://api.github.com"), "github.com");
    assert_eq!(
        web_host("https://ghes.corp.example/api/v3"),
        "ghes.corp.example"
    );
    assert_eq!(web_host("https://api.acme.ghe.com"), "acme.ghe.com");
}
