"""`kiosk validate DIR` as staff run it: a real process, one line per problem, exit status."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import PROJECT_DIR
from kiosk.content.validation import validate_folder
from tests.content.test_validation import MISTAKES, Mistake, copy_content, notepad_style, on_entry

# Every mistake is checked in-process in test_validation.py; a process per case costs about half a
# second, so the CLI runs a subset: each kind of broken file plus a few entry-level mistakes.
CLI_SUBSET = {
    "missing-title",
    "offer-topic-nowhere",
    "duplicate-offer-id",
    "text-renamed-png",
    "png-5000x10",
    "http-link",
    "date-feb-30",
    "map-bounds-flat",
    "file-cut-in-half",
    "latin1-umlauts",
    "duplicate-key",
    "nan",
    "absurdly-nested",
}


def run_kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_subset_names_real_mistakes() -> None:
    assert CLI_SUBSET <= {m.id for m in MISTAKES}


@pytest.mark.parametrize("mistake", [m for m in MISTAKES if m.id in CLI_SUBSET], ids=lambda m: m.id)
def test_a_mistake_exits_1_with_one_line_per_problem(mistake: Mistake, tmp_path: Path) -> None:
    folder = copy_content(tmp_path / "content")
    mistake.edit(folder)
    expected = [str(p) for p in validate_folder(folder).problems]

    result = run_kiosk("validate", str(folder))

    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[:-1] == expected
    assert any(line.startswith(mistake.file) and mistake.fragment in line for line in lines)
    assert lines[-1].startswith(f"{folder}: ")
    assert "the kiosk will not show this" in lines[-1]


def test_a_folder_that_does_not_exist_exits_1(tmp_path: Path) -> None:
    missing = tmp_path / "nirgends"

    result = run_kiosk("validate", str(missing))

    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.splitlines()[0].startswith(f"{missing}: error: this is not a folder.")


def test_embedded_content_exits_0() -> None:
    result = run_kiosk("validate", "content")

    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines() == ["content: OK, 0 warning(s)."]
    assert result.stderr == ""


def test_notepad_copy_exits_0(tmp_path: Path) -> None:
    folder = copy_content(tmp_path / "content")
    notepad_style(folder)

    result = run_kiosk("validate", str(folder))

    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines() == [f"{folder}: OK, 0 warning(s)."]


def test_warnings_are_shown_but_do_not_fail_and_quiet_hides_them(tmp_path: Path) -> None:
    folder = copy_content(tmp_path / "content")

    def drop_english(offer: dict[str, object]) -> None:
        title = offer["title"]
        assert isinstance(title, dict)
        del title["en"]

    label = on_entry("offers.json", drop_english)(folder)

    loud = run_kiosk("validate", str(folder))
    quiet = run_kiosk("validate", "--quiet", str(folder))

    assert loud.returncode == 0
    (warning, summary) = loud.stdout.splitlines()
    assert warning.startswith(f'offers.json, {label}, field "title.en": warning: ')
    assert summary == f"{folder}: OK, 1 warning(s)."
    assert quiet.returncode == 0
    assert quiet.stdout.splitlines() == [f"{folder}: OK, 1 warning(s)."]


def test_validate_does_not_import_kivy() -> None:
    code = (
        "import sys\n"
        "from kiosk.cli import main\n"
        "status = main(['validate', 'content'])\n"
        "assert status == 0, status\n"
        "kivy = sorted(m for m in sys.modules if m == 'kivy' or m.startswith('kivy.'))\n"
        "assert not kivy, kivy\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
