"""Layout (+ records) → workbook: the form writer (xlsxwriter) and generation per roster or records.

Imports `xlsxkit.form` and `xlsxkit.template`; never `xlsxkit.read`."""
