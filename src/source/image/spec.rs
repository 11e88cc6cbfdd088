//! The image formats' JSON documents, parsed leniently from untrusted bytes: `docker save`'s
//! `manifest.json`, OCI `index.json` and image indexes (Docker manifest lists), image manifests
//! (OCI and Docker v2), and the image config (`Env`, `Labels`, `Cmd`, `Entrypoint`, `history`,
//! `rootfs.diff_ids`).
//! Nothing here reads a file or the network; `fuzz/fuzz_targets/image_spec.rs` feeds it bytes.

use serde_json::Value;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// The `Accept` header of a manifest request: every kind read here.
pub const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// Why a document could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SpecError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("unknown manifest media type {0:?}")]
    UnknownMediaType(String),
    #[error("{0} is missing or malformed")]
    Missing(&'static str),
}

/// A content descriptor: what a manifest or index points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: Option<u64>,
    /// `os/arch[/variant]`, for an index entry.
    pub platform: Option<String>,
    /// containerd's image name annotation, or the OCI `org.opencontainers.image.ref.name`.
    pub ref_name: Option<String>,
    /// An attestation (BuildKit's provenance and SBOM manifests, `unknown/unknown`).
    pub attestation: bool,
}

/// A manifest document: an index of manifests, or one image's manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Manifest {
    Index(Vec<Descriptor>),
    Image {
        config: Descriptor,
        layers: Vec<Descriptor>,
    },
}

/// One image of a `docker save` `manifest.json`: paths inside the tarball.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedImage {
    pub config: String,
    pub tags: Vec<String>,
    pub layers: Vec<String>,
}

/// One entry of the config's `history`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub created_by: String,
    /// The entry made no layer (`ENV`, `LABEL`, `ARG`, …).
    pub empty_layer: bool,
}

/// The parts of an image config that are scanned on their own, each as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageConfig {
    /// `NAME=value`, one a line.
    pub env: Vec<String>,
    /// `NAME=value`, one a line.
    pub labels: Vec<String>,
    pub cmd: Option<String>,
    pub entrypoint: Option<String>,
    pub history: Vec<HistoryEntry>,
    /// `rootfs.diff_ids`: the sha256 of each layer's uncompressed tar, bottom first.
    pub diff_ids: Vec<String>,
}

fn parse(bytes: &[u8]) -> Result<Value, SpecError> {
    serde_json::from_slice(bytes).map_err(|e| SpecError::Json(e.to_string()))
}

fn string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

fn descriptor(v: &Value) -> Option<Descriptor> {
    let digest = string(&v["digest"])?;
    let platform = v["platform"].as_object().map(|p| {
        let field = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("");
        let mut s = format!("{}/{}", field("os"), field("architecture"));
        if !field("variant").is_empty() {
            s.push('/');
            s.push_str(field("variant"));
        }
        s
    });
    let annotations = &v["annotations"];
    // containerd's (and Docker 25+'s) full name says more than the OCI tag alone.
    let ref_name = string(&annotations["io.containerd.image.name"])
        .or_else(|| string(&annotations["org.opencontainers.image.ref.name"]));
    Some(Descriptor {
        media_type: string(&v["mediaType"]).unwrap_or_default(),
        digest,
        size: v["size"].as_u64(),
        attestation: annotations["vnd.docker.reference.type"].as_str()
            == Some("attestation-manifest")
            || platform.as_deref() == Some("unknown/unknown"),
        platform,
        ref_name,
    })
}

