//! Images pulled from a registry: the manifest the reference names (its digest checked when the
//! reference is one), indexes followed to the selected platforms, each config fetched and
//! checked, each layer streamed from the registry through its digest check, the decompressor
//! and the scanner — in parallel, never written to disk. A layer already scanned in this run is
//! not fetched again. Every failure names the image and the manifest or layer, and the other
//! layers and images go on.

use std::io::Read;

use rayon::prelude::*;

use super::layer::{scan_layer, sha256_digest};
use super::record::{ImageRecord, record_image};
use super::resolve::{Docs, Platforms, resolve};
use super::spec::{self, Descriptor};
use super::{LayerCache, context};
use crate::registry::{Reference, Registry, Repository};
use crate::scan::Scanner;
use crate::source::archive::Limits;

/// Largest image config read.
const CONFIG_MAX: u64 = 4 << 20;

struct RegistryDocs<'r> {
    repo: &'r Repository<'r>,
    /// The manifest the reference named, already fetched, and its digest.
    root: (String, Vec<u8>, Option<String>),
}

impl Docs for RegistryDocs<'_> {
    fn manifest(&self, d: &Descriptor) -> Result<(Vec<u8>, Option<String>), String> {
        if d.digest == self.root.0 {
            return Ok((self.root.1.clone(), self.root.2.clone()));
        }
        if spec::sha256_hex(&d.digest).is_none() {
            return Err("not a sha256 digest: not fetched".into());
        }
        let (bytes, media) = self.repo.manifest(&d.digest).map_err(|e| e.to_string())?;
        check_digest(&bytes, &d.digest)?;
        Ok((bytes, media))
    }
}

fn check_digest(bytes: &[u8], digest: &str) -> Result<(), String> {
    let read = sha256_digest(bytes);
    if read == digest {
        Ok(())
    } else {
        Err(format!("digest mismatch: read {read}, expected {digest}"))
    }
}

/// Pulls and scans `target`; `tags`, when given, are what its locations say it is tagged
/// (otherwise the reference's tag, if it has one).
pub fn scan_reference(
    scanner: &Scanner,
    registry: &Registry,
    target: &str,
    tags: Option<&str>,
    platforms: &Platforms,
    limits: Limits,
    cache: &LayerCache,
) {
    let diag = scanner.diagnostics;
    let reference = match Reference::parse(target) {
        Ok(r) => r,
        Err(e) => return diag.problem(target, e),
    };
    let repo = match registry.repository(&reference) {
        Ok(r) => r,
        Err(e) => return diag.problem(target, e.to_string()),
    };
    let (bytes, media) = match repo.manifest(&reference.reference) {
        Ok(m) => m,
        Err(e) => return diag.problem(format!("{target} manifest"), e.to_string()),
    };
    let digest = sha256_digest(&bytes);
    if spec::sha256_hex(&reference.reference).is_some() && digest != reference.reference {
        return diag.problem(
            format!("{target} manifest"),
            format!("digest mismatch: read {digest}"),
        );
    }
    let root = Descriptor {
        media_type: media.clone().unwrap_or_default(),
        digest: digest.clone(),
        size: None,
        platform: None,
        ref_name: None,
        attestation: false,
    };
    let docs = RegistryDocs {
        repo: &repo,
        root: (digest, bytes, media),
    };
    let (images, problems) = resolve(&docs, &[root], platforms);
    for (digest, message) in problems {
        diag.problem(format!("{target} manifest {digest}"), message);
    }
    for image in images {
        let config = match fetch_config(&repo, &image.config.digest) {
            Ok(c) => Some(c),
            Err(e) => {
                let config = &image.config.digest;
                diag.problem(format!("{target} config {config}"), e);
                None
            }
        };
        let layers = image
            .layers
            .par_iter()
            .map(|l| {
                if let Some(cached) = cache.get(&l.digest) {
                    return Some(cached);
                }
                let shown = format!("{target}!{}", l.digest);
                match repo.blob(&l.digest) {
                    Ok(mut body) => {
                        let layer = scan_layer(scanner, limits, &mut body, &shown, Some(&l.digest));
                        Some(cache.insert(layer))
                    }
                    Err(e) => {
                        diag.problem(shown, format!("layer not fetched: {e}"));
                        None
                    }
                }
            })
            .collect();
        let mut base = context(target);
        base.manifest = Some(image.manifest);
        base.platform = image.platform;
        base.tag = tags.map(str::to_string).or_else(|| {
            spec::sha256_hex(&reference.reference)
                .is_none()
                .then(|| reference.reference.clone())
        });
        record_image(
            scanner,
            &ImageRecord {
                base,
                config,
                layers,
            },
        );
    }
}

fn fetch_config(repo: &Repository, digest: &str) -> Result<Vec<u8>, String> {
    let body = repo.blob(digest).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    body.take(CONFIG_MAX)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("read error: {e}"))?;
    check_digest(&bytes, digest)?;
    Ok(bytes)
}
