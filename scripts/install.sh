#!/bin/sh
# Installs a patrol release binary, verified against the release's SHA256SUMS.
#
#   sh install.sh --repo OWNER/patrol [--version vX.Y.Z|latest] [--dir DIR] [--target TRIPLE]
#                 [--build-if-missing] [--source DIR] [--from-source]
#
# Downloads SHA256SUMS and the archive for this machine (or --target) from the GitHub release,
# checks the archive's SHA-256 against SHA256SUMS and only then puts `patrol` into DIR
# (default ~/.local/bin). A checksum that does not match is a hard failure: nothing is installed
# and nothing is built instead. When the release does not exist, or has no archive for this
# machine, it fails too, unless --build-if-missing: then patrol is built from source with cargo
# (from --source DIR when given, else the crate of that version). --from-source builds without
# looking for a release. In GitHub Actions, `from=release` or `from=source` goes to GITHUB_OUTPUT.
#
# Used by the GitHub Action (action.yml) and by people. Needs curl (or wget), tar (unzip or
# PowerShell for the Windows .zip) and sha256sum or shasum.
#
# Environment:
#   PATROL_RELEASES_URL  where releases live (default https://github.com/REPO/releases); files
#                        are fetched from $PATROL_RELEASES_URL/download/TAG/FILE
#   PATROL_BUILD_CMD     the command (run with sh -c) that builds from source; it gets
#                        PATROL_VERSION and PATROL_BUILD_ROOT and must leave the binary at
#                        $PATROL_BUILD_ROOT/bin/patrol (the layout of cargo install --root)
set -eu

say() { printf 'patrol install: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

repo=${PATROL_REPO:-}
version=latest
dir=${PATROL_INSTALL_DIR:-${HOME:-.}/.local/bin}
target=
build_if_missing=false
from_source=false
source_dir=
while [ $# -gt 0 ]; do
  case $1 in
    --repo) repo=${2:?--repo needs OWNER/NAME}; shift 2 ;;
    --version) version=${2:?--version needs a tag}; shift 2 ;;
    --dir) dir=${2:?--dir needs a directory}; shift 2 ;;
    --target) target=${2:?--target needs a target triple}; shift 2 ;;
    --build-if-missing) build_if_missing=true; shift ;;
    --from-source) from_source=true; shift ;;
    --source) source_dir=${2:?--source needs a directory}; shift 2 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
releases=${PATROL_RELEASES_URL:-}
if [ -z "$releases" ]; then
  [ -n "$repo" ] || die "name the repository that publishes patrol: --repo OWNER/NAME"
  releases="https://github.com/$repo/releases"
fi
case $version in
  latest | v*) ;;
  [0-9]*) version="v$version" ;;
  *) die "--version must look like v1.2.3 (or latest), not '$version'" ;;
esac

# This machine's release target; empty when no release is built for it.
detect_target() {
  os=$(uname -s)
  arch=$(uname -m)
  case $arch in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) return 0 ;;
  esac
  case $os in
    Linux) echo "$arch-unknown-linux-musl" ;;
    Darwin) echo "$arch-apple-darwin" ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT) [ "$arch" = x86_64 ] && echo "x86_64-pc-windows-msvc" ;;
  esac
  return 0
}
[ -n "$target" ] || target=$(detect_target)

work=$(mktemp -d 2>/dev/null || mktemp -d -t patrol-install)
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM

# HTTPS only, except to this machine (the tests serve a fake release on 127.0.0.1).
case $releases in
  https://*) protocols='=https' ;;
  http://127.0.0.1[:/]* | http://localhost[:/]* | http://\[::1\][:/]*) protocols='=http' ;;
  *) die "releases must be fetched over https, not from $releases" ;;
esac
if command -v curl >/dev/null 2>&1; then
  fetcher=curl
elif command -v wget >/dev/null 2>&1; then
  fetcher=wget
else
  die "neither curl nor wget is installed"
fi

# http_get URL FILE: prints the HTTP status (000 when the server could not be reached).
http_get() {
  if [ "$fetcher" = curl ]; then
    curl --silent --show-error --location --retry 3 --proto "$protocols" \
      --proto-redir "$protocols" --output "$2" --write-out '%{http_code}' "$1" || true
  else
    wget --server-response --output-document="$2" "$1" 2>"$work/wget.log" || true
    awk '$1 ~ /^HTTP\// { code = $2 } END { print code ? code : "000" }' "$work/wget.log"
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 -r "$1" | cut -d' ' -f1
  else
    die "no SHA-256 tool (sha256sum, shasum or openssl) is installed"
  fi
}

