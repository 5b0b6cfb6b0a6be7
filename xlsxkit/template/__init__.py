"""The YAML template language: load with file:line, validate, check, and compile into the frozen
Layout that the writer and the reader both follow.

Imports `xlsxkit.form` only."""
