"""The messy-return builders (tests/messy.py) do what they say: each built workbook reopens,
keeps the stamp, and shows the records the builder says a reader must produce.

`read_back` is a small oracle, not the reader: it reads cells at the Layout's addresses
shifted by the rows a builder says it inserted above the table, takes an indicator table to
the sheet's last row, skips blank rows and fills 一级/二级 down. That is enough to check the
expected records against the files.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.cell import MergedCell
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from python_calamine import CalamineWorkbook

from tests import messy
from tests.helpers import FIXED_TIME, example_records
from xlsxkit.form.cell_values import from_cell, text_of
from xlsxkit.form.excel import LISTS_SHEET, STAMP_SHEET
from xlsxkit.form.record import ValueType, get_path
from xlsxkit.form.stamp import PROPERTY_PREFIX
from xlsxkit.template.layout import compile_layout
from xlsxkit.template.load import builtin_templates
from xlsxkit.write.generate import UnitRecords, generate_prefilled

# The seed layouts: the messy builders move cells, merges and validations but not conditional formats,
# which the forms that follow the targets have (their messy returns: tests/test_follow_on.py).
TEMPLATES = {t.id: t for t in builtin_templates() if t.form in ("project", "department")}
RECORDS_PER_TEMPLATE = 2  # enough for order, copies and rotation; keeps the module fast
ROWS_ABOVE = {messy.insert_header_row: 1, messy.everything: 1}  # rows a builder inserts above the fields
DETAILED = ("tangshan", "luan")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(template id, builder) → (source path, source records, Messy or None), built once."""
    root = tmp_path_factory.mktemp("messy")
    out = {}
    for template_id, template in TEMPLATES.items():
        records = example_records(template_id)[:RECORDS_PER_TEMPLATE]
        report = generate_prefilled(
            template, [UnitRecords(records[0]["unit"], records)], None, root / template_id, generated_at=FIXED_TIME
        )
        assert not report.problems
        source = report.files[0].path
        for builder in messy.ALTERATIONS:
            out[template_id, builder] = (
                source,
                records,
                builder(source, copy.deepcopy(records), template, root / "out"),
            )
    return out


CASES = [pytest.param(t, b, id=f"{t}-{b.__name__}") for t in TEMPLATES for b in messy.ALTERATIONS]


def shown(ws, row: int, col: int):
    """What a person sees at a 1-based cell: the top-left value of a merged range."""
    for merged in ws.merged_cells.ranges:
        if merged.min_row <= row <= merged.max_row and merged.min_col <= col <= merged.max_col:
            return ws.cell(merged.min_row, merged.min_col).value
    return ws.cell(row, col).value


def project_sheets(wb, count: int):
    return [ws for ws in wb.worksheets if ws.sheet_state == "visible"][1 : 1 + count]


def read_back(wb, template, expected: list[dict], above: int = 0) -> list[dict]:
    """The records of the project sheets as the oracle reads them (a table above another one
    has as many rows as its expected record says, a last table runs to the sheet's end)."""
    layout = compile_layout(template)
    date1904 = wb.epoch == CALENDAR_MAC_1904
    records = []
    for ws, wanted in zip(project_sheets(wb, len(expected)), expected, strict=True):
        place = layout.sheet({t.table: len(wanted[t.table]) for t in template.tables() if wanted.get(t.table)})
        record: dict = {}
        for field in place.fields:
            record[field.key] = from_cell(
                field.type,
                shown(ws, field.box.row + 1 + above, field.box.col + 1),
                template.money_unit,
                date1904=date1904,
            )
        for number, table in enumerate(place.tables):
            first = table.first_row + 1 + above
            last = ws.max_row if number == len(place.tables) - 1 else first + table.rows - 1
            items, previous = [], {}
            for row in range(first, last + 1):
                values = {}
                for column in table.columns:
                    value = shown(ws, row, column.col + 1)
                    values.setdefault(column.key, None if value is None or not str(value).strip() else text_of(value))
                if not any(v for k, v in values.items() if k not in table.merge):
                    continue  # a blank row
                for key in table.merge:
                    if values.get(key) is None:
                        values[key] = previous.get(key)
                previous = values
                items.append(values["text"] if list(values) == ["text"] else values)
            record[table.bind] = items
        records.append(record)
    return records


