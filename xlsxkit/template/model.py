"""The template language: pydantic models of one form's YAML description.

Pydantic checks shapes (unknown keys are errors, `extra="forbid"`); `checks.py` checks
what shapes cannot (taxonomy references, bound keys, lists, row widths) and `load.py`
turns both kinds of failure into file:line problems. `template_schema()` is the JSON
Schema that editors use to check templates as they are typed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from xlsxkit.form.excel import MAX_COLUMN_WIDTH, MAX_HEADER_FOOTER
from xlsxkit.form.money import MoneyUnit
from xlsxkit.form.record import FIELD_TYPES, TABLE_COLUMNS, ValueType, table_column_type

# The type of every key a form may bind (a key means the same on every form that has it).
_KEY_TYPES = {key: kind for types in FIELD_TYPES.values() for key, kind in types.items()}


class Strict(BaseModel):
    """A part of the template language: unknown keys are errors, and a loaded template never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Font(Strict):
    """The form's font. xlsx names one font per cell; `fallback` is what we name where the
    first is unknown to the office suite rendering our PDFs and previews."""

    name: str = "宋体"
    fallback: str = "SimSun"
    size: float = Field(11, gt=0, le=72)


class Margins(Strict):
    """Page margins in inches, as Excel's page setup has them."""

    left: float = Field(0.6, ge=0)
    right: float = Field(0.6, ge=0)
    top: float = Field(0.75, ge=0)
    bottom: float = Field(0.75, ge=0)


class Page(Strict):
    """Print setup of the form's sheets."""

    paper: Literal["A4"] = "A4"
    orientation: Literal["portrait", "landscape"] = "portrait"
    margins: Margins = Margins()
    fit_to_width: bool = True
    repeat_table_header: bool = Field(True, description="Repeat each table's header row on every printed page.")
    center_horizontally: bool = True
    gridlines: bool = Field(False, description="Show Excel's gridlines (off: the sheet looks like the printed form).")
    footer: str | None = Field(
        "&C第 &P 页，共 &N 页",
        description="Excel page footer codes (&P page, &N pages); null for none.",
    )

    @field_validator("footer")
    @classmethod
    def _footer_fits(cls, value: str | None) -> str | None:
        length = len(value.encode("utf-16-le")) // 2 if value else 0  # as Excel counts
        if length > MAX_HEADER_FOOTER:
            raise ValueError(f"超过 Excel 页脚的上限 {MAX_HEADER_FOOTER} 个字符（现有 {length} 个），页脚会被丢弃")
        return value


class Style(Strict):
    """Overrides of a named cell style (see styles.py for the built-in ones)."""

    bold: bool | None = None
    size: float | None = Field(None, gt=0, le=72)
    font: str | None = None
    align: Literal["left", "center", "right"] | None = None
    valign: Literal["top", "vcenter", "bottom"] | None = None
    wrap: bool | None = None
    border: int | None = Field(None, ge=0, le=2)
    fill: str | None = Field(None, pattern=r"^#[0-9A-Fa-f]{6}$")
    vertical: bool | None = Field(None, description="Characters stacked top to bottom (a narrow 绩效指标 column).")


DECLARABLE_TYPES = (
    ValueType.text,
    ValueType.integer,
    ValueType.money,
    ValueType.percent,
    ValueType.date,
    ValueType.choice,
)


