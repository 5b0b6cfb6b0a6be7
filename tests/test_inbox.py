"""Nothing lost, nothing stopped: whatever lies in an inbox — odd zip members, names that are not
UTF-8, links out of the inbox, files that vanish or cannot be read, files too large to load —
each file ends with exactly one outcome, and one bad file never keeps the others from being
recorded. A fuzz pass (hypothesis) over inbox layouts and zip member names checks it."""

from __future__ import annotations

import functools
import io
import os
import shutil
import tempfile
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.test_collection_round import UNITS, send
from xlsxkit.cli import app
from xlsxkit.cycle import inbox as inbox_module
from xlsxkit.cycle.collect import collect
from xlsxkit.cycle.inbox import inbox_paths, items_of
from xlsxkit.cycle.ledger import Ledger
from xlsxkit.form.errors import Code
from xlsxkit.read.safe_open import ZipLimits

runner = CliRunner()


@functools.cache
def good_return() -> bytes:
    """A correct return of unit 603001, as bytes."""
    with tempfile.TemporaryDirectory() as folder:
        return send(UNITS[0], Path(folder)).read_bytes()


@pytest.fixture
def good() -> bytes:
    return good_return()


def ledger_at(path: Path) -> Ledger:
    ledger = Ledger(path)
    ledger.set_units(UNITS)
    ledger.set_collection(template_id="tangshan", year=2025)
    return ledger


def outcomes(ledger: Ledger) -> dict[str, tuple[str, str]]:
    return {r.path: (r.outcome.value, r.reason) for r in ledger.receipts()}


