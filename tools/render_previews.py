"""Render a preview image of every built-in template (docs/<template id>.png), and of the first
page of every sheet of the summary workbook of the demo's round (docs/summary-<sheet>.png).

Also rewrites the README's "Built-in templates" section (between the markers
<!-- previews --> and <!-- /previews -->) when every template is rendered: one line per
template (its id, its name and the form it follows, from the first comment line of its YAML)
and its image. Each template is generated for the example roster's first unit, prefilled from
examples/records*.jsonl where records for it exist (else blank); LibreOffice prints its first
project sheet to PDF, and poppler's pdftoppm turns the first page into a PNG, so the image
is what a unit sees when it prints the form (with the template's font, or its fallback
where that font is not installed).

    python tools/render_previews.py [--out docs] [--resolution 70] [--no-markdown] [template id ...]

Needs LibreOffice (soffice), python3-uno and poppler-utils, as the LibreOffice tests do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from tests.libreoffice import Office, missing, pdf_to_png
from xlsxkit.cycle.demo import example_record_groups, run_demo
from xlsxkit.form.excel import INSTRUCTIONS_SHEET, LISTS_SHEET, STAMP_SHEET
from xlsxkit.read.roster import read_roster
from xlsxkit.template.load import builtin_template_dir, builtin_templates
from xlsxkit.template.model import Template
from xlsxkit.write.generate import generate_blank, generate_prefilled

EXAMPLES = ROOT / "examples"
GENERATED_AT = dt.datetime(2025, 1, 15, 9, 30, 0)
YEAR = 2025
README_START, README_END = "<!-- previews -->", "<!-- /previews -->"


def workbook_for(template: Template, work: Path) -> tuple[Path, str]:
    """The workbook to preview and whether it is "prefilled" or "blank"."""
    groups = example_record_groups(template)[0]
    if groups:
        report = generate_prefilled(
            template, groups[:1], None, work / "prefilled" / template.id, generated_at=GENERATED_AT
        )
        kind = "prefilled"
    else:
        unit = read_roster(EXAMPLES / "units.csv").units[0]
        report = generate_blank(template, [unit], YEAR, work / "blank" / template.id, generated_at=GENERATED_AT)
        kind = "blank"
    if not report.files:
        raise SystemExit(f"{template.id}: no workbook generated: {report.problems}")
    return report.files[0].path, kind


FORM_KINDS = {"project": "项目支出", "department": "部门整体", "monitor": "运行监控", "self_evaluation": "绩效自评"}


def source_note(template: Template) -> str:
    """The first comment line of the template's YAML, which by convention names the form it
    follows (e.g. "唐山市住房公积金管理中心 项目支出绩效目标表（2025 年度部门预算公开样式）")."""
    path = builtin_template_dir() / f"{template.id}.yaml"
    first = path.read_text(encoding="utf-8").splitlines()[0] if path.is_file() else ""
    return first[1:].strip() if first.startswith("#") else ""


SUMMARY_SHEETS = ("填报情况", "项目汇总", "指标明细", "统计")
LATER_SHEETS = ("监控汇总", "自评汇总", "自评统计")  # the demo's 监控汇总.xlsx and 自评汇总.xlsx


def summary_previews(office: Office, work: Path, out: Path, resolution: int) -> list[tuple[str, Path]]:
    """The first printed page of each sheet of the demo's summary workbook (and of its first 汇编)."""
    report = run_demo(work / "demo", generated_at=GENERATED_AT)
    if report.summary is None:
        raise SystemExit(f"the demo wrote no summary: {report.problems}")
    made = []
    with office.open(report.summary.workbook) as book:
        compilation = next(name for name in book.sheet_names if name.startswith("汇编"))
        for sheet in (*SUMMARY_SHEETS, compilation):
            pdf = book.export_pdf(work / f"summary-{sheet}.pdf", sheets=[sheet])
            name = "汇编" if sheet == compilation else sheet
            made.append((name, pdf_to_png(pdf, out / f"summary-{name}.png", resolution)))
    for summary in report.year.summaries.values() if report.year is not None else ():
        with office.open(summary.workbook) as book:
            for sheet in (name for name in book.sheet_names if name in LATER_SHEETS):
                pdf = book.export_pdf(work / f"summary-{sheet}.pdf", sheets=[sheet])
                made.append((sheet, pdf_to_png(pdf, out / f"summary-{sheet}.png", resolution)))
    return made


