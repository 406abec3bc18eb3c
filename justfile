# Developer tasks for meowmx. Run them through ./just (it installs `just` when
# missing): `./just demo`, `./just test`. `./just --list` shows every recipe.
# Variables can be overridden: ./just build_dir=/tmp/b dev_dir=/tmp/pg demo

set shell := ["bash", "-euo", "pipefail", "-c"]

build_dir := "build"
dev_dir := ".meowmx/pg"
jobs := num_cpus()

# Debian 12 packages the build, the tests and the dev cluster need.
packages := "g++ cmake make pkg-config libpqxx-dev libpq-dev nlohmann-json3-dev libspdlog-dev libcli11-dev catch2 libzmq3-dev cppzmq-dev uuid-dev libhiredis-dev libmariadb-dev postgresql redis-server mariadb-server"

# List the recipes
default:
    @{{just_executable()}} --justfile {{justfile()}} --list

# Install the missing Debian packages (apt-get; sudo when not root)
deps:
    #!/usr/bin/env bash
    set -euo pipefail
    missing=()
    for p in {{packages}}; do
      [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || missing+=("$p")
    done
    [[ ${#missing[@]} -eq 0 ]] && exit 0
    echo "deps: installing ${missing[*]}" >&2
    sudo=$([[ $(id -u) == 0 ]] || echo sudo)
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# Configure (once; CMake re-runs itself when needed) and build everything into build_dir (RelWithDebInfo)
build: (build-targets "all")

# Configure as `build` does, and build only the given CMake targets
[private]
build-targets +targets:
    [[ -f {{build_dir}}/Makefile ]] || cmake -S . -B {{build_dir}} -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build {{build_dir}} -j{{jobs}} --target {{targets}}

# Install, build the CLI (only what the demo runs), start the dev cluster, set up, save and load an example order
demo: deps (build-targets "meowmx_cli")
    #!/usr/bin/env bash
    set -euo pipefail
    meowmx={{build_dir}}/meowmx
    dsn=$($meowmx dev-db --dir "$(scripts/dev-db-dir {{dev_dir}})" start)
    echo "dev cluster: $dsn (stop it with ./just dev-db-stop)"
    $meowmx --dsn "$dsn" setup
    id=$(cat /proc/sys/kernel/random/uuid)
    $meowmx --dsn "$dsn" save order "$id" --version 0 --event-type OrderCreated --json '{"customer":"ada","total":42}'
    $meowmx --dsn "$dsn" save order "$id" --version 1 --event-type OrderShipped --json '{"carrier":"dhl"}'
    echo "load order $id:"
    $meowmx --dsn "$dsn" load order "$id"

# Install, build, run the whole test suite (tests start their own servers)
test: deps build
    ctest --test-dir {{build_dir}} --output-on-failure -j2

# Install, build, run the benchmarks
bench: deps build
    {{build_dir}}/bench/meowmx_bench
    {{build_dir}}/bench/pub_bench
    {{build_dir}}/bench/redis_bench
    {{build_dir}}/bench/replicate_bench
    {{build_dir}}/bench/binlog_bench

# Stop the dev cluster started by `demo` (its data stays in dev_dir)
dev-db-stop:
    @if [[ -x {{build_dir}}/meowmx ]]; then {{build_dir}}/meowmx dev-db --dir "$(scripts/dev-db-dir {{dev_dir}})" stop; fi

# Remove the build folder (the dev cluster's data stays)
clean:
    rm -rf {{build_dir}}
