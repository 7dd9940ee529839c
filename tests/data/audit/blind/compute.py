"""Compute the exact values behind the blind audit documents and their keys.

This script is independent of the ``derivation`` package on purpose: it reads
the specs with ``tomllib`` (decimals parsed straight into ``Fraction``), trains
with plain ``fractions.Fraction`` arithmetic and prints every value a hand
solution writes. It also replays the slips of each document, so the values
that a document writes after a slip can be checked as consistent with it, and
it checks the ``right`` field of every key against the exact trace.

Run it from any directory::

    python tests/data/audit/blind/compute.py            # check the keys
    python tests/data/audit/blind/compute.py --print    # also print traces
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent

Matrix = list[list[Fraction]]
# A hook receives (step, layer, field, value, record) after each value is
# computed, with step and layer counted from 1 and record holding the layer's
# values so far, and returns the value that training goes on with. The slips
# of a document are written as hooks. The loss comes as layer 0, field "L".
Hook = Callable[[int, int, str, Matrix, dict], Matrix]

FIELDS = ("z", "a", "da", "slope", "dz", "dW", "db", "da_prev", "W_after", "b_after")


# ---------------------------------------------------------------- specs


def _exact(value: object) -> Fraction:
    if isinstance(value, bool):
        raise TypeError(f"not a number: {value!r}")
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    if isinstance(value, str):
        return Fraction(value)
    raise TypeError(f"not a number: {value!r}")


def load_spec(name: str) -> dict:
    """Read a spec from this folder with every number as an exact Fraction."""
    with open(HERE / name, "rb") as handle:
        raw = tomllib.load(handle, parse_float=Fraction)
    layers = []
    for layer in raw["layer"]:
        layers.append(
            {
                "activation": layer["activation"],
                "W": [[_exact(v) for v in row] for row in layer["weights"]],
                "b": [[_exact(v)] for v in layer["biases"]],
            }
        )
    training = raw["training"]
    return {
        "layers": layers,
        "x": [[_exact(v)] for v in raw["data"]["x"]],
        "y": [[_exact(v)] for v in raw["data"]["y"]],
        "eta": _exact(training["learning_rate"]),
        "steps": int(training["steps"]),
        "relu0": _exact(raw["network"].get("relu_derivative_at_zero", 0)),
    }


# ---------------------------------------------------------------- matrices


def matmul(left: Matrix, right: Matrix) -> Matrix:
    if len(left[0]) != len(right):
        raise ValueError("shapes do not match")
    return [
        [
            sum((left[i][k] * right[k][j] for k in range(len(right))), Fraction(0))
            for j in range(len(right[0]))
        ]
        for i in range(len(left))
    ]


def transpose(m: Matrix) -> Matrix:
    return [list(column) for column in zip(*m)]


def elementwise(f: Callable, *ms: Matrix) -> Matrix:
    return [[f(*values) for values in zip(*rows)] for rows in zip(*ms)]


# ---------------------------------------------------------------- training


def relu_slope(z: Fraction, at_zero: Fraction) -> Fraction:
    """Return ReLU'(z), with ``at_zero`` as the slope at exactly 0."""
    if z > 0:
        return Fraction(1)
    if z == 0:
        return at_zero
    return Fraction(0)


