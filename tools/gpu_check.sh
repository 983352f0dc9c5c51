#!/usr/bin/env bash
# The GPU check of maskgrad's CUDA backend, for a bare GPU machine with a copy of the repository,
# a CUDA toolkit (nvcc, cuBLAS), cuDNN (system-wide or inside PyTorch's Python packages) and
# PyTorch with CUDA:
#   1. configure and build Release with CUDA (sm_90 by default: MG_CUDA_ARCHS=80 for an A100),
#   2. run the tests labelled `cuda` (each op on the CPU and on the GPU, compared),
#   3. time single ops (bench_ops: GEMM, convolution, norms, pooling at the AV model's batch-64
#      shapes) and training steps on the GPU against PyTorch on the same card (TF32 off on both sides):
#      the AV classifier at CREMA-D shapes, batch 64, and the text encoder; then AMSS+ (paper
#      mode) against Naive, each step timed to the end of its GPU work,
#   4. print one table last. With $OUT set, the full log and the table are written there too.
# Budget: under 8 minutes on one H100 or H200 (each phase has its own time limit, 465 s in all, so
# a hang still ends in the table; a full run took 158 s on an H200).
#
#   tools/gpu_check.sh                 run the check
#   tools/gpu_check.sh --prepare-deps  (on a Debian machine with the build packages) copy what a
#                                      machine without a package manager may lack into .devdeps/
#                                      (OpenBLAS and its runtime, cblas.h, GoogleTest sources,
#                                      the stb_image headers);
#                                      the check uses it only for what the system lacks
set -uo pipefail
cd "$(dirname "$0")/.."