class DeclaredKey(Strict):
    """A key the template adds to its records, beyond the spec's: kept under `extra` (the form's,
    or each table row's), bound as `extra.<key>`."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="The key's name: extra.<key> in the record.")
    type: ValueType = Field(ValueType.text, description="text, integer, money, percent, date or choice.")
    label: str = Field(min_length=1, description="What the key means, as the form calls it (分值, 得分, 偏差原因).")

    @field_validator("type")
    @classmethod
    def _declarable(cls, value: ValueType) -> ValueType:
        if value not in DECLARABLE_TYPES:
            raise ValueError("应为 text、integer、money、percent、date 或 choice")
        return value


class Rule(Strict):
    """An 审核公式 of the template: a condition every record (or, with `each`, every row of a
    table) must meet; where it does not, a finding at the cell of `field`."""

    check: str = Field(
        min_length=1,
        description="The condition, e.g. funds.annual.total == funds.annual.fiscal + funds.annual.other; "
        "sum(indicators.extra.weight) == 90; with each: row.extra.score <= row.extra.weight.",
    )
    each: str | None = Field(None, description="A table (indicators, items …): the check holds for each `row` of it.")
    field: str = Field(description="The key whose cell the finding marks (a column key with `each`).")
    message: str = Field(min_length=1, description="The finding's message (Chinese; {{ }} placeholders).")
    fix: str = Field("请核对并修改。", description="How to put it right (Chinese).")
    severity: Literal["error", "warning"] = "error"
    highlight: bool = Field(
        False,
        description="Also fill the field's cell(s) red in the workbook while the rule fails (a conditional format).",
    )
    # A check on reading, not part of the workbook: out of `Template.digest`.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cell(Strict):
    """One cell (or merged block) of a row: exactly one of `text`, `label` or `field`."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["text"]},
                {"required": ["label"]},
                {"required": ["field"]},
                {"required": ["formula"], "not": {"anyOf": [{"required": [k]} for k in ("text", "label", "field")]}},
            ]
        },
    )

    text: str | None = Field(None, description="Static text, rendered with jinja2 (title, unit line).")
    label: str | None = Field(None, description="A field label or header as printed on the form (jinja2).")
    field: str | None = Field(None, description="The record key whose value goes here, e.g. project.name.")
    span: int = Field(1, ge=1, le=50, description="Columns the cell covers (merged).")
    rows: int = Field(1, ge=1, le=50, description="Rows the cell covers (merged).")
    style: str | None = None
    type: ValueType | None = Field(None, description="Defaults to the bound key's type.")
    required: bool = False
    list: str | None = Field(None, description="Name of a list in `lists` (choice fields).")
    input_message: str | None = Field(None, max_length=250, description="Shown when the cell is selected (Chinese).")
    number_format: str | None = Field(None, description='Excel number format instead of the type\'s, e.g. 0"年".')
    copied: bool = Field(
        False,
        description="On a form generated from approved targets (monitor, self_evaluation): the target's value, "
        "locked and shown as copied; a changed one is an error on reading. Open on a blank form.",
    )
    formula: str | None = Field(
        None,
        description="A computed cell: an expression over the record (as in rules), written as an Excel formula "
        "and locked, e.g. extra.executed / funds.annual.total * 100. Recomputed on reading. Without `field`, "
        "a total shown on the form only (type number unless `type` says otherwise), e.g. 分值合计.",
    )
    # A check on reading, not part of the workbook: kept out of `Template.digest` (the stamp's
    # template hash), so setting or changing it does not make earlier returns "another version".
    warn_above: float | None = Field(
        None,
        gt=0,
        strict=True,
        exclude=True,
        description="Money fields: warn (C026) when a returned amount is above this, in the form's money_unit.",
    )

    @field_validator("warn_above")
    @classmethod
    def _money_only(cls, value: float | None, info: ValidationInfo) -> float | None:
        """A bound on an amount belongs on a money field. A label or text cell is refused by
        `_one_kind` (T043), an unknown key by the template checks (T020)."""
        key = info.data.get("field")
        if value is None or key is None:
            return value
        kind = info.data.get("type") or _KEY_TYPES.get(key)
        if kind is not None and kind is not ValueType.money:
            raise ValueError(f"只能用于金额字段（{key} 是 {kind.value} 字段）")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Cell:
        # Custom error types, which load.py maps to catalogued problems (T042, T043).
        kinds = [name for name in ("text", "label", "field") if getattr(self, name) is not None]
        shown = not kinds and self.formula is not None  # a computed cell shown on the form, kept in no record
        if len(kinds) != 1 and not shown:
            raise PydanticCustomError("cell_kinds", "a cell has exactly one of text, label, field", {"kinds": kinds})
        if self.field is None:
            field_only: tuple[str, ...] = ("required", "list", "input_message", "warn_above", "copied")
            if not shown:
                field_only = ("type", "number_format", "formula", *field_only)
            extra = [name for name in field_only if getattr(self, name)]
            if extra:
                raise PydanticCustomError("field_only", "{keys} belong to field cells", {"keys": extra})
        return self


