"""What a file is, told from its bytes, for the guard's messages: the entries of an OLE2
compound file (.xls, .doc, an encrypted .xlsx), and what a file that is not a workbook seems to
be (a PDF, a web page saved as "Excel", a .docx …). Nothing here opens a file on disk or raises."""

from __future__ import annotations

import codecs

__all__ = ["looks_like", "zip_looks_like"]


def looks_like(data: bytes) -> str:
    """What a file that is neither a ZIP nor an OLE2 file seems to be, for the F_NOT_XLSX message."""
    head = data[:4096]
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for magic, what in (
        (b"%pdf", "这是 PDF 文件"),
        (b"{\\rtf", "这是 RTF 文档"),
        (b"\x89png", "这是图片文件（PNG）"),
        (b"\xff\xd8\xff", "这是图片文件（JPEG）"),
        (b"gif8", "这是图片文件（GIF）"),
        (b"rar!\x1a\x07", "这是 RAR 压缩包"),
        (b"7z\xbc\xaf\x27\x1c", "这是 7z 压缩包"),
        (b"\x1f\x8b", "这是 gzip 压缩文件"),
    ):
        if lowered.startswith(magic):
            return what
    if lowered.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in lowered:
        return "这是 Excel 2003 XML 表格"
    if lowered.startswith((b"<html", b"<!doctype html", b"<meta")) or b"<html" in lowered[:1024]:
        return "这是网页（HTML）文件，常见于从网上系统导出的“Excel”"
    if lowered.startswith(b"<?xml"):
        return "这是 XML 文件"
    if not head.strip(b"\0"):
        return "文件开头全是 0 字节，可能没有保存完整"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or decodes_as_text(head):
        return "这是文本文件（例如 CSV），不是工作簿"
    return "文件头不是 ZIP"


def decodes_as_text(head: bytes) -> bool:
    if b"\0" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return True
    return False


def zip_looks_like(names: set[str], mimetype: bytes) -> str:
    """What a ZIP file that is no workbook seems to be (a .docx, a .pptx, an .ods …), for the F_NOT_XLSX message."""
    if "word/document.xml" in names:
        return "这是 Word 文档（.docx），不是工作簿"
    if "ppt/presentation.xml" in names:
        return "这是 PowerPoint 演示文稿（.pptx），不是工作簿"
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return "这是 OpenDocument 表格（.ods）"
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        return "这是 OpenDocument 文档，不是 Excel 工作簿"
    if "xl/workbook.bin" in names:
        return "这是 Excel 二进制工作簿（.xlsb）"
    return "这是一个 ZIP 压缩包，其中没有 xl/workbook.xml"
