//! Container registries over the OCI distribution API, for `patrol image REFERENCE`: image
//! references parsed as `docker` does ([`Reference`]), credentials from the environment or the
//! docker configuration ([`auth`]), and the HTTP client ([`client`]): HTTPS except to loopback
//! registries, anonymous or credentialed bearer tokens, redirects followed by hand without the
//! `Authorization` header once they leave the registry's host, blobs streamed.

pub mod auth;
pub mod client;

pub use client::{Registry, RegistryError, Repository};

/// Docker Hub's registry host, for names without one.
pub const DOCKER_HUB: &str = "registry-1.docker.io";

/// `REGISTRY/NAME[:TAG|@DIGEST]`, resolved as `docker pull` resolves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `host[:port]` to connect to.
    pub registry: String,
    /// The repository, `library/` added for Docker Hub's official images.
    pub name: String,
    /// The tag or the digest (`sha256:…`).
    pub reference: String,
}

impl Reference {
    pub fn parse(s: &str) -> Result<Reference, String> {
        let bad = || format!("{s:?} is not an image reference (REGISTRY/NAME[:TAG|@DIGEST])");
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (s, None),
        };
        let (first, remainder) = match rest.split_once('/') {
            Some((f, r)) if f.contains(['.', ':']) || f == "localhost" => (Some(f), r),
            _ => (None, rest),
        };
        let (path, tag) = match remainder.rsplit_once(':') {
            Some((p, t)) if !t.contains('/') => (p, Some(t)),
            _ => (remainder, None),
        };
        let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        // As the distribution spec says: alphanumeric at both ends (no `.` or `..`).
        let component_ok = |c: &str| {
            c.bytes().next().is_some_and(alnum)
                && c.bytes().last().is_some_and(alnum)
                && c.bytes().all(|b| alnum(b) || b"._-".contains(&b))
        };
        if !path.split('/').all(component_ok) {
            return Err(bad());
        }
        // `host[:port]` (`[v6]:port`): nothing else goes in front of the URL's path (no `user@`).
        let host_ok = |h: &str| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        };
        if first.is_some_and(|h| !host_ok(h)) {
            return Err(bad());
        }
        let tag_ok = |t: &str| {
            !t.is_empty()
                && t.len() <= 128
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        };
        if tag.is_some_and(|t| !tag_ok(t)) {
            return Err(bad());
        }
        if let Some(d) = digest {
            if crate::source::image::spec::sha256_hex(d).is_none() {
                return Err(format!("{s:?}: only sha256:HEX digests are supported"));
            }
        }
        let (registry, name) = match first {
            None | Some("docker.io" | "index.docker.io") => {
                let name = if path.contains('/') {
                    path.to_string()
                } else {
                    format!("library/{path}")
                };
                (DOCKER_HUB.to_string(), name)
            }
            Some(host) => (host.to_string(), path.to_string()),
        };
        let reference = digest.or(tag).unwrap_or("latest").to_string();
        Ok(Reference {
            registry,
            name,
            reference,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(s: &str) -> (String, String, String) {
        let r = Reference::parse(s).unwrap();
        (r.registry, r.name, r.reference)
    }

    #[test]
    fn references_resolve_like_docker() {
        let own = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
        assert_eq!(
            parsed("alpine"),
            own(DOCKER_HUB, "library/alpine", "latest")
        );
        assert_eq!(parsed("user/app:1.2"), own(DOCKER_HUB, "user/app", "1.2"));
        assert_eq!(parsed("ghcr.io/o/app:v1"), own("ghcr.io", "o/app", "v1"));
        assert_eq!(
            parsed("127.0.0.1:5000/team/app"),
            own("127.0.0.1:5000", "team/app", "latest")
        );
        let digest = format!("sha256:{}", "0".repeat(64));
        assert_eq!(
            parsed(&format!("localhost/app@{digest}")),
            own("localhost", "app", &digest)
        );
        assert!(Reference::parse("Upper/Case").is_err());
        assert!(Reference::parse("app@sha256:short").is_err());
        assert!(Reference::parse("app:bad tag").is_err());
        assert!(Reference::parse("containers.x@evil.example/app").is_err());
        assert!(Reference::parse("ghcr.io/../../v2/x").is_err());
        assert_eq!(parsed("[::1]:5000/app").0, "[::1]:5000");
    }
}
