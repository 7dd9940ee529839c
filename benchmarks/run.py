"""Benchmarks of the exact engine against other ways to compute one SGD step.

Run from the repository root::

    python benchmarks/run.py            # widths 2 to 256, about a minute
    python benchmarks/run.py --quick    # widths 2, 8 and 32, well under a minute

Every section prints times and ratios side by side:

1. One gradient step of a dense ReLU network (widths w-w-w-1, one sample),
   computed by the engine (``derivation.engine.gradient_step``, which records
   every value and returns the updated network), by a naive ``sympy.Matrix``
   version of the same equations, by python-flint ``fmpq_mat`` alone (no
   SymPy values), and by NumPy in float64. Each repeats the step from the
   same starting values: raw python-flint converts them once before timing,
   and the engine converts its immutable inputs on the first call and keeps
   the conversion, as in steps 2 and later of ``train``.
2. The same engine step on new SymPy matrices every time, so that it
   converts them to python-flint, and the engine step followed by reading
   every recorded value, which builds each SymPy matrix that the engine
   defers.
3. The digits and the time of each of steps 1 to 8 on an 8-8-1 network (one
   hidden ReLU layer), exactly, without rounding or digit limit, each step
   timed inside ``train``. The deeper 8-8-8-1 network grows about 5-fold per
   step instead of 3-fold, which would make step 8 take minutes.
4. ``derivation solve`` on the bundled seed example, as JSON and as LaTeX,
   against ``python -c "import sympy"``, each a fresh process.
5. The LaTeX of the matrices of one step of the 32-wide network:
   ``derivation.render.tex.matrix`` against ``sympy.latex``, each called
   once on every recorded matrix. Then ``render_latex`` (the whole document)
   against ``sympy.latex`` on every matrix that the document shows.
6. 20 steps on the 8-8-1 network: exactly, which stops with a ``LimitError``
   at the default digit limit, and with 4 decimal places.

Times are the minimum over repeats, which is the least disturbed by other
work on the machine. Every repeat of a LaTeX measurement starts with a new
``NumberFormat``, so no repeat reuses the numbers written by another.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

import flint  # noqa: E402
import numpy  # noqa: E402
import sympy  # noqa: E402

import derivation.engine  # noqa: E402
from derivation.engine import gradient_step, train  # noqa: E402
from derivation.errors import LimitError  # noqa: E402
from derivation.growth import RoundingPolicy, decimal_digits  # noqa: E402
from derivation.losses import get_loss  # noqa: E402
from derivation.network import Layer, Network  # noqa: E402
from derivation.render import render_latex  # noqa: E402
from derivation.render.number_format import NumberFormat  # noqa: E402
from derivation.render.tex import matrix as latex_matrix  # noqa: E402

FULL_WIDTHS = (2, 8, 32, 64, 128, 256)
QUICK_WIDTHS = (2, 8, 32)
GROWTH_WIDTH = 8
GROWTH_STEPS = 8
LEARNING_RATE = sympy.Rational(1, 10)


@dataclasses.dataclass(frozen=True)
class Problem:
    """A dense network with one sample, as exact values."""

    weights: list[list[list[sympy.Rational]]]
    biases: list[list[sympy.Rational]]
    activations: list[str]
    x: list[sympy.Rational]
    y: list[sympy.Rational]


def make_problem(width: int, hidden: int = 2, seed: int = 2024) -> Problem:
    """Draw a w-w-...-1 ReLU network with ``hidden`` hidden layers and a sample.

    Weights, biases and inputs are two-place decimals in [-1, 1]; the target
    is 1/2 and the output layer is the identity.
    """
    rng = random.Random(seed)

    def draw() -> sympy.Rational:
        return sympy.Rational(rng.randint(-100, 100), 100)

    sizes = [width] * (hidden + 1) + [1]
    weights = [
        [[draw() for _ in range(inputs)] for _ in range(units)]
        for inputs, units in zip(sizes, sizes[1:])
    ]
    biases = [[draw() for _ in range(units)] for units in sizes[1:]]
    return Problem(
        weights,
        biases,
        ["relu"] * hidden + ["identity"],
        [draw() for _ in range(width)],
        [sympy.Rational(1, 2)],
    )


def best_time(function: Callable[[], Any], budget: float = 0.5) -> float:
    """Return the minimum time of ``function`` over repeats that fit ``budget`` s.

    At least 3 runs are made, and at most 50.
    """
    times = []
    spent = 0.0
    while len(times) < 3 or (spent < budget and len(times) < 50):
        start = time.perf_counter()
        function()
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        spent += elapsed
    return min(times)


# -- one step, four ways ----------------------------------------------------


def engine_inputs(problem: Problem) -> tuple[Network, Any, Any]:
    """Build the problem's network, ``x`` and ``y`` as ``train`` passes them.

    ``train`` reads ``x`` and ``y`` into immutable columns, and layers hold
    immutable matrices, so the engine keeps their python-flint conversions.
    """
    network = Network(
        Layer(W, b, activation)
        for W, b, activation in zip(
            problem.weights, problem.biases, problem.activations
        )
    )
    return network, sympy.ImmutableMatrix(problem.x), sympy.ImmutableMatrix(problem.y)


def engine_step(problem: Problem) -> Callable[[], Any]:
    """Return a call of the engine's gradient step on the problem's network."""
    network, x, y = engine_inputs(problem)
    loss = get_loss("half_squared_error")
    return lambda: gradient_step(network, x, y, loss, LEARNING_RATE)


def first_engine_step_time(problem: Problem, copies: int) -> float:
    """Return the minimum time of the engine step on ``copies`` new networks.

    Every timed step starts from SymPy matrices that the engine has not seen,
    so it converts all of them to python-flint.
    """
    loss = get_loss("half_squared_error")
    inputs = [engine_inputs(problem) for _ in range(copies)]
    times = []
    for network, x, y in inputs:
        start = time.perf_counter()
        gradient_step(network, x, y, loss, LEARNING_RATE)
        times.append(time.perf_counter() - start)
    return min(times)


def read_step(step: Any) -> None:
    """Read every recorded value of a step, building each deferred SymPy matrix."""
    for layer in step.layers:
        for field in dataclasses.fields(layer):
            getattr(layer, field.name)


def engine_step_read(problem: Problem) -> Callable[[], Any]:
    """Return a call of the engine step that then reads every recorded value."""
    step = engine_step(problem)

    def run() -> None:
        record, _ = step()
        read_step(record)

    return run


def naive_step(problem: Problem) -> Callable[[], Any]:
    """Return the step written directly with ``sympy.Matrix``, keeping every value."""
    weights = [sympy.Matrix(W) for W in problem.weights]
    biases = [sympy.Matrix(b) for b in problem.biases]
    x, y = sympy.Matrix(problem.x), sympy.Matrix(problem.y)

    def relu(value: sympy.Expr) -> sympy.Expr:
        return value if value > 0 else sympy.Integer(0)

    def relu_slope(value: sympy.Expr) -> sympy.Expr:
        return sympy.Integer(1) if value > 0 else sympy.Integer(0)

    def step() -> list[Any]:
        kept: list[Any] = []
        passes = []
        a = x
        for W, b, name in zip(weights, biases, problem.activations):
            z = W * a + b
            a_next = z.applyfunc(relu) if name == "relu" else z
            passes.append((a, z))
            kept += [z, a_next]
            a = a_next
        residual = a - y
        kept.append(sum(residual.applyfunc(lambda r: r**2)) / 2)
        da = residual
        for W, b, name, (a_prev, z) in reversed(
            list(zip(weights, biases, problem.activations, passes))
        ):
            slope = z.applyfunc(relu_slope) if name == "relu" else sympy.ones(*z.shape)
            dz = da.multiply_elementwise(slope)
            dW = dz * a_prev.T
            da_prev = W.T * dz
            kept += [
                slope,
                dz,
                dW,
                da_prev,
                W - LEARNING_RATE * dW,
                b - LEARNING_RATE * dz,
            ]
            da = da_prev
        return kept

    return step


def flint_matrix(rows: list[list[sympy.Rational]]) -> Any:
    return flint.fmpq_mat(
        [[flint.fmpq(int(v.p), int(v.q)) for v in row] for row in rows]
    )


def flint_values(problem: Problem) -> tuple[list[Any], list[Any], Any, Any]:
    """Return the weights, biases, x and y of a problem as ``fmpq_mat`` values."""
    weights = [flint_matrix(W) for W in problem.weights]
    biases = [flint_matrix([[v] for v in b]) for b in problem.biases]
    x = flint_matrix([[v] for v in problem.x])
    y = flint_matrix([[v] for v in problem.y])
    return weights, biases, x, y


def flint_update(
    weights: list[Any], biases: list[Any], x: Any, y: Any, activations: list[str]
) -> tuple[list[Any], list[Any], list[Any]]:
    """Take one step on python-flint ``fmpq_mat`` values alone.

    Returns every computed value and the updated weights and biases.
    Element-wise functions run in Python on the ``fmpq`` entries, as nothing
    in python-flint applies them to a matrix.
    """
    rate = flint.fmpq(int(LEARNING_RATE.p), int(LEARNING_RATE.q))
    zero, one = flint.fmpq(0), flint.fmpq(1)

    def column(values: list[Any]) -> Any:
        return flint.fmpq_mat(len(values), 1, values)

    kept: list[Any] = []
    passes = []
    a = x
    for W, b, name in zip(weights, biases, activations):
        z = W * a + b
        if name == "relu":
            a_next = column([v if v > 0 else zero for v in z.entries()])
        else:
            a_next = z
        passes.append((a, z))
        kept += [z, a_next]
        a = a_next
    residual = a - y
    kept.append(sum(v * v for v in residual.entries()) / 2)
    da = residual
    new_weights, new_biases = [], []
    for W, b, name, (a_prev, z) in reversed(
        list(zip(weights, biases, activations, passes))
    ):
        if name == "relu":
            slope = [one if v > 0 else zero for v in z.entries()]
            dz = column([d * s for d, s in zip(da.entries(), slope)])
        else:
            dz = da
        dW = dz * a_prev.transpose()
        da_prev = W.transpose() * dz
        W_after, b_after = W - rate * dW, b - rate * dz
        kept += [dz, dW, da_prev, W_after, b_after]
        new_weights.insert(0, W_after)
        new_biases.insert(0, b_after)
        da = da_prev
    return kept, new_weights, new_biases


def flint_step(problem: Problem) -> Callable[[], Any]:
    """Return a call of :func:`flint_update` on the problem's values."""
    weights, biases, x, y = flint_values(problem)
    return lambda: flint_update(weights, biases, x, y, problem.activations)