class Row(Strict):
    """One row of the form: its cells, and its height where the template fixes one."""

    cells: list[Cell] = Field(min_length=1)
    height: float | None = Field(None, gt=0, le=409, description="Row height in points.")


class RowsBlock(Strict):
    """Rows drawn as written."""

    rows: list[Row] = Field(min_length=1)


class Column(Strict):
    """One column of a table: the record key it holds and its header."""

    key: str = Field(description="A column of the bound list: level1, level2, level3, description, value, …")
    header: str
    span: int = Field(1, ge=1, le=20)
    list: str | None = Field(None, description="A list in `lists` offered as a dropdown.")
    strict: bool = Field(False, description="Refuse values outside the list (else warn only).")
    copied: bool = Field(
        False,
        description="On a form generated from approved targets: the target's column (levels, 指标值), locked.",
    )


class SideLabel(Strict):
    """A label written down the left of a table, over `span` columns."""

    text: str
    span: int = Field(1, ge=1, le=5)
    style: str | None = None


class TableBlock(Strict):
    """A table bound to a record list (indicators, items, measures): its columns and header rows."""

    table: str = Field(description="The record list laid out here: indicators, items or measures.")
    side_label: SideLabel | None = None
    columns: list[Column] = Field(min_length=1)
    rows: int = Field(10, ge=1, le=500, description="Empty rows prepared in a blank workbook.")
    header_height: float | None = Field(None, gt=0, le=409)
    row_height: float | None = Field(None, gt=0, le=409)
    skeleton: list[tuple[str, str]] = Field(
        default_factory=list, description="一级/二级 pairs prefilled in a blank workbook's first rows."
    )
    merge: list[str] = Field(
        default_factory=list, description="Columns merged down over equal values when rendering records."
    )
    extra: list[DeclaredKey] = Field(
        default_factory=list, description="Keys each row of this table adds (bound as column key extra.<key>)."
    )


_TABLE_ONLY_KEYS = frozenset(
    {"table", "side_label", "columns", "header_height", "row_height", "skeleton", "merge", "extra"}
)


def _block_kind(value: Any) -> str:
    """A body block is a table when it has any key only a table has (so a misspelt `tabel:`
    is reported against TableBlock, with "did you mean table"), or a number of rows."""
    if isinstance(value, dict):
        if _TABLE_ONLY_KEYS & set(value) or isinstance(value.get("rows"), int):
            return "table"
        return "rows"
    return "table" if hasattr(value, "table") else "rows"


Block = Annotated[
    Annotated[RowsBlock, Tag("rows")] | Annotated[TableBlock, Tag("table")],
    Discriminator(_block_kind),
]


class Taxonomy(Strict):
    """The indicator levels: the 一级 in order and the 二级 allowed under each."""

    level1: list[str] = Field(min_length=1)
    level2: dict[str, list[str]]
    aliases: dict[str, str] = Field(
        default_factory=dict, description="Other spellings of level names → the taxonomy's name."
    )

    def level2_of(self, level1: str) -> list[str]:
        """The 二级 allowed under a 一级 (none for an unknown one)."""
        return self.level2.get(level1, [])


class Scoring(Strict):
    """The 分值 of a self-evaluation (财预〔2020〕10号): the funds' and each 一级's, adding up to 100.
    A generated form proposes each indicator's 分值 as its 一级's share, split evenly."""

    funds: float = Field(10, ge=0, le=100, description="分值 of budget execution (预算执行率).")
    level1: dict[str, float] = Field(
        default_factory=lambda: {"产出指标": 50.0, "效益指标": 30.0, "满意度指标": 10.0},
        description="分值 of each 一级's indicators together.",
    )


FORMS = ("project", "department", "monitor", "self_evaluation")


