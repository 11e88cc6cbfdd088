//! The shipped ways to run shards (`deploy/`): the GitHub Actions workflow and the Kubernetes
//! Indexed Job are valid YAML of the expected shape, every `patrol` command line in them parses
//! with the real command line, the shard numbers agree everywhere, and their merge commands,
//! run for real on shard reports, write the report and end with the documented exit codes.

mod common;

use std::path::{Path, PathBuf};

use clap::Parser;
use common::*;
use patrol::cli::{Cli, Command};
use serde_json::Value;

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Every YAML document of a file, as JSON values.
fn yaml_documents(rel: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(repo_file(rel)).expect("deploy file");
    let docs = yaml_rust2::YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("{rel} is not valid YAML: {e}"));
    docs.iter().map(to_json).collect()
}

fn to_json(y: &yaml_rust2::Yaml) -> Value {
    use yaml_rust2::Yaml;
    match y {
        Yaml::Real(s) => s.parse::<f64>().map_or(Value::Null, Value::from),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::String(s) => Value::from(s.as_str()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        Yaml::Hash(h) => Value::Object(
            h.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) => s.clone(),
                        Yaml::Integer(i) => i.to_string(),
                        Yaml::Boolean(b) => b.to_string(),
                        other => panic!("unexpected key {other:?}"),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// Splits a shell command line into words: quotes removed, variables left as written.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The patrol command lines of a workflow's run scripts: what follows the image in `docker run
/// … "$PATROL_IMAGE" ARGS` and what follows the `patrol` shell function, continuation lines
/// joined; `values` replaces shell words (`$ORG`, `"${reports[@]}"`) by what they stand for.
fn workflow_commands(script: &str, values: &[(&str, &[&str])]) -> Vec<Vec<String>> {
    let joined = script.replace("\\\n", " ");
    let mut out = Vec::new();
    for line in joined.lines() {
        let words = shell_words(line);
        let start = match words.iter().position(|w| w == "$PATROL_IMAGE") {
            Some(i) => i + 1,
            None if words.first().is_some_and(|w| w == "patrol") => 1,
            None => continue,
        };
        if words[start..] == ["$@"] {
            continue; // the function's own body
        }
        let mut args = Vec::new();
        for w in &words[start..] {
            let mut expanded = vec![w.clone()];
            // The first (longest) variable that appears decides.
            for (var, value) in values {
                if w == var {
                    expanded = value.iter().map(|s| s.to_string()).collect();
                    break;
                } else if w.contains(var) && value.len() == 1 {
                    expanded = vec![w.replace(var, value[0])];
                    break;
                }
            }
            args.extend(expanded);
        }
        out.push(args);
    }
    out
}

fn parse(args: &[String]) -> Command {
    let argv = std::iter::once("patrol".to_string()).chain(args.iter().cloned());
    match Cli::try_parse_from(argv) {
        Ok(cli) => cli.command,
        Err(e) => panic!("`patrol {}` does not parse: {e}", args.join(" ")),
    }
}

/// Two shard reports of `count` made by scanning parts of a tree with a secret in each, and a
/// third part with the same secret: their files relative to `dir`.
fn shard_reports(dir: &Path, reports: &str, count: usize) {
    let secret = mint("ghp");
    for k in 0..count {
        write(
            dir,
            &format!("part-{k}/a.env"),
            format!("GH_TOKEN={secret}\n"),
        );
        let out = format!("{reports}/shard-{k}.json");
        std::fs::create_dir_all(dir.join(reports)).unwrap();
        let code = patrol()
            .current_dir(dir)
            .args(["scan", &format!("part-{k}"), "-f", "json", "-o", &out])
            .output()
            .unwrap()
            .status
            .code();
        assert_eq!(code, Some(1));
    }
}

#[test]
fn the_github_actions_workflow_runs_shards_and_merges_them() {
    let rel = "deploy/github-actions/org-scan.yml";
    let docs = yaml_documents(rel);
    assert_eq!(docs.len(), 1);
    let wf = &docs[0];
    assert!(wf["on"]["schedule"][0]["cron"].is_string(), "scheduled");
    assert_eq!(wf["permissions"], serde_json::json!({}), "least privilege");
    let shards: usize = wf["env"]["SHARDS"].as_i64().expect("SHARDS") as usize;
    let shard_job = &wf["jobs"]["shard"];
    let matrix: Vec<i64> = shard_job["strategy"]["matrix"]["shard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(
        matrix,
        (0..shards as i64).collect::<Vec<_>>(),
        "matrix = SHARDS"
    );
    let merge_job = &wf["jobs"]["merge"];
    assert_eq!(merge_job["needs"], "shard");
    assert_eq!(merge_job["permissions"]["security-events"], "write");
    // Every action pinned by commit; the shard job caches and uploads, the merge job uploads
    // SARIF.
    let uses = |job: &Value| -> Vec<String> {
        job["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["uses"].as_str().map(str::to_string))
            .collect()
    };
    for u in uses(shard_job).iter().chain(&uses(merge_job)) {
        let (_, rev) = u.split_once('@').expect("a pinned ref");
        assert!(
            rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()),
            "{u} is not pinned by commit"
        );
    }
    let names = |job: &Value| {
        uses(job)
            .iter()
            .map(|u| u.split('@').next().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(shard_job),
        [
            "actions/cache/restore",
            "actions/cache/save",
            "actions/upload-artifact"
        ]
    );
    assert!(names(merge_job).contains(&"github/codeql-action/upload-sarif".to_string()));

    // The command lines, with the values the runner gives them.
    let reports: Vec<String> = (0..shards)
        .map(|k| format!("reports/shard-{k}.json"))
        .collect();
    let report_refs: Vec<&str> = reports.iter().map(String::as_str).collect();
    let values: &[(&str, &[&str])] = &[
        ("$ORG", &["my-org"]),
        ("$SHARD/$SHARDS", &["3/4"]),
        ("$SHARD", &["3"]),
        ("${reports[@]}", &report_refs),
        ("${baseline[@]}", &["--baseline", "previous/patrol.json"]),
    ];
    let script = |job: &Value| -> String {
        job["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["run"].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let scans = workflow_commands(&script(shard_job), values);
    assert_eq!(scans.len(), 1, "{scans:?}");
    let Command::Github(args) = parse(&scans[0]) else {
        panic!("the shard job runs patrol github");
    };
    assert_eq!(
        args.scope.shard.map(|s| (s.index(), s.count())),
        Some((3, shards as u32))
    );
    assert!(args.state.cache_dir.is_some() && args.state.datastore.is_some());
    assert!(
        args.output.allow_incomplete,
        "the merge judges incompleteness"
    );

    let merges = workflow_commands(&script(merge_job), values);
    assert_eq!(merges.len(), 3, "{merges:?}");
    for m in &merges {
        let Command::Merge(args) = parse(m) else {
            panic!("the merge job runs patrol merge");
        };
        assert_eq!(args.reports.len(), shards, "every shard's report");
    }
    // Run for real on shard reports: SARIF and json written, exit 0; then the check fails on a
    // secret not in the baseline (1) and passes with it (0).
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    shard_reports(d, "reports", shards);
    std::fs::create_dir_all(d.join("merged")).unwrap();
    for m in &merges[..2] {
        let out = patrol().current_dir(d).args(m).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let sarif: Value =
        serde_json::from_slice(&std::fs::read(d.join("merged/patrol.sarif")).unwrap()).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        shards
    );
    let check = &merges[2];
    let without_baseline: Vec<&String> = check
        .iter()
        .filter(|w| *w != "--baseline" && *w != "previous/patrol.json")
        .collect();
    let code = |args: &[&String]| {
        patrol()
            .current_dir(d)
            .args(args)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(
        code(&without_baseline),
        Some(1),
        "a first night's secret fails the job"
    );
    std::fs::create_dir_all(d.join("previous")).unwrap();
    std::fs::copy(d.join("merged/patrol.json"), d.join("previous/patrol.json")).unwrap();
    assert_eq!(
        code(&check.iter().collect::<Vec<_>>()),
        Some(0),
        "nothing new"
    );
}

/// `$(VAR)` replaced as the kubelet does, from `env` and the Job's completion index.
fn kube_args(container: &Value, index: usize) -> Vec<String> {
    let mut env = vec![("JOB_COMPLETION_INDEX".to_string(), index.to_string())];
    for e in container["env"].as_array().into_iter().flatten() {
        if let Some(v) = e["value"].as_str() {
            env.push((e["name"].as_str().unwrap().to_string(), v.to_string()));
        }
    }
    container["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| {
            let mut a = a.as_str().expect("string args").to_string();
            for (k, v) in &env {
                a = a.replace(&format!("$({k})"), v);
            }
            assert!(!a.contains("$("), "an unset variable in {a}");
            a
        })
        .collect()
}

#[test]
fn the_kubernetes_indexed_job_runs_shards_and_a_merge() {
    let docs = yaml_documents("deploy/kubernetes/org-scan.yaml");
    let kind = |k: &str| -> Vec<&Value> { docs.iter().filter(|d| d["kind"] == k).collect() };
    let jobs = kind("Job");
    assert_eq!(jobs.len(), 2);
    let scan = jobs
        .iter()
        .find(|j| j["spec"]["completionMode"] == "Indexed")
        .expect("an Indexed Job");
    let merge = jobs
        .iter()
        .find(|j| j["metadata"]["name"] == "patrol-org-merge")
        .expect("merge");
    let shards = scan["spec"]["completions"].as_i64().unwrap() as usize;
    assert_eq!(scan["spec"]["parallelism"].as_i64(), Some(shards as i64));
    let pod = &scan["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert!(container["image"].as_str().unwrap().starts_with("ghcr.io/"));
    let token = container["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "GH_TOKEN")
        .expect("GH_TOKEN");
    assert!(
        token["valueFrom"]["secretKeyRef"]["name"].is_string(),
        "the token from a Secret"
    );
    assert!(token.get("value").is_none());
    let claim = pod["volumes"][0]["persistentVolumeClaim"]["claimName"]
        .as_str()
        .unwrap();
    assert_eq!(kind("PersistentVolumeClaim")[0]["metadata"]["name"], claim);
    assert_eq!(
        container["volumeMounts"][0]["subPathExpr"], "shard-$(JOB_COMPLETION_INDEX)",
        "each shard its own cache"
    );
    let mut seen = Vec::new();
    for index in 0..shards {
        let Command::Github(args) = parse(&kube_args(container, index)) else {
            panic!("the Indexed Job runs patrol github");
        };
        let shard = args.scope.shard.expect("--shard");
        assert_eq!(
            (shard.index() as usize, shard.count() as usize),
            (index, shards)
        );
        seen.push(args.output.output.expect("-o"));
    }
    seen.dedup();
    assert_eq!(seen.len(), shards, "one report per shard");

    // The merge: waits for the scan Job, then merges every shard's report.
    let merge_pod = &merge["spec"]["template"]["spec"];
    let wait = &merge_pod["initContainers"][0];
    assert!(
        wait["args"]
            .as_array()
            .unwrap()
            .contains(&Value::from(format!(
                "job/{}",
                scan["metadata"]["name"].as_str().unwrap()
            ))),
        "the merge waits for the scan Job"
    );
    let merges: Vec<&Value> = merge_pod["initContainers"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .chain(merge_pod["containers"].as_array().unwrap())
        .collect();
    assert_eq!(merges.len(), 2);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    shard_reports(d, "data/reports", shards);
    let mut codes = Vec::new();
    for m in merges {
        let args = kube_args(m, 0);
        let Command::Merge(parsed) = parse(&args) else {
            panic!("the merge step runs patrol merge");
        };
        let expected: Vec<PathBuf> = seen.clone();
        assert_eq!(parsed.reports, expected, "the shards' reports, every one");
        let local: Vec<String> = args
            .iter()
            .map(|a| a.trim_start_matches('/').to_string())
            .collect();
        let out = patrol().current_dir(d).args(&local).output().unwrap();
        codes.push(out.status.code());
    }
    assert_eq!(
        codes,
        [Some(0), Some(1)],
        "SARIF written whatever; the Job fails on findings"
    );
    assert!(d.join("data/reports/org.sarif").is_file());
    assert!(d.join("data/reports/org.json").is_file());
    let rules = kind("Role")[0]["rules"][0]["verbs"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        !rules.iter().any(|v| v == "create" || v == "delete"),
        "read-only role"
    );
}

#[test]
fn the_deploy_files_hold_no_secret() {
    let out = patrol()
        .args(["scan", repo_file("deploy").to_str().unwrap(), "-q"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
