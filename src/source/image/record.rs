//! Turns one image — its layers in order and its config — into locations: each layer hit with
//! the layer's digest, the file, whether a later layer deletes or replaces it, and the history
//! instruction that made the layer; each layer checked against the config's `rootfs.diff_ids`;
//! the config's `Env`, `Labels`, `Cmd`, `Entrypoint` and each `history[N].created_by` scanned
//! as text of their own (`config:env`, `config:history[N]`, …), then the whole config document
//! for anything elsewhere in it.

use std::collections::HashSet;
use std::sync::Arc;

use super::layer::{ScannedLayer, sha256_digest};
use super::spec::{self, ImageConfig};
use crate::finding::ImageContext;
use crate::scan::Scanner;
use crate::source::reader::{Located, Origin, scan_slice};

/// One image to record: who it is, its config document and its layers, bottom first (`None`
/// for a layer that could not be read; its problem is already reported).
pub struct ImageRecord {
    /// Image, tag, manifest and platform; the rest is filled per location.
    pub base: ImageContext,
    pub config: Option<Vec<u8>>,
    pub layers: Vec<Option<Arc<ScannedLayer>>>,
}

/// Records every hit of `image`'s layers and config.
pub fn record_image(scanner: &Scanner, image: &ImageRecord) {
    let config = image.config.as_deref().map(|bytes| {
        let parsed = spec::config(bytes);
        if let Err(e) = &parsed {
            scanner.diagnostics.problem(
                format!("{} config {}", image.base.image, sha256_digest(bytes)),
                format!("image config not understood ({e}): scanned as a whole only"),
            );
        }
        (bytes, parsed.unwrap_or_default())
    });
    if let Some((_, parsed)) = &config {
        check_diff_ids(scanner, image, &parsed.diff_ids);
    }
    let instructions = config.as_ref().map_or_else(
        || vec![None; image.layers.len()],
        |(_, c)| c.layer_instructions(image.layers.len()),
    );
    for (i, layer) in image.layers.iter().enumerate() {
        let Some(layer) = layer else { continue };
        let later = &image.layers[i + 1..];
        for hit in &layer.hits {
            let deleted = later.iter().flatten().any(|l| l.changes.removes(&hit.top));
            record_layer_hit(scanner, image, layer, hit, deleted, &instructions[i]);
        }
    }
    if let Some((bytes, parsed)) = config {
        record_config(scanner, &image.base, bytes, &parsed);
    }
}

/// Checks the layers' uncompressed content against the config's `rootfs.diff_ids`: a layer
/// that is not the one the config was built from is a problem naming the image and the layer.
/// A config that lists none is not checked; a layer not read to its end was reported already.
fn check_diff_ids(scanner: &Scanner, image: &ImageRecord, diff_ids: &[String]) {
    let diag = scanner.diagnostics;
    let name = &image.base.image;
    if diff_ids.is_empty() {
        return;
    }
    if diff_ids.len() != image.layers.len() {
        let (listed, layers) = (diff_ids.len(), image.layers.len());
        return diag.problem(
            format!("{name} config"),
            format!("rootfs.diff_ids lists {listed} layers for {layers} in the manifest: the layers were not checked against it"),
        );
    }
    for (layer, want) in image.layers.iter().zip(diff_ids) {
        let Some(layer) = layer else { continue };
        match &layer.diff_id {
            Some(read) if read != want => diag.problem(
                format!("{name}!{}", layer.digest),
                format!("layer diff_id mismatch: the config's rootfs.diff_ids says {want}, the uncompressed layer is {read}"),
            ),
            _ => {}
        }
    }
}

fn record_layer_hit(
    scanner: &Scanner,
    image: &ImageRecord,
    layer: &ScannedLayer,
    hit: &super::layer::LayerHit,
    deleted: bool,
    instruction: &Option<String>,
) {
    let ctx = ImageContext {
        part: "layer".into(),
        digest: layer.digest.clone(),
        file: (!hit.file.is_empty()).then(|| hit.file.clone()),
        deleted_later: (!hit.top.is_empty()).then_some(deleted),
        instruction: instruction.clone(),
        ..image.base.clone()
    };
    let path = located_path(&image.base.image, &hit.file);
    scanner.record_all(&Origin::Image(&ctx), &path, vec![hit.located.clone()]);
}

/// The path a location shows: `IMAGE!FILE` (the image alone for a blob that is not a tar).
pub fn located_path(image: &str, file: &str) -> String {
    if file.is_empty() {
        image.to_string()
    } else {
        format!("{image}!{file}")
    }
}

/// Scans `text` as one part of the config and records its hits; returns their secrets.
fn record_part(
    scanner: &Scanner,
    base: &ImageContext,
    ctx: ImageContext,
    text: &[u8],
) -> Vec<Vec<u8>> {
    let mut hits: Vec<Located> = Vec::new();
    scan_slice(scanner.matcher, text, scanner.on_binary, |l| hits.push(l));
    let secrets = hits.iter().map(|h| h.hit.secret.clone()).collect();
    let path = format!("{}!{}", base.image, ctx.part);
    scanner.record_all(&Origin::Image(&ctx), &path, hits);
    secrets
}

/// The config's parts, then the whole document for what the parts did not hold.
fn record_config(scanner: &Scanner, base: &ImageContext, bytes: &[u8], config: &ImageConfig) {
    let digest = sha256_digest(bytes);
    let ctx = |part: String, instruction: Option<String>| ImageContext {
        part,
        digest: digest.clone(),
        instruction,
        ..base.clone()
    };
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let lines = |v: &[String]| v.join("\n").into_bytes();
    let mut parts = vec![
        ("config:env".to_string(), None, lines(&config.env)),
        ("config:labels".to_string(), None, lines(&config.labels)),
    ];
    for (name, value) in [
        ("config:cmd", &config.cmd),
        ("config:entrypoint", &config.entrypoint),
    ] {
        if let Some(v) = value {
            parts.push((name.to_string(), None, v.clone().into_bytes()));
        }
    }
    for (n, h) in config.history.iter().enumerate() {
        parts.push((
            format!("config:history[{n}]"),
            Some(spec::instruction(&h.created_by)),
            h.created_by.clone().into_bytes(),
        ));
    }
    for (part, instruction, text) in parts {
        if !text.is_empty() {
            seen.extend(record_part(scanner, base, ctx(part, instruction), &text));
        }
    }
    let mut rest: Vec<Located> = Vec::new();
    scan_slice(scanner.matcher, bytes, scanner.on_binary, |l| {
        if !seen.contains(&l.hit.secret) {
            rest.push(l);
        }
    });
    scanner.diagnostics.scanned(bytes.len() as u64);
    let whole = ctx("config".into(), None);
    let path = format!("{}!config", base.image);
    scanner.record_all(&Origin::Image(&whole), &path, rest);
}
