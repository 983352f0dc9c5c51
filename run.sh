#!/usr/bin/env bash
# maskgrad's one entry point.
#   ./run.sh demo    install what is missing, build (Release), build the embedded data into
#                    data/embedded (cached: tools/make_embedded_data.py), then train Naive, AMSS,
#                    AMSS+ and OGM-GE on it (mg-compare): one table, plots in runs/demo/plots
#   ./run.sh test    install what is missing, build with tests, run every test through CTest,
#                    then the file-format readers' tests again in a build with AddressSanitizer
#                    and UndefinedBehaviorSanitizer (build/sanitize)
#   ./run.sh slow    the same, for the tests labelled `slow` (nightly-style); first writes the
#                    large PyTorch fixtures they read (installs python3-torch, -torchvision)
#   ./run.sh bench [ops|models|overhead|loader] [flags]   build, then time our ops or training
#                    steps against PyTorch (installs python3-torch, -torchvision, -scipy, -pil),
#                    each rebalancing method's step against Naive's, or the CREMA-D loader's
#                    samples/s against a PyTorch DataLoader's; default: all four
# Environment: MG_BUILD_DIR (default build/release), MG_JOBS (default: number of cores),
# MG_CMAKE_ARGS (extra configure flags, e.g. "-DMG_CUDA=OFF"), MG_SANITIZE_BUILD_DIR (build/sanitize).
set -euo pipefail
cd "$(dirname "$0")"

BUILD_PACKAGES=(g++ make cmake libopenblas-dev libgtest-dev libstb-dev)
BENCH_PACKAGES=(python3 python3-torch python3-numpy python3-torchvision python3-scipy python3-pil)
DATA_PACKAGES=(python3 python3-numpy python3-pil espeak-ng dataset-fashion-mnist)
DEMO_PACKAGES=(python3-matplotlib)
BUILD_DIR=${MG_BUILD_DIR:-build/release}
JOBS=${MG_JOBS:-$(nproc)}

install_missing() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return
  echo "run.sh: installing ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
}

build() {
  install_missing "${BUILD_PACKAGES[@]}"
  # shellcheck disable=SC2086
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release "$@" ${MG_CMAKE_ARGS:-}
  cmake --build "$BUILD_DIR" -j "$JOBS"
}

# The embedded default data (Fashion-MNIST images and espeak-ng's spoken class names, CREMA-D
# layout), from Debian packages alone; the builder skips the work when data/embedded already
# holds the same configuration.
prepare_data() {
  install_missing "${DATA_PACKAGES[@]}"
  /usr/bin/python3 tools/make_embedded_data.py --out data/embedded
}

# The readers of untrusted files (datasets/), built and tested with ASan and UBSan: corrupt input
# must give an mg::Error, never a bad read. Only the data library and these tests are built.
READER_TESTS=(file_bytes npy wav csv python_literal fft stft spectrogram resample pickle image avi loader_parts nvgesture)
sanitized_readers() {
  local dir=${MG_SANITIZE_BUILD_DIR:-build/sanitize} targets=()
  for name in "${READER_TESTS[@]}"; do targets+=("test_datasets_${name}_test"); done
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DMG_CUDA=OFF -DMG_BUILD_TESTS=ON \
    -DMG_SANITIZE=address,undefined >/dev/null
  cmake --build "$dir" -j "$JOBS" --target "${targets[@]}"
  for target in "${targets[@]}"; do
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$dir/tests/$target" --gtest_brief=1
  done
}

# The flags of the other benchmarks that bench_loader also takes (--no-torch, --python PATH), one
# a line; it has no rows, threads or repeats.
loader_flags() {
  while [ $# -gt 0 ]; do
    case $1 in
      --no-torch) echo "$1" ;;
      --python) printf '%s\n%s\n' "$1" "${2:-}" && shift ;;
    esac
    shift
  done
}

case "${1:-}" in
  demo)
    build -DMG_BUILD_TESTS=OFF
    prepare_data
    install_missing "${DEMO_PACKAGES[@]}"
    # Trained afresh each time: mg-compare would reuse finished runs, which a rebuilt
    # data/embedded (other defaults) would make stale.
    rm -rf runs/demo
    "$BUILD_DIR/mg-compare" --preset embedded --methods naive,amss,amss_plus,ogm_ge --seeds 0 \
      --out runs/demo --plots
    ;;
  test)
    # The tests labelled `tools`: the embedded data builder's, plot_run.py's.
    install_missing "${DATA_PACKAGES[@]}" python3-matplotlib
    build -DMG_BUILD_TESTS=ON
    ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" -LE slow
    sanitized_readers
    ;;
  slow)
    install_missing "${BENCH_PACKAGES[@]}"
    /usr/bin/python3 tools/make_reference.py --large
    build -DMG_BUILD_TESTS=ON
    ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" -L slow
    ;;
  bench)
    install_missing "${BENCH_PACKAGES[@]}"
    build -DMG_BUILD_TESTS=OFF
    shift
    case "${1:-}" in
      ops | models | overhead | loader)
        which=$1
        shift
        "$BUILD_DIR/bench_$which" "$@"
        ;;
      *)
        "$BUILD_DIR/bench_ops" "$@"
        "$BUILD_DIR/bench_models" "$@"
        "$BUILD_DIR/bench_overhead" "$@"
        mapfile -t shared < <(loader_flags "$@")
        "$BUILD_DIR/bench_loader" "${shared[@]}"
        ;;
    esac
    ;;
  -h | --help | help)
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    ;;
  *)
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