# Puts the executable $1 into $dir as patrol (or patrol.exe), replacing any previous one whole;
# $2 says where it came from (release or source).
place() {
  mkdir -p "$dir"
  cp "$1" "$dir/.$bin.partial"
  chmod 755 "$dir/.$bin.partial"
  mv -f "$dir/.$bin.partial" "$dir/$bin"
  say "installed $dir/$bin (from $2)"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "from=$2" >>"$GITHUB_OUTPUT"
  fi
}

# No release for this version or machine: build from source, or fail.
no_release() {
  if [ "$build_if_missing" != true ]; then
    die "$1; install from source with: cargo install --locked patrol"
  fi
  build_from_source "$1"
}

build_from_source() {
  say "$1; building from source"
  mkdir -p "$work/build"
  if [ -z "${PATROL_BUILD_CMD:-}" ]; then
    # shellcheck disable=SC2016 # expanded by the sh -c below, with the variables it is given
    if [ -n "$source_dir" ]; then
      PATROL_BUILD_CMD='cargo install --locked --quiet --path "$PATROL_SOURCE" --root "$PATROL_BUILD_ROOT"'
    elif [ "$version" != latest ]; then
      PATROL_BUILD_CMD='cargo install --locked --quiet --root "$PATROL_BUILD_ROOT" --version "${PATROL_VERSION#v}" patrol'
    else
      PATROL_BUILD_CMD='cargo install --locked --quiet --root "$PATROL_BUILD_ROOT" patrol'
    fi
  fi
  PATROL_VERSION=$version PATROL_BUILD_ROOT="$work/build" PATROL_SOURCE=$source_dir \
    sh -c "$PATROL_BUILD_CMD" || die "building from source failed"
  built="$work/build/bin/$bin"
  [ -f "$built" ] || built="$work/build/bin/patrol"
  [ -f "$built" ] || die "the build left no $work/build/bin/$bin"
  place "$built" source
  exit 0
}

bin=patrol
case $target in *windows*) bin=patrol.exe ;; esac
[ "$from_source" != true ] || build_from_source "--from-source"
[ -n "$target" ] || no_release "no release is built for $(uname -s) $(uname -m)"

# The tag: given, or where releases/latest redirects to.
if [ "$version" = latest ]; then
  status=$(http_get "$releases/latest" "$work/latest.html")
  case $status in
    200) ;;
    404) no_release "$releases has no release yet" ;;
    *) die "could not reach $releases/latest (HTTP $status)" ;;
  esac
  if [ "$fetcher" = curl ]; then
    url=$(curl --silent --location --proto "$protocols" --proto-redir "$protocols" \
      --output /dev/null --write-out '%{url_effective}' "$releases/latest")
  else
    url=$(awk '/^ *Location:/ { l = $2 } END { print l }' "$work/wget.log" | tr -d '\r')
  fi
  version=${url##*/}
  case $version in v*) ;; *) die "could not tell the latest release from $url" ;; esac
fi

case $target in *windows*) ext=zip ;; *) ext=tar.gz ;; esac
stem="patrol-$version-$target"
archive="$stem.$ext"
base="$releases/download/$version"

status=$(http_get "$base/SHA256SUMS" "$work/SHA256SUMS")
case $status in
  200) ;;
  404) no_release "release $version not found at $releases" ;;
  *) die "could not download $base/SHA256SUMS (HTTP $status)" ;;
esac
expected=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print tolower($1); exit }' "$work/SHA256SUMS")
[ -n "$expected" ] || no_release "release $version has no $archive"

status=$(http_get "$base/$archive" "$work/$archive")
[ "$status" = 200 ] || die "could not download $base/$archive (HTTP $status)"
actual=$(sha256_of "$work/$archive")
if [ "$actual" != "$expected" ]; then
  die "checksum mismatch for $archive: SHA256SUMS says $expected, the download is $actual; nothing installed"
fi
say "verified $archive (sha256 $actual)"

mkdir "$work/unpacked"
case $ext in
  tar.gz) tar -xzf "$work/$archive" -C "$work/unpacked" ;;
  zip)
    if command -v unzip >/dev/null 2>&1; then
      unzip -q "$work/$archive" -d "$work/unpacked"
    else
      powershell -NoProfile -Command "Expand-Archive -LiteralPath '$work/$archive' -DestinationPath '$work/unpacked'"
    fi
    ;;
esac
[ -f "$work/unpacked/$stem/$bin" ] || die "$archive holds no $stem/$bin"
place "$work/unpacked/$stem/$bin" release
