//! The container packages of the organisations and users of `patrol github --packages` as one
//! source: each package listed ([`crate::github::packages`]), `--exclude` and `--shard` applied
//! to `OWNER/PACKAGE`, then each version pulled by digest from the registry
//! (`REGISTRY/OWNER/PACKAGE@sha256:…`) and scanned as `patrol image` scans it, every platform of
//! an index included. Only tagged versions unless `--include-untagged`. A layer shared by
//! several versions or packages is scanned once per run. A version the datastore says was
//! scanned completely is not pulled again (its digest names immutable content), and each
//! version's findings are recorded before it is marked scanned, so a crash loses nothing. A
//! package or version that cannot be listed or read completely is a problem naming it; the run
//! goes on.

use std::collections::HashSet;
use std::sync::Mutex;

use super::select::{Filters, wanted};
use crate::datastore::Datastore;
use crate::finding::Secret;
use crate::github::Client;
use crate::github::packages::{Owner, Package};
use crate::github::repos::{ListStats, Lister};
use crate::registry::Registry;
use crate::scan::Scanner;
use crate::source::archive::Limits;
use crate::source::image::{LayerCache, Platforms, scan_reference};
use crate::source::{Source, SourceError};

pub struct Packages<'a> {
    pub client: &'a Client,
    pub token: &'a Secret,
    pub store: &'a Mutex<Datastore>,
    pub run: i64,
    pub orgs: Vec<String>,
    pub users: Vec<String>,
    /// `--exclude` and `--shard`, applied to `OWNER/PACKAGE`.
    pub filters: Filters,
    pub registry: &'a Registry,
    /// `host[:port]` the packages are pulled from.
    pub registry_host: String,
    /// `--include-untagged`.
    pub untagged: bool,
    /// `--full`: versions already scanned are scanned again.
    pub full: bool,
    pub archives: Limits,
    /// Filled by the scan: the packages in scope (`REGISTRY/OWNER/PACKAGE`, the name their
    /// locations carry as `repository`).
    pub in_scope: Mutex<HashSet<String>>,
}

/// What the run did with versions.
#[derive(Debug, Default)]
struct Counts {
    packages: u64,
    scanned: u64,
    known: u64,
    untagged: u64,
    failed: u64,
}

impl Packages<'_> {
    /// The image repository a package is pulled from (lowercase, as registries name them).
    fn image(&self, login: &str, package: &Package) -> String {
        format!("{}/{login}/{}", self.registry_host, package.name).to_ascii_lowercase()
    }

    fn scan_package(
        &self,
        scanner: &Scanner,
        lister: &Lister,
        (owner, login): (Owner, &str),
        package: &Package,
        cache: &LayerCache,
        counts: &mut (Counts, ListStats),
    ) {
        let diag = scanner.diagnostics;
        let image = self.image(login, package);
        let versions = match lister.versions(owner, login, &package.name, &mut counts.1) {
            Ok(v) => v,
            Err(e) => {
                return diag.problem(format!("package {login}/{}", package.name), e.to_string());
            }
        };
        counts.0.packages += 1;
        let known = if self.full {
            HashSet::new()
        } else {
            let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
            store.scanned_versions(&image).unwrap_or_default()
        };
        for version in versions {
            let Some(digest) = version.digest() else {
                diag.problem(
                    format!("package {login}/{} version {}", package.name, version.id),
                    format!("{:?} is not a manifest digest", version.name),
                );
                continue;
            };
            if version.tags().is_empty() && !self.untagged {
                counts.0.untagged += 1;
                continue;
            }
            if known.contains(digest) {
                counts.0.known += 1;
                continue;
            }
            let problems = diag.problem_count();
            let sub = scanner.for_repository(&image);
            let tags = version.tags().join(", ");
            let target = format!("{image}@{digest}");
            let tags = (!tags.is_empty()).then_some(tags.as_str());
            scan_reference(
                &sub,
                self.registry,
                &target,
                tags,
                &Platforms::All,
                self.archives,
                cache,
            );
            let found = sub.finish();
            let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
            let mut recorded = store.record_repository(self.run, &image, None, &found);
            if diag.problem_count() == problems && recorded.is_ok() {
                counts.0.scanned += 1;
                recorded = store.record_version(self.run, &image, digest);
            } else {
                counts.0.failed += 1;
            }
            drop(store);
            if let Err(e) = recorded {
                diag.problem(target, e.to_string());
            }
            scanner.absorb(found);
        }
    }
}

impl Source for Packages<'_> {
    fn scan(&self, scanner: &Scanner) -> Result<(), SourceError> {
        let diag = scanner.diagnostics;
        let lister = Lister {
            client: self.client,
            token: self.token,
            cache: self.store,
        };
        let cache = LayerCache::default();
        let mut counts = (Counts::default(), ListStats::default());
        let owners = (self.orgs.iter().map(|o| (Owner::Org, o.as_str())))
            .chain(self.users.iter().map(|u| (Owner::User, u.as_str())));
        for (owner, login) in owners {
            let packages = match lister.packages(owner, login, &mut counts.1) {
                Ok(p) => p,
                Err(e) => {
                    diag.problem(
                        format!("packages of {} {login}", owner.word()),
                        e.to_string(),
                    );
                    continue;
                }
            };
            for package in packages {
                if !wanted(&format!("{login}/{}", package.name), &self.filters) {
                    continue;
                }
                self.in_scope
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(self.image(login, &package));
                self.scan_package(
                    scanner,
                    &lister,
                    (owner, login),
                    &package,
                    &cache,
                    &mut counts,
                );
            }
        }
        let (c, listing) = counts;
        diag.note(&format!(
            "container packages: {} listed, {} versions scanned, {} already scanned, {} failed, \
             {} untagged left out{}; {} listing pages ({} not modified)",
            c.packages,
            c.scanned,
            c.known,
            c.failed,
            c.untagged,
            if self.untagged {
                ""
            } else {
                " (--include-untagged scans them)"
            },
            listing.pages,
            listing.not_modified,
        ));
        Ok(())
    }
}
