#!/usr/bin/env bash
# Set-up in one command on a fresh Debian 12 machine (as root, or with sudo):
# installs the Debian packages that are missing, builds, then
#
#   tools/crm.sh run        starts crm-server on http://localhost:8080, data in ./data
#   tools/crm.sh test       builds with -Werror, runs the whole test suite (ctest), then
#                           the fuzz smoke run (CRM_FUZZ_SECONDS per target, default 30)
#   tools/crm.sh bench      builds and runs the Google Benchmark suites, then bench-write
#   tools/crm.sh bench-write  the write path over HTTP: GET /healthz and POST
#                           /api/v1/accounts on a fresh server, 16 connections, 8 s
#                           each, and their ratio
#   tools/crm.sh sanitize   Debug build with AddressSanitizer + UBSan, runs the tests
#   tools/crm.sh lint       clang-format check and clang-tidy over the sources
#   tools/crm.sh fuzz [S]   builds the libFuzzer targets (clang, ASan + UBSan) and runs
#                           each for S seconds (default 30) from fuzz/corpus; fails on a finding
#
# Extra arguments after `run` go to crm-server (e.g. --port 9090).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  cmake ninja-build g++ ccache pkg-config
  librocksdb-dev libflatbuffers-dev flatbuffers-compiler libcpp-httplib-dev
  nlohmann-json3-dev rapidjson-dev libxlsxwriter-dev libboost-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev libsodium-dev libzip-dev libexpat1-dev
  python3-openpyxl
  libpango1.0-dev libcairo2-dev fonts-dejavu-core libkainjow-mustache-dev
  poppler-utils qpdf
)

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    echo "crm.sh: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# The OpenAPI linter the tests run, from npm, into build/node (every build
# directory's tests use that one).
REDOCLY_VERSION=1.34.5
install_linter() {
  command -v npm >/dev/null || { PACKAGES+=(nodejs npm); install_missing; }
  if [ "$(build/node/node_modules/.bin/redocly --version 2>/dev/null)" != "$REDOCLY_VERSION" ]; then
    mkdir -p build/node
    npm install --prefix build/node --no-audit --no-fund --loglevel=error \
      "@redocly/cli@$REDOCLY_VERSION"
  fi
}

# build DIR [cmake options...]
build() {
  local dir=$1
  shift
  export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j2
}

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
  run)
    install_missing
    build build -DCMAKE_BUILD_TYPE=Release
    exec build/api/crm-server "$@"
    ;;
  test)
    # Commands reach the log only through Transact (domain/transact.h): the
    # API never appends itself.
    if grep -rnE '(\.|->)Append(Async)?\(' api/; then
      echo "crm.sh: api/ calls the event store's Append; go through Transact" >&2
      exit 1
    fi
    install_missing
    install_linter
    build build -DCMAKE_BUILD_TYPE=Release -DCRM_WERROR=ON
    ctest --test-dir build --output-on-failure -j2 --timeout 300
    # The fuzz smoke run: every target for a short while, failing on a finding.
    "$0" fuzz "${CRM_FUZZ_SECONDS:-30}"
    ;;
  bench)
    install_missing
    build build -DCMAKE_BUILD_TYPE=Release
    build/bench/crm_bench "$@"
    "$0" bench-write
    ;;
  bench-write)
    install_missing
    build build -DCMAKE_BUILD_TYPE=Release
    dir=$(mktemp -d)
    port=${CRM_BENCH_PORT:-18080}
    CRM_ADMIN_PASSWORD=Bench-password-1 build/api/crm-server --data-dir "$dir/data" \
      --port "$port" >"$dir/server.log" 2>&1 &
    server=$!
    trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
    for _ in $(seq 50); do curl -sf "localhost:$port/readyz" >/dev/null && break; sleep 0.2; done
    token=$(curl -sf -X POST "localhost:$port/api/v1/auth/login" -H 'Content-Type: application/json' \
      -d '{"username":"admin","password":"Bench-password-1"}' |
      sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
    echo '{"name":"Cont {n} SRL","city":"Iași"}' >"$dir/account.json"
    load() { build/tools/crm-load --connections 16 --seconds 8 "$@" | tee -a "$dir/load.txt"; }
    load --url "http://127.0.0.1:$port/healthz"
    load --url "http://127.0.0.1:$port/api/v1/accounts" --method POST --body "$dir/account.json" \
      --header "Authorization: Bearer $token" --header 'Content-Type: application/json'
    awk '/requests\/s/ { for (i = 1; i < NF; i++) if ($(i + 1) == "requests/s,") r[++n] = $i }
         END { printf "create-account / healthz: %.2f\n", r[2] / r[1] }' "$dir/load.txt"
    ;;
  sanitize)
    install_missing
    install_linter
    build build-asan -DCMAKE_BUILD_TYPE=Debug -DCRM_SANITIZE=ON
    # Pango's fontconfig keeps its font caches until exit (the PDFs).
    LSAN_OPTIONS="suppressions=$PWD/tools/lsan.supp" \
      ctest --test-dir build-asan --output-on-failure -j2 --timeout 600
    ;;
  fuzz)
    seconds=${1:-30}
    PACKAGES+=(clang libclang-rt-14-dev)
    install_missing
    CC=clang CXX=clang++ build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRM_FUZZ=ON
    for target in body multipart query event sheet; do
      # New inputs go to a scratch corpus; the committed seeds stay as they are.
      mkdir -p "build-fuzz/corpus/$target"
      echo "crm.sh: fuzz_$target for ${seconds} s"
      status=0
      "build-fuzz/fuzz/fuzz_$target" "build-fuzz/corpus/$target" "fuzz/corpus/$target" \
        -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="build-fuzz/fuzz_$target-" >"build-fuzz/fuzz_$target.log" 2>&1 || status=$?
      grep -E '^Done|stat::number_of_executed_units' "build-fuzz/fuzz_$target.log" || true
      if [ "$status" != 0 ]; then
        tail -40 "build-fuzz/fuzz_$target.log" >&2
        echo "crm.sh: fuzz_$target found a problem (input saved under build-fuzz/)" >&2
        exit 1
      fi
    done
    ;;
  lint)
    PACKAGES+=(clang-format clang-tidy)
    install_missing
    git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror
    build build-tidy -DCMAKE_BUILD_TYPE=Debug -DCRM_PCH=OFF
    git ls-files '*.cc' | grep -v '^tests/\|^bench/' |
      xargs clang-tidy -p build-tidy --quiet --extra-arg=-Wno-unknown-warning-option
    ;;
  *)
    sed -n '2,17p' "$0"
    exit 2
    ;;
esac
