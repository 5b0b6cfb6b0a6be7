"""The catalogue of every problem xlsxkit reports: a code, a Chinese message template, a fix.

Code raises or collects `Problem`s built from a `Code`; nothing formats a user message by hand.
The message template is filled with `str.format(**details)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Severity(str, Enum):
    """How much a finding weighs: an error rejects the return, a warning accepts it, info only tells."""

    error = "error"  # the return cannot be accepted as it is
    warning = "warning"  # accepted, but the unit should look again
    info = "info"  # a note: a file skipped on purpose, macros ignored


class Code(Enum):
    # --- templates (T) -------------------------------------------------------------------
    """The catalogue: every problem xlsxkit reports, as (code, Chinese message, fix, severity);
    messages and fixes are format strings filled from a problem's details."""

    T_YAML_SYNTAX = ("T001", "YAML 语法错误：{detail}", "检查该行的缩进、冒号和引号。")
    T_DUPLICATE_KEY = ("T002", "键 {key} 重复出现（首次在第 {first} 行）", "删除或合并重复的键。")
    T_UNKNOWN_KEY = ("T003", "未知的键 {key}{suggestion}", "删除该键或改为正确的拼写。")
    T_WRONG_TYPE = ("T004", "取值不合要求：{detail}", "按模板语言说明（xlsxkit schema）填写该项。")
    T_MISSING_KEY = ("T005", "缺少必填的键 {key}", "补上该键。")
    T_ALIAS = (
        "T006",
        "锚点引用（*名称）{detail}",
        "不要用锚点（&名称）和引用（*名称）层层展开或引用自身；把需要的内容直接写出。",
    )
    T_ENCODING = (
        "T007",
        "模板文件不是 UTF-8 编码（第 {line} 行有无法按 UTF-8 识别的字节）",
        "用文本编辑器把模板另存为 UTF-8 编码（如记事本“另存为”时选择编码 UTF-8）。",
    )
    T_UNKNOWN_LEVEL1 = (
        "T010",
        "二级指标清单引用了未知的一级指标 {name}{suggestion}",
        "先在 taxonomy.level1 中列出该一级指标，或改为已列出的名称。",
    )
    T_UNKNOWN_ALIAS_TARGET = (
        "T011",
        "别名 {alias} 指向未知的指标名称 {target}{suggestion}",
        "别名必须指向 taxonomy 中已有的一级或二级指标名称。",
    )
    T_LEVEL1_WITHOUT_LEVEL2 = (
        "T012",
        "一级指标 {name} 没有二级指标清单",
        "在 taxonomy.level2 中为它列出二级指标。",
    )
    T_UNKNOWN_FIELD = (
        "T020",
        "字段绑定了记录中不存在的键 {key}{suggestion}",
        "使用规范记录（见 docs/record.md）中的键，例如 project.name、funds.annual.total。",
    )
    T_FIELD_TYPE_MISMATCH = (
        "T021",
        "字段 {key} 的类型不能是 {type}（应为 {natural}）",
        "删除 type，或改为 {natural}。",
    )
    T_UNKNOWN_LIST = (
        "T022",
        "引用了未定义的清单 {name}{suggestion}",
        "在 lists 中定义该清单，或改为已定义的清单名。",
    )
    T_UNKNOWN_STYLE = (
        "T025",
        "未定义的样式 {name}{suggestion}",
        "使用内置样式（title、text、label、input 等），或在 styles 中定义它。",
    )
    T_CHOICE_WITHOUT_LIST = ("T023", "选择型字段 {key} 没有指定清单", "为该字段加上 list: 清单名。")
    T_DUPLICATE_FIELD = ("T024", "字段 {key} 在表中出现了两次", "每个记录键只能绑定一个单元格。")
    T_UNKNOWN_COLUMN = (
        "T030",
        "表 {table} 没有列 {key}{suggestion}",
        "可用的列：{allowed}。",
    )
    T_UNKNOWN_TABLE = ("T031", "记录没有名为 {table} 的列表{suggestion}", "可用的表：{allowed}。")
    T_TABLE_NEEDS_COLUMN = ("T032", "表 {table} 缺少列 {key}", "加上该列。")
    T_DUPLICATE_TABLE = ("T034", "表 {table} 出现了两次", "每个记录列表只能排成一张表；删除重复的 table 块。")
    T_SKELETON_LEVEL = (
        "T033",
        "骨架行中的指标 {level1} / {level2} 不在分类中{suggestion}",
        "骨架行只能使用 taxonomy 中的一级和二级指标。",
    )
    T_ROW_TOO_WIDE = (
        "T040",
        "该行占用 {used} 列，超过 columns 定义的 {width} 列",
        "减小 span，或在 columns 中增加列宽。",
    )
    T_CELL_OVERLAP = ("T041", "单元格与上方跨行的单元格在第 {column} 列重叠", "减小上方单元格的 rows，或调整本行。")
    T_CELL_KINDS = (
        "T042",
        "单元格须有且只有 text、label、field 其中之一，此处{found}",
        "保留其中一个：text 为固定文字，label 为栏目名称，field 为填写处。",
    )
    T_FIELD_ONLY_KEYS = ("T043", "{keys} 只能用于 field（填写）单元格", "删除这些键，或把该单元格改为 field 单元格。")
    T_DECLARED_TWICE = ("T026", "键 extra.{key} 声明了两次", "每个声明的键只声明一次。")
    T_INPUT_WITHOUT_FIELD = (
        "T027",
        "样式 {style} 是填写样式，但这个单元格没有绑定字段：它会被锁定，填写的内容也不会被读取",
        "用 field: 绑定一个键（规范中的键，或在 extra 中声明的键），或改用非填写样式。",
    )
    T_RULE_SYNTAX = ("T080", "审核公式无法解析：{detail}", "检查括号、引号和运算符；公式写法见 README “审核公式”。")
    T_RULE_UNKNOWN_KEY = (
        "T081",
        "审核公式引用了记录中不存在的键 {key}{suggestion}",
        "使用规范记录中的键，或在 extra 中声明的键；逐行公式用 row.<列键>。",
    )
    T_RULE_UNKNOWN_TABLE = (
        "T082",
        "审核公式的 each 指向不存在的表 {table}{suggestion}",
        "each 须为模板中的表，如 indicators。",
    )
    T_RULE_UNKNOWN_FIELD = (
        "T083",
        "审核公式的 field {key} 不在表单上{suggestion}",
        "field 须为表单上某个字段的键（逐行公式：该表某一列的键），问题将标在它的单元格上。",
    )
    T_FORMULA = (
        "T084",
        "计算单元格 {key} 的公式 {formula} 不能使用：{detail}",
        "公式写法同审核公式，只能引用表单上的字段和表中的列，结果须为数值（金额、百分比或整数字段）。",
    )
    T_HIGHLIGHT = (
        "T085",
        "审核公式 {check} 不能在工作簿中标示：{detail}",
        "highlight 只用于只引用表单上字段和表中列的公式；删除 highlight，公式仍在读取时检查。",
    )
    T_JINJA_SYNTAX = ("T050", "文本模板语法错误：{detail}", "检查 {{{{ }}}} 与 {{% %}} 是否成对。")
    T_FORM_MISMATCH = ("T060", "{place}不能包含 {what}", "{hint}")
    T_NOT_FOUND = ("T070", "找不到模板 {name}{suggestion}", "用 xlsxkit templates 查看内置模板，或给出模板文件路径。")
    T_UNREADABLE = (
        "T071",
        "无法读取模板文件 {name}：{detail}",
        "给出一个模板 YAML 文件的路径（不是文件夹），并确认它可以读取。",
    )

    # --- generation inputs (G) -------------------------------------------------------------
    G_ROSTER_COLUMNS = ("G001", "名单缺少列 {missing}（现有列：{found}）", "名单第一行须为列名，至少包含 code,name。")
    G_ROSTER_ENCODING = ("G002", "无法识别名单的文字编码", "请另存为 UTF-8 或 GBK 编码的 CSV，或 XLSX。")
    G_ROSTER_EMPTY_CELL = ("G003", "第 {row} 行的 {column} 为空", "补全该单位的代码和名称。")
    G_ROSTER_DUPLICATE = ("G004", "单位代码 {code} 在第 {row} 行重复出现（首次在第 {first} 行）", "每个单位只列一次。")
    G_ROSTER_PARENT_UNKNOWN = (
        "G023",
        "单位 {code} 的上级单位代码 {parent} 不在名单中（或是它自己），该单位按最上一级处理",
        "在名单中列出上级单位，或改正上级单位代码。",
        "warning",
    )
    G_ROSTER_PARENT_CYCLE = (
        "G024",
        "单位 {code} 的上级单位逐级上溯又回到了它自己，该单位按最上一级处理",
        "改正上级单位代码，使每个单位逐级上溯都能到达最上一级单位。",
        "warning",
    )
    G_ROSTER_FORMAT = ("G005", "名单格式不受支持：{suffix}", "请使用 .csv 或 .xlsx 文件。")
    G_ROSTER_UNREADABLE = (
        "G007",
        "无法读取名单工作簿：{detail}",
        "用 Excel 或 WPS 打开名单，只保留单位名单，另存为 .xlsx 或 CSV。",
    )
    G_ROSTER_INVISIBLE = (
        "G006",
        "第 {row} 行的单位代码「{shown}」含有不可见字符或全角字符，已按 {code} 读取",
        "在名单中把该单位代码改为普通半角字符。",
        "warning",
    )
    G_ROSTER_FILE = (
        "G008",
        "无法读取名单文件：{detail}",
        "确认名单的路径正确，它是一个文件（不是文件夹）且可以读取。",
    )
    G_ROSTER_CSV = (
        "G009",
        "名单第 {row} 行无法按 CSV 读取：{detail}",
        "用 Excel 或 WPS 打开名单，改正该行（引号须成对，一个单元格不超过 32767 个字符），另存为 CSV 或 .xlsx。",
    )
    G_ROSTER_SAME_MEANING = (
        "G027",
        "名单第 {first_column} 列「{first}」和第 {second_column} 列「{second}」都表示{meaning}，无法确定用哪一列",
        "删除其中一列，或把它改为别的列名（如“所属科室”），使每种含义只有一列。",
    )
    G_YEAR = (
        "G028",
        "预算年度 {year} 不可用：须为 1900 至 2099 之间的四位年份",
        "给出四位的预算年度，如 --year 2026。",
    )
    G_RECORD_JSON = ("G010", "第 {line} 行不是有效的 JSON：{detail}", "每行须为一条完整的 JSON 记录。")
    G_RECORDS_NOT_TEXT = (
        "G017",
        "记录文件不是 UTF-8 编码的文本文件（JSON Lines），无法读取",
        "记录文件须为 UTF-8 编码的 JSON Lines（每行一条 JSON 记录，如 xlsxkit read 的输出）；"
        "如是 UTF-16 或其他编码，请另存为 UTF-8；工作簿须先用 xlsxkit read 读成记录。",
    )
    G_RECORD_SHAPE = ("G011", "第 {line} 行的记录缺少 {key}", "按规范记录（见 docs/record.md）补全该键。")
    G_RECORD_FORM = (
        "G012",
        "第 {line} 行是 {form} 记录，模板 {template} 只能填写 {expected} 记录",
        "换用相应的模板。",
    )
    G_RECORD_UNPLACED = (
        "G013",
        "单位 {unit} 项目「{project}」的 {key} 有值，但模板 {template} 没有放置它的单元格",
        "换用包含该字段的模板；此值不会写入工作簿。",
    )
    G_RECORD_VALUE = ("G014", "第 {line} 行 {key} 的值 {value!r} 无法写入：{detail}", "改正该值。")
    G_RECORD_NOT_ON_ROSTER = (
        "G015",
        "单位 {unit}（{name}）不在名单中，它的 {count} 条记录（第 {lines} 行）没有生成工作簿",
        "如该单位本次应当填报，把它加入名单后重新生成；如单位代码有误或单位已撤并，更正或删除这些记录。",
    )
    G_RECORD_NAME_AMBIGUOUS = (
        "G016",
        "第 {line} 行的记录没有 unit.code，名单中名为「{name}」的单位有 {count} 个（{codes}），无法确定是哪一个",
        "在该记录中写明 unit.code，或在名单中区分这些单位的名称。",
    )
    G_RENDER = (
        "G021",
        "为单位 {unit} 生成工作簿时出错：{detail}",
        "检查模板文本中的变量（可用：year、unit、index、project、record、money_unit、template）和记录中的值。",
    )
    G_OUTPUT_TAKEN = (
        "G022",
        "单位 {unit} 的文件名 {name} 与单位 {other} 的相同",
        "在 file_name 模板中加入 {{{{ unit.code }}}}，使每个单位的文件名不同。",
    )
    G_OUTPUT_NAME = ("G020", "文件名模板生成了不可用的文件名 {name!r}", "检查 file_name 模板。")
    G_OUTPUT_NAME_LONG = (
        "G025",
        "单位 {unit}（{name}）的文件名有 {length} 字节，超过文件系统允许的 255 字节：{file}",
        "在名单中缩短该单位的名称，或把模板的 file_name 改短，如 {{{{ unit.code }}}}.xlsx。",
    )
    G_OUTPUT_WRITE = (
        "G026",
        "无法写出单位 {unit} 的工作簿 {path}：{detail}",
        "移走占用该位置的文件夹，确认输出文件夹可写、磁盘未满、文件没有被其他程序（如 Excel）打开，然后重新生成。",
    )

    # --- return files: opening them safely (F) ------------------------------------------------
    F_UNREADABLE = ("F001", "无法读取文件：{detail}", "确认文件存在、未被其他程序占用，然后重新提交。")
    F_EMPTY = ("F002", "文件是空的（0 字节）", "重新保存工作簿后再提交。")
    F_NOT_XLSX = (
        "F003",
        "不是 Excel 工作簿（.xlsx）：{detail}",
        "用 Excel 或 WPS 打开原表，另存为“Excel 工作簿（*.xlsx）”后重新提交。",
    )
    F_LEGACY_FORMAT = (
        "F004",
        "这是旧版 Excel（.xls）或 WPS 表格（.et）格式的文件，无法读取：{detail}",
        "用 Excel 或 WPS 打开，另存为“Excel 工作簿（*.xlsx）”后重新提交。",
    )
    F_ENCRYPTED = (
        "F005",
        "工作簿设置了打开密码，无法读取",
        "在 Excel 中用“文件→信息→保护工作簿→用密码进行加密”清除密码，保存后重新提交。",
    )
    F_STRICT_OOXML = (
        "F006",
        "工作簿保存为“Strict Open XML 电子表格”格式，暂不支持",
        "另存为“Excel 工作簿（*.xlsx）”（不要选 Strict）后重新提交。",
    )
    F_LOCK_FILE = (
        "F007",
        "这是 Excel/WPS 打开文件时留下的临时锁文件，已跳过",
        "无需处理；请提交真正的工作簿文件。",
        "info",
    )
    F_ZIP_BOMB = (
        "F008",
        "文件结构异常（{detail}），可能是恶意构造的压缩包，已拒绝读取",
        "用 Excel 或 WPS 打开原表另存为 .xlsx 后重新提交；如非本单位制作，请勿打开。",
    )
    F_XML_ENTITY = (
        "F009",
        "工作簿的 {part} 含有 DTD 或实体声明，可能是恶意构造的文件，已拒绝读取",
        "用 Excel 或 WPS 打开原表另存为 .xlsx 后重新提交。",
    )
    F_BROKEN = (
        "F010",
        "工作簿已损坏：{detail}",
        "用 Excel 或 WPS 打开，如能打开请另存为 .xlsx 后重新提交；否则请重新填写。",
    )
    F_OTHER_FORMAT = (
        "F012",
        "工作簿保存为 {format} 格式，已照常读取",
        "以后请用 Excel 或 WPS 另存为“Excel 工作簿（*.xlsx）”后报送。",
        "warning",
    )
    F_ENCRYPTED_MEMBER = (
        "F013",
        "压缩包中的 {member} 设置了解压密码，无法读取",
        "请把文件直接发送，或发送不设密码的压缩包。",
    )
    F_LINK_OUTSIDE = (
        "F014",
        "这是指向收件箱以外的链接（{target}），没有读取",
        "把文件本身（而不是链接）放进收件箱，然后重新收取。",
    )
    F_MACROS = (
        "F011",
        "工作簿含有宏（.xlsm），已按普通工作簿读取，宏不会运行",
        "以后请保存为不含宏的 .xlsx 工作簿。",
        "info",
    )

    # --- reading a return (R) ----------------------------------------------------------------
    R_NO_STAMP = (
        "R001",
        "工作簿没有 xlsxkit 标识（不是由 xlsxkit 生成，或标识已被删除），无法确定按哪个模板读取",
        "用 --template 指定模板重新读取，例如 xlsxkit read 文件 --template tangshan。",
    )
    R_READ_WITHOUT_STAMP = (
        "R002",
        "工作簿没有 xlsxkit 标识，已按指定的模板 {template} 读取",
        "请核对读取结果；以后请使用下发的工作簿填报。",
        "warning",
    )
    R_UNKNOWN_TEMPLATE = (
        "R003",
        "工作簿由模板 {template} 生成，但找不到该模板{suggestion}",
        "用 --template 给出该模板的文件路径。",
    )
    R_TEMPLATE_MISMATCH = (
        "R004",
        "工作簿由模板 {stamped} 生成，不能按模板 {given} 读取",
        "去掉 --template，或改为 --template {stamped}。",
    )
    R_TEMPLATE_CHANGED = (
        "R005",
        "工作簿由模板 {template} 的另一版本生成（工作簿为版本 {stamped}，现有版本 {current}），已按现有版本读取",
        "请核对读取结果；如表样有变化，请重新下发工作簿。",
        "warning",
    )
    R_NO_FORM_SHEET = (
        "R006",
        "工作簿中找不到按模板 {template} 填写的表（没有一张工作表含有模板的栏目名称和指标表表头）",
        "请使用下发的工作簿填写，不要修改栏目名称和表头。",
    )
    R_SHEET_SKIPPED = (
        "R007",
        "工作表 {sheet} 不是模板 {template} 的表样，已跳过",
        "如果它是要上报的表，请恢复被改动的栏目名称和表头。",
        "info",
    )
    R_LABEL_NOT_FOUND = (
        "R008",
        "找不到栏目「{label}」，已按模板中的位置读取本单元格",
        "请勿修改或删除栏目名称；并核对本单元格的内容。",
        "warning",
    )
    R_WRONG_TYPE = ("R009", "「{label}」应填写{expected}，现为「{value}」", "改为{expected}，例如 {example}。")
    R_CELL_TOO_LONG = (
        "R010",
        "单元格有 {length} 个字符，超过 Excel 单元格的上限 32767 个",
        "精简内容，或把长文另附说明材料。",
    )
    R_SHEET_TOO_LARGE = (
        "R011",
        "工作表的单元格一直延伸到 {extent}，只读取了前 {rows} 行、{cols} 列，本表没有完整读取",
        "删除表格范围以外远处单元格的内容（指标行过多时分到多张项目工作表），保存后重新报送。",
    )
    R_TABLE_NOT_FOUND = (
        "R013",
        "找不到表头（{headers}），这张表没有读取",
        "请恢复被改动或删除的表头，不要改动表头的文字。",
    )
    R_SHEET_UNUSED = (
        "R014",
        "工作表 {sheet} 未填写（只有下发时的内容），不计为项目",
        "无需处理：用不到的项目工作表可以保持原样。",
        "info",
    )
    R_NOTHING_FILLED = (
        "R015",
        "工作簿中的 {sheets} 张项目工作表都未填写",
        "至少填写一个项目的工作表后重新报送。",
    )
    R_STAMPS_DISAGREE = (
        "R016",
        "工作簿的两处 xlsxkit 标识不一致（文档属性中为 {properties}，隐藏工作表中为 {sheet}），无法确定它属于哪个单位",
        "请使用下发给本单位的原工作簿填写，不要修改文档属性或隐藏工作表，然后重新报送。",
    )
    R_FORMULA_OVERWRITTEN = (
        "R018",
        "「{label}」是计算单元格，应为 {computed}，现为 {cached}（公式可能被改写）",
        "恢复该单元格的公式（或重新从下发的表格复制），不要直接填写数值。",
        "warning",
    )
    R_RELAY_DAMAGED = (
        "R020",
        "这是下级单位转报的汇总表，但其中的记录不完整：{detail}",
        "请下级单位重新生成汇总表（xlsxkit consolidate）后报送，不要修改其中隐藏的记录工作表。",
    )
    R_TARGET_LINK_LOST = (
        "R019",
        "工作表「{sheet}」找不到它所依据的绩效目标（工作表被改名、复制或标记丢失），复制的内容无法核对",
        "使用下发的工作簿填写，不要改名或复制工作表；或由主管部门重新生成本单位的表格。",
        "warning",
    )
    R_FORMULA_NO_VALUE = (
        "R017",
        "「{label}」是公式，但公式没有计算结果（工作簿由不计算公式的程序保存）",
        "在 Excel 或 WPS 中打开工作簿，让公式算出结果（或改填数值）后保存，再重新报送。",
    )
    R_INTERNAL = (
        "R012",
        "读取时出现程序错误（{detail}），本文件未读取",
        "请把该文件和这条信息发给 xlsxkit 的维护者；其余文件照常读取。",
    )

    # --- checking a record (C) ----------------------------------------------------------------
    C_REQUIRED = ("C001", "「{label}」未填写", "请填写{label}。")
    C_FUNDS_SUM = (
        "C002",
        "{total_label} {total} {unit}不等于 {parts} 之和 {sum} {unit}（相差 {difference} {unit}）",
        "核对{total_label}及其构成，使二者相等。",
    )
    C_NEGATIVE_MONEY = ("C003", "「{label}」为负数 {value} {unit}", "金额不能小于 0，请改正。")
    C_PLAN_DECREASING = (
        "C004",
        "资金支出计划 {month}月底 {value}% 小于 {previous_month}月底 {previous}%",
        "支出计划填写截至各月底累计支出的百分比，应逐月不减。",
    )
    C_PLAN_ABOVE_100 = ("C005", "资金支出计划 {month}月底 {value}% 超过 100%", "累计支出百分比不能超过 100%。")
    C_PLAN_NOT_100 = ("C006", "资金支出计划 12月底应为 100%，现为 {value}%", "12月底累计支出应为 100%。")
    C_LEVEL1_MISSING = (
        "C010",
        "指标表没有{level1}：至少应有一个三级指标",
        "在指标表中为{level1}填写至少一个三级指标及其指标值。",
    )
    C_UNKNOWN_LEVEL1 = ("C011", "一级指标「{value}」不在本表的指标体系中{suggestion}", "从下拉列表中选择：{allowed}。")
    C_LEVEL2_MISMATCH = (
        "C012",
        "二级指标「{level2}」不属于一级指标「{level1}」{suggestion}",
        "{level1}下可选：{allowed}。",
    )
    C_NO_VALUE = (
        "C013",
        "三级指标「{level3}」没有填写{column}",
        "填写{column}；定量指标写明符号、数值和单位，如 ≥95%。",
    )
    C_NO_LEVEL3 = ("C014", "该行填写了内容，但没有三级指标名称", "填写三级指标名称，或删除该行的内容。")
    C_DUPLICATE_LEVEL3 = ("C015", "三级指标「{level3}」重复（首次在 {first}）", "合并重复的指标，或改用不同的名称。")
    C_PLACEHOLDER = ("C016", "「{value}」是占位符，不是实际内容", "填写实际的{column}。")
    C_NO_LEVELS = ("C017", "三级指标「{level3}」没有一级、二级指标", "从下拉列表中选择一级指标和二级指标。")
    C_QUALITATIVE_QUANTITY = (
        "C020",
        "{level2}「{level3}」的指标值「{value}」不是定量的",
        "数量、质量指标宜写明数值和计量单位，如 ≥95%、100次。",
        "warning",
    )
    C_PERCENT_ABOVE_100 = ("C021", "指标值「{value}」超过 100%", "核对该百分比；比率一般不超过 100%。", "warning")
    C_COST_AT_LEAST = (
        "C022",
        "成本指标「{level3}」的指标值「{value}」是下限（{op}）",
        "成本指标应设上限，如 ≤500万元。",
        "warning",
    )
    C_DEADLINE_AFTER_END = (
        "C023",
        "指标值中的时限 {date} 晚于项目计划完成日期 {end}",
        "核对时限，或更正计划完成日期。",
        "warning",
    )
    C_DEADLINE_OUTSIDE_YEAR = (
        "C024",
        "指标值中的时限 {date} 不在预算年度 {year} 年内",
        "年度指标的时限应在 {year} 年内，请核对。",
        "warning",
    )
    C_NOT_IN_LIST = (
        "C025",
        "「{value}」不在「{label}」的下拉列表中",
        "从下拉列表中选择（可选：{allowed}），不要粘贴或手工输入其他内容。",
        "warning",
    )
    C_IMPLAUSIBLE_AMOUNT = (
        "C026",
        "「{label}」{value} {unit}，金额异常大（{reason}）",
        "核对金额及其单位（本表金额单位为{unit}）：以元计的金额填进以万元计的栏目时，请除以 10000。",
        "warning",
    )
    C_FORM_RULE = ("C030", "{message}", "{fix}")  # an 审核公式 of the template, severity error
    C_FORM_RULE_WARNING = ("C031", "{message}", "{fix}", "warning")  # … severity warning
    # --- forms generated from the targets: monitoring and self-evaluation ---------------------------
    C_COPIED_CHANGED = (
        "C040",
        "「{label}」是从绩效目标表复制的内容，原为「{original}」，现为「{value}」",
        "恢复为原值，不要撤销工作表保护修改复制的内容；绩效目标确需调整的，按程序申请调整。",
    )
    C_CAUSES_REQUIRED = (
        "C041",
        "三级指标「{level3}」{why}，须填写偏差原因",
        "从下拉列表选择偏差原因（经费保障、制度保障、人员保障、硬件保障、其他，可多项，用顿号分隔），并在原因说明中写明原因和改进措施。",
    )
    C_RATE_BELOW_SCHEDULE = (
        "C042",
        "预算执行率 {rate}% 低于{expected}",
        "核对执行数；执行进度确实滞后的，在{place}中说明原因和改进措施。",
        "warning",
    )
    C_WEIGHTS_NOT_100 = (
        "C043",
        "分值合计为 {total} 分（预算执行 {funds} 分，各三级指标 {indicators} 分），应为 100 分",
        "调整各项分值，使预算执行与各三级指标的分值合计为 100 分。",
    )
    C_SCORE_OUT_OF_RANGE = (
        "C044",
        "三级指标「{level3}」得分 {score} 不在 0 至其分值 {weight} 之间",
        "得分不小于 0、不超过该指标的分值。",
    )
    C_SCORE_DIFFERS = (
        "C045",
        "三级指标「{level3}」得分 {score}，按评分规则应为 {computed}（相差 {difference} 分）",
        "核对实际完成值和得分；得分确有理由不同的，在偏差原因分析中说明，由主管部门审核确定。",
        "warning",
    )
    C_REASON_REQUIRED = (
        "C046",
        "三级指标「{level3}」{why}，须填写偏差原因分析及改进措施",
        "在该行“偏差原因分析及改进措施”中写明未完成的原因和改进措施。",
    )
    C_ROW_VALUE_MISSING = (
        "C047",
        "三级指标「{level3}」没有填写{column}",
        "填写该指标的{column}。",
    )
    C_PROJECT_REPEATED = (
        "C048",
        "项目「{name}」（项目编码 {project_code}）与工作表 {other} 的相同：同一项目填了两次，汇总时会重复计算",
        "删除重复的项目工作表；确是两个项目的，改正其中一个的项目名称和项目编码。",
    )
    C_PROJECT_MAYBE_REPEATED = (
        "C049",
        "{what}与工作表 {other} 的相同：可能同一项目填了两次",
        "确是同一项目的，删除重复的工作表；不是的，改正项目编码或项目名称，使两个项目能区分。",
        "warning",
    )

    # --- collecting returns (L) ------------------------------------------------------------------
    L_NOT_ON_ROSTER = (
        "L001",
        "工作簿是为单位 {unit}（{name}）生成的，该单位不在本次名单中",
        "核对名单；如确属本次报送单位，把它加入名单后重新收取。",
    )
    L_OTHER_UNIT = (
        "L002",
        "文件来自单位 {named}，但工作簿是为单位 {stamped}（{stamped_name}）生成的",
        "请使用下发给本单位的工作簿填写后重新报送。",
    )
    L_DUPLICATE = ("L003", "与已收取的 {first} 内容完全相同，未重复记录", "无需处理。", "info")
    L_ATTRIBUTED_BY_NAME = (
        "L004",
        "工作簿没有 xlsxkit 标识，按{where}「{named_by}」归属于单位 {unit}（{name}）",
        "请核对归属是否正确；以后请使用下发的工作簿报送，不要另建工作簿或另存为其他格式。",
        "warning",
    )
    L_UNATTRIBUTED = (
        "L005",
        "无法确定文件来自哪个单位：工作簿没有 xlsxkit 标识，文件名和文件夹名中也没有名单中的单位代码或名称",
        "把文件改名为“单位代码-单位名称.xlsx”，或放入以单位代码命名的文件夹，然后重新收取（xlsxkit recheck）。",
    )
    L_OTHER_YEAR = (
        "L006",
        "工作簿是 {stamped} 年度的表，本次收取的是 {year} 年度",
        "请使用本年度下发的工作簿填写后重新报送。",
    )
    L_LEDGER_TOO_NEW = (
        "L008",
        "账本由更新版本的 xlsxkit 建立（账本版本 {version}，本程序只支持到版本 {supported}）",
        "升级 xlsxkit 后再使用此账本。",
    )
    L_COLLECTION_CHANGED = (
        "L009",
        "账本收取的是{what} {current}，不能改为 {given}",
        "为另一模板或年度的收取另建账本（--db 另一个文件）；或去掉该选项。",
    )
    L_ROSTER_DROPS_UNITS = (
        "L010",
        "新名单中没有已有报送记录的单位 {units}，换用新名单会使这些报送不再计入状态和汇总",
        "核对新名单；确需去掉这些单位时，加上 --drop-units 重新执行。",
    )
    L_NAME_DIFFERS = (
        "L011",
        "工作簿标识中的单位名称「{stamped}」与名单中单位 {unit} 的名称「{roster}」不同",
        "核对名单和工作簿是否属于同一单位；单位更名时可忽略本提示。",
        "warning",
    )
    L_OTHER_TEMPLATE = (
        "L007",
        "工作簿是按模板 {stamped} 生成的，本次收取的是模板 {template}",
        "请使用本次下发的工作簿（模板 {template}）填写后重新报送。",
    )
    L_REVIEW_UNKNOWN_UNIT = ("L020", "名单中没有单位 {unit}{suggestion}", "用 xlsxkit status 查看名单中的单位代码。")
    L_REVIEW_NOTHING = ("L021", "单位 {unit} 还没有可审核的报送", "等该单位报送后再审核；催报见 xlsxkit status。")
    L_REVIEW_HAS_ERRORS = (
        "L022",
        "单位 {unit} 的报送（第 {version} 版）有 {errors} 个错误，不能审核通过",
        '用 --return "理由" 退回，并用 xlsxkit feedback 把标注好的工作簿发回该单位。',
    )
    L_REVIEW_NO_REASON = ("L023", "退回须写明理由", '在 --return 后写明退回理由，如 --return "预算数与批复不符"。')
    L_REVIEW_RETURNED = (
        "L025",
        "审核退回（{by}，{at}）：{reason}",
        "按退回理由修改后，连同其他标注的问题一并改正，重新报送。",
    )
    L_REVIEW_SHEET_STALE = (
        "L026",
        "审核表是在收到新的报送之前生成的，其中的审核意见可能针对旧版本，未予采用",
        "重新生成审核表（xlsxkit review --sheet），在新表中填写审核意见。",
    )
    L_REVIEW_SHEET_FOREIGN = (
        "L027",
        "这不是 xlsxkit 为本次收取生成的审核表",
        "用 xlsxkit review --sheet 生成审核表，在其中填写审核意见。",
    )
    L_DIRECT_AND_RELAYED = (
        "L029",
        "单位 {unit} 的报表既直接报送（{direct}），又经下级单位转报（{relayed}）；只计一次，以最后收到的一份为准",
        "确认该单位由谁报送：直接报送的单位不应再列入下级单位的名单，或请其不再直接报送。",
        "warning",
    )
    L_OWN_SUMMARY = (
        "L030",
        "这是本单位（{office}）自己的汇总表，不是下级单位的报表",
        "把汇总表报送上级；本级收件箱中只放下级单位的报表和下级单位的汇总表。",
    )
    L_NOT_A_WORKBOOK = (
        "L031",
        "不是工作簿（{detail}），作为附件记录，不计为报表",
        "无需处理；如这是报表，请另存为“Excel 工作簿（*.xlsx）”后重新提交。",
        "info",
    )
    L_SYSTEM_FILE = ("L032", "这是操作系统生成的文件（{name}），已跳过", "无需处理。", "info")
    L_RELAY_WITHDRAWN = (
        "L033",
        "{office} 新报送的汇总表中已没有单位 {unit} 的报表（已退回或撤回），此前经其转报的 {earlier} 不再计入",
        "等该单位重新报送（直接报送，或经 {office} 再次转报）后重新收取；如属误漏，请 {office} 补入后重新报送汇总表。",
    )
    L_REVIEW_SHEET_CHOICE = ("L028", "审核意见「{value}」不是“通过”或“退回”", "从下拉列表中选择“通过”或“退回”。")
    L_REVIEW_NOT_APPROVED = (
        "L024",
        "单位 {unit} 当前没有审核通过的版本，无需重新打开",
        "用 xlsxkit status 查看该单位的审核状态。",
    )

    # --- outputs, and the ledger file itself (O) -----------------------------------------------------
    O_OUTPUT_IS_LEDGER = (
        "O001",
        "{what}不能写到这里：这是一个账本（SQLite 数据库），写入会毁掉其中收取的全部报送",
        "为{what}另选一个文件名；账本只用 --db 指定。",
    )
    O_OUTPUT_IN_RETURNS = (
        "O002",
        "{what}不能写进存放报送的文件夹 {folder}：下次收取或读取这个文件夹时，它会被当作报送读入",
        "把{what}写到该文件夹以外。",
    )
    O_OUTPUT_IS_INPUT = ("O003", "{what}不能写到这里：这是本命令正在读取的文件", "为{what}另选一个文件名。")
    O_OUTPUT_NOT_OURS = (
        "O004",
        "{what}会覆盖已有的文件，而它不是 xlsxkit 写出的输出",
        "另选一个文件名；确实要覆盖它时加 --force。",
    )
    O_OUTPUT_IS_FOLDER = (
        "O005",
        "{what}应是一个文件，这里却是一个文件夹",
        "给出一个文件名（可以在这个文件夹中），而不是文件夹。",
    )
    O_OUTPUT_IS_FILE = (
        "O006",
        "{what}应是一个文件夹，这里却是一个文件",
        "给出一个文件夹（不存在时会新建），或另选名称。",
    )
    O_OUTPUT_TWICE = ("O007", "这个文件既被指定为{what}，又被指定为{other}", "为它们分别指定不同的文件。")
    O_OUTPUT_WRITE = (
        "O008",
        "无法写入：{detail}",
        "确认文件夹可写、磁盘未满、文件没有被其他程序（如 Excel）打开，然后重试。",
    )
    O_LEDGER_FOLDER = (
        "O010",
        "账本应是一个文件，这里却是一个文件夹",
        "用 --db 给出账本文件，例如 --db returns.sqlite。",
    )
    O_LEDGER_NOT_LEDGER = (
        "O011",
        "这不是 xlsxkit 的账本：{detail}",
        "检查 --db：账本是 xlsxkit collect 建立的 SQLite 文件（如 returns.sqlite）。",
    )
    O_LEDGER_DAMAGED = (
        "O012",
        "账本已损坏，无法读取（{detail}）",
        "用备份的账本替换它；没有备份时，用 xlsxkit collect 把收件箱重新收取到一个新的账本（--db 新文件）。",
    )
    O_LEDGER_READ_ONLY = (
        "O013",
        "账本是只读的，无法写入（收取、重新检查和升级旧账本都要写入账本）",
        "让账本文件及其所在文件夹可写，或把账本复制到可写的位置，再用 --db 指定。",
    )
    O_LEDGER_OUTDATED = (
        "O014",
        "账本由较早版本的 xlsxkit 建立（账本版本 {version}，本程序为版本 {supported}），须先升级才能只读打开",
        "以可写方式打开一次即自动升级：账本可写时运行 xlsxkit status 即可。",
    )
    O_LEDGER_UNOPENABLE = ("O015", "无法打开账本：{detail}", "确认文件可读、所在文件夹可访问，然后重试。")
    O_FEEDBACK_FAILED = (
        "O020",
        "无法为单位 {unit}（{name}）写出问题反馈工作簿：{detail}",
        "其他单位的反馈已照常写出；用 xlsxkit check 查看该单位在收件箱中的这个文件，把问题告知该单位。",
    )
    O_FEEDBACK_COLLECTED = (
        "O021",
        "这是 xlsxkit 写出的问题反馈工作簿，内容未经改动，不是单位的报送，已跳过",
        "无需处理；不要把 xlsxkit feedback 的输出放进收件箱。",
        "info",
    )

    O_COMPILATION_COLLECTED = (
        "O023",
        "这是 xlsxkit 写出的汇编工作簿（汇总表旁的「…-汇编.xlsx」），不是单位的报送，已跳过",
        "无需处理；报送上级时只放汇总表本身，汇编工作簿供打印和查阅。",
        "info",
    )

    O_EXPORT_TARGETS_ONLY = (
        "O024",
        "{option} 只导出绩效目标表的项目和指标，本次收取的是{form}，未写出",
        "{form}的数据见汇总表的{report}；逐条记录可用 --jsonl 导出。去掉 {option} 即不再提示。",
        "warning",
    )

    O_PARQUET_MISSING = (
        "O022",
        "写 Parquet 需要 pyarrow，本机没有安装",
        "安装带 Parquet 的 xlsxkit：pip install 'xlsxkit[parquet]'，或去掉 --parquet。",
    )

    def __init__(self, code: str, message: str, fix: str, severity: str = "error") -> None:
        self.code = code
        self.message = message
        self.fix = fix
        self.severity = Severity(severity)


