"""Returns as people send them back read to the same records: rows inserted and deleted, more
indicators than prepared rows, merges broken up or retyped, a block moved down, columns added,
sheets renamed, reordered and copied, values typed as text, the 1904 date system, and a copy
re-saved by LibreOffice."""

from __future__ import annotations

import pytest

from tests import messy
from tests.helpers import example_records
from tests.returns import TEMPLATES, filled_return, without_source
from xlsxkit.form.errors import Severity
from xlsxkit.read.reader import read_return

# The seed layouts (the messy builders do not move conditional formats; the forms that follow the
# targets have them: tests/test_follow_on.py).
WITH_RECORDS = sorted(t for t in TEMPLATES if example_records(t) and TEMPLATES[t].form in ("project", "department"))
NEEDS_INDICATORS = {
    messy.insert_rows_in_table,
    messy.delete_table_rows,
    messy.add_indicator_rows,
    messy.unmerge_levels,
    messy.retype_levels,
    messy.everything,
}


def _applies(template_id: str, builder) -> bool:
    template = TEMPLATES[template_id]
    if builder in NEEDS_INDICATORS and not messy.has_indicators(template):
        return False
    return builder is not messy.date_system_1904 or messy.has_dates(template)


CASES = [(t, builder) for t in WITH_RECORDS for builder in messy.ALTERATIONS if _applies(t, builder)]


def _records(template_id: str) -> list[dict]:
    return example_records(template_id)[:3]


@pytest.mark.parametrize(("template_id", "builder"), CASES, ids=[f"{t}-{b.__name__}" for t, b in CASES])
def test_a_messy_return_reads_to_the_same_records(template_id, builder, tmp_path):
    records = _records(template_id)
    built = builder(filled_return(template_id, records, tmp_path), records, TEMPLATES[template_id], tmp_path / "messy")
    assert built is not None
    result = read_return(built.path)
    read = [without_source(r.record) for r in result.records]
    expected = [without_source(r) for r in built.records]
    assert messy.strip_reader_keys(read) == messy.strip_reader_keys(expected), built.what
    assert not [f for f in result.findings if f.severity is not Severity.info], [str(f) for f in result.findings]


@pytest.mark.libreoffice
@pytest.mark.parametrize("template_id", WITH_RECORDS)
def test_a_return_resaved_by_libreoffice_reads_to_the_same_records(template_id, office, tmp_path):
    records = _records(template_id)
    path = filled_return(template_id, records, tmp_path)
    with office.open(path) as book:
        resaved = book.save_as_xlsx(tmp_path / "resaved" / "by-libreoffice.xlsx")
    result = read_return(resaved)
    assert result.readable and result.stamp is not None  # the stamp survives LibreOffice
    assert [without_source(r.record) for r in result.records] == [without_source(r) for r in records]
