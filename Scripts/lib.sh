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