def expected_view(record: dict, template) -> dict:
    """The part of a record the oracle reads: its bound fields and table columns."""
    place = compile_layout(template).sheet()
    view = {field.key: get_path(record, field.key) for field in place.fields}
    for table in place.tables:
        keys = list(dict.fromkeys(c.key for c in table.columns))
        view[table.bind] = [
            item if isinstance(item, str) else {k: item.get(k) for k in keys} for item in record.get(table.bind) or []
        ]
    return view


_ORIGINALS: dict[Path, openpyxl.Workbook] = {}  # generated workbooks, loaded once (never changed)


@pytest.mark.parametrize(("template_id", "builder"), CASES)
def test_built_file_reopens_keeps_its_stamp_and_shows_the_expected_records(built, template_id, builder):
    source, _records, result = built[template_id, builder]
    if result is None:
        template = TEMPLATES[template_id]
        assert builder in (messy.date_system_1904,) or not messy.has_indicators(template)
        return
    assert result.path.exists() and result.path != source and result.what
    wb = openpyxl.load_workbook(result.path)
    original = _ORIGINALS.get(source) or _ORIGINALS.setdefault(source, openpyxl.load_workbook(source))
    # the identity stamp survives openpyxl's re-save: sheet, state, content, custom properties
    assert wb[STAMP_SHEET].sheet_state == "veryHidden"
    assert [[c.value for c in row] for row in wb[STAMP_SHEET].iter_rows()] == [
        [c.value for c in row] for row in original[STAMP_SHEET].iter_rows()
    ]
    properties = {p.name: p.value for p in wb.custom_doc_props}
    assert properties == {p.name: p.value for p in original.custom_doc_props}
    assert properties[PROPERTY_PREFIX + "template_id"] == template_id
    assert set(wb.defined_names) == set(original.defined_names)
    assert wb.worksheets[0].protection.sheet and wb[STAMP_SHEET].protection.sheet  # protection survives too
    if LISTS_SHEET in original.sheetnames:
        assert wb[LISTS_SHEET].sheet_state == "hidden"
    for ws in wb.worksheets:  # Excel repairs a file with overlapping merges
        ranges = list(ws.merged_cells.ranges)
        assert not [(a.coord, b.coord) for i, a in enumerate(ranges) for b in ranges[i + 1 :] if not a.isdisjoint(b)]
    assert CalamineWorkbook.from_path(str(result.path)).sheet_names == wb.sheetnames
    # the expected records are what the file shows
    template = TEMPLATES[template_id]
    got = read_back(wb, template, result.records, ROWS_ABOVE.get(builder, 0))
    assert got == [expected_view(r, template) for r in result.records]


# ----------------------------------------------------------------------------- per builder, in detail


def table_span(ws, template, record, above=0, extra=0):
    """1-based first and last row of the indicator table as generated (plus `extra` rows)."""
    table = compile_layout(template).sheet({"indicators": len(record["indicators"])}).table("indicators")
    first = table.first_row + 1 + above
    return table, first, first + table.rows - 1 + extra


def merges_in(ws, col: int, first: int, last: int) -> list[tuple[int, int, object]]:
    return sorted(
        (m.min_row, m.max_row, ws.cell(m.min_row, m.min_col).value)
        for m in ws.merged_cells.ranges
        if m.min_col == col == m.max_col and first <= m.min_row and m.max_row <= last
    )


def validation_rows(ws, col: int) -> list[tuple[int, int]]:
    return [
        (r.min_row, r.max_row)
        for dv in ws.data_validations.dataValidation
        for r in dv.sqref.ranges
        if r.min_col == col == r.max_col and r.max_row > r.min_row
    ]


def area_last_row(ws) -> int:
    return int(re.search(r"\$(\d+)$", ws.print_area).group(1))


