#!/bin/sh
# Packages a built patrol the way releases ship it (.github/workflows/release.yml), and the way
# scripts/install.sh and cargo binstall unpack it:
#   OUT/patrol-TAG-TARGET.tar.gz (.zip for Windows targets) holding patrol-TAG-TARGET/ with the
#   binary, README.md, CHANGELOG.md, LICENSE-MIT and LICENSE-APACHE.
# Usage: scripts/package.sh TAG TARGET BINARY [OUT]   (OUT defaults to dist; prints the archive)
set -eu

tag=${1:?usage: package.sh TAG TARGET BINARY [OUT]}
target=${2:?usage: package.sh TAG TARGET BINARY [OUT]}
binary=${3:?usage: package.sh TAG TARGET BINARY [OUT]}
out=${4:-dist}
root=$(cd "$(dirname "$0")/.." && pwd)
stem="patrol-$tag-$target"

mkdir -p "$out"
out=$(cd "$out" && pwd)
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
mkdir "$staging/$stem"
cp "$root/README.md" "$root/CHANGELOG.md" "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$staging/$stem/"
case $target in
  *windows*)
    cp "$binary" "$staging/$stem/patrol.exe"
    archive="$out/$stem.zip"
    (cd "$staging" && 7z a -tzip "$archive" "$stem" >/dev/null)
    ;;
  *)
    cp "$binary" "$staging/$stem/patrol"
    chmod 755 "$staging/$stem/patrol"
    archive="$out/$stem.tar.gz"
    (cd "$staging" && tar -czf "$archive" "$stem")
    ;;
esac
echo "$archive"
