"""The office's work: the ledger, collecting an inbox, status, feedback, the summary workbook and
its 汇编, exports, and the demo round.

May import every layer but `xlsxkit.cli`."""