@pytest.mark.parametrize("template_id", DETAILED)
def test_blank_rows_move_merges_validations_heights_and_print_area(built, template_id):
    source, records, result = built[template_id, messy.insert_rows_in_table]
    template = TEMPLATES[template_id]
    before, after = openpyxl.load_workbook(source).worksheets[1], openpyxl.load_workbook(result.path).worksheets[1]
    table, first, last = table_span(before, template, records[0])
    level1 = table.column("level1").col + 1
    assert area_last_row(after) == area_last_row(before) + 3
    assert [(a, b + 3) for a, b in validation_rows(before, level1)] == validation_rows(after, level1)
    assert before.row_dimensions[last].height == after.row_dimensions[last + 3].height
    old, new = merges_in(before, level1, first, last), merges_in(after, level1, first, last + 3)
    assert [text for *_, text in old] == [text for *_, text in new]
    assert sum(b - a for a, b, _ in new) == sum(b - a for a, b, _ in old) + 2  # the 2 rows inside a merge
    blank = [
        row
        for row in range(first, last + 4)
        if all(shown(after, row, c.col + 1) is None for c in table.columns if c.key not in table.merge)
    ]
    assert len(blank) == 3
    if table.side_label is not None:  # 六安's 绩效指标 spans the whole table still
        assert merges_in(after, 1, first - 1, last + 3)[0][:2] == (first - 1, last + 3)


@pytest.mark.parametrize("template_id", DETAILED)
def test_deleted_rows_shrink_the_table(built, template_id):
    source, records, result = built[template_id, messy.delete_table_rows]
    template = TEMPLATES[template_id]
    before, after = openpyxl.load_workbook(source).worksheets[1], openpyxl.load_workbook(result.path).worksheets[1]
    table, _first, last = table_span(before, template, records[0])
    assert len(result.records[0]["indicators"]) == len(records[0]["indicators"]) - 2
    assert area_last_row(after) == last - 2 and after.max_row == last - 2
    assert all(m.max_row <= last - 2 for m in after.merged_cells.ranges)
    assert all(b == last - 2 for a, b in validation_rows(after, table.column("level1").col + 1))


@pytest.mark.parametrize("template_id", DETAILED)
def test_extra_indicators_fill_rows_under_the_table(built, template_id):
    source, records, result = built[template_id, messy.add_indicator_rows]
    template = TEMPLATES[template_id]
    before, after = openpyxl.load_workbook(source).worksheets[1], openpyxl.load_workbook(result.path).worksheets[1]
    table, first, last = table_span(before, template, records[0])
    added = result.records[0]["indicators"][-3:]
    assert len(result.records[0]["indicators"]) == len(records[0]["indicators"]) + 3
    assert [i["level3"] for i in added] == [
        shown(after, r, table.column("level3").col + 1) for r in range(last + 1, last + 4)
    ]
    assert len({i["level3"] for i in result.records[0]["indicators"]}) == len(result.records[0]["indicators"])
    for key in table.merge:  # the last 一级/二级 merge reaches the new last row
        col = table.column(key).col + 1
        assert merges_in(after, col, first, last + 3)[-1][1] == last + 3
    assert area_last_row(after) == last + 3
    level3 = table.column("level3")
    if level3.cols > 1:  # 唐山's 三级 spans two columns on the new rows too
        assert after.cell(last + 3, level3.col + 2).__class__ is MergedCell
    new, old = after.cell(last + 3, level3.col + 1), after.cell(last, level3.col + 1)
    assert (
        (new.fill.fgColor.rgb, new.protection.locked)
        == (old.fill.fgColor.rgb, old.protection.locked)
        == ("FFFFF9E0", False)
    )


@pytest.mark.parametrize("template_id", DETAILED)
@pytest.mark.parametrize("retyped", [False, True])
def test_levels_unmerged(built, template_id, retyped):
    builder = messy.retype_levels if retyped else messy.unmerge_levels
    _source, records, result = built[template_id, builder]
    template = TEMPLATES[template_id]
    after = openpyxl.load_workbook(result.path).worksheets[1]
    table, first, last = table_span(after, template, records[0])
    for column in table.columns:
        if column.key not in table.merge:
            continue
        col = column.col + 1
        assert merges_in(after, col, first, last) == []
        values = [after.cell(row, col).value for row in range(first, last + 1)]
        items = records[0]["indicators"]
        wanted = [i[column.key] for i in items]
        if retyped:
            assert values == wanted
        else:  # only the first row of each former merge keeps the value
            outer = table.merge[: table.merge.index(column.key) + 1]
            signatures = [tuple(item[key] for key in outer) for item in items]
            assert values == [v if k == 0 or signatures[k] != signatures[k - 1] else None for k, v in enumerate(wanted)]
            if column.key == "level1":
                assert values.count(None) > 0
        assert after.cell(last, col).border.left.style is not None  # formatting kept


