//! From an index (OCI `index.json`, an image index, a Docker manifest list) down to the images
//! to scan: nested indexes followed, platforms selected (`--platform`, `--all-platforms`, or
//! this machine's), each image's config and layer digests. Where the documents come from — a
//! tarball, a directory, a registry — is the caller's [`Docs`]. An index that names the same
//! manifest many times is followed once per distinct entry, and at most [`MAX_DESCRIPTORS`]
//! manifests and layers are taken from one target (memory stays bounded whatever the index
//! says; what is left is a problem).

use std::collections::HashSet;

use super::spec::{self, Descriptor, Manifest};

/// Which platforms of a multi-platform image are scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Platforms {
    /// This machine's (linux/amd64, linux/arm64, …); failing that, the first image.
    Host,
    /// `--platform os/arch[/variant]`.
    One(String),
    /// `--all-platforms`: every image, attestations included.
    All,
}

/// Indexes inside indexes followed at most this deep.
const MAX_NESTING: u32 = 4;

/// Most manifests and layer descriptors resolved under one target's roots: far above real
/// images (hundreds of tags or platforms of tens of layers), far below what memory holds.
pub const MAX_DESCRIPTORS: usize = 200_000;

/// Manifest documents by descriptor.
pub trait Docs {
    /// The document `d` names, and the media type it was served with (if any).
    fn manifest(&self, d: &Descriptor) -> Result<(Vec<u8>, Option<String>), String>;
}

/// An image found under an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub manifest: String,
    pub platform: Option<String>,
    pub tag: Option<String>,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

/// This machine's platform as registries spell it.
pub fn host_platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    };
    format!("linux/{arch}")
}

/// The entries of an index to follow. Entries without a platform are always followed.
pub fn select(list: &[Descriptor], platforms: &Platforms) -> Result<Vec<Descriptor>, String> {
    let with: Vec<&Descriptor> = list.iter().filter(|d| d.platform.is_some()).collect();
    let mut out: Vec<Descriptor> = list
        .iter()
        .filter(|d| d.platform.is_none())
        .cloned()
        .collect();
    if with.is_empty() {
        return Ok(out);
    }
    let matches = |want: &str| -> Vec<Descriptor> {
        with.iter()
            .filter(|d| {
                let p = d.platform.as_deref().unwrap_or("");
                // `linux/arm64` matches `linux/arm64/v8`.
                p == want || p.strip_prefix(want).is_some_and(|r| r.starts_with('/'))
            })
            .map(|d| (*d).clone())
            .collect()
    };
    match platforms {
        Platforms::All => out.extend(with.into_iter().cloned()),
        Platforms::One(want) => {
            let found = matches(want);
            if found.is_empty() {
                let has: Vec<&str> = with
                    .iter()
                    .filter(|d| !d.attestation)
                    .filter_map(|d| d.platform.as_deref())
                    .collect();
                return Err(format!(
                    "no image for platform {want} (it has: {})",
                    has.join(", ")
                ));
            }
            out.extend(found);
        }
        Platforms::Host => {
            let found = matches(&host_platform());
            match found.into_iter().next() {
                Some(d) => out.push(d),
                None => out.extend(with.iter().find(|d| !d.attestation).map(|d| (*d).clone())),
            }
        }
    }
    Ok(out)
}

/// Every image under `roots` for `platforms`. Problems (a document that cannot be read, an
/// unknown media type, no matching platform) are returned with the digest they concern; the
/// other images are still resolved.
pub fn resolve(
    docs: &dyn Docs,
    roots: &[Descriptor],
    platforms: &Platforms,
) -> (Vec<Resolved>, Vec<(String, String)>) {
    let mut walk = Walk {
        docs,
        platforms,
        images: Vec::new(),
        problems: Vec::new(),
        seen: HashSet::new(),
        budget: MAX_DESCRIPTORS,
    };
    match select(roots, platforms) {
        Ok(chosen) => {
            for root in &chosen {
                walk.walk(root, 0);
            }
        }
        Err(e) => walk.problems.push(("index".into(), e)),
    }
    (walk.images, walk.problems)
}

