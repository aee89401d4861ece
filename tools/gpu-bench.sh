#!/usr/bin/env bash
# gpu-bench.sh runs `sumi bench` on a CUDA machine that cannot reach the
# network and gets files only through a size-capped copy of the working tree
# (this workplace's device machines: 64 MiB per call, tree included).
#
#   tools/gpu-bench.sh pack [PART_MB]  here: make ort-cuda, build bin/sumi, pack
#                                      sumi + the three ORT libraries as one
#                                      xz tarball (~180 MB, the CUDA provider is
#                                      165 MB of it) split into .gpu/part-NN
#                                      files of PART_MB (default 12: 64 MiB per
#                                      call less the working tree) + all.sha256
#   tools/gpu-bench.sh stage PART      there: copy one carried part (e.g.
#                                      .gpu/part-03) into $STAGE; one device call
#                                      per part, back to back, while it stays warm
#   tools/gpu-bench.sh run             there: check and unpack $STAGE, put
#                                      PyTorch's nvidia-* CUDA 13 libraries on
#                                      LD_LIBRARY_PATH, run the benchmarks, write
#                                      JSON lines to $OUT (or ./gpu-bench-out)
#
# .gpu/ must be ignored (echo /.gpu/ >> .git/info/exclude) and named in the
# device call's carry list.
set -euo pipefail
cd "$(dirname "$0")/.."
STAGE=${SUMI_GPU_STAGE:-/var/tmp/sumi-gpu}

pack() {
  local mb=${1:-12}
  make ort-cuda
  CGO_ENABLED=1 go build -trimpath -o bin/sumi ./cmd/sumi
  rm -rf .gpu && mkdir -p .gpu
  tar -cf - -C bin sumi -C ../.ort libonnxruntime.so.1 libonnxruntime_providers_shared.so \
    libonnxruntime_providers_cuda.so | xz -T0 -6 >.gpu/all.tar.xz
  (cd .gpu && sha256sum all.tar.xz >all.sha256 && split -b "${mb}M" -d -a 2 all.tar.xz part- && rm all.tar.xz)
  ls -la .gpu
}

stage() {
  mkdir -p "$STAGE"
  cp "$1" "$STAGE/"
  [ -f .gpu/all.sha256 ] && cp .gpu/all.sha256 "$STAGE/"
  ls -la "$STAGE"
}

# cuda_libs lists every folder of .so files under PyTorch's nvidia-* wheels
# (cuBLAS, cuDNN, cuRAND, the CUDA runtime for CUDA 13).
cuda_libs() {
  local site
  site=$(python3 -c 'import nvidia, os; print(os.path.dirname(list(nvidia.__path__)[0]))')
  find "$site/nvidia" -name 'lib*.so*' -printf '%h\n' | sort -u | paste -sd:
}

run() {
  local out=${OUT:-gpu-bench-out} dir=$STAGE/unpacked
  mkdir -p "$out" "$dir"
  (cd "$STAGE" && cat part-* >all.tar.xz && sha256sum -c all.sha256)
  tar -xJf "$STAGE/all.tar.xz" -C "$dir"
  export LD_LIBRARY_PATH="$(cuda_libs):${LD_LIBRARY_PATH:-}"
  export SUMI_ORT_LIB=$dir/libonnxruntime.so.1
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt"
  local cache=/var/tmp/sumi-cache
  # Each step may fail on its own (e.g. a provider without NHWC kernels);
  # the next still runs. 1: the CI check on this machine's CPU (proves the
  # binary and library load here).
  "$dir/sumi" bench -q --device cpu --size small --cache-dir "$cache" | tee "$out/cpu-small.json" || true
  # 2. The CUDA path on the small model: provider and kernel problems, cheaply.
  "$dir/sumi" bench --device cuda --size small --cache-dir "$cache" --runs 5 | tee "$out/cuda-small.json" || true
  # 3. Real shapes, fused fp16 graphs, NCHW (writes the 6.9 GB checkpoint once).
  "$dir/sumi" bench --device cuda --size sdxl --cache-dir "$cache" --runs 10 --nhwc=false | tee "$out/cuda-sdxl-nchw.json" || true
  # 4. The same with prefer_nhwc, then without the contrib fusions (5 steps).
  "$dir/sumi" bench -q --device cuda --size sdxl --cache-dir "$cache" --runs 10 | tee "$out/cuda-sdxl.json" || true
  "$dir/sumi" bench -q --device cuda --size sdxl --cache-dir "$cache" --runs 5 --plain --steps 5 | tee "$out/cuda-sdxl-plain.json" || true
}

case "${1:-}" in
pack) shift; pack "$@" ;;
stage) shift; stage "$@" ;;
run) run ;;
*) sed -n '2,20p' "$0" >&2; exit 2 ;;
esac
