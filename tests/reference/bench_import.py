#!/usr/bin/env python3
"""The Python twin of `rlhf bench import`'s clean+exact phase, standard library only: parse each
JSONL line, Unicode NFKC, the same normalisation for the dedup key (casefold, whitespace
collapsed), exact dedup by a hash set. Prints one JSON object: what the C++ side compares with.

    python3 tests/reference/bench_import.py bench-import.jsonl
"""
import hashlib
import json
import resource
import sys
import time
import unicodedata


def main(path):
    start = time.perf_counter()
    seen = set()
    records = kept = problems = 0
    size = 0
    with open(path, "rb") as lines:
        for raw in lines:
            size += len(raw)
            try:
                text = json.loads(raw)["text"]
            except (ValueError, KeyError, TypeError):
                problems += 1
                continue
            records += 1
            text = unicodedata.normalize("NFKC", text)
            text = " ".join(text.split())  # whitespace step
            key = hashlib.blake2b(text.casefold().encode(), digest_size=8).digest()
            if key not in seen:
                seen.add(key)
                kept += 1
    seconds = time.perf_counter() - start
    print(json.dumps({
        "phase": "python parse+nfkc+exact",
        "seconds": seconds,
        "mb_per_s": size / 1e6 / seconds,
        "records": records,
        "kept": kept,
        "problems": problems,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6,
    }))


if __name__ == "__main__":
    main(sys.argv[1])