class Catalogued:
    """A catalogue entry with its details filled in: the message and the fix its reader sees."""

    code: Code
    details: dict[str, Any]

    @property
    def message(self) -> str:
        """What is wrong, in the words of the catalogue."""
        return self.code.message.format(**self.details)

    @property
    def fix(self) -> str:
        """How to put it right."""
        return self.code.fix.format(**self.details)


@dataclass(frozen=True)
class Problem(Catalogued):
    """One reported problem: where it is, what it is, how to fix it."""

    code: Code
    where: str  # "templates/x.yaml:12 body[2].cells[1]" or "units.csv:4" or "项目1!D14"
    details: dict[str, Any] = field(default_factory=dict)
    line: int | None = None  # the line of a template file, where `where` is in one (for file order)

    def __str__(self) -> str:
        return f"{self.where}: [{self.code.code}] {self.message} —— {self.fix}"


@dataclass(frozen=True)
class Finding(Catalogued):
    """One finding in a return: its cell (or sheet, or the whole file), what is wrong, how to fix it."""

    code: Code
    sheet: str | None = None
    cell: str | None = None  # "D14"; None when the finding is about a sheet or the file
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> Severity:
        """The catalogue's severity of this code."""
        return self.code.severity

    @property
    def where(self) -> str:
        """ "项目1!D14", "项目1", or "" for the whole file."""
        if self.sheet is None:
            return ""
        return f"{_quoted_sheet(self.sheet)}!{self.cell}" if self.cell else self.sheet

    def as_dict(self) -> dict[str, Any]:
        """The finding as plain data (JSON, the ledger), message and fix filled in."""
        return {
            "sheet": self.sheet,
            "cell": self.cell,
            "severity": self.severity.value,
            "code": self.code.code,
            "message": self.message,
            "fix": self.fix,
        }

    def __str__(self) -> str:
        where = f"{self.where}: " if self.where else ""
        return f"{where}[{self.code.code}] {self.message} —— {self.fix}"


def _quoted_sheet(name: str) -> str:
    """A sheet name as Excel writes it in a reference: quoted when it holds spaces or punctuation."""
    plain = all(ch.isalnum() or ch == "_" for ch in name)
    return name if plain else "'" + name.replace("'", "''") + "'"


class ReturnFileError(Exception):
    """A return file that cannot be read at all (or is skipped on purpose): one finding says why."""

    def __init__(self, finding: Finding) -> None:
        self.finding = finding
        super().__init__(str(finding))


class XlsxkitError(Exception):
    """A failure made of one or more catalogued problems."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class TemplateError(XlsxkitError):
    """A template file that cannot be used; every problem in it is listed."""


class InputError(XlsxkitError):
    """A roster or records file that cannot be used."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """'（是否应为 "x"？）' for the closest choice, or '' when none is close."""
    import difflib

    close = difflib.get_close_matches(str(word), sorted(choices), n=1, cutoff=0.5)
    return f"（是否应为 {close[0]}？）" if close else ""
