//! SARIF reports merged as SARIF: one run whose rules are the union of the inputs' (by id) and
//! whose results are every input's, each once (a result is one location of one secret:
//! `partialFingerprints` and the location say which). Secrets are shown again as the merge is
//! asked to: a result's `properties.secret` is redacted unless `--show-secrets`, and its message
//! rewritten to match.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};

use crate::matcher::Checksum;
use crate::report::sarif::message;
use crate::rules::TokenKind;

/// The `partialFingerprints` key holding the secret's fingerprint.
const SECRET_KEY: &str = "patrolSecretSha256/v1";

/// Whether `doc` is a SARIF report patrol wrote: an error message if not.
pub fn check(doc: &Value) -> Result<(), String> {
    if doc["version"] != "2.1.0" {
        return Err("not SARIF 2.1.0".into());
    }
    let runs = doc["runs"].as_array().ok_or("`runs` is not a list")?;
    for run in runs {
        if run["tool"]["driver"]["name"] != "patrol" {
            return Err("a run was not written by patrol".into());
        }
        for result in run["results"].as_array().ok_or("a run has no `results`")? {
            if !result["partialFingerprints"][SECRET_KEY].is_string() {
                return Err(format!("a result has no {SECRET_KEY} fingerprint"));
            }
            if !result["properties"]["secret"].is_string() {
                return Err("a result has no properties.secret".into());
            }
        }
    }
    Ok(())
}

/// SARIF reports being merged.
#[derive(Default)]
pub struct SarifMerger {
    driver: Option<Value>,
    rules: BTreeMap<String, Value>,
    results: Vec<Value>,
    seen: HashSet<String>,
    notifications: Vec<Value>,
}

/// What the merged results say, for the exit code.
pub struct SarifOutcome {
    /// A result that is not suppressed.
    pub found: bool,
    pub live: bool,
    pub revocation_failed: bool,
    /// Some shard could not read everything (its notifications).
    pub incomplete: bool,
}

impl SarifMerger {
    /// Adds a report that passed [`check`].
    pub fn add(&mut self, doc: Value) {
        let Value::Object(mut doc) = doc else { return };
        let Some(Value::Array(runs)) = doc.remove("runs") else {
            return;
        };
        for mut run in runs {
            let driver = &mut run["tool"]["driver"];
            if let Some(Value::Array(rules)) = driver.get_mut("rules").map(Value::take) {
                for rule in rules {
                    if let Some(id) = rule["id"].as_str() {
                        self.rules.entry(id.to_string()).or_insert(rule);
                    }
                }
            }
            self.driver.get_or_insert_with(|| driver.take());
            if let Some(Value::Array(results)) = run.get_mut("results").map(Value::take) {
                for result in results {
                    let key = json!([result["partialFingerprints"], result["locations"]]);
                    if self.seen.insert(key.to_string()) {
                        self.results.push(result);
                    }
                }
            }
            for invocation in run["invocations"].as_array().into_iter().flatten() {
                let notes = invocation["toolExecutionNotifications"].as_array();
                for n in notes.into_iter().flatten() {
                    if !self.notifications.contains(n) {
                        self.notifications.push(n.clone());
                    }
                }
            }
        }
    }

    /// The merged report; results whose fingerprint `in_baseline` says are marked suppressed
    /// (as a scan with `--baseline` marks them).
    pub fn finish(
        mut self,
        show_secrets: bool,
        in_baseline: impl Fn(&str) -> bool,
    ) -> (Value, SarifOutcome) {
        let ids: Vec<String> = self.rules.keys().cloned().collect();
        let mut outcome = SarifOutcome {
            found: false,
            live: false,
            revocation_failed: false,
            incomplete: !self.notifications.is_empty(),
        };
        for result in &mut self.results {
            let fingerprint = result["partialFingerprints"][SECRET_KEY]
                .as_str()
                .unwrap_or_default();
            if result.get("suppressions").is_none() && in_baseline(fingerprint) {
                result["suppressions"] =
                    json!([{"kind": "external", "justification": "patrol: baseline"}]);
            }
            if let Some(i) = ids.iter().position(|id| result["ruleId"] == *id.as_str()) {
                result["ruleIndex"] = json!(i);
            }
            reshow(result, show_secrets);
            if result.get("suppressions").is_none() {
                let properties = &result["properties"];
                outcome.found = true;
                outcome.live |= properties["verification"] == "live";
                outcome.revocation_failed |= properties["revocation"] == "failed";
            }
        }
        let mut driver = self.driver.unwrap_or_else(|| json!({"name": "patrol"}));
        driver["rules"] = Value::Array(self.rules.into_values().collect());
        let doc = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": driver},
                "invocations": [{
                    "executionSuccessful": true,
                    "toolExecutionNotifications": self.notifications
                }],
                "results": self.results
            }]
        });
        (doc, outcome)
    }
}

/// Shows the result's secret as the merge is asked to, and words its message to match.
fn reshow(result: &mut Value, show_secrets: bool) {
    let properties = &result["properties"];
    let Some(secret) = properties["secret"].as_str() else {
        return;
    };
    let shown = super::shown(&crate::finding::Secret::new(secret.into()), show_secrets);
    let shown = String::from_utf8_lossy(shown.expose()).into_owned();
    if shown == secret {
        return;
    }
    let kind = properties["kind"]
        .as_str()
        .and_then(|k| k.parse::<TokenKind>().ok());
    let checksum = serde_json::from_value::<Checksum>(properties["checksum"].clone());
    result["message"]["text"] = match (kind, checksum) {
        (Some(kind), Ok(checksum)) => json!(message(kind, &shown, checksum)),
        // Never keep a text that holds the whole secret.
        _ => json!(format!(
            "GitHub credential {shown} found; revoke and replace it."
        )),
    };
    result["properties"]["secret"] = json!(shown);
}