def numpy_step(problem: Problem) -> Callable[[], Any]:
    """Return the step in NumPy float64, keeping every value."""

    def array(rows: list[list[sympy.Rational]]) -> numpy.ndarray:
        return numpy.array([[float(v) for v in row] for row in rows])

    weights = [array(W) for W in problem.weights]
    biases = [array([[v] for v in b]) for b in problem.biases]
    x = array([[v] for v in problem.x])
    y = array([[v] for v in problem.y])
    rate = float(LEARNING_RATE)

    def step() -> list[Any]:
        kept: list[Any] = []
        passes = []
        a = x
        for W, b, name in zip(weights, biases, problem.activations):
            z = W @ a + b
            a_next = numpy.maximum(z, 0.0) if name == "relu" else z
            passes.append((a, z))
            kept += [z, a_next]
            a = a_next
        residual = a - y
        kept.append(0.5 * float(numpy.sum(residual**2)))
        da = residual
        for W, b, name, (a_prev, z) in reversed(
            list(zip(weights, biases, problem.activations, passes))
        ):
            dz = da * (z > 0) if name == "relu" else da
            dW = dz @ a_prev.T
            da_prev = W.T @ dz
            kept += [dz, dW, da_prev, W - rate * dW, b - rate * dz]
            da = da_prev
        return kept

    return step


