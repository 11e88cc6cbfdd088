//! The context of a location in a container image (`patrol image`): which image, which layer or
//! part of the config, whether a later layer deletes the file, which instruction made it.

use serde::{Deserialize, Serialize};

/// Where in a container image a location is. Fields are absent when unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ImageContext {
    /// The image as named on the command line: a tarball, an OCI layout or a reference.
    pub image: String,
    /// The tag the image carries (`RepoTags`, the OCI `ref.name` annotation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The image manifest's digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// `os/arch[/variant]`, from the image index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// `layer`, `config:env`, `config:labels`, `config:cmd`, `config:entrypoint`,
    /// `config:history[N]`, `config` (anywhere else in the config), or `blob` (a blob that no
    /// selected image uses).
    pub part: String,
    /// The layer's digest (its config's for a config part).
    pub digest: String,
    /// The file's path inside the layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// A later layer deletes or replaces the file (a whiteout, an opaque directory, another
    /// file at its path): deleting it did not remove the secret from the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_later: Option<bool>,
    /// The Dockerfile instruction that made the layer or the history entry (`created_by`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
}