def markdown(rows: list[tuple[Template, str]], image_dir: str, summary: list[tuple[str, Path]] | None = None) -> str:
    lines = [
        "## Built-in templates",
        "",
        "Each built-in template as LibreOffice prints its first project sheet (A4), prefilled from",
        "`examples/records*.jsonl` where example records exist, else blank. Regenerate the images with",
        "`python tools/render_previews.py` (needs LibreOffice, python3-uno and poppler-utils).",
        "",
        "| id | name | form | follows | preview |",
        "|---|---|---|---|---|",
    ]
    for template, kind in rows:
        note = source_note(template).replace("|", "\\|")
        lines.append(
            f"| `{template.id}` | {template.name} | {FORM_KINDS.get(template.form, template.form)} | {note} | "
            f"[{kind}](#{template.id}) |"
        )
    for template, kind in rows:
        lines += [
            "",
            f"### {template.id}",
            "",
            f"{template.name} — {kind}:",
            "",
            f"![{template.id}]({image_dir}/{template.id}.png)",
        ]
    if summary:
        lines += [
            "",
            "### The summary workbook",
            "",
            "The first printed page of each sheet of the demo's `汇总表.xlsx` (landscape, one page wide),",
            "and of the reports of its `year/监控汇总.xlsx` and `year/自评汇总.xlsx`:",
        ]
        for name, png in summary:
            lines += ["", f"{name}:", "", f"![{name}]({image_dir}/{png.name})"]
    return "\n".join(lines) + "\n"


def replacements(templates: list[Template]) -> dict[str, str]:
    """Each template's font (宋体, rarely installed outside Windows) printed as its `fallback`
    (e.g. Noto Serif CJK SC from fonts-noto-cjk), so the previews look as the form does."""
    return {t.font.name: t.font.fallback for t in templates if t.font.fallback and t.font.fallback != t.font.name}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ids", nargs="*", help="template ids (default: every built-in template)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--resolution", type=int, default=70, help="pixels per inch (default 70)")
    parser.add_argument("--no-markdown", action="store_true", help="do not rewrite the README's preview section")
    args = parser.parse_args(argv)
    reason = missing(pdf_tools=True)
    if reason:
        print(f"cannot render previews: {reason}", file=sys.stderr)
        return 2
    templates = [t for t in builtin_templates() if not args.ids or t.id in args.ids]
    unknown = set(args.ids) - {t.id for t in templates}
    if unknown:
        print(f"no built-in template {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="xlsxkit-previews-") as temporary,
        Office.start(fonts=replacements(templates)) as office,
    ):
        work = Path(temporary)
        for template in templates:
            path, kind = workbook_for(template, work)
            with office.open(path) as book:
                sheet = next(n for n in book.sheet_names if n not in (INSTRUCTIONS_SHEET, LISTS_SHEET, STAMP_SHEET))
                pdf = book.export_pdf(work / f"{template.id}.pdf", sheets=[sheet])
            png = pdf_to_png(pdf, args.out / f"{template.id}.png", args.resolution)
            print(f"{shown(png)}  ({kind}, {template.name})")
            rows.append((template, kind))
        summary = summary_previews(office, work, args.out, args.resolution) if not args.ids else []
        for _, png in summary:
            print(shown(png))
    if not args.no_markdown and not args.ids:
        out = args.out.resolve()
        image_dir = out.relative_to(ROOT).as_posix() if out.is_relative_to(ROOT) else out.as_posix()
        readme = ROOT / "README.md"
        text = readme.read_text(encoding="utf-8")
        head, rest = text.split(README_START, 1)
        _, tail = rest.split(README_END, 1)
        section = markdown(rows, image_dir, summary)
        readme.write_text(f"{head}{README_START}\n{section}{README_END}{tail}", encoding="utf-8")
        print(shown(readme))
    return 0


def shown(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


if __name__ == "__main__":
    sys.exit(main())
