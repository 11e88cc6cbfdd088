//! A bundle's images, once every entry is read: the index (or `docker save`'s `manifest.json`)
//! resolved to the selected images, each recorded with its config and its layers in order; then
//! what no image used — other entries, documents — recorded as `blob`s, so that nothing read
//! from the file goes unreported. Entries of images that were not selected (other platforms)
//! are left out.

use std::collections::HashSet;
use std::sync::Arc;

use super::bundle::{Bundle, Entries, blob_path, named_digest};
use super::context;
use super::layer::{ScannedLayer, normalise, scan_layer, sha256_digest};
use super::record::{ImageRecord, located_path, record_image};
use super::resolve::{Docs, resolve};
use super::spec::{self, Descriptor, Manifest};
use crate::finding::ImageContext;
use crate::source::reader::Origin;

impl Bundle<'_> {
    /// Follows links to the entry `name` stands for.
    fn target<'e>(&self, entries: &'e Entries, name: &'e str) -> &'e str {
        let mut name = name;
        for _ in 0..8 {
            match entries.links.get(name) {
                Some(t) => name = t,
                None => break,
            }
        }
        name
    }

    /// The layer at `name`: scanned already, or a document read as a layer now.
    fn layer_at(&self, entries: &Entries, name: &str) -> Option<Arc<ScannedLayer>> {
        let name = self.target(entries, name);
        if let Some(l) = entries.layers.get(name) {
            return Some(l.clone());
        }
        let bytes = entries.docs.get(name)?;
        let expected = named_digest(name);
        let layer = scan_layer(
            self.scanner,
            self.limits,
            &mut &bytes[..],
            &self.shown(name),
            expected.as_deref(),
        );
        Some(self.cache.insert(layer))
    }

    /// Resolves the images the documents describe and records them, then what no image used.
    pub(super) fn finish(&self, entries: Entries) {
        let diag = self.scanner.diagnostics;
        let mut used: HashSet<String> = HashSet::new();
        let mut images = Vec::new();
        if let Some(index) = entries.docs.get("index.json") {
            used.insert("index.json".into());
            let roots = match spec::manifest(index, Some(spec::OCI_INDEX)) {
                Ok(Manifest::Index(list)) => list,
                Ok(Manifest::Image { .. }) => Vec::new(),
                Err(e) => {
                    diag.problem(self.shown("index.json"), e.to_string());
                    Vec::new()
                }
            };
            let docs = BundleDocs(&entries);
            let (resolved, problems) = resolve(&docs, &roots, self.platforms);
            for (digest, message) in problems {
                diag.problem(format!("{} manifest {digest}", self.image), message);
            }
            for r in resolved {
                used.extend(blob_path(&r.manifest));
                let mut record = self.record_for(&entries, &mut used, &r.config.digest, &r.layers);
                record.base.manifest = Some(r.manifest);
                record.base.platform = r.platform;
                record.base.tag = r.tag;
                images.push(record);
            }
        } else if let Some(manifest) = entries.docs.get("manifest.json") {
            used.insert("manifest.json".into());
            match spec::saved_images(manifest) {
                Err(e) => diag.problem(self.shown("manifest.json"), e.to_string()),
                Ok(saved) => {
                    for s in saved {
                        let layers: Vec<Descriptor> = s.layers.iter().map(|l| by_path(l)).collect();
                        let config = self.target(&entries, normalise(&s.config)).to_string();
                        let mut record = self.record_for(&entries, &mut used, &config, &layers);
                        record.base.tag = (!s.tags.is_empty()).then(|| s.tags.join(", "));
                        images.push(record);
                    }
                }
            }
        } else {
            diag.problem(
                &self.image,
                "neither index.json nor manifest.json: not an image (its entries were scanned as blobs)",
            );
        }
        for image in &images {
            record_image(self.scanner, image);
        }
        // What belongs to an image that was not selected (another platform) is not a leftover.
        for bytes in entries.docs.values() {
            match spec::manifest(bytes, None) {
                Ok(Manifest::Image { config, layers }) => {
                    let all = std::iter::once(&config).chain(&layers);
                    used.extend(all.filter_map(|d| blob_path(&d.digest)));
                }
                Ok(Manifest::Index(list)) => {
                    used.extend(list.iter().filter_map(|d| blob_path(&d.digest)));
                }
                Err(_) => {}
            }
        }
        self.record_unused(&entries, &used);
    }

    /// The record of one image whose config and layers are named by digest or by path.
    fn record_for(
        &self,
        entries: &Entries,
        used: &mut HashSet<String>,
        config: &str,
        layers: &[Descriptor],
    ) -> ImageRecord {
        let diag = self.scanner.diagnostics;
        let path_of = |d: &str| blob_path(d).unwrap_or_else(|| d.to_string());
        let config_path = self.target(entries, &path_of(config)).to_string();
        let config_bytes = entries.docs.get(&config_path).cloned();
        if config_bytes.is_none() {
            diag.problem(
                self.shown(&config_path),
                "image config missing from the bundle",
            );
        }
        used.insert(config_path);
        let layers = layers
            .iter()
            .map(|l| {
                let path = self.target(entries, &path_of(&l.digest)).to_string();
                let layer = self.layer_at(entries, &path);
                if layer.is_none() {
                    diag.problem(self.shown(&path), "layer missing from the bundle");
                }
                used.insert(path);
                layer
            })
            .collect();
        ImageRecord {
            base: context(&self.image),
            config: config_bytes,
            layers,
        }
    }

    /// Records what no image used: layers and documents of the bundle, as `blob`s.
    fn record_unused(&self, entries: &Entries, used: &HashSet<String>) {
        for (name, layer) in &entries.layers {
            if used.contains(name) {
                continue;
            }
            for hit in &layer.hits {
                let ctx = ImageContext {
                    part: "blob".into(),
                    digest: layer.digest.clone(),
                    file: Some(located_path(name, &hit.file)),
                    ..context(&self.image)
                };
                let path = located_path(&self.shown(name), &hit.file);
                self.scanner
                    .record_all(&Origin::Image(&ctx), &path, vec![hit.located.clone()]);
            }
        }
        for (name, bytes) in &entries.docs {
            if used.contains(name) && name != "index.json" && name != "manifest.json" {
                continue;
            }
            let ctx = ImageContext {
                part: "blob".into(),
                digest: sha256_digest(bytes),
                file: Some(name.clone()),
                ..context(&self.image)
            };
            if let Some(hits) = self.scanner.hits_in_bytes(bytes) {
                self.scanner
                    .record_all(&Origin::Image(&ctx), &self.shown(name), hits);
            }
        }
    }
}

/// A descriptor for a layer named by its path (`docker save`'s `manifest.json`).
fn by_path(path: &str) -> Descriptor {
    Descriptor {
        media_type: String::new(),
        digest: normalise(path).to_string(),
        size: None,
        platform: None,
        ref_name: None,
        attestation: false,
    }
}

struct BundleDocs<'e>(&'e Entries);

impl Docs for BundleDocs<'_> {
    fn manifest(&self, d: &Descriptor) -> Result<(Vec<u8>, Option<String>), String> {
        blob_path(&d.digest)
            .and_then(|p| self.0.docs.get(&p))
            .map(|b| (b.clone(), None))
            .ok_or_else(|| "manifest missing from the bundle".to_string())
    }
}
