#!/usr/bin/env bash
# Installs the build in $1 into a temporary prefix and builds and runs the
# consumer beside this script twice: through find_package(meowmx) (with none
# of meowmx's settings given by hand) and through `pkg-config meowmx`.
# Arguments: BUILD_DIR CXX_COMPILER [COMPILER_LAUNCHER]
set -euo pipefail
build_dir=$1 cxx=$2 launcher=${3:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d /tmp/meowmx-package-XXXXXX)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null

echo "== CMake consumer"
cmake -S "$here/consumer" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$work/prefix" \
      -DCMAKE_CXX_COMPILER="$cxx" ${launcher:+-DCMAKE_CXX_COMPILER_LAUNCHER="$launcher"} >/dev/null
cmake --build "$work/cmake" >/dev/null
"$work/cmake/consumer"

echo "== pkg-config consumer"
pc_dir=$(dirname "$(find "$work/prefix" -name meowmx.pc)")
flags=$(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs meowmx)
# The language standard is the consumer's choice; meowmx's headers need C++20.
$launcher "$cxx" -std=c++20 "$here/consumer/main.cc" -o "$work/pkg-config-consumer" $flags
"$work/pkg-config-consumer"
