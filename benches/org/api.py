#!/usr/bin/env python3
"""Stand-in GitHub API for the organisation benchmark (benches/org/run.sh): /orgs/acme/repos (all), /orgs/half/repos
(the first 50), 100 a page, `type=sources` / `type=forks` as GitHub filters them, ETags (304 on If-None-Match),
empty run listings.

usage: api.py REPOS.json PORT [CLONE_BASE]
With CLONE_BASE (e.g. https://git.stand-in.invalid/), each clone URL becomes CLONE_BASE + OWNER/NAME.git: for a
scanner that only clones https URLs (Kingfisher), with git's url.<file base>.insteadOf mapping them back."""
import hashlib, json, sys
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import urlparse, parse_qs

repos = json.load(open(sys.argv[1]))["repos"]
port = int(sys.argv[2])
if len(sys.argv) > 3:
    repos = [dict(r, clone_url=f"{sys.argv[3]}{r['full_name']}.git") for r in repos]

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        page = int(q.get("page", ["1"])[0])
        per = int(q.get("per_page", ["30"])[0])
        if u.path in ("/orgs/acme/repos", "/orgs/half/repos"):
            items = repos if u.path.startswith("/orgs/acme") else repos[:50]
            kind = q.get("type", ["all"])[0]
            if kind in ("sources", "forks"):
                items = [r for r in items if r["fork"] == (kind == "forks")]
            body = json.dumps(items[(page - 1) * per: page * per]).encode()
        elif u.path.endswith("/actions/runs"):
            body = b'{"workflow_runs":[]}'
        else:
            self.send_response(404); self.send_header("content-length", "0"); self.end_headers(); return
        etag = '"%s"' % hashlib.sha1(body).hexdigest()
        if self.headers.get("if-none-match") == etag:
            self.send_response(304); self.send_header("etag", etag); self.send_header("content-length", "0"); self.end_headers(); return
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("etag", etag)
        self.send_header("x-ratelimit-remaining", "4999")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
