"""Write examples/records-monitor.jsonl and examples/records-self-evaluation.jsonl: the first two
Tangshan target records (examples/records.jsonl) carried into the year's later forms and filled in
as the demo's units fill them (xlsxkit/cycle/demo_year).

    python tools/follow_on_examples.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from xlsxkit.cycle.demo_year import filled_monitor, filled_self_evaluation
from xlsxkit.template.load import builtin_template
from xlsxkit.write.follow_on import follow_on_record

EXAMPLES = ROOT / "examples"


def _targets() -> list[dict[str, Any]]:
    lines = (EXAMPLES / "records.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    return [r for r in records if r["template"]["id"] == "tangshan"][:2]


def main() -> None:
    targets = _targets()
    as_of = f"{targets[0]['year']}-07"
    monitor, evaluation = builtin_template("monitor"), builtin_template("self-evaluation")
    for name, records in (
        ("records-monitor.jsonl", [filled_monitor(follow_on_record(t, monitor, as_of=as_of)) for t in targets]),
        ("records-self-evaluation.jsonl", [filled_self_evaluation(follow_on_record(t, evaluation)) for t in targets]),
    ):
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        (EXAMPLES / name).write_text(text, encoding="utf-8")
        print(EXAMPLES / name)


if __name__ == "__main__":
    main()