def train(
    spec: dict, hook: Hook | None = None, relu0: Fraction | None = None
) -> list[dict]:
    """Train exactly and return, per step, the loss and every layer's values.

    ``relu0`` overrides the spec's ReLU'(0), to replay a convention slip.
    """
    hook = hook or (lambda step, layer, field, value, record: value)
    relu0 = spec["relu0"] if relu0 is None else relu0
    eta = spec["eta"]
    params = [{"W": layer["W"], "b": layer["b"]} for layer in spec["layers"]]
    steps = []
    for step in range(1, spec["steps"] + 1):
        record = {"layers": [dict(W=p["W"], b=p["b"]) for p in params]}
        a = spec["x"]
        for number, (layer, rec) in enumerate(
            zip(spec["layers"], record["layers"]), start=1
        ):
            rec["a_prev"] = a
            z = elementwise(lambda u, v: u + v, matmul(rec["W"], a), rec["b"])
            rec["z"] = z = hook(step, number, "z", z, rec)
            if layer["activation"] == "relu":
                a = elementwise(lambda v: max(v, Fraction(0)), z)
            else:
                a = z
            rec["a"] = a = hook(step, number, "a", a, rec)
        output = a
        loss = (
            sum(((o[0] - t[0]) ** 2 for o, t in zip(output, spec["y"])), Fraction(0))
            / 2
        )
        record["L"] = hook(step, 0, "L", [[loss]], record)[0][0]
        da = elementwise(lambda o, t: o - t, output, spec["y"])
        for number in range(len(params), 0, -1):
            layer, rec = spec["layers"][number - 1], record["layers"][number - 1]
            rec["da"] = da = hook(step, number, "da", da, rec)
            if layer["activation"] == "relu":
                slope = elementwise(lambda v: relu_slope(v, relu0), rec["z"])
            else:
                slope = [[Fraction(1)] for _ in rec["z"]]
            rec["slope"] = slope = hook(step, number, "slope", slope, rec)
            dz = elementwise(lambda u, v: u * v, da, slope)
            rec["dz"] = dz = hook(step, number, "dz", dz, rec)
            rec["dW"] = hook(
                step, number, "dW", matmul(dz, transpose(rec["a_prev"])), rec
            )
            rec["db"] = hook(step, number, "db", dz, rec)
            da_prev = matmul(transpose(rec["W"]), dz)
            rec["da_prev"] = da = hook(step, number, "da_prev", da_prev, rec)
        for number, rec in enumerate(record["layers"], start=1):
            W_after = elementwise(lambda w, g: w - eta * g, rec["W"], rec["dW"])
            b_after = elementwise(lambda w, g: w - eta * g, rec["b"], rec["db"])
            rec["W_after"] = hook(step, number, "W_after", W_after, rec)
            rec["b_after"] = hook(step, number, "b_after", b_after, rec)
            params[number - 1] = {"W": rec["W_after"], "b": rec["b_after"]}
        steps.append(record)
    return steps


# ---------------------------------------------------------------- rounding


def round_half_away(value: Fraction, places: int) -> Fraction:
    """Round to ``places`` decimals, halves away from zero, and reject ties."""
    scaled = abs(value) * 10**places
    whole, rest = divmod(scaled, 1)
    if rest == Fraction(1, 2):
        raise ValueError(f"{value} is a tie at {places} decimals")
    whole = int(whole) + (1 if rest > Fraction(1, 2) else 0)
    sign = -1 if value < 0 else 1
    return Fraction(sign * whole, 10**places)


def rounding_hook(places: int) -> Hook:
    """Round every written value, so later values follow from rounded ones."""

    def hook(step, layer, field, value, record):
        return [[round_half_away(v, places) for v in row] for row in value]

    return hook


# ---------------------------------------------------------------- text


