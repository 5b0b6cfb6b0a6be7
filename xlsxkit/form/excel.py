"""Excel's limits, and the names of the sheets xlsxkit writes and reads: one place for both, so
that the writer, the reader, feedback and the summary agree."""

# Excel's limits (the same in LibreOffice's .xlsx since 7.4).
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_CELL_TEXT = 32_767  # characters in one cell
MAX_SHEET_NAME = 31  # characters in a sheet name
SHEET_NAME_FORBIDDEN = "[]:*?/\\"  # characters a sheet name may not hold
MAX_PAGE_BREAKS = 1_023  # manual page breaks in one sheet

# Paper sizes, as xlsxwriter's set_paper and openpyxl's page_setup.paperSize number them.
PAPER_A4 = 9
PAPER_A3 = 8

# The sheets of a generated workbook.
STAMP_SHEET = "_xlsxkit"  # very hidden: the identity stamp
LISTS_SHEET = "_lists"  # hidden: every dropdown list
INSTRUCTIONS_SHEET = "填报说明"

# The sheet feedback adds to a unit's own workbook.
FEEDBACK_SHEET = "问题清单"

# The sheets of the summary workbook.
STATUS_SHEET = "填报情况"
PROJECTS_SHEET = "项目汇总"
INDICATORS_SHEET = "指标明细"
STATS_SHEET = "统计"
COMPILATION_SHEET = "汇编"
RELAY_SHEET = "_xlsxkit_relay"  # very hidden: the summary's records, so the next level collects it as a return
