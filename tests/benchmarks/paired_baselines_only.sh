#!/usr/bin/env bash
# Paired wall-clock of `nox -s benchmark -- --baselines-only` between an older commit and this tree, in the
# python that runs it (e.g. .nox/tests/bin/python), alternated ROUNDS times on one machine; prints each
# run, the ratio of the means, and whether the rendered tables are identical.
#
#   bash tests/benchmarks/paired_baselines_only.sh OLD_REV [ROUNDS]      (e.g. f3d3885 2)
#
# Both sides start from OLD_REV's leaderboards/ without its score cache, as a fresh clone has it. Before
# issue 15 the driver was `python -m rgro_bench.benchmark`; from it on, `python -m reference.benchmark`.
set -euo pipefail
old_rev=${1:?usage: paired_baselines_only.sh OLD_REV [ROUNDS]}
rounds=${2:-2}
python=${PYTHON:-python}
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'git -C "$here" worktree remove --force "$work/old" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$here" worktree add --detach -q "$work/old" "$old_rev"
export HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 TOKENIZERS_PARALLELISM=false

driver() { [ -f "$1/reference/benchmark.py" ] && echo reference.benchmark || echo rgro_bench.benchmark; }

run() {  # side, round -> seconds on stdout
  local side=$1 src lb="$work/lb-$1-$2"
  src=$([ "$side" = old ] && echo "$work/old" || echo "$here")
  cp -r "$work/old/leaderboards" "$lb" && rm -rf "$lb/cache"
  local start end
  start=$(date +%s.%N)
  (cd "$src" && PYTHONPATH="$src" "$python" -m "$(driver "$src")" --baselines-only \
    --leaderboard-dir "$lb" --runs-dir "$work/runs-$side-$2" >"$work/log-$side-$2" 2>&1) ||
    { echo "$side run $2 failed; its log:" >&2; tail -20 "$work/log-$side-$2" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

old_total=0 new_total=0
for round in $(seq "$rounds"); do
  o=$(run old "$round") && echo "old round $round: $o s"
  n=$(run new "$round") && echo "new round $round: $n s"
  old_total=$(echo "$old_total + $o" | bc) new_total=$(echo "$new_total + $n" | bc)
done
echo "speed-up (mean old / mean new): $(echo "scale=2; $old_total / $new_total" | bc)x"
for table in "$work"/lb-old-1/*.md; do
  name=$(basename "$table")
  [ "$name" = README.md ] && continue
  cmp -s "$table" "$work/lb-new-1/$name" && echo "$name: identical" || echo "$name: DIFFERS"
done
