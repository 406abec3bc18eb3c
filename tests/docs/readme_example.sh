#!/usr/bin/env bash
# Fails when README.md's C++ block differs from examples/quickstart/main.cc.
# Argument: the repository root.
set -euo pipefail
root=$1
diff -u <(awk '/^```cpp$/ { inside = 1; next } inside && /^```$/ { exit } inside' "$root/README.md") \
        "$root/examples/quickstart/main.cc"
echo "README's C++ example is examples/quickstart/main.cc"