/// A manifest or index; `media_type` is the one the registry declared (the document's own
/// `mediaType` field wins, and without either the shape decides).
pub fn manifest(bytes: &[u8], media_type: Option<&str>) -> Result<Manifest, SpecError> {
    let v = parse(bytes)?;
    let declared = v["mediaType"]
        .as_str()
        .or(media_type)
        .map(|m| m.split(';').next().unwrap_or(m).trim().to_string());
    let is_index = match declared.as_deref() {
        Some(OCI_INDEX | DOCKER_LIST) => true,
        Some(OCI_MANIFEST | DOCKER_MANIFEST) => false,
        // A bare OCI document may omit its media type; an empty one is as good as none.
        Some("") | Some("application/json") | None => v.get("manifests").is_some(),
        Some(other) => return Err(SpecError::UnknownMediaType(other.to_string())),
    };
    if is_index {
        let list = v["manifests"]
            .as_array()
            .ok_or(SpecError::Missing("manifests"))?;
        return Ok(Manifest::Index(
            list.iter().filter_map(descriptor).collect(),
        ));
    }
    if v["schemaVersion"].as_u64() == Some(1) {
        return Err(SpecError::UnknownMediaType(
            "application/vnd.docker.distribution.manifest.v1+json".into(),
        ));
    }
    let config = descriptor(&v["config"]).ok_or(SpecError::Missing("config"))?;
    let layers = v["layers"]
        .as_array()
        .ok_or(SpecError::Missing("layers"))?
        .iter()
        .map(|l| descriptor(l).ok_or(SpecError::Missing("layers[].digest")))
        .collect::<Result<_, _>>()?;
    Ok(Manifest::Image { config, layers })
}

/// A `docker save` `manifest.json`.
pub fn saved_images(bytes: &[u8]) -> Result<Vec<SavedImage>, SpecError> {
    let v = parse(bytes)?;
    let list = v
        .as_array()
        .ok_or(SpecError::Missing("manifest.json list"))?;
    list.iter()
        .map(|m| {
            let strings = |k: &str| -> Vec<String> {
                m[k].as_array()
                    .map(|a| a.iter().filter_map(string).collect())
                    .unwrap_or_default()
            };
            Ok(SavedImage {
                config: string(&m["Config"]).ok_or(SpecError::Missing("Config"))?,
                tags: strings("RepoTags"),
                layers: strings("Layers"),
            })
        })
        .collect()
}

