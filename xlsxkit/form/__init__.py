"""What every layer shares: the canonical record and its types, the error catalogue, Excel's limits
and our sheet names, the identity stamp, cell values both ways and the 指标值 parser.

Imports nothing else of xlsxkit."""
