"""A command imports what it needs when it needs it (benchmarks/startup.py measures the time):
`xlsxkit check` loads neither openpyxl, xlsxwriter nor rich, and `xlsxkit --help` none of the template,
reading or writing layers (pydantic, openpyxl, xlsxwriter)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers import ROOT
from tests.returns import blank_return

PROBE = """
import json, sys
from xlsxkit.cli import main
sys.argv = ["xlsxkit", *{args!r}]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(".".join(name.split(".")[:2]) for name in sys.modules)))
"""


def loaded_by(*args: str) -> set[str]:
    """The packages (xlsxkit's layers as "xlsxkit.read" …) a command has imported by its end."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=list(args))], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_check_loads_neither_openpyxl_nor_xlsxwriter_nor_rich(tmp_path):
    """rich draws the progress bars and the status tables: a command that shows neither does not
    load it (30 ms of its start)."""
    loaded = loaded_by("check", str(blank_return("tangshan", tmp_path)))
    assert "xlsxkit.read" in loaded  # it did read
    assert not {"openpyxl", "xlsxwriter", "xlsxkit.write", "rich"} & loaded


def test_help_loads_no_reading_writing_or_office_module():
    loaded = loaded_by("--help")
    assert "xlsxkit.cli" in loaded
    assert not {"openpyxl", "xlsxwriter", "pydantic", "xlsxkit.template", "xlsxkit.read", "xlsxkit.write"} & loaded
