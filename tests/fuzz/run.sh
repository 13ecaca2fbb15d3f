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
# Seeds: one valid input per reader, so that the short CI runs start past the format's
# first bytes (a fuzzer finds a valid gzip header only by luck).
seed() { mkdir -p "$build/corpus/$1"; printf '%b' "$2" >"$build/corpus/$1/seed"; }
seed fuzz_text 'one line\r\n\npara\xef\xbb\xbf\n'
seed fuzz_jsonl '\001{"instruction":"a","input":"b","output":"c"}\n{"text":1}\n'
seed fuzz_json_array '\003[{"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]},\n 2]'
seed fuzz_csv '\002text,label\n"a ""q"" b",1\n"multi\nline",2\n'
seed fuzz_tsv '\004prompt\tchosen\trejected\np\t"c\tc"\tr\n'
seed fuzz_cornell "u0 +++\$+++ u2 +++\$+++ m0 +++\$+++ ['L1', 'L2']\n\000L1 +++\$+++ u0 +++\$+++ m0 +++\$+++ A +++\$+++ hi\nL2 +++\$+++ u2 +++\$+++ m0 +++\$+++ B +++\$+++ caf\351\n"
seed fuzz_stackexchange '<posts>\n<row Id="1" PostTypeId="1" AcceptedAnswerId="2" Title="t" Body="q"/>\n<row Id="2" PostTypeId="2" Body="a"/>\n</posts>\n'
seed fuzz_reddit '{"id":"a","parent_id":"t3_x","body":"p"}\n{"id":"b","parent_id":"t1_a","body":"r"}\n'
mkdir -p "$build/corpus/fuzz_gzip" "$build/corpus/fuzz_zstd" "$build/corpus/fuzz_detect"
printf 'line one\nline two\n' | gzip -c >"$build/corpus/fuzz_gzip/seed"
printf 'line one\nline two\n' | gzip -c >"$build/corpus/fuzz_detect/seed-gz"
if command -v zstd >/dev/null; then
    printf 'line one\nline two\n' | zstd -q -c >"$build/corpus/fuzz_zstd/seed"
fi
printf '{"conversations":[{"from":"human","value":"q"}]}\n' >"$build/corpus/fuzz_detect/seed-jsonl"
seed fuzz_jinja "{%- for m in messages if m.role != 'system' %}{% set ns = namespace(n=loop.index) %}{{ m.content | trim | upper ~ ns.n }}{% generation %}{{ m['content'][::-1] | tojson }}{% endgeneration %}{% endfor %}{% if add_generation_prompt %}{{ bos_token + 'x' * 2 }}{% endif %}"

status=0
for target in fuzz_text fuzz_jsonl fuzz_json_array fuzz_csv fuzz_tsv fuzz_cornell \
              fuzz_stackexchange fuzz_reddit fuzz_gzip fuzz_zstd fuzz_detect fuzz_jinja; do
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
