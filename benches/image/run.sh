#!/usr/bin/env bash
# Image benchmark (README "Performance"): `patrol image` on a ~1 GB `docker save` tarball against
# `tar -xOf` of its layers piped through `rg -c`, in the same hyperfine run, then peak memory.
#   mkdir -p /tmp/image-bench && python3 benches/image/gen.py /tmp/image-bench/big.tar
#   P=$PWD/target/release/patrol benches/image/run.sh /tmp/image-bench/big.tar
set -euo pipefail
T=${1:?usage: run.sh TARBALL (from gen.py)}
P=${P:?set P to the patrol binary}
hyperfine -i -w 1 -r ${RUNS:-5} \
  "tar -xOf $T --wildcards '*/layer.tar' | rg -a -c 'gh[pousr]_'" \
  "$P image $T -q -f json -o /dev/null"
/usr/bin/time -f "max RSS %M KB, %e s" "$P" image "$T" -q -f json -o /dev/null || true
