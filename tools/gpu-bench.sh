#!/usr/bin/env bash
# gpu-bench.sh runs `sumi bench` on a CUDA machine that cannot reach the
# network and gets files only through a size-capped copy of the working tree
# (this workplace's device machines: 64 MiB per call, tree included).
#
#   tools/gpu-bench.sh pack [PARTS]  here: make ort-cuda, build bin/sumi, xz
#                                    the CUDA provider (165 MB of ~180) and the
#                                    rest (sumi, core ORT), tar the two and
#                                    split the tar into PARTS (default 3)
#                                    .gpu/part-NN files + all.sha256 (60 MB
#                                    each: with `slim`, tree + part < 64 MiB)
#   tools/gpu-bench.sh slim          here, before the device calls: stop
#                                    tracking testdata/ (43 MB) in the index
#                                    and ignore it locally, so the travelling
#                                    tree is ~4 MB and a part fits beside it;
#   tools/gpu-bench.sh unslim        here, after them: track it again (the
#                                    files never leave the working tree)
#   tools/gpu-bench.sh stage PART    there: copy one carried part (e.g.
#                                    .gpu/part-01) into $STAGE; one device call
#                                    per part, back to back, while it stays warm
#   tools/gpu-bench.sh run           there: check and unpack $STAGE, put
#                                    PyTorch's nvidia-* CUDA 13 libraries on
#                                    LD_LIBRARY_PATH, run the benchmarks and the
#                                    CUDA-vs-CPU image check, write results to
#                                    $OUT (or ./gpu-bench-out)
#
# .gpu/ must be ignored (echo /.gpu/ >> .git/info/exclude) and named in the
# device call's carry list. One session's sequence (device time ~8–10 min):
# pack; slim; call 1 `stage .gpu/part-00` (carry .gpu/part-00, .gpu/all.sha256);
# call 2 `stage .gpu/part-01`; call 3 `stage .gpu/part-02 && run` (timeout
# 540; the run stops itself after DEADLINE=450 s); give the machine back;
# unslim.
set -euo pipefail
cd "$(dirname "$0")/.."
STAGE=${SUMI_GPU_STAGE:-/var/tmp/sumi-gpu}

pack() {
  local parts=${1:-3} tmp
  make ort-cuda
  CGO_ENABLED=1 go build -trimpath -ldflags='-s -w' -o bin/sumi ./cmd/sumi
  tmp=$(mktemp -d)
  xz -T0 -9e -c .ort/libonnxruntime_providers_cuda.so >"$tmp/cuda.xz"
  tar -cf - -C bin sumi -C ../.ort libonnxruntime.so.1 libonnxruntime_providers_shared.so | xz -T0 -9e >"$tmp/rest.tar.xz"
  rm -rf .gpu && mkdir -p .gpu
  tar -cf .gpu/all.tar -C "$tmp" cuda.xz rest.tar.xz
  rm -rf "$tmp"
  (cd .gpu && sha256sum all.tar >all.sha256 && split -n "$parts" -d -a 2 all.tar part- && rm all.tar)
  ls -la .gpu
}

slim() {
  git rm -r -q --cached testdata
  grep -qx '/testdata/' .git/info/exclude || echo '/testdata/' >>.git/info/exclude
  (git ls-files -z; git ls-files -z --others --exclude-standard) | xargs -0 du -cb | tail -1
}

unslim() {
  sed -i '/^\/testdata\/$/d' .git/info/exclude
  git reset -q -- testdata
  git status --short | head
}

stage() {
  mkdir -p "$STAGE"
  cp "$1" "$STAGE/"
  [ -f .gpu/all.sha256 ] && cp .gpu/all.sha256 "$STAGE/"
  ls -la "$STAGE"
}

# cuda_libs lists every folder of .so files under PyTorch's nvidia-* wheels
# (cuBLAS, cuDNN, cuFFT, cuRAND, the CUDA runtime for CUDA 13).
cuda_libs() {
  local site
  site=$(python3 -c 'import nvidia, os; print(os.path.dirname(list(nvidia.__path__)[0]))')
  find "$site/nvidia" -name 'lib*.so*' -printf '%h\n' | sort -u | paste -sd:
}

unpack() {
  local dir=$1
  mkdir -p "$dir"
  (cd "$STAGE" && cat part-* >all.tar && sha256sum -c all.sha256 && tar -xf all.tar && rm all.tar part-*)
  xz -T0 -dc "$STAGE/cuda.xz" >"$dir/libonnxruntime_providers_cuda.so"
  tar -xJf "$STAGE/rest.tar.xz" -C "$dir"
}

# step NAME SECONDS ARGS...: one sumi invocation under a time limit; its JSON
# line (stdout) goes to results.jsonl, its progress to log.txt. A failing
# step does not stop the next.
step() {
  local name=$1 limit=$2 left=$((DEADLINE - SECONDS))
  shift 2
  if ((left < 20)); then
    echo "== $name: skipped, ${left} s left of the run's ${DEADLINE} s" | tee -a "$OUT/log.txt"
    return
  fi
  limit=$((limit < left ? limit : left))
  echo "== $name: sumi $*" | tee -a "$OUT/log.txt"
  local t0=$SECONDS
  timeout "$limit" "$SUMI" "$@" >>"${RESULT:-$OUT/results.jsonl}" 2>>"$OUT/log.txt" || echo "== $name FAILED rc=$?" | tee -a "$OUT/log.txt"
  echo "== $name: $((SECONDS - t0)) s" | tee -a "$OUT/log.txt"
}

