#!/usr/bin/env bash
# The benchmark (release build with link-time optimisation, lib.sh's bench_build): the full request path against
# the raw libzmq baseline, plus the engine figures.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
enter_repo
bin=$(bench_build)
exec "$bin/bedrock-sim" bench "$@"
