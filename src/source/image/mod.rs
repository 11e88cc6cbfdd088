//! Container images (`patrol image TARGET…`): `docker save` tarballs, OCI layouts (tarball or
//! directory), compressed or not ([`bundle`]), and images pulled from a registry ([`pull`]).
//! Every file of every layer is scanned, files a later layer deletes or replaces included
//! ([`layer`]); the config's `Env`, `Labels`, `Cmd`, `Entrypoint` and history are scanned as
//! parts of their own ([`record`]). The index says which images and platforms ([`resolve`],
//! [`spec`]). A layer is scanned once per run, whichever image it belongs to: its hits are kept
//! (few) and located in every image that has it.

mod bundle;
mod bundle_images;
mod changes;
mod handoff;
pub mod layer;
mod pull;
mod record;
pub mod resolve;
pub mod spec;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::finding::ImageContext;
use crate::registry::Registry;
use crate::scan::Scanner;
use crate::source::archive::Limits;
use crate::source::{Source, SourceError};
use layer::ScannedLayer;
pub use pull::scan_reference;
pub use resolve::Platforms;

/// The layers scanned in this run, by verified digest.
#[derive(Default)]
pub struct LayerCache {
    layers: Mutex<HashMap<String, Arc<ScannedLayer>>>,
}

impl LayerCache {
    pub fn get(&self, digest: &str) -> Option<Arc<ScannedLayer>> {
        self.lock().get(digest).cloned()
    }

    /// Keeps `layer` for the rest of the run when its digest was verified; returns it shared.
    pub fn insert(&self, layer: ScannedLayer) -> Arc<ScannedLayer> {
        let layer = Arc::new(layer);
        if layer.verified {
            self.lock().insert(layer.digest.clone(), layer.clone());
        }
        layer
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<ScannedLayer>>> {
        self.layers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The context every location of an image starts from.
fn context(image: &str) -> ImageContext {
    ImageContext {
        image: image.to_string(),
        ..ImageContext::default()
    }
}

/// `patrol image TARGET…`.
pub struct Images<'a> {
    pub targets: Vec<String>,
    pub platforms: Platforms,
    pub archives: Limits,
    /// For targets that are references (not files).
    pub registry: &'a Registry,
}

impl Source for Images<'_> {
    fn scan(&self, scanner: &Scanner) -> Result<(), SourceError> {
        let cache = LayerCache::default();
        let diag = scanner.diagnostics;
        diag.track_units(self.targets.len() as u64, "images");
        for target in &self.targets {
            let path = Path::new(target);
            let bundle = bundle::Bundle {
                scanner,
                limits: self.archives,
                cache: &cache,
                platforms: &self.platforms,
                image: target.clone(),
            };
            if path.is_dir() {
                bundle.scan_dir(path);
            } else if path.exists() {
                bundle.scan_tarball(path);
            } else if looks_like_path(target) {
                diag.problem(target, "no such file or directory");
            } else {
                pull::scan_reference(
                    scanner,
                    self.registry,
                    target,
                    None,
                    &self.platforms,
                    self.archives,
                    &cache,
                );
            }
            diag.unit_done();
        }
        Ok(())
    }
}

/// A target that is meant as a file: a path that names a directory, or a tarball's name.
fn looks_like_path(target: &str) -> bool {
    target.starts_with(['.', '/', '~'])
        || target.contains('\\')
        || crate::source::archive::kind_of(target).is_some()
}
