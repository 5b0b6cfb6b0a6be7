"""Formula cells without a value are found however a sheet part is cut into chunks: a cell element
split across chunks, or one far longer than the first look-back window, is carried over whole."""

from __future__ import annotations

import pytest

from xlsxkit.read.formula_cells import FormulaCells


def part(cells: list[bytes]) -> bytes:
    return b"<worksheet><sheetData><row r='1'>" + b"".join(cells) + b"</row></sheetData></worksheet>"


LONG = b"x" * 20_000  # an inline string far past the 4 KiB first look-back window
CELLS = [
    b'<c r="A1" t="inlineStr"><is><t>' + LONG + b"</t></is></c>",
    b'<c r="B1"><f>A1*2</f></c>',  # a formula without a value
    b'<c r="C1"><f>1+1</f><v>2</v></c>',  # computed: not reported
    b'<c r="D1" t="inlineStr"><is><t>' + LONG + b"</t></is></c>",
    b'<x:c r="E1"><x:f>B1</x:f><x:v/></x:c>',  # a prefixed one with an empty value
]


@pytest.mark.parametrize("size", [7, 100, 4_000, 5_000, 65_536, 10**6])
def test_formula_cells_without_a_value_are_found_whatever_the_chunk_size(size):
    data = part(CELLS)
    found = FormulaCells()
    for start in range(0, len(data), size):
        found.feed(data[start : start + size])
    assert found.cells == {(0, 1), (0, 4)}


def test_formula_cells_are_found_wherever_a_part_is_cut_in_two():
    """Every cut of a part with formula cells side by side — also one leaving only "<" or "<c"
    of the next cell's tag at a chunk's end — finds the same cells."""
    data = part([b'<c r="A1"><f>1+1</f></c>', b'<c r="B1"><f>A1</f></c>', b'<c r="C1" s="2"><f>B1</f></c>'])
    for cut in range(1, len(data)):
        found = FormulaCells()
        found.feed(data[:cut])
        found.feed(data[cut:], last=True)
        assert found.cells == {(0, 0), (0, 1), (0, 2)}, cut
