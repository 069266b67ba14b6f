#!/usr/bin/env bash
# Passes `go test -v` output through, keeping package results and failures readable, and
# ends with one closing line of counts.
set -uo pipefail
passed=0 failed=0 skipped=0
while IFS= read -r line; do
  case "$line" in
    "--- PASS"*) passed=$((passed + 1)) ;;
    "--- FAIL"*) failed=$((failed + 1)) ;;
    "--- SKIP"*) skipped=$((skipped + 1)) ;;
  esac
  printf '%s\n' "$line"
done
echo "tests: $passed passed, $failed failed, $skipped skipped"
