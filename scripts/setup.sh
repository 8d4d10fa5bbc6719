#!/usr/bin/env bash
# Install the Debian packages sealkey needs (only the missing ones) and build it.
#   scripts/setup.sh [--sanitize | --release] [BUILD_DIR]
# --release builds as a package does (CMAKE_BUILD_TYPE=Release, -O2, no test hooks), still
# with warnings as errors, which -O2 finds more of.
# Run as root on Debian 12 (apt-get). Idempotent: a second run installs nothing and rebuilds
# only what changed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
sanitize=OFF
kind=(-DSEALKEY_TEST_HOOKS=ON)
if [ "${1:-}" = "--sanitize" ]; then sanitize=ON; shift
elif [ "${1:-}" = "--release" ]; then kind=(-DCMAKE_BUILD_TYPE=Release -DSEALKEY_TEST_HOOKS=OFF); shift
fi
build=${1:-$here/build}

missing=()
for pkg in $(sed -e 's/#.*//' "$here"/scripts/packages.d/*.txt | sort -u); do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A test build: warnings are errors here (developers, CI; a packager's plain cmake build leaves
# them warnings) and the test-only hooks are in (CMakeLists.txt, SEALKEY_TEST_HOOKS), except
# in a --release build.
cmake -S "$here" -B "$build" -DSEALKEY_SANITIZE=$sanitize -DSEALKEY_WERROR=ON "${kind[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
echo "setup: built $build/cli/sealkey"
