//! Container images built byte for byte (tar layers, config JSON, manifest; the OCI layout and
//! `docker save` forms) and a stand-in registry on 127.0.0.1 serving whatever the test answers.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::write;

pub fn digest(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

pub fn hex(d: &str) -> &str {
    d.trim_start_matches("sha256:")
}

pub fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut t = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        t.append_data(&mut h, name, *data).unwrap();
    }
    t.into_inner().unwrap()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

pub fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

/// An image: its layer blobs (bottom first), config and manifest.
pub struct Image {
    pub layers: Vec<Vec<u8>>,
    pub config: Vec<u8>,
    pub manifest: Vec<u8>,
}

impl Image {
    pub fn new(layers: Vec<Vec<u8>>, config: Value) -> Image {
        let config = serde_json::to_vec(&config).unwrap();
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": digest(&config), "size": config.len()},
            "layers": layers.iter().map(|l| json!({
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": digest(l), "size": l.len()})).collect::<Vec<_>>(),
        }))
        .unwrap();
        Image {
            layers,
            config,
            manifest,
        }
    }

    /// The blobs of an OCI layout: name → bytes.
    pub fn blobs(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = vec![
            (blob(&self.config), self.config.clone()),
            (blob(&self.manifest), self.manifest.clone()),
        ];
        out.extend(self.layers.iter().map(|l| (blob(l), l.clone())));
        out
    }
}

pub fn blob(bytes: &[u8]) -> String {
    format!("blobs/sha256/{}", hex(&digest(bytes)))
}

/// An OCI layout directory of `images` (one index entry each, with platforms when given).
pub fn oci_dir(dir: &Path, images: &[(&Image, Option<(&str, &str)>)]) {
    let mut manifests = Vec::new();
    for (image, platform) in images {
        for (name, bytes) in image.blobs() {
            write(dir, &name, bytes);
        }
        let mut d = json!({"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest(&image.manifest), "size": image.manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": "1.0"}});
        if let Some((os, arch)) = platform {
            d["platform"] = json!({"os": os, "architecture": arch});
        }
        manifests.push(d);
    }
    write(dir, "oci-layout", r#"{"imageLayoutVersion":"1.0.0"}"#);
    let index = json!({"schemaVersion": 2, "manifests": manifests});
    write(dir, "index.json", serde_json::to_vec(&index).unwrap());
}

/// A tarball of every file under `dir`.
pub fn tar_of(dir: &Path) -> Vec<u8> {
    let mut t = tar::Builder::new(Vec::new());
    t.append_dir_all(".", dir).unwrap();
    t.into_inner().unwrap()
}

/// The legacy `docker save` form: `manifest.json`, `CONFIG.json`, `ID/layer.tar`.
pub fn docker_save(image: &Image, tag: &str) -> Vec<u8> {
    let config_name = format!("{}.json", hex(&digest(&image.config)));
    let layer_names: Vec<String> = (0..image.layers.len())
        .map(|i| format!("{i:064x}/layer.tar"))
        .collect();
    let manifest = json!([{"Config": config_name, "RepoTags": [tag], "Layers": layer_names}]);
    let manifest = serde_json::to_vec(&manifest).unwrap();
    let mut members: Vec<(&str, &[u8])> = vec![(&config_name, &image.config)];
    for (name, layer) in layer_names.iter().zip(&image.layers) {
        members.push((name, layer));
    }
    // docker writes manifest.json last: the layers come before anything says what they are.
    members.push(("manifest.json", &manifest));
    tar(&members)
}

/// A request as the stand-in registry saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub authorization: Option<String>,
}

/// Serves HTTP/1.1 on 127.0.0.1 (the [`super::api`] server, without TLS) with
/// `answer(path, authorization) -> (status, headers, body)`, recording every request; returns
/// the port.
pub fn serve(
    answer: impl Fn(&str, Option<&str>) -> (u16, Vec<(String, String)>, Vec<u8>) + Send + Sync + 'static,
) -> (u16, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let url = super::api::serve_on(
        Arc::new(move |req: &super::api::Request| {
            let authorization = req.headers.get("authorization").cloned();
            log.lock().unwrap().push(Seen {
                path: req.target.clone(),
                authorization: authorization.clone(),
            });
            let (status, headers, body) = answer(&req.target, authorization.as_deref());
            super::api::Reply {
                status,
                headers,
                body,
            }
        }),
        None,
    );
    let port = url.rsplit(':').next().unwrap().parse().unwrap();
    (port, seen)
}

pub fn h(k: &str, v: String) -> (String, String) {
    (k.to_string(), v)
}