def zipped(members: list[tuple[str | bytes, bytes]], *, encrypted: set[int] | None = None) -> bytes:
    """A zip archive; a member name given as bytes is stored as those bytes (a GBK name without
    the UTF-8 flag, as Windows zip tools write); members whose index is in `encrypted` are
    flagged as password-protected."""
    buffer = io.BytesIO()
    placeholders = []
    with zipfile.ZipFile(buffer, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a member name twice: as some zip tools write it
        for index, (name, content) in enumerate(members):
            shown = name if isinstance(name, str) else f"@{index:04d}" + "x" * (len(name) - 5)
            info = zipfile.ZipInfo(shown)
            archive.writestr(info, content)
            if isinstance(name, bytes):
                placeholders.append((shown.encode("ascii"), name))
    data = buffer.getvalue()
    for placeholder, raw in placeholders:
        data = data.replace(placeholder, raw)
    for index in encrypted or set():  # set the encryption flag in the local header and the directory
        data = _flag_encrypted(data, index)
    return data


def _flag_encrypted(data: bytes, index: int) -> bytes:
    """Set the "encrypted" bit of member `index` in its local header and its directory entry."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    out = bytearray(data)
    out[archive.infolist()[index].header_offset + 6] |= 0x1
    at = archive.start_dir - 1
    for _ in range(index + 1):  # the directory's entries, in order
        at = data.find(b"PK\x01\x02", at + 1)
    out[at + 8] |= 0x1
    return bytes(out)


def test_odd_zip_members_each_get_one_outcome_and_the_batch_goes_on(tmp_path, good):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    long_gbk = ("唐山市住房公积金管理中心" * 8 + ".xlsx").encode("gbk")  # over 255 bytes
    (inbox / "603001-回执.zip").write_bytes(
        zipped(
            [
                ("..", b"not a workbook"),
                ("x/..", b"nor this"),
                (long_gbk, good),
                ("secret.xlsx", good),
                ("\x1b[2K\x1b[1Aaccepted.xlsx", b"garbage"),
            ],
            encrypted={3},
        )
    )
    with ledger_at(tmp_path / "r.sqlite") as ledger:
        report = collect(inbox, ledger)
        got = outcomes(ledger)
    long_name = long_gbk.decode("gbk")
    assert got == {
        "603001-回执.zip/..": ("skipped", Code.L_NOT_A_WORKBOOK.code),  # no workbook, nor named as one
        "603001-回执.zip/x/..": ("skipped", Code.L_NOT_A_WORKBOOK.code),
        f"603001-回执.zip/{long_name}": ("accepted", ""),
        "603001-回执.zip/secret.xlsx": ("rejected", Code.F_ENCRYPTED_MEMBER.code),
        "603001-回执.zip/\\x1b[2K\\x1b[1Aaccepted.xlsx": ("rejected", "F003"),
    }
    assert len(report.outcomes) == 5


def test_a_gbk_name_on_disk_is_read_as_written(tmp_path, good):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    raw = os.fsencode(str(inbox)) + b"/" + "603001-本级.xlsx".encode("gbk")
    with open(raw, "wb") as handle:
        handle.write(good)
    with ledger_at(tmp_path / "r.sqlite") as ledger:
        collect(inbox, ledger)
        assert outcomes(ledger) == {"603001-本级.xlsx": ("accepted", "")}


def test_a_link_out_of_the_inbox_is_not_followed(tmp_path, good):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (tmp_path / "secret.xlsx").write_bytes(good)
    (inbox / "603001-本级.xlsx").symlink_to(tmp_path / "secret.xlsx")
    (inbox / "别处").symlink_to(tmp_path, target_is_directory=True)
    (inbox / "603002.xlsx").write_bytes(b"x")
    (inbox / "同一个.xlsx").symlink_to(inbox / "603002.xlsx")  # within the inbox: read
    with ledger_at(tmp_path / "r.sqlite") as ledger:
        collect(inbox, ledger)
        got = outcomes(ledger)
        stored = [ledger.content_of_receipt(r.id) for r in ledger.receipts() if r.path == "603001-本级.xlsx"]
    assert got["603001-本级.xlsx"] == got["别处"] == ("rejected", Code.F_LINK_OUTSIDE.code)
    assert got["同一个.xlsx"] == ("rejected", "F003")
    assert stored == [None]  # its bytes were never read


def test_a_file_that_cannot_be_read_or_vanished_is_a_finding(tmp_path, monkeypatch, good):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "603001-本级.xlsx").write_bytes(good)
    (inbox / "locked.xlsx").write_bytes(good)
    os.mkfifo(inbox / "pipe.xlsx")
    real_open = open

    def refusing(path, *args, **kwargs):
        if str(path).endswith("locked.xlsx"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(inbox_module, "open", refusing, raising=False)
    assert items_of(inbox, inbox / "gone.xlsx")[0].refused["code"] == Code.F_UNREADABLE.code  # removed after listing
    with ledger_at(tmp_path / "r.sqlite") as ledger:
        collect(inbox, ledger)
        got = outcomes(ledger)
    assert got == {
        "603001-本级.xlsx": ("accepted", ""),
        "locked.xlsx": ("rejected", "F001"),
        "pipe.xlsx": ("rejected", "F001"),
    }


def test_a_file_over_the_size_limit_is_neither_loaded_nor_stored(tmp_path, monkeypatch, good):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "603001-本级.xlsx").write_bytes(good)
    (inbox / "603002-录像.mp4").write_bytes(b"\0" * 300_000)
    monkeypatch.setattr(inbox_module, "LIMITS", ZipLimits(max_file_bytes=200_000))
    with ledger_at(tmp_path / "r.sqlite") as ledger:
        collect(inbox, ledger)
        big = next(r for r in ledger.receipts() if r.path.endswith(".mp4"))
        assert (big.outcome.value, big.reason) == ("rejected", "F008")
        assert ledger.content_of_receipt(big.id) is None
        (size,) = ledger.db.execute("SELECT size FROM files WHERE id = ?", (big.file_id,)).fetchone()
        assert size == 300_000 and big.sha256 == __import__("hashlib").sha256(b"\0" * 300_000).hexdigest()


def test_control_characters_in_names_never_reach_the_terminal(tmp_path, good):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "ok\x1b[1A\x1b[2Kaccepted.xlsx").write_bytes(b"garbage")
    roster = tmp_path / "units.csv"
    roster.write_text("code,name\n603001,本级\n", encoding="utf-8")
    shown = runner.invoke(app, ["collect", str(inbox), "--roster", str(roster), "--db", str(tmp_path / "r.sqlite")])
    assert "\x1b" not in shown.output and "\\x1b[1A" in shown.stdout and "rejected" in shown.stdout
    status = runner.invoke(app, ["status", "--db", str(tmp_path / "r.sqlite")])
    assert "\x1b" not in status.output


NAMES = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/\0"), min_size=1, max_size=30
).filter(lambda name: name not in (".", "..") and len(name.encode("utf-8")) < 200)


@st.composite
def inboxes(draw: st.DrawFn) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Files: (folder, name, kind, zip members) where kind is good, garbage or zip."""
    files = []
    for _ in range(draw(st.integers(1, 6))):
        folder = draw(st.sampled_from(["", "a", "603001-本级", "深/层"]))
        name = draw(NAMES)
        kind = draw(st.sampled_from(["good", "garbage", "zip"]))
        members = (
            draw(
                st.lists(
                    st.tuples(
                        NAMES | st.sampled_from(["..", "x/..", "/abs.xlsx", "a/b/c.xlsx"]),
                        st.sampled_from(["good", "garbage"]),
                    ),
                    max_size=4,
                )
            )
            if kind == "zip"
            else []
        )
        files.append((folder, name + (".zip" if kind == "zip" else ""), kind, members))
    return files


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=inboxes())
def test_fuzz_every_file_below_an_inbox_ends_with_exactly_one_outcome(tmp_path, layout):
    root = Path(tempfile.mkdtemp(dir=tmp_path))
    inbox = root / "inbox"
    inbox.mkdir()
    contents = {"good": good_return(), "garbage": b"garbage"}
    for folder, name, kind, members in layout:
        place = inbox / folder / name
        place.parent.mkdir(parents=True, exist_ok=True)
        if kind == "zip":
            place.write_bytes(zipped([(m, contents[k]) for m, k in members]))
        else:
            place.write_bytes(contents[kind])
    receipts_expected = files = 0  # counted from the files and archives themselves, independently of collect
    for path in inbox_paths(inbox):
        members: list[tuple[str, bytes]] = []
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                members = [(m.filename, archive.read(m)) for m in archive.infolist() if not m.is_dir()]
        held: dict[str, bytes] = {}  # what each member's name held last: the same bytes again are no new arrival
        for name, content in members:
            receipts_expected += held.get(name) != content
            held[name] = content
        receipts_expected += not members
        files += len(members) or 1
    try:
        with ledger_at(root / "r.sqlite") as ledger:
            report = collect(inbox, ledger)
            receipts = ledger.receipts()
        assert len(receipts) == receipts_expected and len(report.outcomes) + report.unchanged == files
        assert all(r.outcome.value in ("accepted", "accepted_with_warnings", "rejected", "skipped") for r in receipts)
    finally:
        shutil.rmtree(root)


def test_check_prints_one_line_a_finding_whatever_the_names_hold(tmp_path):
    path = tmp_path / "x\x1b[2Kok.xlsx"
    path.write_bytes(b"garbage")
    shown = runner.invoke(app, ["check", str(path)])
    assert "\x1b" not in shown.output and len(shown.stdout.splitlines()) == 1
