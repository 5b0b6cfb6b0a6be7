"""Golden files: for every built-in template, a blank and a prefilled workbook are kept in
tests/golden/ and every generated part must equal them as normalised XML.

After an intended change, look at the new workbooks (LibreOffice, docs/ previews), then
rewrite the goldens with:  XLSXKIT_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import difflib
import os
import shutil
import zipfile
from pathlib import Path
from xml.etree.ElementTree import canonicalize

import pytest

from tests.helpers import FIXED_TIME, example_records
from xlsxkit.template.load import builtin_templates
from xlsxkit.write.generate import UnitRecords, generate_blank, generate_prefilled

GOLDEN = Path(__file__).parent / "golden"
UNIT = {"code": "603001", "name": "唐山市住房公积金管理中心（参公）本级"}
TEMPLATES = {t.id: t for t in builtin_templates()}


def normalised_parts(path: Path) -> dict[str, str]:
    """Each part of an xlsx package: XML canonicalised and broken one element per line."""
    parts = {}
    with zipfile.ZipFile(path) as archive:
        for name in sorted(archive.namelist()):
            data = archive.read(name)
            if name.endswith((".xml", ".rels")):
                text = canonicalize(data.decode("utf-8"), strip_text=True)
                parts[name] = text.replace("><", ">\n<")
            else:
                parts[name] = data.hex()
    return parts


def generate(template_id: str, kind: str, out: Path) -> Path:
    template = TEMPLATES[template_id]
    if kind == "blank":
        report = generate_blank(template, [UNIT], 2026, out, generated_at=FIXED_TIME)
    else:
        records = example_records(template_id)[:2]
        unit = records[0]["unit"]
        report = generate_prefilled(template, [UnitRecords(unit, records)], None, out, generated_at=FIXED_TIME)
    assert not report.problems, report.problems
    return report.files[0].path


CASES = [(t, k) for t in sorted(TEMPLATES) for k in ("blank", "prefilled") if k == "blank" or example_records(t)]


def test_every_built_in_template_has_a_prefilled_golden():
    assert {t for t, k in CASES if k == "prefilled"} == set(TEMPLATES)


@pytest.mark.parametrize(("template_id", "kind"), CASES)
def test_generated_workbook_equals_its_golden_file(template_id, kind, tmp_path):
    made = generate(template_id, kind, tmp_path)
    golden = GOLDEN / f"{template_id}-{kind}.xlsx"
    if os.environ.get("XLSXKIT_UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        shutil.copyfile(made, golden)
    assert golden.is_file(), f"no golden file {golden.name}: run with XLSXKIT_UPDATE_GOLDEN=1"
    expected, actual = normalised_parts(golden), normalised_parts(made)
    assert sorted(actual) == sorted(expected)
    for name in expected:
        if actual[name] != expected[name]:
            diff = "\n".join(
                difflib.unified_diff(
                    expected[name].splitlines(),
                    actual[name].splitlines(),
                    "golden",
                    "generated",
                    lineterm="",
                    n=2,
                )
            )
            pytest.fail(f"{golden.name} {name} differs:\n{diff[:4000]}")
