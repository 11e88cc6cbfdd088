//! Container packages (`patrol github --packages`): an organisation's or a user's
//! (`GET /orgs/{org}/packages?package_type=container`, `/users/{user}/packages?…`) and each
//! package's versions (`…/packages/container/{name}/versions`), paged and asked for with the
//! ETag of the last answer as repository listings are ([`super::repos::Lister`]). A package name
//! may hold `/`: it is checked and percent-encoded in the path. A container version's `name` is
//! its manifest digest (`sha256:…`) and its tags are in `metadata.container.tags`.

use serde::Deserialize;

use super::repos::{ListError, ListStats, Lister, check_owner};
use crate::source::image::spec::sha256_hex;

/// Whose packages: the path segment and the word errors use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Org,
    User,
}

impl Owner {
    fn segment(self) -> &'static str {
        match self {
            Owner::Org => "orgs",
            Owner::User => "users",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Owner::Org => "organisation",
            Owner::User => "user",
        }
    }
}

/// What the listing says of one container package.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Package {
    /// The name under the owner (`app`, `team/app`).
    pub name: String,
    #[serde(default)]
    pub visibility: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
struct Container {
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
struct Metadata {
    #[serde(default)]
    container: Option<Container>,
}

/// One version of a container package: one manifest (an image or an index).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Version {
    pub id: u64,
    /// The manifest digest.
    pub name: String,
    #[serde(default)]
    metadata: Metadata,
}

impl Version {
    /// The manifest digest, when `name` is one (`sha256:` and 64 hex digits).
    pub fn digest(&self) -> Option<&str> {
        sha256_hex(&self.name).map(|_| self.name.as_str())
    }

    pub fn tags(&self) -> &[String] {
        self.metadata.container.as_ref().map_or(&[], |c| &c.tags)
    }
}

/// Checks a package name (it goes into URL paths and image references): components of ASCII
/// letters, digits, `-`, `_` and `.`, separated by `/`, none empty or starting with `.`.
pub fn check_package(name: &str) -> Result<(), ListError> {
    let ok = name.split('/').all(|c| {
        !c.is_empty()
            && !c.starts_with('.')
            && c.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    });
    if ok {
        Ok(())
    } else {
        Err(ListError::BadName(name.to_string()))
    }
}

impl Lister<'_> {
    /// The container packages of an organisation or a user.
    pub fn packages(
        &self,
        owner: Owner,
        login: &str,
        stats: &mut ListStats,
    ) -> Result<Vec<Package>, ListError> {
        check_owner(login)?;
        self.all_pages(
            &format!("packages of {} {login}", owner.word()),
            &format!(
                "/{}/{login}/packages?package_type=container",
                owner.segment()
            ),
            stats,
        )
    }

    /// Every version of one container package (`/` in its name percent-encoded).
    pub fn versions(
        &self,
        owner: Owner,
        login: &str,
        package: &str,
        stats: &mut ListStats,
    ) -> Result<Vec<Version>, ListError> {
        check_owner(login)?;
        check_package(package)?;
        let encoded = package.replace('/', "%2F");
        self.all_pages(
            &format!("package {login}/{package}"),
            &format!(
                "/{}/{login}/packages/container/{encoded}/versions",
                owner.segment()
            ),
            stats,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_digest_and_tags_and_names_are_checked() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        let json = format!(
            r#"[{{"id":7,"name":"{digest}","metadata":{{"package_type":"container",
                "container":{{"tags":["1.0","latest"]}}}}}},
               {{"id":8,"name":"1.2.3","metadata":{{"package_type":"container"}}}}]"#
        );
        let v: Vec<Version> = serde_json::from_str(&json).unwrap();
        assert_eq!(v[0].digest(), Some(digest.as_str()));
        assert_eq!(v[0].tags(), ["1.0", "latest"]);
        assert_eq!(v[1].digest(), None);
        assert!(v[1].tags().is_empty());
        assert!(check_package("team/app").is_ok());
        assert!(check_package("app").is_ok());
        assert!(check_package("team/../x").is_err());
        assert!(check_package("team//x").is_err());
        assert!(check_package("a?b").is_err());
    }
}
