"""A return → records and findings: the guarded open, the cell grid, locating the form, sheet →
record, and the rules a record must satisfy.

Imports `xlsxkit.form` and `xlsxkit.template`; never `xlsxkit.write`, nor xlsxwriter."""
