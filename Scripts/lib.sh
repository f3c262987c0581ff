# Shared set-up for the project's scripts: find Swift, install the Debian packages the build needs.
# Sourced, not run.

repo_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

ensure_swift() {
  if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH=/opt/swift/usr/bin:$PATH
  fi
  command -v swift >/dev/null 2>&1 || { echo "swift not found (expected on PATH or in /opt/swift)" >&2; exit 1; }
}

# libzmq with CURVE (libzmq3-dev pulls libsodium), OpenSSL 3's libcrypto (libssl-dev), pkg-config for SwiftPM.
ensure_packages() {
  local missing=()
  for p in libzmq3-dev libssl-dev pkg-config; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# What every script starts with: the repository as working directory, Swift on PATH, the Debian packages installed.
enter_repo() {
  cd "$(repo_root)"
  ensure_swift
  ensure_packages
}

# The build the performance scripts measure: release with link-time optimisation across the package's modules
# (thin LTO: 2.3 % fewer instructions per call than the plain release build, measured with instr-count.sh), in a
# directory of its own so that switching between it and the plain release build (.build/release) rebuilds neither.
# Prints the directory of its executables. About seven minutes from scratch on two cores; incremental afterwards.
BENCH_BUILD_FLAGS=(-c release --experimental-lto-mode=thin --scratch-path .build-lto)
bench_build() {
  swift build "${BENCH_BUILD_FLAGS[@]}" >&2
  swift build "${BENCH_BUILD_FLAGS[@]}" --show-bin-path
}
