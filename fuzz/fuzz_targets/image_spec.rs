//! Container image documents on arbitrary bytes: manifests and indexes (with and without a
//! declared media type), `docker save`'s `manifest.json`, image configs and the history's
//! layer instructions, platform selection, and image references.
//!
//! Properties: no panic and no hang, whatever the bytes; an instruction is never longer than
//! its limit; a selected entry always comes from the list.

#![no_main]

use libfuzzer_sys::fuzz_target;
use patrol::registry::Reference;
use patrol::source::image::resolve::{Platforms, select};
use patrol::source::image::spec::{self, Manifest};

fuzz_target!(|data: &[u8]| {
    for media in [None, Some(spec::OCI_INDEX), Some(spec::DOCKER_MANIFEST)] {
        if let Ok(Manifest::Index(list)) = spec::manifest(data, media) {
            for p in [
                Platforms::Host,
                Platforms::All,
                Platforms::One("linux/arm64".into()),
            ] {
                if let Ok(chosen) = select(&list, &p) {
                    assert!(chosen.iter().all(|c| list.contains(c)));
                }
            }
        }
    }
    let _ = spec::saved_images(data);
    if let Ok(config) = spec::config(data) {
        for n in [0, 1, config.history.len()] {
            let made = config.layer_instructions(n);
            assert_eq!(made.len(), n);
            assert!(made.iter().flatten().all(|i| i.chars().count() <= 201));
        }
    }
    let text = String::from_utf8_lossy(data);
    let _ = Reference::parse(&text);
});