@pytest.mark.parametrize("template_id", DETAILED)
def test_header_row_moves_everything_below_the_title(built, template_id):
    source, _records, result = built[template_id, messy.insert_header_row]
    before, after = openpyxl.load_workbook(source).worksheets[1], openpyxl.load_workbook(result.path).worksheets[1]
    place = compile_layout(TEMPLATES[template_id]).sheet()
    top = min(f.box.row for f in place.fields) + 1  # 1-based first row with a field
    titles = {str(m) for m in before.merged_cells.ranges if m.max_row < top}
    moved = set()
    for merged in before.merged_cells.ranges:
        if merged.min_row >= top:
            merged = copy.copy(merged)
            merged.shift(row_shift=1)
        moved.add(merged.coord)
    assert {m.coord for m in after.merged_cells.ranges} == moved and titles <= moved
    assert (
        int(after.print_title_rows.split(":")[0].strip("$"))
        == int(before.print_title_rows.split(":")[0].strip("$")) + 1
    )
    assert all(after.cell(top, c).value is None for c in range(1, 12))
    for before_dv, after_dv in zip(
        before.data_validations.dataValidation, after.data_validations.dataValidation, strict=True
    ):
        assert str(after_dv.sqref) != str(before_dv.sqref)
        if before_dv.formula1 and "INDIRECT" in before_dv.formula1:  # the relative row follows
            assert re.search(r"\$[A-Z]+(\d+)", after_dv.formula1).group(1) == str(
                int(re.search(r"\$[A-Z]+(\d+)", before_dv.formula1).group(1)) + 1
            )


@pytest.mark.parametrize("template_id", DETAILED)
def test_note_columns_right_of_the_form(built, template_id):
    _source, _records, result = built[template_id, messy.add_note_columns]
    after = openpyxl.load_workbook(result.path).worksheets[1]
    place = compile_layout(TEMPLATES[template_id]).sheet()
    width = len(place.widths)
    header = place.tables[0].header_row + 1
    assert after.cell(header, width + 2).value == "审核意见"
    assert after.cell(header, width + 1).value in ("备注", "附记")
    assert after.cell(header + 1, width + 3).value == 1
    assert after.max_column == width + 3 and not after.protection.sheet


@pytest.mark.parametrize("template_id", DETAILED)
def test_renamed_sheets_in_reverse_order(built, template_id):
    _source, records, result = built[template_id, messy.rename_and_reverse_sheets]
    wb = openpyxl.load_workbook(result.path)
    names = [r["project"]["name"][:31] for r in records]
    assert wb.sheetnames[1 : 1 + len(records)] == names[::-1]
    assert wb.sheetnames[0] == "填报说明" and wb.sheetnames[-1] == STAMP_SHEET
    assert [r["project"]["name"] for r in result.records] == [r["project"]["name"] for r in records][::-1]
    assert wb.active.title == names[-1]
    assert [ws.sheet_view.tabSelected for ws in wb.worksheets].count(True) == 1
    assert wb.worksheets[1].print_area.startswith(f"'{names[-1]}'!")


@pytest.mark.parametrize("template_id", (*DETAILED, "tangshan-department"))
def test_copied_sheet_after_the_first(built, template_id):
    _source, records, result = built[template_id, messy.copy_project_sheet]
    wb = openpyxl.load_workbook(result.path)
    first, copied = wb.worksheets[1], wb.worksheets[2]
    assert copied.title == f"{first.title} (2)"
    assert {m.coord for m in copied.merged_cells.ranges} == {m.coord for m in first.merged_cells.ranges}
    assert all(isinstance(copied[m.coord.split(":")[1]], MergedCell) for m in copied.merged_cells.ranges)
    assert [str(dv.sqref) for dv in copied.data_validations.dataValidation] == [
        str(dv.sqref) for dv in first.data_validations.dataValidation
    ]
    assert copied.protection.sheet and copied.print_area.startswith(f"'{copied.title}'!")
    assert len(result.records) == len(records) + 1 and result.records[0] == records[0]
    assert result.records[1] != records[0] and result.records[2:] == records[1:]


