#!/usr/bin/env bash
# Organisation benchmark (README "Performance"): patrol github's cold run against
# `git clone --mirror` + `git cat-file --batch-all-objects --batch` over the same repositories
# and against Kingfisher's organisation mode (when installed), all three in one hyperfine run;
# the warm re-run; peak memory at 50 and 100 repositories; recall of each; a summary table.
#   python3 ../shared/bench/gen_org.py --out /tmp/org-bench/org --repos 100 --commits 260 --budget-mb 1
#   P=$PWD/target/release/patrol benches/org/run.sh /tmp/org-bench
# Kingfisher: KF=/path/to/kingfisher (default: `kingfisher` on PATH; skipped when absent), e.g.
#   python3 -m venv /tmp/kf && /tmp/kf/bin/pip install kingfisher-bin==2.14.0
#   KF=$(echo /tmp/kf/lib/python3*/site-packages/kingfisher/bin/kingfisher)
# Kingfisher clones only https URLs, so it gets its own stand-in (same repositories, clone URLs
# https://git.stand-in.invalid/OWNER/NAME.git) and git's url.<base>.insteadOf maps them back to
# the same bare repositories patrol clones over file://.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
W=${1:?usage: run.sh WORKDIR (holding org/ from gen_org.py)}
P=${P:?set P to the patrol binary}
SHARED=${SHARED:-$(cd "$here/../../.." && pwd)/shared/bench}
KF=${KF:-$(command -v kingfisher || true)}
cd "$W"
python3 "$here/api.py" org/repos.json 8765 &
api=$!
python3 "$here/api.py" org/repos.json 8766 https://git.stand-in.invalid/ &
kf_api=$!
trap 'kill $api $kf_api' EXIT
sleep 1
export GH_TOKEN=bench-token
# Each run's max RSS (KB) is appended to W/rss-NAME.
measured() { # NAME COMMAND...
  local name=$1
  shift
  /usr/bin/time -a -o "$W/rss-$name" -f %M "$@"
}
scan() { # ORG STATE-NAME OUTPUT
  measured "$2" "$P" github --org "$1" --api-url http://127.0.0.1:8765 --cache-dir "$W/cache-$2" \
    --datastore "$W/state-$2.db" -q -f json --show-secrets -o "$3"
}
reference() {
  rm -rf "$W/m" && mkdir -p "$W/m"
  python3 -c "import json; [print(r['clone_url']) for r in json.load(open('org/repos.json'))['repos'] if not r['archived'] and not r['fork']]" |
    while read -r url; do
      n=$(basename "$url")
      git clone -q --mirror "$url" "$W/m/$n"
      git -C "$W/m/$n" cat-file --batch-all-objects --batch >/dev/null
    done
}
kingfisher() { # OUTPUT
  GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0="url.$file_base.insteadOf" \
    GIT_CONFIG_VALUE_0=https://git.stand-in.invalid/acme/ GITHUB_TOKEN=bench-token \
    measured kingfisher "$KF" scan github --organization acme --api-url http://127.0.0.1:8766/ \
    --no-validate --no-update-check -f json -o "$1" >/dev/null 2>&1 || [ -s "$1" ]
}
file_base=$(python3 -c "import json, os; print(os.path.dirname(json.load(open('org/repos.json'))['repos'][0]['clone_url']) + '/')")
export -f measured scan reference kingfisher
export P W KF file_base
rm -f "$W"/rss-* "$W"/out-kf.json
cold=(reference "scan acme acme $W/out-cold.json")
if [ -n "$KF" ] && [ -x "$KF" ]; then
  "$KF" --version
  cold+=("kingfisher $W/out-kf.json")
else
  echo "run.sh: Kingfisher not installed (set KF): its column is skipped" >&2
  KF=
fi
hyperfine --shell=bash -i -r 2 --export-json "$W/cold.json" \
  --prepare "rm -rf $W/cache-acme $W/state-acme.db" "${cold[@]}"
hyperfine --shell=bash -i -w 1 -r 5 --export-json "$W/warm.json" "scan acme acme $W/out-warm.json"
for org in half acme; do
  rm -rf "$W/cache-m$org" "$W/state-m$org.db"
  scan $org m$org "$W/out-m$org.json" || true
done
# Recall over the valid tokens a default scan can see: not only in a dangling commit (no clone
# has them), not in the archived repository or the fork (left out by default).
python3 -c "
import json
for l in open('org/truth.jsonl'):
    t = json.loads(l)
    if t.get('valid') and t.get('context') != 'dangling' and not t.get('skipped_by_default'):
        print(l, end='')" >"$W/truth-default.jsonl"
recall() { python3 "$SHARED/score.py" "$W/truth-default.jsonl" "$1" | sed -n 1p | cut -d' ' -f2 || true; }
rss() { [ -s "$W/rss-$1" ] && echo "$(sort -n "$W/rss-$1" | tail -1 | awk '{printf "%.0f MB", $1/1024}')" || echo "-"; }
python3 - "$W" "$(recall "$W/out-cold.json")" "$(rss acme)" "$(rss mhalf)" "$(rss macme)" \
  "${KF:+$(recall "$W/out-kf.json")}" "${KF:+$(rss kingfisher)}" <<'EOF'
import json, sys
w, recall, rss, rss50, rss100, kf_recall, kf_rss = sys.argv[1:]
cold = {r["command"].split()[0]: r for r in json.load(open(f"{w}/cold.json"))["results"]}
warm = json.load(open(f"{w}/warm.json"))["results"][0]
ref = cold["reference"]["mean"]
def t(r):
    return f"{r['mean']:.2f} s ± {r['stddev'] or 0:.2f}"
rows = [("git clone --mirror + cat-file, in turn", t(cold["reference"]), "1.00x", "", ""),
        ("patrol github --org acme, cold", t(cold["scan"]), f"{cold['scan']['mean'] / ref:.2f}x", recall, rss)]
if "kingfisher" in cold:
    k = cold["kingfisher"]
    rows.append(("kingfisher scan github --organization acme", t(k), f"{k['mean'] / ref:.2f}x", kf_recall, kf_rss))
rows.append(("patrol github --org acme, warm", f"{warm['mean']:.3f} s",
             f"{100 * warm['mean'] / cold['scan']['mean']:.1f}% of cold", "", ""))
rows.append(("patrol github: max RSS at 50 / 100 repositories", "", "", "", f"{rss50} / {rss100}"))
head = ("command", "wall time", "ratio", "recall", "max RSS")
width = [max(len(r[i]) for r in rows + [head]) for i in range(5)]
for r in [head, tuple("-" * n for n in width)] + rows:
    print("  ".join(c.ljust(n) for c, n in zip(r, width)).rstrip())
EOF
