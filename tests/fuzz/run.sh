#!/bin/sh
# Builds the reader fuzz targets with clang and runs each for SECONDS (default 20) seconds.
# Usage: tests/fuzz/run.sh [SECONDS] [BUILD_DIR]. Exits non-zero when a target finds a crash;
# the crashing input is left in BUILD_DIR/crashes/<target>/.
set -eu
seconds=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
build=${2:-$here/../../build-fuzz}
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ >/dev/null
ninja -C "$build" -j"${FUZZ_JOBS:-2}"
status=0
for target in fuzz_text fuzz_jsonl fuzz_json_array fuzz_csv fuzz_tsv fuzz_cornell \
              fuzz_stackexchange fuzz_reddit fuzz_gzip fuzz_zstd fuzz_detect; do
    corpus="$build/corpus/$target"
    crashes="$build/crashes/$target"
    mkdir -p "$corpus" "$crashes"
    echo "== $target: $seconds s"
    if ! "$build/$target" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
            -rss_limit_mb=2048 -artifact_prefix="$crashes/" -print_final_stats=1 \
            "$corpus" 2>"$build/$target.log"; then
        echo "$target FAILED: see $build/$target.log and $crashes/"
        tail -40 "$build/$target.log"
        status=1
    else
        grep -E "stat::number_of_executed_units|cov:" "$build/$target.log" | tail -2
    fi
done
exit $status
