"""The planted-error benchmark (``make validate``): recall per error kind, false alarms per trap.

    python scripts/validate_checks.py [--base ncctg_lung] [--instances 3] [--details]

See :mod:`helpers.checks.benchmark`. Exit status 1 when recall is below 100% for some kind, a trap
raises a false alarm, or the clean ledger itself is flagged.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from helpers.checks.benchmark import evaluate


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="ncctg_lung")
    ap.add_argument("--instances", type=int, default=3)
    ap.add_argument("--details", action="store_true", help="print every plant")
    args = ap.parse_args(argv)
    df, summary, clean = evaluate(args.base, args.instances)
    pd.set_option("display.width", 200)
    errors = summary[summary["error"]]
    traps = summary[~summary["error"]]
    print(f"Clean ledger '{args.base}': {len(clean)} flagged quantities {sorted(clean) or ''}")
    print("\nError kinds (recall = plants flagged / plants):")
    print(errors[["kind", "instances", "flagged", "recall"]].to_string(index=False))
    print("\nTraps (false alarms = traps flagged):")
    print(traps[["kind", "instances", "false_alarms"]].to_string(index=False))
    total = errors["instances"].sum()
    print(f"\nrecall {errors['flagged'].sum()}/{total} over {len(errors)} kinds; "
          f"false alarms {traps['false_alarms'].sum()}/{traps['instances'].sum()} over {len(traps)} traps")
    crashed = df[df["check_errors"] != ""]
    if len(crashed):
        print(f"\n{len(crashed)} plant(s) made a check fail:")
        print(crashed[["kind", "quantity", "check_errors"]].to_string(index=False))
    if args.details:
        print(df.to_string(index=False))
    ok = (errors["recall"] == 1).all() and traps["false_alarms"].sum() == 0 and not clean
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
