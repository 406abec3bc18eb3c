#!/usr/bin/env bash
# Runs the shell sessions of README.md and docs/*.md as written, as a reader
# would copy and paste them: each file's ```sh blocks in order in one shell
# (README.md first, then docs/ by name), with `set -euo pipefail`, in a
# scratch folder whose build/ is the tree's build, so `build/meowmx` and the
# dev cluster in ./.meowmx/pg are the ones the docs mean. ```shell blocks are
# fragments to read (they need other servers, or run for ever) and are not run.
# Arguments: the repository root, the build folder.
set -euo pipefail
# A reader's shell has no connection settings of its own: the docs mean the dev cluster.
unset MEOWMX_DSN PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGSERVICE PGSERVICEFILE
root=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
scratch=$(mktemp -d /tmp/meowmx-docs-XXXXXX)
chmod 755 "$scratch"   # the dev cluster's server user must reach ./.meowmx/pg
cleanup() {
  (cd "$scratch" && build/meowmx dev-db stop >/dev/null 2>&1) || true
  rm -rf "$scratch"
}
trap cleanup EXIT
ln -s "$build" "$scratch/build"

sessions_of() {
  awk '/^```sh$/ { inside = 1; next } inside && /^```$/ { inside = 0; print ""; next } inside' "$1"
}

status=0
for doc in "$root/README.md" "$root"/docs/*.md; do
  script=$(sessions_of "$doc")
  [[ -n $script ]] || continue
  name=${doc#"$root"/}
  echo "== $name"
  if (cd "$scratch" && bash -euo pipefail -c "$script") >"$scratch/out.txt" 2>&1; then
    echo "   ran as written"
    [[ -z ${MEOWMX_DOCS_VERBOSE:-} ]] || sed 's/^/   | /' "$scratch/out.txt"
  else
    echo "   FAILED; its output:"
    sed 's/^/   | /' "$scratch/out.txt"
    status=1
  fi
done
exit $status
