"""Run the benchmarks and print one table: measured value, target, PASS/MISS.

    python bench/run.py            # every group
    python bench/run.py headline   # what a panel costs against an {% include %} (issue #15)
    python bench/run.py core       # only bench/bench_core.py
    python bench/run.py --strict   # exit 1 when a target is missed
    BENCH_LOAD_REQUESTS=900 python bench/run.py load   # a shorter load scenario
    python bench/run.py edge       # through a real varnishd (needs varnishd and redis-server)

Each group is a module ``bench/bench_<name>.py`` whose ``run()`` returns a list of
``bench._table.Row``; register a new one with one line in ``GROUPS``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `python bench/run.py` puts bench/, not the root, on the path

GROUPS = [
    "headline",
    "core",
    "server",
    "htmx",
    "cache",
    "streaming",
    "load",
    "endpoint",
    "edge",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "groups",
        nargs="*",
        choices=[[], *GROUPS],
        metavar="GROUP",
        help=f"groups to run (default: all of {', '.join(GROUPS)})",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from bench._table import render_table

    rows = []
    for name in args.groups or GROUPS:
        started = time.perf_counter()
        module = importlib.import_module(f"bench.bench_{name}")
        rows.extend(module.run())
        print(f"[{name}: {time.perf_counter() - started:.1f} s]", file=sys.stderr, flush=True)
    print(render_table(rows))
    missed = [row for row in rows if row.ok is False]
    if missed:
        print(f"\n{len(missed)} target(s) missed.")
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