@pytest.mark.parametrize("template_id", (*DETAILED, "shanghai", "mof"))
def test_typed_values_are_text_that_reads_as_the_record(built, template_id):
    _source, records, result = built[template_id, messy.type_values_as_text]
    template = TEMPLATES[template_id]
    wb = openpyxl.load_workbook(result.path)
    place = compile_layout(template).sheet()
    kinds = set()
    for ws, record in zip(project_sheets(wb, len(records)), records, strict=True):
        for field in place.fields:
            value = ws.cell(field.box.row + 1, field.box.col + 1).value
            if get_path(record, field.key) is None or field.type in (ValueType.choice, ValueType.coded_name):
                continue
            kinds.add((field.type, type(value)))
            if field.type is ValueType.date and isinstance(value, int):
                assert ws.cell(field.box.row + 1, field.box.col + 1).number_format == "General"
            else:
                assert isinstance(value, str), field.key
            assert from_cell(field.type, value, template.money_unit) == get_path(record, field.key), (field.key, value)
    assert result.records == records
    if template_id == "shanghai":
        assert (ValueType.date, int) in kinds and (ValueType.date, str) in kinds
    if template.money_unit == "万元":
        assert any(
            isinstance(v, str) and re.search(r"[０-９]", v)
            for ws in project_sheets(wb, 2)
            for row in ws.iter_rows()
            for v in (c.value for c in row)
        )


def test_1904_date_system(built):
    _source, records, result = built["shanghai", messy.date_system_1904]
    wb = openpyxl.load_workbook(result.path)
    assert wb.epoch == CALENDAR_MAC_1904
    field = compile_layout(TEMPLATES["shanghai"]).sheet().field("project.start_date")
    cell = wb.worksheets[1].cell(field.box.row + 1, field.box.col + 1)
    assert cell.value == dt.datetime.fromisoformat(records[0]["project"]["start_date"])
    with zipfile.ZipFile(result.path) as archive:
        assert 'date1904="1"' in archive.read("xl/workbook.xml").decode()
        sheet = archive.read("xl/worksheets/sheet2.xml").decode()
    serial = (dt.date.fromisoformat(records[0]["project"]["start_date"]) - dt.date(1904, 1, 1)).days
    assert re.search(rf'<c r="{cell.coordinate}"[^>]*><v>{serial}</v>', sheet)
    for template_id, template in TEMPLATES.items():
        assert (built[template_id, messy.date_system_1904][2] is None) == (not messy.has_dates(template))


@pytest.mark.parametrize("template_id", DETAILED)
def test_everything_at_once(built, template_id):
    _source, records, result = built[template_id, messy.everything]
    wb = openpyxl.load_workbook(result.path)
    assert wb.sheetnames[1 : 1 + len(records)] == [r["project"]["name"][:31] for r in records][::-1]
    assert [len(r["indicators"]) for r in result.records] == [len(r["indicators"]) + 3 for r in records][::-1]
    ws = wb.worksheets[1]
    table = compile_layout(TEMPLATES[template_id]).sheet().table("indicators")
    level1 = table.column("level1").col + 1
    assert merges_in(ws, level1, table.first_row + 2, ws.max_row) == []
    assert ws.max_column == len(compile_layout(TEMPLATES[template_id]).sheet().widths) + 3


def test_openpyxl_drops_the_values_under_merges(built):
    """What a reader must know: the writer keeps 一级/二级 under their merge, a workbook re-saved
    by openpyxl (and so every messy return here) has them only in each merge's first cell."""
    source, _records, result = built["luan", messy.insert_header_row]
    level1 = compile_layout(TEMPLATES["luan"]).sheet().table("indicators").column("level1").col
    first = compile_layout(TEMPLATES["luan"]).sheet().table("indicators").first_row
    raw = CalamineWorkbook.from_path(str(source)).get_sheet_by_name("项目1").to_python()
    assert raw[first + 1][level1] == raw[first][level1] != ""
    raw = CalamineWorkbook.from_path(str(result.path)).get_sheet_by_name("项目1").to_python()
    assert raw[first + 2][level1] == "" and raw[first + 1][level1] != ""