# image_check runs the Animagine workflow on the small synthetic checkpoint
# on CUDA (float16 fused graphs, float32 VAE) and on the CPU (float32) and
# compares the PNGs.
image_check() {
  local base=/var/tmp/sumi-base set
  mkdir -p "$base/models/checkpoints"
  ln -sf "$CACHE"/synthetic-small-*.safetensors "$base/models/checkpoints/small.safetensors"
  set=(--base-directory "$base" --quiet --set 4.ckpt_name=small.safetensors --set 5.width=512 --set 5.height=512)
  for dev in cuda cpu; do
    rm -rf "$base/output"
    RESULT=$OUT/log.txt step "run-$dev" 120 run --device "$dev" "${set[@]}" workflows/animagine_txt2img.api.json
    cp "$base"/output/*.png "$OUT/small-$dev.png" || true
  done
  python3 - "$OUT/small-cuda.png" "$OUT/small-cpu.png" <<'EOF' | tee -a "$OUT/log.txt" || true
import sys, numpy as np
from PIL import Image
a, b = (np.asarray(Image.open(p).convert("RGB")).astype(int) for p in sys.argv[1:3])
d = np.abs(a - b)
print(f"image check 512x512 cuda fp16 vs cpu fp32: max {d.max()} levels, mean {d.mean():.4f}, "
      f">1 level {(d > 1).mean() * 100:.3f}%, >2 levels {(d > 2).mean() * 100:.3f}%")
EOF
}

# serve_e2e times the Animagine workflow through `sumi serve` on the real-shape
# synthetic checkpoint, as an API client sees it (tools/gpu-e2e.py).
serve_e2e() {
  local base=/var/tmp/sumi-serve pid
  mkdir -p "$base/models/checkpoints"
  ln -sf "$CACHE"/synthetic-sdxl-*.safetensors "$base/models/checkpoints/sdxl.safetensors"
  echo "== serve-e2e" | tee -a "$OUT/log.txt"
  "$SUMI" serve --base-directory "$base" --device cuda --port 8199 >>"$OUT/log.txt" 2>&1 &
  pid=$!
  SERVE_PID=$pid timeout $((DEADLINE - SECONDS > 20 ? DEADLINE - SECONDS : 20)) python3 tools/gpu-e2e.py http://127.0.0.1:8199 workflows/animagine_txt2img.api.json \
    sdxl.safetensors 1024x1024 832x1216 >>"$OUT/results.jsonl" 2>>"$OUT/log.txt" || echo "== serve-e2e FAILED" | tee -a "$OUT/log.txt"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# DEADLINE (seconds, default 450) bounds the whole run: each step gets at
# most what is left, so the command ends, with its results in $OUT, inside
# the device call's limit and the session's device time.
run() {
  DEADLINE=${DEADLINE:-450}
  OUT=${OUT:-gpu-bench-out}
  mkdir -p "$OUT"
  local dir=$STAGE/unpacked
  [ -x "$dir/sumi" ] || unpack "$dir"
  export LD_LIBRARY_PATH="$(cuda_libs):${LD_LIBRARY_PATH:-}"
  # The driver's libcuda.so.1, where the loader's own path may not reach.
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib64 /usr/lib/x86_64-linux-gnu; do
    [ -e "$d/libcuda.so.1" ] && LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$d" && break
  done
  export SUMI_ORT_LIB=$dir/libonnxruntime.so.1
  SUMI=$dir/sumi CACHE=/var/tmp/sumi-cache
  { nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true; nproc; free -g | head -2
    ldd "$dir/libonnxruntime_providers_cuda.so" | grep -i 'not found\|cudnn\|cublas\|cudart' || true; } | tee "$OUT/gpu.txt"
  # Provider and kernel problems show cheaply on the small model first.
  step cuda-small 120 bench --device cuda --size small --cache-dir "$CACHE" --runs 5
  # Which provider each node landed on (ORT's verbose log; a CPU fallback
  # inside the UNet would cost a copy each way per step).
  SUMI_ORT_LOG=verbose timeout 60 "$SUMI" bench -q --device cuda --size small --cache-dir "$CACHE" \
    --steps 1 --runs 1 >/dev/null 2>/var/tmp/ort-verbose.log || true
  grep -E 'VerifyEachNodeIsAssignedToAnEp|not assigned to the preferred' /var/tmp/ort-verbose.log |
    head -3000 >"$OUT/placements.txt" || true
  # Real shapes (writes the 6.9 GB checkpoint once): what `sumi serve` runs
  # on CUDA (fused float16, prefer_nhwc, float32 VAE).
  step cuda-sdxl 240 bench --device cuda --size sdxl --cache-dir "$CACHE" --runs 10
  serve_e2e
  # What launch gaps cost: the UNet step replayed from a CUDA graph.
  step cuda-sdxl-graph 120 bench -q --device cuda --size sdxl --cache-dir "$CACHE" --runs 10 --cuda-graph
  image_check
  # The same fused graphs without prefer_nhwc, then without the fusions.
  step cuda-sdxl-nchw 150 bench -q --device cuda --size sdxl --cache-dir "$CACHE" --runs 10 --nhwc=false
  step cuda-sdxl-plain 150 bench -q --device cuda --size sdxl --cache-dir "$CACHE" --runs 5 --plain --steps 5
  # What the exhaustive cuDNN search costs on a new size (first_s) and buys.
  step cuda-sdxl-heuristic 120 bench -q --device cuda --size sdxl --cache-dir "$CACHE" --runs 5 --steps 5 --cudnn-search heuristic
}

case "${1:-}" in
pack) shift; pack "$@" ;;
slim) slim ;;
unslim) unslim ;;
stage) shift; stage "$@" ;;
run) run ;;
*) sed -n '2,30p' "$0" >&2; exit 2 ;;
esac