def decimal(value: Fraction) -> str:
    """Write a Fraction as an exact decimal, or as p/q if it does not end."""
    denominator = value.denominator
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    digits = str(abs(value.numerator) * 10**places // value.denominator)
    digits = digits.rjust(places + 1, "0")
    text = digits[: len(digits) - places] + ("." + digits[-places:] if places else "")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return ("-" if value < 0 else "") + text


def flat(m: Matrix) -> str:
    return ", ".join(decimal(v) for row in m for v in row)


def print_trace(title: str, steps: list[dict]) -> None:
    print(f"== {title}")
    for number, record in enumerate(steps, start=1):
        print(f"  step {number}: L = {decimal(record['L'])}")
        for index, rec in enumerate(record["layers"], start=1):
            for field in ("W", "b", "a_prev") + FIELDS:
                print(f"    layer {index} {field:8} {flat(rec[field])}")


# ---------------------------------------------------------------- slips


def chain(*hooks: Hook) -> Hook:
    """Apply hooks one after the other."""

    def hook(step, layer, field, value, record):
        for each in hooks:
            value = each(step, layer, field, value, record)
        return value

    return hook


def at(
    step: int, layer: int, field: str, change: Callable[[Matrix, dict], Matrix]
) -> Hook:
    """Change one value, ``change(value, record)``, and leave the rest alone."""

    def hook(at_step, at_layer, at_field, value, record):
        if (at_step, at_layer, at_field) == (step, layer, field):
            return change(value, record)
        return value

    return hook


def truncate(places: int) -> Callable[[Matrix, dict], Matrix]:
    """Cut every entry to ``places`` decimals, the usual wrong rounding."""

    def change(value, record):
        scale = 10**places
        return [[Fraction(int(v * scale), scale) for v in row] for row in value]

    return change


def update_with(eta: Fraction) -> Callable[[Matrix, dict], Matrix]:
    """Redo a weight update with another learning rate."""

    def change(value, record):
        return elementwise(lambda w, g: w - eta * g, record["W"], record["dW"])

    return change


def back_through(weights: Matrix) -> Callable[[Matrix, dict], Matrix]:
    """Redo dL/da_prev = W^T dz with other weights, such as an older step's."""

    def change(value, record):
        return matmul(transpose(weights), record["dz"])

    return change


def fixed(matrix: list[list[str]]) -> Callable[[Matrix, dict], Matrix]:
    """Replace a value by a written one that no computation gives."""

    def change(value, record):
        return [[Fraction(v) for v in row] for row in matrix]

    return change


def negated(value: Matrix, record: dict) -> Matrix:
    return [[-v for v in row] for row in value]


def replay(name: str) -> list[dict]:
    """Train the spec of document ``name`` with the document's slips."""
    document = DOCUMENTS[name]
    spec = load_spec(document["spec"])
    return train(spec, hook=document.get("slips"), relu0=document.get("relu0"))


# Each document has its spec, its slips (as hooks and overrides), the values it
# writes (checked against the replay) and its findings. A finding gives the
# line, a text that must be on that line and where the right value is in the
# exact trace. The flag "value right" marks a slip that the replay cannot show.
# Layers are counted from 1 here even where a document counts from 0.
# A written value is keyed "field@layer" in step 1 or "step/field@layer".
DOCUMENTS: dict[str, dict] = {
    "correct-exact.md": {
        "spec": "relu-2-3-1.toml",
        "written": {
            "z@1": "0.5, 1, -0.5",
            "a@1": "0.5, 1, 0",
            "z@2": "0.25",
            "a@2": "0.25",
            "L": "0.28125",
            "dz@2": "-0.75",
            "dW@2": "-0.375, -0.75, 0",
            "db@2": "-0.75",
            "da@1": "-0.75, 0.375, -1.5",
            "slope@1": "1, 1, 0",
            "dz@1": "-0.75, 0.375, 0",
            "dW@1": "-0.75, -1.5, 0.375, 0.75, 0, 0",
            "db@1": "-0.75, 0.375, 0",
            "W_after@2": "1.0375, -0.425, 2",
            "b_after@2": "0.325",
            "W_after@1": "0.575, -0.1, 0.9625, 0.425, -1, 0.25",
            "b_after@1": "0.575, -1.0375, 0",
        },
        "findings": [],
    },
    "correct-rounded.tex": {
        "spec": "relu-2-2-2.toml",
        "slips": rounding_hook(4),
        "written": {
            "z@1": "1.856, 0.374",
            "a@1": "1.856, 0.374",
            "z@2": "0.8648, 0.634",
            "a@2": "0.8648, 0.634",
            "L": "0.2101",
            "dz@2": "-0.1352, 0.634",
            "dW@2": "-0.2509, -0.0506, 1.1767, 0.2371",
            "db@2": "-0.1352, 0.634",
            "da@1": "0.3706, 0.0869",
            "dz@1": "0.3706, 0.0869",
            "dW@1": "-0.2224, 0.4447, -0.0521, 0.1043",
            "db@1": "0.3706, 0.0869",
            "W_after@2": "0.8951, -0.0749, 0.6523, 0.0963",
            "b_after@2": "-0.7065, -0.9034",
            "W_after@1": "-0.6178, 0.5655, -0.3448, 0.8596",
            "b_after@1": "0.7029, -0.8887",
        },
        "findings": [],
    },
    "transpose-summary.md": {
        "spec": "relu-3-2-1.toml",
        "written": {
            "z@1": "0.75, 0.5",
            "a@1": "0.75, 0.5",
            "z@2": "0.625",
            "L": "0.3828125",
            "dz@2": "-0.875",
            "dW@2": "-0.65625, -0.4375",
            "db@2": "-0.875",
            "da@1": "-1.3125, 1.75",
            "dz@1": "-1.3125, 1.75",
            "dW@1": "-2.625, 1.3125, -1.3125, 3.5, -1.75, 1.75",
            "db@1": "-1.3125, 1.75",
            "W_after@2": "1.565625, -1.95625",
            "b_after@2": "0.5875",
            "W_after@1": "0.7625, 0.11875, -0.36875, -1.35, 0.675, 0.575",
            "b_after@1": "0.63125, 2.075",
        },
        "findings": [
            # The written result is right but the product is undefined.
            (27, r"W^{[1]} \, dL/dz^{[1]}", "da@1", "value right"),
            # The summary table is not part of the replay.
            (
                49,
                r"\begin{bmatrix} 0.63125 \\ 2.25 \end{bmatrix}",
                "b_after@1",
                "value right",
            ),
        ],
    },
    "learning-rate-digit.tex": {
        "spec": "relu-3-2-1.toml",
        "slips": chain(
            at(1, 2, "W_after", update_with(Fraction(1, 100))),
            at(
                1,
                1,
                "b_after",
                lambda value, record: [[value[0][0] + Fraction(3, 10**5)], value[1]],
            ),
        ),
        "written": {
            "z@1": "0.75, 0.5",
            "a@1": "0.75, 0.5",
            "z@2": "0.625",
            "L": "0.3828125",
            "dz@2": "-0.875",
            "dW@2": "-0.65625, -0.4375",
            "db@2": "-0.875",
            "da@1": "-1.3125, 1.75",
            "dz@1": "-1.3125, 1.75",
            "dW@1": "-2.625, 1.3125, -1.3125, 3.5, -1.75, 1.75",
            "db@1": "-1.3125, 1.75",
            "W_after@2": "1.5065625, -1.995625",
            "b_after@2": "0.5875",
            "W_after@1": "0.7625, 0.11875, -0.36875, -1.35, 0.675, 0.575",
            "b_after@1": "0.63128, 2.075",
        },
        "findings": [
            (39, r"- 0.01 \cdot", "W_after@2"),
            (45, r"0.63128", "b_after@1"),
        ],
    },
    "relu-convention.md": {
        "spec": "relu-1-2-1-kink.toml",
        "relu0": Fraction(1),
        "slips": at(1, 2, "W_after", fixed([["0.65", "0.7"]])),
        "written": {
            "z@1": "2.5, 0",
            "a@1": "2.5, 0",
            "z@2": "1",
            "a@2": "1",
            "L": "0.5",
            "dz@2": "-1",
            "dW@2": "-2.5, 0",
            "db@2": "-1",
            "da@1": "-0.4, -0.6",
            "slope@1": "1, 1",
            "dz@1": "-0.4, -0.6",
            "dW@1": "-0.8, -1.2",
            "db@1": "-0.4, -0.6",
            "W_after@1": "1.08, -0.38",
            "b_after@1": "0.54, 1.06",
            "W_after@2": "0.65, 0.7",
            "b_after@2": "0.1",
        },
        "findings": [
            (30, r"\begin{bmatrix} 1 \\ 1 \end{bmatrix}", "dz@1"),
            (42, r"W^{(2)} \leftarrow \begin{bmatrix} 0.65 & 0.7", "W_after@2"),
        ],
    },
    "two-steps.tex": {
        "spec": "relu-1-2-1-two-steps.toml",
        "slips": chain(
            at(2, 2, "da_prev", back_through([[Fraction(1, 2), Fraction(1)]])),
            at(2, 2, "W_after", truncate(3)),
        ),
        "written": {
            "z@1": "1, 0.25",
            "a@1": "1, 0.25",
            "z@2": "0.75",
            "a@2": "0.75",
            "L": "0.03125",
            "dz@2": "-0.25",
            "dW@2": "-0.25, -0.0625",
            "db@2": "-0.25",
            "da@1": "-0.125, -0.25",
            "dz@1": "-0.125, -0.25",
            "dW@1": "-0.125, -0.25",
            "db@1": "-0.125, -0.25",
            "W_after@2": "0.625, 1.03125",
            "b_after@2": "0.125",
            "W_after@1": "1.0625, 0.625",
            "b_after@1": "0.0625, -0.125",
            "2/z@1": "1.125, 0.5",
            "2/a@1": "1.125, 0.5",
            "2/z@2": "1.34375",
            "2/L": "0.05908203125",
            "2/dz@2": "0.34375",
            "2/dW@2": "0.38671875, 0.171875",
            "2/db@2": "0.34375",
            "2/da@1": "0.171875, 0.34375",
            "2/dz@1": "0.171875, 0.34375",
            "2/dW@1": "0.171875, 0.34375",
            "2/db@1": "0.171875, 0.34375",
            "2/W_after@2": "0.431, 0.945",
            "2/b_after@2": "-0.046875",
            "2/W_after@1": "0.9765625, 0.453125",
            "2/b_after@1": "-0.0234375, -0.296875",
        },
        "findings": [
            (59, r"\begin{bmatrix} 0.5 \\ 1 \end{bmatrix} \cdot 0.34375", "2/da@1"),
            (67, r"\begin{bmatrix} 0.431 & 0.945 \end{bmatrix}", "2/W_after@2"),
        ],
    },
    "sign-carried.md": {
        "spec": "relu-2-3-1.toml",
        "slips": chain(
            at(1, 0, "L", fixed([["0.3125"]])),
            at(1, 2, "da", negated),
        ),
        "written": {
            "z@1": "0.5, 1, -0.5",
            "a@1": "0.5, 1, 0",
            "z@2": "0.25",
            "a@2": "0.25",
            "L": "0.3125",
            "dz@2": "0.75",
            "dW@2": "0.375, 0.75, 0",
            "db@2": "0.75",
            "da@1": "0.75, -0.375, 1.5",
            "slope@1": "1, 1, 0",
            "dz@1": "0.75, -0.375, 0",
            "dW@1": "0.75, 1.5, -0.375, -0.75, 0, 0",
            "db@1": "0.75, -0.375, 0",
            "W_after@2": "0.9625, -0.575, 2",
            "b_after@2": "0.175",
            "W_after@1": "0.425, -0.4, 1.0375, 0.575, -1, 0.25",
            "b_after@1": "0.425, -0.9625, 0",
        },
        "findings": [
            (19, r"\frac{1}{2} \cdot 0.625 = 0.3125", "L"),
            (23, r"0.25 - 1 = 0.75", "dz@2"),
        ],
    },
    "correct-kink-slope-one.tex": {
        "spec": "relu-1-2-1-kink-slope-one.toml",
        "written": {
            "z@1": "2.5, 0",
            "a@1": "2.5, 0",
            "z@2": "1",
            "a@2": "1",
            "L": "0.5",
            "dz@2": "-1",
            "dW@2": "-2.5, 0",
            "db@2": "-1",
            "da@1": "-0.4, -0.6",
            "slope@1": "1, 1",
            "dz@1": "-0.4, -0.6",
            "dW@1": "-0.8, -1.2",
            "db@1": "-0.4, -0.6",
            "W_after@2": "0.65, 0.6",
            "b_after@2": "0.1",
            "W_after@1": "1.08, -0.38",
            "b_after@1": "0.54, 1.06",
        },
        "findings": [],
    },
}


def lookup(steps: list[dict], key: str) -> Matrix:
    """Find a value by its "step/field@layer" key."""
    step = 1
    if "/" in key:
        head, key = key.split("/")
        step = int(head)
    record = steps[step - 1]
    if key == "L":
        return [[record["L"]]]
    field, layer = key.split("@")
    return record["layers"][int(layer) - 1][field]


def same(matrix: Matrix, text: str) -> bool:
    written = [Fraction(part.strip()) for part in text.split(",")]
    return [v for row in matrix for v in row] == written


# ---------------------------------------------------------------- checks


def check_written(name: str) -> list[str]:
    """Compare every value the document writes with the replay of its slips."""
    problems = []
    slipped = replay(name)
    for key, text in DOCUMENTS[name]["written"].items():
        value = lookup(slipped, key)
        if not same(value, text):
            problems.append(
                f"{name}: {key} is written {text}, replay gives {flat(value)}"
            )
    return problems


def check_key(name: str) -> list[str]:
    """Compare the document's key file with its slips and the exact trace."""
    document = DOCUMENTS[name]
    with open(HERE / Path(name).with_suffix(".key.toml"), "rb") as handle:
        key_file = tomllib.load(handle)
    problems = []
    if key_file["spec"] != document["spec"]:
        problems.append(f"{name}: key names spec {key_file['spec']}")
    findings = key_file.get("finding", [])
    if len(findings) != len(document["findings"]):
        problems.append(
            f"{name}: key has {len(findings)} findings, "
            f"expected {len(document['findings'])}"
        )

    true = train(load_spec(document["spec"]))
    slipped = replay(name)
    lines = (HERE / name).read_text().splitlines()
    for finding, (line, marker, where, *flags) in zip(findings, document["findings"]):
        if finding["line"] != line:
            problems.append(f"{name}: key line {finding['line']}, expected {line}")
        if marker not in lines[line - 1]:
            problems.append(f"{name}: line {line} lacks {marker!r}")
        if not same(lookup(true, where), finding["right"]):
            problems.append(
                f"{name}: line {line} right = {finding['right']}, "
                f"exact trace gives {flat(lookup(true, where))}"
            )
        shows_slip = not same(lookup(slipped, where), finding["right"])
        if "value right" not in flags and not shows_slip:
            problems.append(f"{name}: line {line} replay shows no slip")
    return problems


def rounding_report() -> None:
    """Print where the 4-decimal chain differs from the rounded exact values."""
    spec = load_spec(DOCUMENTS["correct-rounded.tex"]["spec"])
    true, rounded = train(spec), replay("correct-rounded.tex")
    for key in DOCUMENTS["correct-rounded.tex"]["written"]:
        exact = lookup(true, key)
        chained = lookup(rounded, key)
        for e, c in zip(
            (v for row in exact for v in row), (v for row in chained for v in row)
        ):
            if round_half_away(e, 4) != c:
                print(
                    f"  {key}: exact {decimal(e)} rounds to "
                    f"{decimal(round_half_away(e, 4))}, chain writes {decimal(c)}"
                )


def main(argv: list[str]) -> int:
    if "--print" in argv:
        for name in sorted({d["spec"] for d in DOCUMENTS.values()}):
            print_trace(name, train(load_spec(name)))
        for name in DOCUMENTS:
            if "slips" in DOCUMENTS[name] or "relu0" in DOCUMENTS[name]:
                print_trace(f"{name} as written (slips replayed)", replay(name))
    print("rounded chain of correct-rounded.tex, where it differs:")
    rounding_report()
    problems = []
    for name in DOCUMENTS:
        problems += check_written(name)
        problems += check_key(name)
    for problem in problems:
        print("PROBLEM", problem)
    print(f"{len(DOCUMENTS)} documents checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