def step_table(widths: tuple[int, ...]) -> list[dict[str, Any]]:
    """Time one step of each implementation at each width."""
    rows = []
    for width in widths:
        problem = make_problem(width)
        times = {
            "engine": best_time(engine_step(problem)),
            "naive": best_time(naive_step(problem)),
            "flint": best_time(flint_step(problem)),
            "numpy": best_time(numpy_step(problem)),
        }
        rows.append({"width": width, **times})
    return rows


def print_step_table(rows: list[dict[str, Any]]) -> None:
    print("## One gradient step, w-w-w-1 ReLU network (times in ms)\n")
    print(
        "| width | engine | naive sympy.Matrix | raw python-flint | NumPy float64 "
        "| naive / engine | engine / flint | engine / NumPy |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        engine = row["engine"]
        print(
            f"| {row['width']} | {engine * 1e3:.3f} | {row['naive'] * 1e3:.3f} "
            f"| {row['flint'] * 1e3:.3f} | {row['numpy'] * 1e3:.4f} "
            f"| {row['naive'] / engine:.1f}x | {engine / row['flint']:.2f}x "
            f"| {engine / row['numpy']:.0f}x |"
        )
    print()


def conversion_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Time the engine step from new SymPy matrices and with every value read.

    ``rows`` are those of :func:`step_table`, whose engine and naive times
    are shown again for comparison.
    """
    table = []
    for row in rows:
        problem = make_problem(row["width"])
        # New networks cost more to build than to step, so wide ones get fewer.
        if row["width"] <= 8:
            copies = 30
        elif row["width"] <= 64:
            copies = 10
        else:
            copies = 3
        table.append(
            {
                **row,
                "first": first_engine_step_time(problem, copies),
                "read": best_time(engine_step_read(problem)),
            }
        )
    return table


def print_conversion_table(rows: list[dict[str, Any]]) -> None:
    print("## The engine step with conversions to and from SymPy (times in ms)\n")
    print(
        "| width | engine (as above) | from new SymPy matrices "
        "| then reading every value | naive sympy.Matrix "
        "| naive / from new | naive / reading |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['width']} | {row['engine'] * 1e3:.3f} "
            f"| {row['first'] * 1e3:.3f} | {row['read'] * 1e3:.3f} "
            f"| {row['naive'] * 1e3:.3f} | {row['naive'] / row['first']:.1f}x "
            f"| {row['naive'] / row['read']:.1f}x |"
        )
    print()


# -- growth over steps ------------------------------------------------------


def max_digits_of(step: Any) -> int:
    """Return the most decimal digits of any numerator or denominator in a step."""
    longest = max(decimal_digits(step.loss.p), decimal_digits(step.loss.q))
    for layer in step.layers:
        for field in dataclasses.fields(layer):
            for entry in getattr(layer, field.name) or ():
                longest = max(longest, decimal_digits(entry.p), decimal_digits(entry.q))
    return longest


def growth_table(runs: int = 3) -> list[dict[str, Any]]:
    """Run steps 1 to 8 exactly on the 8-8-1 network, timing each step.

    The engine and python-flint alone each take the same 8 steps, ``runs``
    times; each step keeps its minimum time. Every run starts from the same
    network, as raw python-flint starts from the same converted values.
    """
    problem = make_problem(GROWTH_WIDTH, hidden=1)
    inputs = engine_inputs(problem)
    rows = [
        {"step": number, "digits": 0, "engine": float("inf"), "flint": float("inf")}
        for number in range(1, GROWTH_STEPS + 1)
    ]
    for _ in range(runs):
        for row, (step, engine, raw) in zip(rows, timed_growth_run(problem, inputs)):
            row["digits"] = max_digits_of(step)
            row["engine"] = min(row["engine"], engine)
            row["flint"] = min(row["flint"], raw)
    return rows


def timed_growth_run(
    problem: Problem, inputs: tuple[Network, Any, Any]
) -> list[tuple[Any, float, float]]:
    """Return each step's record, engine time and python-flint time.

    The engine's steps run inside ``train``, which carries the updated
    parameters from one step to the next in python-flint form, as raw
    python-flint carries its own. Each step is timed by wrapping
    ``derivation.engine.gradient_step``, which ``train`` calls once per step.
    """
    engine_times = timed_train_steps(*inputs)
    weights, biases, x_flint, y_flint = flint_values(problem)
    flint_times = []
    for _ in range(GROWTH_STEPS):
        start = time.perf_counter()
        _, weights, biases = flint_update(
            weights, biases, x_flint, y_flint, problem.activations
        )
        flint_times.append(time.perf_counter() - start)
    return list(zip(*engine_times, flint_times))


def timed_train_steps(network: Network, x: Any, y: Any) -> tuple[list, list[float]]:
    """Train for GROWTH_STEPS steps and return the steps and each one's time."""
    original = derivation.engine.gradient_step
    times: list[float] = []

    def timed_step(*arguments: Any, **options: Any) -> Any:
        start = time.perf_counter()
        result = original(*arguments, **options)
        times.append(time.perf_counter() - start)
        return result

    derivation.engine.gradient_step = timed_step
    try:
        trace = train(
            network,
            x,
            y,
            learning_rate=LEARNING_RATE,
            steps=GROWTH_STEPS,
            max_digits=None,
        )
    finally:
        derivation.engine.gradient_step = original
    if len(times) != GROWTH_STEPS:
        raise RuntimeError(
            f"train called gradient_step {len(times)} times for "
            f"{GROWTH_STEPS} steps; the growth table cannot time its steps"
        )
    return list(trace.steps), times


def print_growth_table(rows: list[dict[str, Any]]) -> None:
    print(
        f"## Exact growth, {GROWTH_WIDTH}-{GROWTH_WIDTH}-1 ReLU network "
        "(no rounding, no digit limit)\n"
    )
    print(
        "| step | most digits in a numerator or denominator | engine (ms) "
        "| raw python-flint (ms) | engine / flint |"
    )
    print("|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['step']} | {row['digits']} | {row['engine'] * 1e3:.2f} "
            f"| {row['flint'] * 1e3:.2f} | {row['engine'] / row['flint']:.1f}x |"
        )
    print()


# -- start-up and rendering ---------------------------------------------------


def process_time(arguments: list[str], repeats: int = 5) -> float:
    """Return the minimum wall time of a fresh Python process over ``repeats``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, *arguments],
            check=True,
            stdout=subprocess.DEVNULL,
            cwd=REPOSITORY,
        )
        times.append(time.perf_counter() - start)
    return min(times)


def startup_table(repeats: int) -> list[tuple[str, float]]:
    """Time ``import sympy``, ``import derivation`` and ``derivation solve``."""
    solve = ["-m", "derivation", "solve", "--example", "relu-1-2-2-1"]
    return [
        ('python -c "import sympy"', process_time(["-c", "import sympy"], repeats)),
        (
            'python -c "import derivation"',
            process_time(["-c", "import derivation"], repeats),
        ),
        (
            "derivation solve --example relu-1-2-2-1 --format json",
            process_time([*solve, "--format", "json"], repeats),
        ),
        (
            "derivation solve --example relu-1-2-2-1 --format latex",
            process_time([*solve, "--format", "latex"], repeats),
        ),
    ]


def print_startup_table(rows: list[tuple[str, float]]) -> None:
    print("## Start-up (fresh process, times in s)\n")
    baseline = rows[0][1]
    print("| command | time | / import sympy |")
    print("|---|---:|---:|")
    for command, seconds in rows:
        print(f"| `{command}` | {seconds:.3f} | {seconds / baseline:.2f}x |")
    print()


class _RecordingFormat(NumberFormat):
    """The default number format, noting every matrix it writes."""

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "matrices", [])

    def write_matrix(self, values: Any) -> Any:
        self.matrices.append(values)  # type: ignore[attr-defined]
        return super().write_matrix(values)


def latex_trace() -> Any:
    """Train the 32-wide network for one step, with every value read once."""
    network, x, y = engine_inputs(make_problem(32))
    trace = train(network, x, y, learning_rate=LEARNING_RATE)
    read_step(trace.steps[0])
    return trace


def latex_comparison(trace: Any) -> tuple[float, float]:
    """Time the LaTeX of each recorded matrix: ``tex.matrix`` and ``sympy.latex``."""
    matrices = [
        value
        for layer in trace.steps[0].layers
        for field in dataclasses.fields(layer)
        if (value := getattr(layer, field.name)) is not None
    ]

    def with_derivation() -> list[Any]:
        numbers = NumberFormat()
        return [latex_matrix(values, numbers) for values in matrices]

    def with_sympy() -> list[str]:
        return [sympy.latex(values) for values in matrices]

    return best_time(with_derivation, 2.0), best_time(with_sympy, 2.0)


def print_latex_comparison(times: tuple[float, float]) -> None:
    ours, printer = times
    print("## LaTeX of one step of the 32-wide network (times in ms)\n")
    print(
        "| derivation, each recorded matrix | sympy.latex, each recorded matrix "
        "| sympy.latex / derivation |"
    )
    print("|---:|---:|---:|")
    print(f"| {ours * 1e3:.1f} | {printer * 1e3:.1f} | {printer / ours:.1f}x |")
    print()


def document_comparison(trace: Any) -> tuple[float, float, int]:
    """Time ``render_latex`` against ``sympy.latex`` on every matrix it shows."""
    recording = _RecordingFormat()
    render_latex(trace, numbers=recording)
    shown = recording.matrices  # type: ignore[attr-defined]

    def with_sympy() -> list[str]:
        return [sympy.latex(values) for values in shown]

    render = best_time(lambda: render_latex(trace, numbers=NumberFormat()), 2.0)
    return render, best_time(with_sympy, 2.0), len(shown)


def print_document_comparison(times: tuple[float, float, int]) -> None:
    render, printer, count = times
    print("## Whole LaTeX document of one step of the 32-wide network (times in ms)\n")
    print(
        f"| render_latex | sympy.latex on the {count} matrices it shows "
        "| sympy.latex / render_latex |"
    )
    print("|---:|---:|---:|")
    print(f"| {render * 1e3:.1f} | {printer * 1e3:.1f} | {printer / render:.1f}x |")
    print()


def blow_up_table() -> list[tuple[str, float, str]]:
    """Time 20 steps on the 8-8-1 network, exactly and with 4 decimal places."""
    problem = make_problem(GROWTH_WIDTH, hidden=1)
    network, _, _ = engine_inputs(problem)
    rows = []
    for label, rounding in [
        ("exact", None),
        ("4 decimal places", RoundingPolicy("decimals", 4)),
    ]:
        start = time.perf_counter()
        try:
            trace = train(
                network,
                problem.x,
                problem.y,
                learning_rate=LEARNING_RATE,
                steps=20,
                rounding=rounding,
            )
            outcome = f"finished; loss in step 20: {trace.steps[-1].loss}"
        except LimitError as error:
            outcome = f"LimitError at step {error.step}: {error.digits} digits"
        rows.append((label, time.perf_counter() - start, outcome))
    return rows


def print_blow_up_table(rows: list[tuple[str, float, str]]) -> None:
    print(
        f"## 20 steps on the {GROWTH_WIDTH}-{GROWTH_WIDTH}-1 network, "
        "default digit limit\n"
    )
    print("| values | time (s) | outcome |")
    print("|---|---:|---|")
    for label, seconds, outcome in rows:
        print(f"| {label} | {seconds:.3f} | {outcome} |")
    print()


def print_machine() -> None:
    import sympy.external.gmpy as ground

    print(
        f"Python {platform.python_version()}, SymPy {sympy.__version__} "
        f"(ground types {ground.GROUND_TYPES}), python-flint {flint.__version__}, "
        f"NumPy {numpy.__version__}, {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d')}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="widths 2, 8 and 32 only, and fewer start-up runs",
    )
    arguments = parser.parse_args(argv)
    widths = QUICK_WIDTHS if arguments.quick else FULL_WIDTHS

    print_machine()
    steps = step_table(widths)
    print_step_table(steps)
    print_conversion_table(conversion_table(steps))
    print_growth_table(growth_table())
    print_startup_table(startup_table(repeats=2 if arguments.quick else 7))
    trace = latex_trace()
    print_latex_comparison(latex_comparison(trace))
    print_document_comparison(document_comparison(trace))
    print_blow_up_table(blow_up_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
