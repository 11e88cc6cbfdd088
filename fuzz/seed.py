#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora to fuzz/seeds/TARGET and their dictionaries to
fuzz/dict/TARGET.dict, from the repository's fixtures, rule files and small archives made here.

Nothing here holds a checksum-valid token: fixtures keep their `{{ghp}}` templates (the matcher
target fills them with minted tokens at run time) and archive members are the same templates.
Usage: python3 fuzz/seed.py  (idempotent; seeds/ and dict/ are not committed)."""

import gzip
import io
import os
import subprocess
import tarfile
import tempfile
import tomllib
import zipfile
import zlib
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
SEEDS = FUZZ / "seeds"
DICT = FUZZ / "dict"
MAX_SEED = 16 * 1024


def write(target, name, data):
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / name).write_bytes(data)


def fixture_texts():
    out = {}
    for p in sorted((ROOT / "fixtures").rglob("*")):
        if p.is_file() and p.stat().st_size <= MAX_SEED:
            out[str(p.relative_to(ROOT / "fixtures")).replace("/", "_")] = p.read_bytes()
    return out


def rule_files():
    return {p.name: p.read_text() for p in sorted((ROOT / "rules").glob("*.toml"))}


def matcher_seeds(fixtures, rules):
    for name, data in fixtures.items():
        write("matcher", name, data)
    n = 0
    for text in rules.values():
        for rule in tomllib.loads(text).get("rule", []):
            for ex in rule.get("examples", []) + rule.get("counter_examples", []):
                n += 1
                write("matcher", f"example-{n}", ex)
    write("matcher", "ansi", "2024-05-01T12:00:00.1234567Z echo \x1b[32m{{ghp}}\x1b[0m done\n")
    write("matcher", "split-ansi", "export GH_TOKEN=\x1b[0m {{ghp}}\x1b[1;33m\x1b[0m\n")
    write("matcher", "utf16", "{{utf16le:token={{ghp}}}}")
    write("matcher", "nested", "{{base64:{{percent:{{jsonu:{{gho}}}}}}}}")
    write("matcher", "bad", "{{ghp:bad}} {{github_pat:bad}} {{ghs_stateless}} {{v1}}")


def zip_bytes(members, method=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def tar_bytes(members, compress=False):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if compress else "w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def archive_seeds(fixtures):
    # The first byte picks the outer name, as NAMES in fuzz_targets/archive.rs:
    # 0 f.zip, 1 f.gz, 2 f.tar, 3 f.tgz, 4 f.tar.gz, 5 f.zip.gz, 6 f.gz.gz, 7 f.tar.gz.gz
    small = {k: v for k, v in list(fixtures.items())[:4] if len(v) < 2048}
    log = b"\xef\xbb\xbf2024-05-01T12:00:00.1234567Z GH_TOKEN={{ghp}}\r\n"
    run_log = {"1_build.txt": log, "build/2_Run tests.txt": log, "build/3_Post.txt": b""}
    seeds = {
        "zip-deflate": (0, zip_bytes(small)),
        "zip-stored": (0, zip_bytes(small, zipfile.ZIP_STORED)),
        "zip-run-log": (0, zip_bytes(run_log)),
        "zip-nested": (0, zip_bytes({"inner.zip": zip_bytes(run_log), "a.tar": tar_bytes(small)})),
        "gz": (1, gzip.compress(log, mtime=0)),
        "gz-multi": (1, gzip.compress(log, mtime=0) + gzip.compress(b"tail {{gho}}\n", mtime=0)),
        "tar": (2, tar_bytes(small)),
        "tgz": (3, tar_bytes(run_log, compress=True)),
        "tar-gz-nested": (4, tar_bytes({"x.zip": zip_bytes(run_log), "y.gz": gzip.compress(log, mtime=0)}, compress=True)),
        "zip-gz": (5, gzip.compress(zip_bytes(run_log), mtime=0)),
        "gz-gz": (6, gzip.compress(gzip.compress(log, mtime=0), mtime=0)),
        "tar-gz-gz": (7, gzip.compress(tar_bytes(run_log, compress=True), mtime=0)),
        "empty-zip": (0, zip_bytes({})),
    }
    for name, (pick, data) in seeds.items():
        write("archive", name, bytes([pick]) + data)


def git(args, cwd, stdin=None):
    return subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, check=True).stdout


def git_tree_seeds():
    with tempfile.TemporaryDirectory() as d:
        git(["init", "-q", "."], d)
        blob = git(["hash-object", "-w", "--stdin"], d, b"GH_TOKEN={{ghp}}\n").decode().strip()
        sub = git(["mktree"], d, f"100644 blob {blob}\tinner.txt\n".encode()).decode().strip()
        listing = (
            f"100644 blob {blob}\t.env\n100755 blob {blob}\tdeploy.sh\n"
            f"120000 blob {blob}\tlink\n040000 tree {sub}\tdir\n"
            f"160000 commit {'0123456789abcdef' * 2}01234567\tsub\n100644 blob {blob}\tname with spaces ✓.txt\n"
        )
        tree = git(["mktree", "--missing"], d, listing.encode()).decode().strip()
        write("git_tree", "tree", git(["cat-file", "tree", tree], d))
        write("git_tree", "subtree", git(["cat-file", "tree", sub], d))
    write("git_tree", "empty", b"")


def log_name_seeds():
    names = [
        "1_build.txt", "build/2_Set up job.txt", "build/system.txt", "-1_x.txt", "a/b/c/12_step.txt",
        "build (ubuntu, 3.12)/7_Run pytest.txt", "0_.txt", "_x.txt", "job/", "notes.md",
        "\xef\xbb\xbf2024-05-01T12:00:00.1234567Z ##[group]Run actions/checkout@v4",
        "2024-05-01T12:00:00Z x", "2024-13-99T99:99:99.0Z y",
    ]
    for i, n in enumerate(names):
        write("log_name", f"n{i}", n)


def config_seeds(rules):
    readme = (ROOT / "README.md").read_text()
    blocks = readme.split("```toml")[1:]
    for i, b in enumerate(blocks):
        write("config", f"readme-{i}", b.split("```")[0])
    for name, text in rules.items():
        write("config", name, text)
    write("config", "window", "[[rule]]\nid = \"w\"\ndescription = \"d\"\nkind = \"auto\"\nconfidence = \"low\"\n"
          "literals = [\"ab\"]\nregex = 'ab[0-9]+'\nwindow = [18446744073709551615, 1]\nencoded = true\n")
    write("config", "bad-allow", "allow = [\"not a fingerprint\"]\nplaceholders = [\"ab\"]\nexclude = [\"[\"]\n")


def dictionaries(rules):
    DICT.mkdir(exist_ok=True)
    def esc(s):
        return "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "".join(f"\\x{b:02x}" for b in c.encode()) for c in s)
    words = set()
    for text in rules.values():
        for rule in tomllib.loads(text).get("rule", []):
            words.update(rule["literals"])
    words.update(["{{ghp}}", "{{gho}}", "{{ghs}}", "{{ghr}}", "{{github_pat}}", "{{ghs_stateless}}", "{{v1}}",
                  "{{hex40}}", "{{opaque}}", "{{base64:", "{{percent:", "{{jsonu:", "{{utf16le:", "}}",
                  ":bad}}", "\x1b[0m", "\x1b[32m", "\\u005f", "%5F", "password", "token", "\n", "\"auth\":"])
    (DICT / "matcher.dict").write_text("".join(f'"{esc(w)}"\n' for w in sorted(words)))
    keys = ["[[rule]]", "id = ", "description = ", "kind = ", "confidence = ", "literals = ", "encoded = true",
            "regex = ", "window = ", "multiline = true", "validator = ", "checksum_failure = ", "examples = ",
            "counter_examples = ", "disabled_rules = ", "exclude = ", "allow = ", "placeholders = ",
            "\"crc32\"", "\"fine-grained\"", "\"opaque\"", "\"report\"", "\"auto\"", "\"high\"", "\"low\"",
            "\"generic\"", "(?P<secret>", "{{ghp}}", "'''", "\"\"\"", "[", "]", "="]
    (DICT / "config.dict").write_text("".join(f'"{esc(w)}"\n' for w in keys))


def document_seeds():
    """The first byte picks the format (0 Office XML, 1 PDF, 2 email), as in the target."""
    write("document", "docx", b"\x00<w:p><w:r><w:t>a&amp;&#x41;</w:t></w:r><w:r><w:t>b</w:t></w:r></w:p>"
          b"<![CDATA[c]]><!-- d --><si><t>e</t></si>")
    content = zlib.compress(b"BT [(ab) -20 (cd)] TJ (e\\(f\\)\\101) Tj <6869> Tj ET")
    write("document", "pdf", b"\x01%PDF-1.5\n1 0 obj << /Filter [/FlateDecode] /Length 9 >>\nstream\n"
          + content + b"\nendstream\nendobj\n2 0 obj << /Filter /FlateDecode /FlateDecode >>stream\r\n"
          + zlib.compress(zlib.compress(b"(x)")) + b"\r\nendstream endobj trailer << /ID [<00ff> <1>] >>\n")
    write("document", "email", b"\x02From a@b Mon\nContent-Type: multipart/mixed; boundary=\"B\"\n\n--B\n"
          b"Content-Transfer-Encoding: quoted-printable\n\nab=\ncd=3D\n--B\nContent-Type: message/rfc822\n\n"
          b"Content-Transfer-Encoding: base64\n\naGVsbG8=\n--B--\nFrom c@d Tue\nSubject: x\n\nbody\n")


def image_spec_seeds():
    """Manifests, indexes, docker save manifests and configs as the image target reads them."""
    write("image_spec", "index", b'{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",'
          b'"digest":"sha256:00","platform":{"os":"linux","architecture":"arm64","variant":"v8"}},'
          b'{"digest":"sha256:01","platform":{"os":"unknown","architecture":"unknown"},'
          b'"annotations":{"vnd.docker.reference.type":"attestation-manifest"}}]}')
    write("image_spec", "manifest", b'{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",'
          b'"config":{"digest":"sha256:02"},"layers":[{"digest":"sha256:03","size":1}]}')
    write("image_spec", "saved", b'[{"Config":"c.json","RepoTags":["app:1"],"Layers":["a/layer.tar"]}]')
    write("image_spec", "config", b'{"config":{"Env":["A=1"],"Labels":{"k":"v"},"Cmd":["sh","-c","x"],"Entrypoint":"e"},'
          b'"history":[{"created_by":"/bin/sh -c #(nop) ADD x in / "},{"created_by":"ARG T","empty_layer":true},'
          b'{"created_by":"RUN |1 T=x /bin/sh -c make # buildkit"}]}')
    write("image_spec", "reference", b"ghcr.io/owner/app:1.0")
def image_bundle_seeds():
    """Image tarballs as `patrol image FILE` reads them, after the platform byte (1: all): a
    `docker save` tarball (manifest.json, config, a layer with a whiteout and a link) and an OCI
    layout (index.json, a nested index, a manifest, a config, a gzip layer), plain and gzipped."""
    import hashlib
    import json

    def tar_entries(entries):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
            for name, data in entries:
                info = tarfile.TarInfo(name)
                info.mtime = 0
                if isinstance(data, tuple):
                    info.type, info.linkname = data
                    t.addfile(info)
                else:
                    info.size = len(data)
                    t.addfile(info, io.BytesIO(data))
        return buf.getvalue()

    def sha(b):
        return "sha256:" + hashlib.sha256(b).hexdigest()

    def blob(b):
        return ("blobs/sha256/" + hashlib.sha256(b).hexdigest(), b)

    layer = tar_entries([("etc/app.env", b"TOKEN={{ghp}}\n"), ("etc/.wh.old", b""),
                         ("opt/.wh..wh..opq", b""), ("etc/link", (tarfile.SYMTYPE, "app.env"))])
    config = json.dumps({"config": {"Env": ["A=1"], "Labels": {"k": "v"}, "Cmd": ["sh"]},
                         "history": [{"created_by": "/bin/sh -c #(nop) ADD x in / "}],
                         "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    saved = tar_entries([
        ("manifest.json", json.dumps([{"Config": "c.json", "RepoTags": ["app:1"],
                                       "Layers": ["l/layer.tar"]}]).encode()),
        ("c.json", config), ("l/layer.tar", layer),
        ("l/alias.tar", (tarfile.LNKTYPE, "l/layer.tar"))])
    write("image_bundle", "saved", b"\x01" + saved)

    gz_layer = gzip.compress(layer, mtime=0)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": sha(gz_layer), "size": len(gz_layer)}]}).encode()
    inner = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": sha(manifest), "size": len(manifest),
                       "platform": {"os": "linux", "architecture": "arm64"}}]}).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": sha(inner),
         "size": len(inner), "annotations": {"org.opencontainers.image.ref.name": "1.0"}}]}).encode()
    oci = tar_entries([("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", index),
                       blob(inner), blob(manifest), blob(config), blob(gz_layer)])
    write("image_bundle", "oci", b"\x01" + oci)
    write("image_bundle", "oci.gz", b"\x00" + gzip.compress(oci, mtime=0))


def chat_seeds():
    """The first byte picks the platform (0 Slack, 1 Teams, 2 Discord, 3 Discord package,
    4 Mattermost), as in the target."""
    write("chat", "slack", b'\x00[\n {"type": "message", "user": "U1", "ts": "1704196800.000100", '
          b'"thread_ts": "1704196800.000100", "text": "a \\u0041\\/b", "edited": {"ts": "1"}, '
          b'"attachments": [{"text": "c"}], "files": [{"permalink": "https://acme.slack.com/files/x"}]},\n'
          b' {"type": "message", "subtype": "message_changed", "message": {"ts": "2.0", "text": "d"}, '
          b'"previous_message": {"text": "e"}}\n]\n')
    write("chat", "teams", b'\x01{"@odata.context": "x", "value": [{"id": "1", "createdDateTime": "2021-01-01T00:00:00Z", '
          b'"from": {"user": {"displayName": "R"}}, "body": {"content": "<p>a</p>"}, '
          b'"replies": [{"id": "2", "replyToId": "1", "body": {"content": "b"}}]}]}')
    write("chat", "discord", b'\x02{"guild": {"id": "1", "name": "g"}, "channel": {"id": "2", "name": "c"}, '
          b'"messages": [{"id": "3", "timestamp": "2024-01-01T00:00:00+00:00", "timestampEdited": null, '
          b'"content": "a", "author": {"name": "n"}, "embeds": [{"description": "b"}], '
          b'"reference": {"messageId": "1"}}], "messageCount": 1}')
    write("chat", "package", b'\x03[{"ID": 1, "Timestamp": "2024-01-01 00:00:00", "Contents": "a", "Attachments": ""}]')
    write("chat", "mattermost", b'\x04{"type":"version","version":1}\n{"type":"team","team":{"name":"t","display_name":"T"}}\n'
          b'{"type":"user","user":{"username":"u","first_name":"U"}}\n'
          b'{"type":"post","post":{"team":"t","channel":"c","user":"u","message":"m","create_at":1,'
          b'"replies":[{"user":"u","message":"r","create_at":2}]}}\n')


def merge_seeds():
    """Reports as `patrol merge` reads them: json and SARIF, secrets redacted or whole-looking."""
    location = {"source": "git", "path": "src/a.env", "line": 3, "column": 7, "offset": 40,
                "decoded": ["base64"], "git": {"object": "blob", "id": "ab" * 20, "in_head": True,
                "commit": {"id": "cd" * 20, "author": "A", "email": "a@example.com",
                           "date": "2025-01-01T00:00:00+00:00", "summary": "s"}}}
    finding = {"rule": "github-classic-pat", "kind": "classic-pat", "confidence": "high",
               "checksum": "valid", "secret": "ghp_abcd\u2026", "fingerprint": "0" * 64,
               "verification": {"status": "live", "login": "x"},
               "revocation": {"status": "failed", "reason": "r"},
               "verification_before": {"status": "live", "login": "x", "scopes": "repo"},
               "blast_radius": {"severity": "critical", "owner": {"login": "x", "type": "User"},
                                "scopes": ["repo"], "organizations": [
                                    {"login": "acme", "id": 1, "access": "reached"},
                                    {"id": 2, "access": "sso-not-authorized"}],
                                "repositories": {"readable": 3, "private": 1, "pushable": 1,
                                                 "admin": 1, "complete": False, "at_most": 900,
                                                 "most_sensitive": [{"name": "acme/a",
                                                                     "access": "admin",
                                                                     "private": True}]},
                                "installation": {"repository_selection": "all",
                                                 "total_count": 3, "permissions": {"admin": 1}},
                                "requests": 3, "notes": ["n"]},
               "locations": [location, dict(location, line=9)], "location_count": 5}
    whole = dict(finding, secret="not-redacted-value", fingerprint="1" * 64)
    report = {"version": 1, "findings": [finding, whole],
              "suppressed": [dict(finding, reason="baseline")],
              "summary": {"findings": 2, "files": 3, "incomplete": True, "notes": ["n"]},
              "errors": [{"path": "p", "message": "m"}]}
    import json
    write("merge", "json", json.dumps(report))
    result = {"ruleId": "r", "ruleIndex": 0, "level": "error", "message": {"text": "t"},
              "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a"},
                                                  "region": {"startLine": 1}}}],
              "partialFingerprints": {"patrolSecretSha256/v1": "0" * 64},
              "properties": {"kind": "classic-pat", "checksum": "valid", "secret": "whole-value",
                             "verification": "live"}}
    sarif = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "patrol", "rules": [
        {"id": "r"}]}}, "invocations": [{"toolExecutionNotifications": [{"message": {"text": "x"}}]}],
        "results": [result, dict(result, suppressions=[{"kind": "external"}])]}]}
    write("merge", "sarif", json.dumps(sarif))


def main():
    fixtures = fixture_texts()
    rules = rule_files()
    matcher_seeds(fixtures, rules)
    archive_seeds(fixtures)
    git_tree_seeds()
    log_name_seeds()
    config_seeds(rules)
    document_seeds()
    image_spec_seeds()
    image_bundle_seeds()
    chat_seeds()
    merge_seeds()
    dictionaries(rules)
    for t in sorted(os.listdir(SEEDS)):
        print(f"seeds/{t}: {len(os.listdir(SEEDS / t))} files")


main()