DEPS=.devdeps
if [ "${1:-}" = "--prepare-deps" ]; then
  set -e
  rm -rf "$DEPS" && mkdir -p "$DEPS/lib" "$DEPS/include"
  blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libopenblas.so.0)
  cp "$blas" "$DEPS/lib/libopenblas.so.0"
  ln -s libopenblas.so.0 "$DEPS/lib/libopenblas.so"
  for runtime in libgfortran.so.5 libquadmath.so.0; do
    cp "$(readlink -f "/usr/lib/x86_64-linux-gnu/$runtime")" "$DEPS/lib/$runtime"
  done
  cp /usr/include/x86_64-linux-gnu/openblas-pthread/*.h "$DEPS/include/"
  cp -r /usr/src/googletest "$DEPS/googletest"
  mkdir -p "$DEPS/include/stb"
  cp /usr/include/stb/stb_image.h /usr/include/stb/stb_image_write.h "$DEPS/include/stb/"
  grep -qx "/$DEPS/" .git/info/exclude 2>/dev/null || echo "/$DEPS/" >>.git/info/exclude
  du -sh "$DEPS"
  exit 0
fi

OUT_DIR=${OUT:-build/gpu-check}
mkdir -p "$OUT_DIR"
LOG="$OUT_DIR/gpu_check.log"
TABLE="$OUT_DIR/gpu_table.md"
BUILD=build/gpu
JOBS=$(nproc)
START=$(date +%s)
phase() { echo; echo "== $1 ($(($(date +%s) - START)) s)"; }
status_build=fail status_tests="not run" bench_models_out="" bench_overhead_out=""

main() {
phase "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
GPU_NAME=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
command -v nvcc && nvcc --version | tail -1
PYTHON=$(command -v python3)
"$PYTHON" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)" || true

# cuDNN: the toolkit's or the system's, else the one inside PyTorch's Python packages.
cudnn_include="" cudnn_library=""
for dir in /usr/local/cuda/include /usr/include /usr/include/x86_64-linux-gnu; do
  [ -f "$dir/cudnn.h" ] && cudnn_include=$dir && break
done
for lib in /usr/local/cuda/lib64/libcudnn.so /usr/local/cuda/lib/libcudnn.so \
  /usr/lib/x86_64-linux-gnu/libcudnn.so; do
  [ -e "$lib" ] && cudnn_library=$lib && break
done
if [ -z "$cudnn_include" ] || [ -z "$cudnn_library" ]; then
  wheel=$("$PYTHON" -c "import nvidia.cudnn, os; print(os.path.dirname(nvidia.cudnn.__file__))" \
    2>/dev/null || "$PYTHON" -c "import nvidia.cudnn; print(list(nvidia.cudnn.__path__)[0])" 2>/dev/null)
  [ -n "$wheel" ] && [ -f "$wheel/include/cudnn.h" ] && cudnn_include=$wheel/include
  [ -n "$wheel" ] && cudnn_library=$(ls "$wheel"/lib/libcudnn.so* 2>/dev/null | sort | head -1)
fi
echo "cuDNN: headers ${cudnn_include:-not found}, library ${cudnn_library:-not found}"
[ -n "$cudnn_library" ] && export LD_LIBRARY_PATH="$(dirname "$cudnn_library"):${LD_LIBRARY_PATH:-}"

configure=(-DCMAKE_BUILD_TYPE=Release -DMG_CUDA=ON -DMG_BUILD_TESTS=ON
  "-DCMAKE_CUDA_ARCHITECTURES=${MG_CUDA_ARCHS:-90}")
[ -n "$cudnn_include" ] && configure+=("-DMG_CUDNN_INCLUDE_DIR=$cudnn_include")
[ -n "$cudnn_library" ] && configure+=("-DMG_CUDNN_LIBRARY=$cudnn_library")
command -v ninja >/dev/null && configure+=(-G Ninja)
if [ -d "$DEPS" ]; then
  [ -f /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h ] || [ -f /usr/include/cblas.h ] ||
    { configure+=("-DCMAKE_PREFIX_PATH=$PWD/$DEPS") &&
      export LD_LIBRARY_PATH="$PWD/$DEPS/lib:${LD_LIBRARY_PATH:-}"; }
  [ -d /usr/src/googletest ] || [ -f /usr/lib/x86_64-linux-gnu/libgtest.a ] ||
    configure+=("-DMG_GTEST_SOURCE_DIR=$PWD/$DEPS/googletest")
  [ -f /usr/include/stb/stb_image.h ] || configure+=("-DMG_STB_INCLUDE_DIR=$PWD/$DEPS/include")
fi

phase "configure and build (${configure[*]})"
rm -rf "$BUILD/CMakeCache.txt"
if timeout 30 cmake -S . -B "$BUILD" "${configure[@]}" >"$OUT_DIR/configure.log" 2>&1; then
  grep -E "CUDA backend|BLAS " "$OUT_DIR/configure.log"
  targets=$(cmake --build "$BUILD" --target help | grep -oE "test_cuda_[a-z_]+_test" | sort -u)
  if timeout 150 cmake --build "$BUILD" -j "$JOBS" --target bench_ops bench_models bench_overhead \
    $targets \
    >"$OUT_DIR/build.log" 2>&1; then
    status_build=ok
  else
    grep -E "error|Error" "$OUT_DIR/build.log" | head -40
  fi
else
  tail -30 "$OUT_DIR/configure.log"
fi

if [ "$status_build" = ok ]; then
  phase "cuda tests"
  timeout 90 ctest --test-dir "$BUILD" -L cuda --output-on-failure -j 8 --timeout 60 \
    >"$OUT_DIR/ctest.log" 2>&1
  grep -E "tests passed|tests failed|Failed|\*\*\*|Timeout|SKIPPED" "$OUT_DIR/ctest.log" | head -60
  status_tests=$(grep -E "tests passed" "$OUT_DIR/ctest.log" | tail -1)
  grep -q "Skipped" "$OUT_DIR/ctest.log" && grep -m5 "Skipped" "$OUT_DIR/ctest.log"

  phase "single ops on the GPU, ours and PyTorch's"
  ops="gemm 1024x1024x1024,gemm 4096x512x512,softmax+cross_entropy fwd+bwd 64x1000"
  ops+=",layer_norm fwd+bwd 16x64x256,conv2d fwd+bwd stage3 8x256x14x14"
  for shape in "conv2d fwd+bwd stem 64x3x224x224" "conv2d fwd+bwd stage1 64x64x56x56" \
    "batch_norm fwd+bwd 64x64x112x112" "relu fwd+bwd 64x64x112x112" \
    "max_pool2d 3x3s2 fwd+bwd 64x64x112x112" "add fwd+bwd 64x64x56x56"; do
    ops+=",$shape"
  done
  timeout 75 "$BUILD/bench_ops" --device cuda --threads 4 --python "$PYTHON" --rows "$ops" 2>&1

  phase "training steps on the GPU, ours and PyTorch's"
  bench_models_out=$(timeout 60 "$BUILD/bench_models" --device cuda --threads 4 --python "$PYTHON" \
    --rows av_cremad_b64,text_encoder --warmup 3 --repeats 20 2>&1)
  echo "$bench_models_out"

  phase "AMSS+ (paper) against Naive on the GPU"
  for batch in 8 64; do
    out=$(timeout 30 "$BUILD/bench_overhead" --device cuda --threads 4 --batch $batch \
      --rows "amss+ (paper)" --warmup 3 --repeats 25 2>&1)
    echo "$out"
    bench_overhead_out+=$(echo "$out" | sed "s/^| amss+ (paper) /| amss+ (paper) b$batch /")$'\n'
  done
fi

phase "table"
{
  echo "GPU: ${GPU_NAME:-unknown}; build: $status_build; cuda tests: ${status_tests:-see log}"
  echo
  echo "| workload | ours ms | PyTorch ms | ratio |"
  echo "|---|---|---|---|"
  for row in av_cremad_b64 text_encoder; do
    echo "$bench_models_out" | awk -F'|' -v row="$row" '
      { gsub(/ /, "", $2) } $2 == row { printf "| %s | %s | %s | %s |\n", row, $3, $4, $5 }'
  done
  echo "$bench_overhead_out" | awk -F'|' '
    { name = $2; gsub(/^ +| +$/, "", name) }
    name ~ /^amss\+ \(paper\) b[0-9]+$/ {
      batch = substr(name, index(name, " b") + 2)
      printf "| AMSS+ (paper) / Naive step, AV batch %s | %s | %s (Naive) | %s |\n", batch, $3, $4, $5
    }'
} | tee "$TABLE"
}

main 2>&1 | tee "$LOG"
