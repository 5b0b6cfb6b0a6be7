"""Golden files: for every built-in template, a blank and a prefilled workbook are kept in
tests/golden/ and every generated part must equal them as normalised XML.

After an intended change, rewrite the goldens with
    XLSXKIT_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
which writes every golden that differs and fails, saying so; review the change (git diff, the
workbooks in LibreOffice, the docs/ previews), then run again without the switch.
The LibreOffice tests stay the independent oracle: they open what is generated, not the goldens.
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
    differences = _differences(golden, made) if golden.is_file() else [f"{golden.name}: no golden file yet"]
    if differences and os.environ.get("XLSXKIT_UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        shutil.copyfile(made, golden)
        pytest.fail(
            f"{golden.name} rewritten: review the change (git diff --stat tests/golden, the workbook in "
            "LibreOffice, the docs/ previews), then run again without XLSXKIT_UPDATE_GOLDEN.\n"
            + "\n".join(differences)[:4000]
        )
    assert golden.is_file(), f"no golden file {golden.name}: run with XLSXKIT_UPDATE_GOLDEN=1"
    if differences:
        pytest.fail("\n".join(differences)[:4000])


def _differences(golden: Path, made: Path) -> list[str]:
    """What differs between the golden workbook and the one made now, part by part, as unified diffs."""
    expected, actual = normalised_parts(golden), normalised_parts(made)
    if sorted(actual) != sorted(expected):
        return [f"{golden.name}: parts differ: golden {sorted(expected)}, generated {sorted(actual)}"]
    return [
        f"{golden.name} {name} differs:\n"
        + "\n".join(
            difflib.unified_diff(
                expected[name].splitlines(), actual[name].splitlines(), "golden", "generated", lineterm="", n=2
            )
        )
        for name in expected
        if actual[name] != expected[name]
    ]


def test_update_mode_rewrites_a_stale_golden_and_fails_until_reviewed(tmp_path, monkeypatch):
    """XLSXKIT_UPDATE_GOLDEN writes the new golden and fails (a person reviews the diff); the
    next run, without the switch, passes against what was written."""
    import tests.test_golden as this

    monkeypatch.setattr(this, "GOLDEN", tmp_path / "golden")
    template_id, kind = CASES[0]
    monkeypatch.setenv("XLSXKIT_UPDATE_GOLDEN", "1")
    with pytest.raises(pytest.fail.Exception, match="rewritten: review the change"):
        this.test_generated_workbook_equals_its_golden_file(template_id, kind, tmp_path / "first")
    assert (tmp_path / "golden" / f"{template_id}-{kind}.xlsx").is_file()
    monkeypatch.delenv("XLSXKIT_UPDATE_GOLDEN")
    this.test_generated_workbook_equals_its_golden_file(template_id, kind, tmp_path / "second")
