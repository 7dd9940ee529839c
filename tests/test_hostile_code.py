"""No text from a spec, an answer file or an argument is ever run as code.

Classic injection payloads go in as numbers, names, keys and titles. Each
must be rejected with a message that shows it as a string, or, for a title,
be printed literally. An audit hook records every ``compile`` of source
text and every process started while a payload is handled: none may occur.
A last test searches the package source for the functions that evaluate
text.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from derivation import cli
from derivation.activations import ACTIVATION_NAMES, get_activation
from derivation.answers import AnswerFileError, parse_answers
from derivation.engine import train
from derivation.errors import DerivationError, NumberError, SpecError
from derivation.losses import LOSS_NAMES, get_loss
from derivation.network import Layer, Network
from derivation.numbers import parse_number, to_exact
from derivation.render.json import render_json
from derivation.spec import parse_spec

PACKAGE = Path(__file__).resolve().parents[1] / "derivation"
BASE = (Path(__file__).parent / "data" / "hostile" / "base.toml").read_text()
NUMBER_FORMS = 'a number (integer, decimal, fraction such as "-3/8", or 2.5e-3)'

# Each payload touches MARKER if it ever runs; the fixture below replaces
# MARKER with a path in the test's temporary folder.
PAYLOADS = [
    "__import__('os').system('touch MARKER')",
    "lambda: __import__('os').system('touch MARKER')",
    "(lambda: open('MARKER', 'w'))()",
    "().__class__.__base__.__subclasses__()",
    "x.__class__.__mro__[1].__subclasses__()",
    "__builtins__.__import__('os').system('touch MARKER')",
    "__import__",
    "eval(\"__import__('os').system('touch MARKER')\")",
    "exec(\"import os; os.system('touch MARKER')\")",
    "compile('1', 'x', 'eval')",
    "globals()['__builtins__']",
    "open('MARKER', 'w').write('x')",
    "{0.__class__.__init__.__globals__}",
    "{x!r:>{width}}",
    "%(x)s %s %n",
    "${7*7}",
    "{{7*7}}",
    "Rational(1, 3)",
    "sympy.Rational(1, 3)",
    "Symbol('x') + 1",
    "S('1/3')",
    "1 + 1",
    "2**10",
    "10**1000000",
    "oo",
    "zoo",
    "pi",
    "E",
    "I",
    "Infinity",
]

# Audit events that show text being compiled or a process being started.
_WATCHED = ("compile", "exec", "os.system", "os.exec", "os.posix_spawn", "os.spawn")
_WATCHED += ("subprocess.Popen", "os.fork", "ctypes.dlopen")
_recording: list[tuple[str, str]] | None = None


def _audit(event: str, arguments: tuple) -> None:
    if _recording is None or event not in _WATCHED:
        return
    if event == "compile":
        source, filename = arguments[0], arguments[1]
        if isinstance(source, bytes):
            source = source.decode("utf-8", "replace")
        # pytest compiles test files to show failures; eval, exec and
        # sympify compile text under the name "<string>".
        if filename == "<string>":
            _recording.append((event, str(source)[:200]))
    elif event == "exec":
        code = arguments[0]
        # Importing a module runs its code from a file; text run by eval or
        # exec comes from "<string>".
        if getattr(code, "co_filename", "") == "<string>":
            _recording.append((event, repr(code)))
    else:
        _recording.append((event, repr(arguments)[:200]))


sys.addaudithook(_audit)


@contextmanager
def _audit_events() -> Iterator[list[tuple[str, str]]]:
    """Collect the watched audit events raised inside the block."""
    global _recording
    events: list[tuple[str, str]] = []
    _recording = events
    try:
        yield events
    finally:
        _recording = None


@pytest.fixture
def payload_marker(tmp_path) -> Iterator[Path]:
    """Watch a test that handles payloads: nothing may be compiled or started.

    Yields the path that the payloads would create if they ran.
    """
    marker = tmp_path / "payload-ran"
    with _audit_events() as events:
        yield marker
    assert not marker.exists()
    assert events == []


def _armed(payload: str, marker: Path) -> str:
    return payload.replace("MARKER", str(marker))


def _shown(text: str) -> str:
    """Describe a string as error messages do: its repr, cut at 40 characters."""
    cut = text if len(text) <= 40 else text[:40] + "..."
    return repr(cut)


def _toml_string(text: str) -> str:
    return json.dumps(text)


def _spec_with(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new, 1)


def _spec_error(text: str) -> str:
    with pytest.raises(SpecError) as raised:
        parse_spec(text, source="net.toml")
    return str(raised.value)


# --- spec files --------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_spec_number_payload_is_rejected(payload, payload_marker):
    armed = _armed(payload, payload_marker)
    message = _spec_error(_spec_with("x = [1, 2]", f"x = [{_toml_string(armed)}, 2]"))
    assert message == (
        f"net.toml: data: x: entry 1: expected {NUMBER_FORMS}, "
        f"found the string {_shown(armed)}"
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_spec_learning_rate_payload_is_rejected(payload, payload_marker):
    armed = _armed(payload, payload_marker)
    text = _spec_with("learning_rate = 0.1", f"learning_rate = {_toml_string(armed)}")
    message = _spec_error(text)
    assert message == (
        f"net.toml: training: learning_rate: expected {NUMBER_FORMS}, "
        f"found the string {_shown(armed)}"
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_spec_activation_payload_is_rejected(payload, payload_marker):
    armed = _armed(payload, payload_marker)
    text = _spec_with('activation = "relu"', f"activation = {_toml_string(armed)}")
    message = _spec_error(text)
    assert message == (
        f"net.toml: layer 1: activation: expected one of "
        f"{', '.join(ACTIVATION_NAMES)}, found the string {_shown(armed)}"
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_spec_loss_payload_is_rejected(payload, payload_marker):
    armed = _armed(payload, payload_marker)
    text = _spec_with('loss = "half_squared_error"', f"loss = {_toml_string(armed)}")
    message = _spec_error(text)
    assert message == (
        f"net.toml: training: loss: expected one of {', '.join(LOSS_NAMES)}, "
        f"found the string {_shown(armed)}"
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_spec_key_payload_is_rejected(payload, payload_marker):
    armed = _armed(payload, payload_marker)
    text = _spec_with("[data]\n", f"[data]\n{_toml_string(armed)} = 1\n")
    message = _spec_error(text)
    assert message == (
        f"net.toml: data: {armed}: expected a known key (x, y), "
        f"found the unknown key {armed!r}"
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_spec_notation_payload_is_rejected(payload, payload_marker):
    armed = _armed(payload, payload_marker)
    text = BASE + f"\n[notation]\ncase = {_toml_string(armed)}\n"
    with pytest.raises(DerivationError) as raised:
        parse_spec(text, source="net.toml")
    assert str(raised.value) == (
        f"net.toml: notation: case: expected one of lower, upper, found {_shown(armed)}"
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_spec_title_payload_is_kept_literally(payload, payload_marker):
    armed = _armed(payload, payload_marker)
    text = f"title = {_toml_string(armed)}\n" + BASE
    spec = parse_spec(text, source="net.toml")
    assert spec.title == armed


# --- answer files ------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_answer_value_payload_is_rejected(payload, payload_marker):
    armed = _armed(payload, payload_marker)
    text = f"[step.1.layer.1]\nz = [{_toml_string(armed)}, 1]\n"
    with pytest.raises(AnswerFileError) as raised:
        parse_answers(text, source="answers.toml")
    assert str(raised.value) == (
        f"answers.toml: step 1: layer 1: z: entry 1: expected {NUMBER_FORMS}, "
        f"found the string {_shown(armed)}"
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_answer_name_payload_is_rejected(payload, payload_marker):
    armed = _armed(payload, payload_marker)
    text = f"[step.1.layer.1]\n{_toml_string(armed)} = [1, 1]\n"
    with pytest.raises(AnswerFileError) as raised:
        parse_answers(text, source="answers.toml")
    message = str(raised.value)
    assert message.startswith(f"answers.toml: step 1: layer 1: {armed}: expected ")
    assert message.endswith(f"found the unknown key {armed!r}")


# --- the Python API ----------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_parse_number_payload_is_rejected(payload, payload_marker):
    armed = _armed(payload, payload_marker)
    with pytest.raises(NumberError) as raised:
        parse_number(armed)
    assert str(raised.value) == (
        f"{_shown(armed)} is not a number; write an integer, a decimal (0.5), "
        "a fraction (-3/8) or scientific notation (2.5e-3)"
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_to_exact_payload_is_rejected(payload, payload_marker):
    with pytest.raises(NumberError):
        to_exact(_armed(payload, payload_marker))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_layer_payload_weight_is_rejected(payload, payload_marker):
    with pytest.raises(NumberError):
        Layer([[_armed(payload, payload_marker)]], [0])


@pytest.mark.parametrize("payload", PAYLOADS)
def test_train_payload_learning_rate_is_rejected(payload, payload_marker):
    network = Network([Layer([[1]], [0])])
    with pytest.raises(NumberError):
        train(network, [1], [1], learning_rate=_armed(payload, payload_marker))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_train_payload_input_is_rejected(payload, payload_marker):
    network = Network([Layer([[1]], [0])])
    with pytest.raises(NumberError):
        train(network, [_armed(payload, payload_marker)], [1], learning_rate=1)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_activation_name_payload_is_rejected(payload, payload_marker):
    armed = _armed(payload, payload_marker)
    with pytest.raises(DerivationError) as raised:
        get_activation(armed)
    assert str(raised.value) == (
        f"unknown activation {armed!r}; supported: {', '.join(ACTIVATION_NAMES)}"
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_loss_name_payload_is_rejected(payload, payload_marker):
    armed = _armed(payload, payload_marker)
    with pytest.raises(DerivationError) as raised:
        get_loss(armed)
    assert str(raised.value) == (
        f"unknown loss {armed!r}; supported: {', '.join(LOSS_NAMES)}"
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_json_title_payload_is_literal(payload, payload_marker):
    armed = _armed(payload, payload_marker)
    network = Network([Layer([[1]], [0])])
    trace = train(network, [1], [1], learning_rate=1)
    document = json.loads(render_json(trace, title=armed))
    assert document["title"] == armed


# --- the command line --------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS[:12])
def test_cli_limit_payload_is_rejected(payload, payload_marker, capsys):
    armed = _armed(payload, payload_marker)
    status = cli.main(["solve", "--example", "relu-2-2-1", "--limit", armed])
    error = capsys.readouterr().err
    assert status == 2
    assert error.startswith(f"derivation: error: --limit {armed}: expected ")


@pytest.mark.parametrize("payload", PAYLOADS[:12])
def test_cli_example_payload_is_rejected(payload, payload_marker, capsys):
    armed = _armed(payload, payload_marker)
    status = cli.main(["solve", "--example", armed])
    error = capsys.readouterr().err
    assert status == 2
    assert error.startswith(f"derivation: error: no bundled example named {armed!r}")


@pytest.mark.parametrize("payload", PAYLOADS[:12])
def test_cli_stdin_title_payload_is_literal(
    payload, payload_marker, capsys, monkeypatch
):
    import io

    armed = _armed(payload, payload_marker)
    spec = f"title = {_toml_string(armed)}\n" + BASE
    monkeypatch.setattr("sys.stdin", io.StringIO(spec))
    status = cli.main(["solve", "-", "--format", "json"])
    output = capsys.readouterr().out
    assert status == 0
    assert json.loads(output)["title"] == armed


def test_audit_hook_sees_eval():
    """The audit hook notices text that is run, so the checks above can fail."""
    with _audit_events() as events:
        eval("1 + 1")  # the point of this test
    assert [event for event, _ in events] == ["compile", "exec"]
    assert events[0] == ("compile", "1 + 1")


def test_audit_hook_sees_process_start():
    with _audit_events() as events:
        subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert [event for event, _ in events] == ["subprocess.Popen"]


# --- the package source ------------------------------------------------------

# Calls that evaluate text. Any use in the package must be listed below with
# the reason it is harmless; there are none at present.
_EVALUATING = re.compile(
    r"\b(eval|exec|sympify|parse_expr|compile)\s*\(|\bpickle\b|\bmarshal\b"
    r"|\bshelve\b|__import__|\bS\s*\(\s*['\"]"
)
_ALLOWED: dict[tuple[str, str], str] = {
    # (file relative to the package, the matched text): the reason.
}
_REGEX_COMPILE = re.compile(r"\bre\.compile\s*\(")


def _evaluating_uses() -> list[tuple[str, int, str]]:
    uses = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            code = _REGEX_COMPILE.sub("", line)
            for match in _EVALUATING.finditer(code):
                if (relative, match.group()) not in _ALLOWED:
                    uses.append((relative, number, line.strip()))
    return uses


def test_package_has_no_evaluating_calls():
    assert _evaluating_uses() == []


def test_source_scan_finds_eval(tmp_path, monkeypatch):
    """The scan itself works: a planted call is found."""
    planted = tmp_path / "derivation"
    planted.mkdir()
    (planted / "bad.py").write_text("value = eval(text)\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", planted)
    assert _evaluating_uses() == [("bad.py", 1, "value = eval(text)")]


# --- titles inside the answer template ---------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "Week 3\n[tolerance]\nabsolute = 1000",
        "Week 3\r\n[step.1]\r\nloss = 0.5",
        "Week 3\u2028[grading]\u2029points = 99",
        "Week 3\x00\x7f\x1b[31m",
    ],
)
def test_template_title_stays_a_comment(title, payload_marker):
    from derivation.answers import answer_template

    trace = train(Network([Layer([[2]], [0])]), [1], [3], learning_rate="1/2")
    text = answer_template(trace, title=title)
    sheet = parse_answers(text, source="answers.toml")
    assert text.splitlines()[0].startswith("# Answers for: Week 3 ")
    assert sheet.answers == ()
    assert sheet.tolerance == type(sheet.tolerance)()
