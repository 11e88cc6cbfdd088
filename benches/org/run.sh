#!/usr/bin/env bash
# Organisation benchmark (README "Performance"): patrol github's cold run against
# `git clone --mirror` + `git cat-file --batch-all-objects --batch` over the same repositories,
# the warm re-run, and peak memory at 50 and 100 repositories.
#   python3 ../shared/bench/gen_org.py --out /tmp/org-bench/org --repos 100 --commits 260 --budget-mb 1
#   P=$PWD/target/release/patrol benches/org/run.sh /tmp/org-bench
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
W=${1:?usage: run.sh WORKDIR (holding org/ from gen_org.py)}
P=${P:?set P to the patrol binary}
cd "$W"
python3 "$here/api.py" org/repos.json 8765 &
api=$!
trap 'kill $api' EXIT
sleep 1
export GH_TOKEN=bench-token
scan() { # ORG STATE-NAME OUTPUT
  "$P" github --org "$1" --api-url http://127.0.0.1:8765 --cache-dir "$W/cache-$2" \
    --datastore "$W/state-$2.db" -q -f json -o "$3"
}
export -f scan
export P W
reference() {
  rm -rf "$W/m" && mkdir -p "$W/m"
  python3 -c "import json; [print(r['clone_url']) for r in json.load(open('org/repos.json'))['repos'] if not r['archived'] and not r['fork']]" |
    while read -r url; do
      n=$(basename "$url")
      git clone -q --mirror "$url" "$W/m/$n"
      git -C "$W/m/$n" cat-file --batch-all-objects --batch >/dev/null
    done
}
export -f reference
hyperfine --shell=bash -i -r 2 --prepare "rm -rf $W/cache-acme $W/state-acme.db" \
  reference "scan acme acme $W/out-cold.json"
hyperfine --shell=bash -i -w 1 -r 5 "scan acme acme $W/out-warm.json"
for org in half acme; do
  rm -rf "$W/cache-m$org" "$W/state-m$org.db"
  /usr/bin/time -f "$org: max RSS %M KB, %e s" bash -c "scan $org m$org $W/out-m$org.json" || true
done