/// One resolution: what it found, and what it has already followed.
struct Walk<'a> {
    docs: &'a dyn Docs,
    platforms: &'a Platforms,
    images: Vec<Resolved>,
    problems: Vec<(String, String)>,
    /// Entries already followed (digest, tag, platform): the same entry twice resolves the same.
    seen: HashSet<(String, Option<String>, Option<String>)>,
    /// Descriptors still allowed (manifests and layers).
    budget: usize,
}

impl Walk<'_> {
    /// Takes `n` descriptors from the budget; false (and the problem reported once) when it
    /// is spent.
    fn spend(&mut self, n: usize, digest: &str) -> bool {
        if self.budget == usize::MAX {
            return false;
        }
        match self.budget.checked_sub(n) {
            Some(left) => {
                self.budget = left;
                true
            }
            None => {
                self.budget = usize::MAX;
                self.problems.push((
                    digest.to_string(),
                    format!(
                        "the index names more than {MAX_DESCRIPTORS} manifests and layers: \
                         the rest was not read"
                    ),
                ));
                false
            }
        }
    }

    fn walk(&mut self, d: &Descriptor, depth: u32) {
        if depth > MAX_NESTING {
            self.problems
                .push((d.digest.clone(), "indexes nested too deep".into()));
            return;
        }
        let key = (d.digest.clone(), d.ref_name.clone(), d.platform.clone());
        if !self.seen.insert(key) || !self.spend(1, &d.digest) {
            return;
        }
        let parsed = self.docs.manifest(d).and_then(|(bytes, served)| {
            let media = served.as_deref().or(Some(d.media_type.as_str()));
            spec::manifest(&bytes, media).map_err(|e| e.to_string())
        });
        match parsed {
            Err(e) => self.problems.push((d.digest.clone(), e)),
            Ok(Manifest::Image { config, layers }) => {
                if self.spend(layers.len(), &d.digest) {
                    self.images.push(Resolved {
                        manifest: d.digest.clone(),
                        platform: d.platform.clone(),
                        tag: d.ref_name.clone(),
                        config,
                        layers,
                    });
                }
            }
            Ok(Manifest::Index(list)) => match select(&list, self.platforms) {
                Err(e) => self.problems.push((d.digest.clone(), e)),
                Ok(chosen) => {
                    for mut child in chosen {
                        if child.ref_name.is_none() {
                            child.ref_name = d.ref_name.clone();
                        }
                        self.walk(&child, depth + 1);
                    }
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(platform: Option<&str>, attestation: bool) -> Descriptor {
        Descriptor {
            media_type: spec::OCI_MANIFEST.into(),
            digest: format!("sha256:{}", platform.unwrap_or("none")),
            size: None,
            platform: platform.map(str::to_string),
            ref_name: None,
            attestation,
        }
    }

    #[test]
    fn platform_selection() {
        let list = [
            d(Some("linux/arm64/v8"), false),
            d(Some("linux/s390x"), false),
            d(Some("unknown/unknown"), true),
        ];
        let one = select(&list, &Platforms::One("linux/arm64".into())).unwrap();
        assert_eq!(one[0].platform.as_deref(), Some("linux/arm64/v8"));
        let err = select(&list, &Platforms::One("windows/amd64".into())).unwrap_err();
        assert!(err.contains("linux/s390x") && !err.contains("unknown/unknown"));
        assert_eq!(select(&list, &Platforms::All).unwrap().len(), 3);
        assert_eq!(select(&list, &Platforms::Host).unwrap().len(), 1);
        assert_eq!(
            select(&[d(None, false)], &Platforms::Host).unwrap().len(),
            1
        );
    }
}