class Template(Strict):
    """One form layout: identity, page, fonts, body rows and tables, lists, levels, rules and texts."""

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    version: str = Field(min_length=1)
    name: str = Field(description="The form's name in listings.")
    form: Literal["project", "department", "monitor", "self_evaluation"] = "project"
    money_unit: MoneyUnit | None = None
    title: str = Field(description="Title printed on each sheet (jinja2: year, unit, project, index).")
    sheet_name: str = "项目{{ index }}"
    file_name: str = Field(
        "{{ unit.code }}-{{ unit.name }}.xlsx", description="Each workbook's file name (jinja2), *.xlsx."
    )
    projects: int = Field(1, ge=1, le=100, description="Blank project sheets per unit workbook.")
    password: str | None = None
    font: Font = Font()
    page: Page = Page()
    columns: list[Annotated[float, Field(gt=0, le=MAX_COLUMN_WIDTH)]] = Field(
        min_length=1, description="Column widths (characters, above 0 and at most 255), A onwards."
    )
    styles: dict[str, Style] = Field(default_factory=dict)
    lists: dict[str, list[str]] = Field(default_factory=dict)
    taxonomy: Taxonomy | None = None
    instructions: str = Field("", description="The 填报说明 sheet (jinja2), one paragraph per line.")
    body: list[Block] = Field(min_length=1)
    extra: list[DeclaredKey] = Field(
        default_factory=list, description="Keys the form adds to its records (bound as field extra.<key>)."
    )
    rules: list[Rule] = Field(default_factory=list, exclude=True, description="审核公式: checks of the form's own.")
    scoring: Scoring | None = Field(None, description="Self-evaluation forms: the 分值 (default 10/50/30/10).")

    @field_validator("file_name")
    @classmethod
    def _an_xlsx_file(cls, value: str) -> str:
        if not value.strip().lower().endswith(".xlsx"):
            raise ValueError(f"应以 .xlsx 结尾（现为“{value}”），否则写出的工作簿没有扩展名")
        return value

    @cached_property
    def digest(self) -> str:
        """A hash of everything that shapes the workbook (comments and spacing excluded)."""
        data = self.model_dump(mode="json")
        for part in (data, *data["body"]):  # no declared keys: hashed as before they could be declared
            if part.get("extra") == []:
                del part["extra"]
            if part.get("scoring", 0) is None:
                del part["scoring"]
            for column in part.get("columns") or []:  # the template's own `columns` are widths
                if isinstance(column, dict) and column.get("copied") is False:
                    del column["copied"]  # nothing copied: hashed as before anything could be
            rows = part.get("rows")
            for row in rows if isinstance(rows, list) else []:  # a table's rows is a number
                for cell in row["cells"]:
                    if cell.get("formula") is None:
                        cell.pop("formula", None)  # no computed cell: hashed as before there were any
                    if cell.get("copied") is False:
                        cell.pop("copied", None)
        canonical = json.dumps(data, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Template:
        """A copy; its digest is computed anew (the cached one describes the original)."""
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop("digest", None)
        return copy

    @property
    def weights(self) -> Scoring:
        """The 分值 of a self-evaluation: the template's, else the national defaults."""
        return self.scoring or Scoring()

    def tables(self) -> list[TableBlock]:
        """The table blocks of the body, in order."""
        return [block for block in self.body if isinstance(block, TableBlock)]

    def field_types(self) -> dict[str, ValueType]:
        """Every key a field of this form may bind, with its type: the spec's and the declared ones."""
        return {**FIELD_TYPES[self.form], **{f"extra.{d.key}": d.type for d in self.extra}}

    def column_types(self, table: str) -> dict[str, ValueType]:
        """Every key a column of this table may bind: the spec's (text) and the table's declared ones."""
        spec = {
            key: table_column_type(self.form, table, key) for key in TABLE_COLUMNS.get(self.form, {}).get(table, ())
        }
        declared = {f"extra.{d.key}": d.type for block in self.tables() if block.table == table for d in block.extra}
        return {**spec, **declared}


def template_schema() -> dict[str, Any]:
    """The JSON Schema of the template language (draft 2020-12), for editors and `xlsxkit schema`."""
    schema = Template.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "xlsxkit template"
    return schema
