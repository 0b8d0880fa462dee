#!/usr/bin/env bash
# Compare the Go micro-benchmarks of two commits with benchstat.
#   bench/compare.sh BASE [NEW]    (NEW defaults to the working tree)
# env: PKGS (./parser ./server ./daemon), BENCH (.), COUNT (10)
# Both sides run on this machine in one go, base first, so the numbers are
# comparable; keep the machine otherwise idle while it runs.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 BASE [NEW]" >&2; exit 2; }
BASE=$1; NEW=${2:-}
PKGS=${PKGS:-"./parser ./server ./daemon"}; BENCH=${BENCH:-.}; COUNT=${COUNT:-10}
top=$(git rev-parse --show-toplevel)
cd "$top"
command -v benchstat >/dev/null || go install golang.org/x/perf/cmd/benchstat@latest
BS=$(command -v benchstat || echo "$(go env GOPATH)/bin/benchstat")
out=$(mktemp -d)
# tree_of runs in a subshell, so cleanup finds the worktrees by their folder.
cleanup() { rm -rf "$out"; git worktree prune; }
trap cleanup EXIT

run() { # $1 = label, $2 = tree
  echo "benchmarking $1 ..." >&2
  (cd "$2" && go test -run '^$' -bench "$BENCH" -benchmem -count "$COUNT" $PKGS) > "$out/$1.txt"
}
tree_of() { # a worktree of commit $1
  local t="$out/tree-$1"
  git worktree add --detach "$t" "$1" >/dev/null 2>&1
  echo "$t"
}
run base "$(tree_of "$BASE")"
if [ -n "$NEW" ]; then run new "$(tree_of "$NEW")"; else run new "$top"; fi
(cd "$out" && "$BS" base.txt new.txt)
