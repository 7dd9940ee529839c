"""Nothing lost, nothing half-written: output marks, --force and interrupts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from derivation import cli, engine, float_engine
from derivation.errors import DerivationError
from derivation.files import OWN_MARKS, check_replaceable, mark_comment

ROOT = Path(__file__).resolve().parents[1]
BASE = (Path(__file__).parent / "data" / "hostile" / "base.toml").read_text()
MARK = "Written by derivation"


def _run(capsys, *arguments: str) -> tuple[int, str, str]:
    status = cli.main(list(arguments))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _refusal(path: Path) -> str:
    return (
        f"derivation: error: {path} exists and was not written by derivation, so "
        "it was left unchanged; choose another output file, or pass --force to "
        "replace it\n"
    )


# --- the mark in every output format -----------------------------------------


def test_mark_comment_names_program_and_version():
    from derivation import __version__

    assert mark_comment("%") == (
        f"% Written by derivation {__version__}; running derivation again "
        "replaces this file."
    )


def test_latex_mark_follows_documentclass(capsys):
    _, out, _ = _run(capsys, "solve", "--example", "relu-2-2-1")
    lines = out.splitlines()
    assert lines[0] == r"\documentclass[11pt]{article}"
    assert lines[1] == mark_comment("%")


def test_latex_fragment_starts_with_mark(capsys):
    _, out, _ = _run(capsys, "solve", "--example", "relu-2-2-1", "--fragment")
    assert out.splitlines()[0] == mark_comment("%")


def test_json_first_key_is_mark(capsys):
    from derivation import __version__

    _, out, _ = _run(capsys, "solve", "--example", "relu-2-2-1", "--format", "json")
    document = json.loads(out)
    assert next(iter(document)) == "written_by"
    assert document["written_by"] == f"derivation {__version__}"


def test_float_json_first_key_is_mark(capsys):
    _, out, _ = _run(capsys, "solve", "--example", "relu-2-2-1", "--float")
    assert next(iter(json.loads(out))) == "written_by"


def test_markdown_starts_with_mark(capsys):
    _, out, _ = _run(capsys, "solve", "--example", "relu-2-2-1", "--format", "markdown")
    assert out.splitlines()[0] == mark_comment("<!--") + " -->"


def test_html_mark_follows_doctype(capsys):
    pytest.importorskip("latex2mathml")
    _, out, _ = _run(capsys, "solve", "--example", "relu-2-2-1", "--format", "html")
    lines = out.splitlines()
    assert lines[0].lower() == "<!doctype html>"
    assert lines[1] == mark_comment("<!--") + " -->"
    assert out.count(MARK) == 1


@pytest.mark.parametrize("output_format", ["latex", "json", "markdown"])
def test_every_format_carries_a_mark(capsys, output_format):
    _, out, _ = _run(
        capsys, "solve", "--example", "relu-2-2-1", "--format", output_format
    )
    assert any(mark in out[:4096] for mark in OWN_MARKS)


# --- replacing existing files ------------------------------------------------


@pytest.mark.parametrize("output_format", ["latex", "json", "markdown"])
def test_own_output_is_replaced(capsys, tmp_path, output_format):
    output = tmp_path / "solution.out"
    arguments = ["solve", "--format", output_format, "-o", str(output)]
    _run(capsys, *arguments, "--example", "relu-2-2-1")
    first = output.read_text()
    status, _, err = _run(capsys, *arguments, "--example", "relu-1-2-2-1")
    assert status == 0
    assert err == ""
    assert output.read_text() != first


def test_foreign_file_is_kept(capsys, tmp_path):
    output = tmp_path / "notes.tex"
    output.write_text("my own notes\n")
    status, out, err = _run(
        capsys, "solve", "--example", "relu-2-2-1", "-o", str(output)
    )
    assert status == 2
    assert out == ""
    assert err == _refusal(output)
    assert output.read_text() == "my own notes\n"


def test_foreign_file_is_checked_before_training(capsys, tmp_path, monkeypatch):
    output = tmp_path / "notes.tex"
    output.write_text("my own notes\n")
    calls = []
    monkeypatch.setattr(cli, "solve", lambda spec: calls.append(spec))
    status, _, _ = _run(capsys, "solve", "--example", "relu-2-2-1", "-o", str(output))
    assert status == 2
    assert calls == []


def test_force_replaces_foreign_file(capsys, tmp_path):
    output = tmp_path / "notes.tex"
    output.write_text("my own notes\n")
    status, _, err = _run(
        capsys, "solve", "--example", "relu-2-2-1", "-o", str(output), "--force"
    )
    assert status == 0
    assert err == ""
    assert MARK in output.read_text()


def test_empty_file_is_replaced(capsys, tmp_path):
    output = tmp_path / "solution.tex"
    output.touch()
    status, _, _ = _run(capsys, "solve", "--example", "relu-2-2-1", "-o", str(output))
    assert status == 0
    assert MARK in output.read_text()


def test_mark_after_4096_bytes_does_not_count(tmp_path):
    output = tmp_path / "solution.tex"
    output.write_text("x" * 4096 + MARK)
    with pytest.raises(DerivationError):
        check_replaceable(output)


def test_binary_foreign_file_is_kept(capsys, tmp_path):
    output = tmp_path / "photo.jpg"
    output.write_bytes(bytes(range(256)) * 4)
    status, _, err = _run(capsys, "solve", "--example", "relu-2-2-1", "-o", str(output))
    assert status == 2
    assert err == _refusal(output)
    assert output.read_bytes() == bytes(range(256)) * 4


def test_link_to_foreign_file_is_kept(capsys, tmp_path):
    real = tmp_path / "notes.tex"
    real.write_text("my own notes\n")
    link = tmp_path / "link.tex"
    link.symlink_to(real)
    status, _, err = _run(capsys, "solve", "--example", "relu-2-2-1", "-o", str(link))
    assert status == 2
    assert err == _refusal(link)
    assert real.read_text() == "my own notes\n"


def test_link_to_own_output_is_followed(capsys, tmp_path):
    real = tmp_path / "solution.tex"
    link = tmp_path / "link.tex"
    _run(capsys, "solve", "--example", "relu-2-2-1", "-o", str(real))
    link.symlink_to(real)
    status, _, _ = _run(capsys, "solve", "--example", "relu-1-2-2-1", "-o", str(link))
    assert status == 0
    assert link.is_symlink()
    assert "0.5975" in real.read_text()


def test_device_needs_no_force(capsys):
    status, _, err = _run(capsys, "solve", "--example", "relu-2-2-1", "-o", "/dev/null")
    assert status == 0
    assert err == ""


def test_template_never_replaces_without_force(capsys, tmp_path):
    output = tmp_path / "answers.toml"
    _run(capsys, "template", "--example", "relu-2-2-1", "-o", str(output))
    output.write_text(output.read_text().replace('loss = ""', "loss = 4.5", 1))
    filled = output.read_text()
    status, _, err = _run(
        capsys, "template", "--example", "relu-2-2-1", "-o", str(output)
    )
    assert status == 2
    assert err == _refusal(output)
    assert output.read_text() == filled


def test_template_force_replaces(capsys, tmp_path):
    output = tmp_path / "answers.toml"
    output.write_text("loss = 4.5\n")
    status, _, _ = _run(
        capsys, "template", "--example", "relu-2-2-1", "-o", str(output), "--force"
    )
    assert status == 0
    assert 'loss = ""' in output.read_text()


def _answers(tmp_path: Path) -> tuple[Path, Path]:
    spec = tmp_path / "net.toml"
    spec.write_text(BASE)
    answers = tmp_path / "answers.toml"
    answers.write_text("[step.1]\nloss = 1\n")
    return spec, answers


def test_csv_replaces_own_csv(capsys, tmp_path):
    spec, answers = _answers(tmp_path)
    grades = tmp_path / "grades.csv"
    for _ in range(2):
        status, _, _ = _run(
            capsys, "check", str(spec), str(answers), "--csv", str(grades)
        )
        assert status == 1
    assert grades.read_text().startswith("file,points,total,wrong,first_slip,error\n")


def test_csv_keeps_foreign_file(capsys, tmp_path):
    spec, answers = _answers(tmp_path)
    grades = tmp_path / "grades.csv"
    grades.write_text("name,grade\nada,A\n")
    status, _, err = _run(
        capsys, "check", str(spec), str(answers), "--csv", str(grades)
    )
    assert status == 2
    assert err == _refusal(grades)
    assert grades.read_text() == "name,grade\nada,A\n"


def test_check_replaceable_api_accepts_force(tmp_path):
    output = tmp_path / "notes.tex"
    output.write_text("mine")
    check_replaceable(output, force=True)
    assert output.read_text() == "mine"


def test_check_replaceable_api_message(tmp_path):
    output = tmp_path / "notes.tex"
    output.write_text("mine")
    with pytest.raises(DerivationError) as raised:
        check_replaceable(output)
    assert str(raised.value) == _refusal(output).removeprefix(
        "derivation: error: "
    ).removesuffix("\n")


# --- interrupts ----------------------------------------------------------------


def _interrupt_at_step(
    monkeypatch, module, name: str, position: int, stop: int
) -> None:
    """Make ``module.name`` raise KeyboardInterrupt when it takes step ``stop``.

    ``position`` is the index of the step number among its arguments.
    """
    original = getattr(module, name)

    def interrupted(*arguments, **keywords):
        number = keywords.get("number", arguments[position])
        if number == stop:
            raise KeyboardInterrupt
        return original(*arguments, **keywords)

    monkeypatch.setattr(module, name, interrupted)


def _spec_file(tmp_path: Path, steps: int) -> Path:
    spec = tmp_path / "net.toml"
    spec.write_text(BASE.replace("steps = 1", f"steps = {steps}"))
    return spec


def test_interrupt_names_training_step(capsys, tmp_path, monkeypatch):
    _interrupt_at_step(monkeypatch, engine, "gradient_step", 5, 3)
    spec = _spec_file(tmp_path, 5)
    output = tmp_path / "solution.tex"
    status, out, err = _run(capsys, "solve", str(spec), "-o", str(output))
    assert status == 130
    assert out == ""
    assert err == (
        f"derivation: interrupted during training, in step 3 of 5; {output} "
        "was not written\n"
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["net.toml"]


def test_interrupt_keeps_previous_output(capsys, tmp_path, monkeypatch):
    spec = _spec_file(tmp_path, 5)
    output = tmp_path / "solution.tex"
    _run(capsys, "solve", str(spec), "-o", str(output))
    before = output.read_text()
    _interrupt_at_step(monkeypatch, engine, "gradient_step", 5, 4)
    status, _, _ = _run(capsys, "solve", str(spec), "-o", str(output))
    assert status == 130
    assert output.read_text() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "net.toml",
        "solution.tex",
    ]


def test_interrupt_names_float_step(capsys, tmp_path, monkeypatch):
    _interrupt_at_step(monkeypatch, float_engine, "float_gradient_step", 6, 2)
    spec = _spec_file(tmp_path, 3)
    status, _, err = _run(capsys, "solve", str(spec), "--float")
    assert status == 130
    assert err == "derivation: interrupted during float64 training, in step 2 of 3\n"


def test_interrupt_while_rendering(capsys, tmp_path, monkeypatch):
    from derivation.render import latex

    def interrupted(block):
        raise KeyboardInterrupt

    monkeypatch.setattr(latex, "latex_block", interrupted)
    output = tmp_path / "solution.tex"
    status, _, err = _run(capsys, "solve", "--example", "relu-2-2-1", "-o", str(output))
    assert status == 130
    assert err == (
        "derivation: interrupted while writing out the solution, after training; "
        f"{output} was not written\n"
    )
    assert not output.exists()


def test_interrupt_while_writing_leaves_no_part(capsys, tmp_path, monkeypatch):
    output = tmp_path / "solution.tex"
    _run(capsys, "solve", "--example", "relu-2-2-1", "-o", str(output))
    before = output.read_text()

    def interrupted(source, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    status, _, err = _run(
        capsys, "solve", "--example", "relu-1-2-2-1", "-o", str(output)
    )
    assert status == 130
    assert err == (
        f"derivation: interrupted while writing {output}, which is either "
        "unchanged or complete\n"
    )
    assert output.read_text() == before
    assert [path.name for path in tmp_path.iterdir()] == ["solution.tex"]


def _restore_sigint() -> None:
    # A shell that starts a job in the background ignores SIGINT for it; the
    # child must get the default so that Python raises KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _long_run(spec: Path, output: Path) -> subprocess.Popen:
    """Start training a spec for ten million steps in a child process."""
    text = BASE.replace("steps = 1", "steps = 10000000")
    rounding = 'rounding = { mode = "decimals", digits = 4 }'
    spec.write_text(text.replace("[training]", f"[training]\n{rounding}"))
    command = [sys.executable, "-m", "derivation", "solve", str(spec)]
    command += ["--format", "json", "-o", str(output)]
    command += ["--limit", "steps=10000000", "--limit", "values=1000000000"]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_restore_sigint,
    )


def test_ctrl_c_stops_long_run(tmp_path):
    output = tmp_path / "solution.json"
    process = _long_run(tmp_path / "long.toml", output)
    try:
        # Long enough to import SymPy and start training on a slow machine.
        time.sleep(4)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 130
    assert out == ""
    assert err.startswith("derivation: interrupted during training, in step ")
    assert err.endswith(f" of 10000000; {output} was not written\n")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["long.toml"]


def test_interrupt_while_writing_csv_names_it(capsys, tmp_path, monkeypatch):
    spec, answers = _answers(tmp_path)
    grades = tmp_path / "grades.csv"

    def interrupted(source, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    status, _, err = _run(
        capsys, "check", str(spec), str(answers), "--csv", str(grades)
    )
    assert status == 130
    assert err == (
        f"derivation: interrupted while writing {grades}, which is either "
        "unchanged or complete\n"
    )
    assert not grades.exists()


def test_unreadable_file_is_kept(tmp_path, monkeypatch):
    from derivation import files

    output = tmp_path / "notes.tex"
    output.write_text("my own notes\n")

    def denied(*arguments, **keywords):
        raise PermissionError(13, "Permission denied")

    # Tests may run as root, which reads any file, so the denial is simulated.
    monkeypatch.setattr(files, "open", denied, raising=False)
    with pytest.raises(DerivationError) as raised:
        check_replaceable(output)
    assert str(raised.value) == (
        f"cannot read {output} to check that derivation wrote it "
        "(Permission denied); pass --force to replace it"
    )
