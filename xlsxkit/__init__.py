"""xlsxkit: collect structured forms (项目支出绩效目标表) through Excel workbooks."""

__version__ = "0.1.0"
