#!/usr/bin/env bash
# install-ort.sh installs ONNX Runtime 1.29.0 from the npm registry into DIR
# (default: .ort), verifying every file against a pinned SHA-256.
#   tools/install-ort.sh [--cuda] [DIR]
# Core library: npm onnxruntime-node@1.29.0, bin/napi-v6/linux/x64/libonnxruntime.so.1.
# With --cuda, the CUDA 13 provider libraries are added next to it, from npm
# com.github.asus4.onnxruntime@0.4.9 (libonnxruntime_providers_shared.so) and
# com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 (libonnxruntime_providers_cuda.so).
# The asus4 package's own libonnxruntime.so is NOT used: it is built without CUDA.
set -euo pipefail

cuda=0
if [ "${1:-}" = "--cuda" ]; then cuda=1; shift; fi
dir=${1:-.ort}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

CORE_SHA=89688f5cf51c7e31befbb7b9101bc027799009b18d1baa9a5b1146a72e69538d
SHARED_SHA=086ec1d5388f64153d9c63470d126693db9a182c8ce236d3a1119068471b8a0d
CUDA_SHA=56cf3254b118ad837ccc4ed8f6d1b23504bbf7ef91b34cbc0b289cb7f10b3037

# fetch PKG@VER MEMBER DEST SHA: unpacks one member of an npm tarball and checks it.
fetch() {
  local pkg=$1 member=$2 dest=$3 sha=$4
  if [ -f "$dest" ] && echo "$sha  $dest" | sha256sum -c --quiet - 2>/dev/null; then
    return 0
  fi
  local tmp
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  echo "install-ort: fetching $pkg from the npm registry" >&2
  (cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp" "package/$member"
  echo "$sha  $tmp/package/$member" | sha256sum -c --quiet - || {
    echo "install-ort: checksum mismatch for $pkg $member" >&2; exit 1; }
  install -m 0644 "$tmp/package/$member" "$dest"
}

fetch onnxruntime-node@1.29.0 bin/napi-v6/linux/x64/libonnxruntime.so.1 \
  "$dir/libonnxruntime.so.1" "$CORE_SHA"
ln -sf libonnxruntime.so.1 "$dir/libonnxruntime.so"

if [ $cuda = 1 ]; then
  fetch com.github.asus4.onnxruntime@0.4.9 Plugins/Linux/x64/libonnxruntime_providers_shared.so \
    "$dir/libonnxruntime_providers_shared.so" "$SHARED_SHA"
  fetch com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 Plugins/Linux/x64/libonnxruntime_providers_cuda.so \
    "$dir/libonnxruntime_providers_cuda.so" "$CUDA_SHA"
fi
echo "install-ort: ONNX Runtime 1.29.0 in $dir" >&2