/// The strings of a JSON array, joined by spaces (`Cmd`, `Entrypoint`).
fn joined(v: &Value) -> Option<String> {
    match v {
        Value::Array(a) => Some(
            a.iter()
                .map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// An image config. Fields that are absent or of another type are left empty: the whole
/// document is scanned as well, so nothing in it goes unread.
pub fn config(bytes: &[u8]) -> Result<ImageConfig, SpecError> {
    let v = parse(bytes)?;
    if !v.is_object() {
        return Err(SpecError::Missing("config object"));
    }
    let c = &v["config"];
    let env = c["Env"]
        .as_array()
        .map(|a| a.iter().filter_map(string).collect())
        .unwrap_or_default();
    let labels = c["Labels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let history = v["history"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|h| HistoryEntry {
                    created_by: string(&h["created_by"]).unwrap_or_default(),
                    empty_layer: h["empty_layer"].as_bool().unwrap_or(false),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(ImageConfig {
        env,
        labels,
        cmd: joined(&c["Cmd"]),
        entrypoint: joined(&c["Entrypoint"]),
        history,
        diff_ids: v["rootfs"]["diff_ids"]
            .as_array()
            .map(|a| a.iter().filter_map(string).collect())
            .unwrap_or_default(),
    })
}

impl ImageConfig {
    /// The instruction that made each layer, bottom first: the history entries that are not
    /// `empty_layer`, in order — `None` where the history does not tell (its count differs).
    pub fn layer_instructions(&self, layers: usize) -> Vec<Option<String>> {
        let made: Vec<&HistoryEntry> = self.history.iter().filter(|h| !h.empty_layer).collect();
        if made.len() != layers {
            return vec![None; layers];
        }
        made.iter()
            .map(|h| Some(instruction(&h.created_by)))
            .collect()
    }
}

/// Most characters of an instruction shown.
const INSTRUCTION_MAX: usize = 200;

/// A `created_by` as a Dockerfile instruction: the classic builder's `/bin/sh -c #(nop) `
/// wrapper and BuildKit's `# buildkit` comment dropped, whitespace collapsed, shortened.
pub fn instruction(created_by: &str) -> String {
    let s = created_by.trim();
    let s = s.strip_prefix("/bin/sh -c #(nop) ").unwrap_or(s);
    let s = s.strip_suffix("# buildkit").unwrap_or(s);
    let collapsed = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match collapsed.char_indices().nth(INSTRUCTION_MAX) {
        Some((i, _)) => format!("{}…", &collapsed[..i]),
        None => collapsed,
    }
}

/// `sha256:HEX` when `digest` is one (64 lowercase hex digits), the algorithm and hex apart.
pub fn sha256_hex(digest: &str) -> Option<&str> {
    let hex = digest.strip_prefix("sha256:")?;
    (hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))).then_some(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_manifest_and_unknown_types() {
        let index = br#"{"schemaVersion":2,"manifests":[
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:a","size":5,
             "platform":{"os":"linux","architecture":"arm","variant":"v7"}},
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:b",
             "platform":{"os":"unknown","architecture":"unknown"},
             "annotations":{"vnd.docker.reference.type":"attestation-manifest"}}]}"#;
        let Manifest::Index(d) = manifest(index, None).unwrap() else {
            panic!("not an index")
        };
        assert_eq!(d[0].platform.as_deref(), Some("linux/arm/v7"));
        assert!(!d[0].attestation && d[1].attestation);
        let image = br#"{"schemaVersion":2,"config":{"digest":"sha256:c"},"layers":[{"digest":"sha256:d"}]}"#;
        assert!(matches!(
            manifest(image, Some(DOCKER_MANIFEST)).unwrap(),
            Manifest::Image { layers, .. } if layers.len() == 1
        ));
        assert_eq!(
            manifest(image, Some("application/vnd.example+json")),
            Err(SpecError::UnknownMediaType(
                "application/vnd.example+json".into()
            ))
        );
        assert!(matches!(
            manifest(br#"{"schemaVersion":1,"fsLayers":[]}"#, None),
            Err(SpecError::UnknownMediaType(_))
        ));
        assert!(manifest(b"[1,", None).is_err());
    }

    #[test]
    fn config_parts_and_layer_instructions() {
        let c = config(
            br#"{"config":{"Env":["A=1"],"Labels":{"k":"v"},"Cmd":["sh","-c","x"]},
                 "rootfs":{"type":"layers","diff_ids":["sha256:1","sha256:2"]},
                 "history":[{"created_by":"/bin/sh -c #(nop) ADD file:1 in / "},
                            {"created_by":"ARG T","empty_layer":true},
                            {"created_by":"RUN |1 T=x /bin/sh -c make # buildkit"}]}"#,
        )
        .unwrap();
        assert_eq!(c.env, ["A=1"]);
        assert_eq!(c.labels, ["k=v"]);
        assert_eq!(c.cmd.as_deref(), Some("sh -c x"));
        assert_eq!(c.diff_ids, ["sha256:1", "sha256:2"]);
        assert_eq!(
            c.layer_instructions(2),
            [
                Some("ADD file:1 in /".to_string()),
                Some("RUN |1 T=x /bin/sh -c make".to_string())
            ]
        );
        assert_eq!(c.layer_instructions(3), [None, None, None]);
        assert!(config(b"[]").is_err());
    }

    #[test]
    fn docker_save_manifest() {
        let m =
            saved_images(br#"[{"Config":"c.json","RepoTags":["app:1"],"Layers":["a/layer.tar"]}]"#)
                .unwrap();
        assert_eq!(m[0].tags, ["app:1"]);
        assert_eq!(m[0].layers, ["a/layer.tar"]);
        assert!(saved_images(br#"[{"RepoTags":[]}]"#).is_err());
        assert_eq!(
            sha256_hex(&format!("sha256:{}", "a".repeat(64))).map(str::len),
            Some(64)
        );
        assert_eq!(sha256_hex("sha256:../../etc"), None);
    }
}
