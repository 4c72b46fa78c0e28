#!/usr/bin/env bash
# Check that the newest releases of every dependency still pass the test suite, and optionally
# refresh constraints.txt with them.
#
#   scripts/latest_deps.sh          # the scheduled check: fresh venv, newest releases, full tests
#   scripts/latest_deps.sh --write  # the same, then rewrite constraints.txt if the tests passed
#
# It never touches .venv (CI's environment). Exit status: pytest's (5, no tests, counts as failure).
set -uo pipefail
cd "$(dirname "$0")/.."
write=0
[ "${1:-}" = "--write" ] && write=1
venv=$(mktemp -d /tmp/cge-latest.XXXXXX)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv" || exit 1
"$venv/bin/pip" install -q --upgrade -e '.[test]' || { echo "latest_deps: install failed" >&2; exit 1; }
echo "latest_deps: newest versions installed:"
"$venv/bin/pip" freeze --exclude-editable | grep -Ei '^(numpy|scipy|pandas|xarray|cyipopt|dask|h5py|h5netcdf|pydantic)'
"$venv/bin/python" -m pytest -q --slow -p no:cacheprovider
status=$?
if [ "$status" -eq 5 ]; then
  echo "latest_deps: pytest collected no tests" >&2
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "latest_deps: the newest releases FAIL the tests (exit $status); constraints.txt unchanged" >&2
  exit "$status"
fi
if [ "$write" -eq 1 ]; then
  tmp=$(mktemp constraints.txt.XXXXXX)
  { sed -n '/^#/p' constraints.txt; "$venv/bin/pip" freeze --exclude-editable | grep -v '^#'; } > "$tmp"
  mv "$tmp" constraints.txt
  echo "latest_deps: constraints.txt rewritten; run .ci/run and commit it"
fi
exit 0
