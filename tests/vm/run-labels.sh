#!/usr/bin/env bash
# Runs the VM harness's CTest labels one after another (each label's tests in the order CTest
# gives; a failure does not stop the next label), writes their JUnit files to
# BUILD/test-reports/, prints the merged host/VM report, and exits non-zero if any failed.
# Usage: run-labels.sh BUILD_DIR LABEL...   (labels: vm = initramfs mode, systemd = systemd mode)
set -uo pipefail
build=${1:?usage: run-labels.sh BUILD_DIR LABEL...}
shift
failed=()
for label in "$@"; do
  ctest --test-dir "$build" -V -L "^$label\$" --output-junit "test-reports/$label-ctest.xml" ||
    failed+=("$label")
done
"$(dirname "$0")/report.py" "$build"
if [ ${#failed[@]} -gt 0 ]; then
  echo "VM harness: failures under label(s): ${failed[*]} (see above; VM results in $build/vm)" >&2
  exit 1
fi
