"""The exercises courses set: activations, losses, batches, optimizers, symbols.

Each bundled example is checked against a separate computation written
here: exact ``Fraction`` arithmetic for the rational examples and 50-digit
``mpmath`` arithmetic for the closed forms. Neither imports the engine.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
import sympy

from derivation.bundled import example_text
from derivation.engine import solve, train
from derivation.errors import DerivationError, SpecError
from derivation.network import Layer, Network
from derivation.optimizers import Optimizer
from derivation.quantities import SHORT_NODES, node_count, numeric
from derivation.render import render_latex, render_markdown
from derivation.spec import load_spec, parse_spec
from tests.latex_tools import compile_latex, require_latex_tools

mpmath.mp.dps = 50

FEATURES = Path(__file__).parent / "data" / "features"

NEW_EXAMPLES = (
    "sigmoid-2-2-2",
    "softmax-cross-entropy",
    "mini-batch",
    "momentum-weight-decay",
    "tanh-softplus",
    "binary-cross-entropy",
    "symbolic-1-1-1",
)


def example_trace(name: str):
    return solve(parse_spec(example_text(name), f"{name}.toml"))


def as_float(value: sympy.Expr) -> float:
    return float(numeric(value, 30))


# -- an independent reference in Fractions -----------------------------------


def matmul(A, B):
    return [
        [
            sum((A[i][k] * B[k][j] for k in range(len(B))), Fraction(0))
            for j in range(len(B[0]))
        ]
        for i in range(len(A))
    ]


def transpose(A):
    return [list(row) for row in zip(*A)]


def reference_run(
    layers, X, Y, *, eta, loss, batch, steps, mean, mu=None, decay=0, planted=None
):
    """Train with plain lists of Fractions; samples are columns of X and Y.

    ``layers`` contains dicts with W, b, kind ("relu", "leaky", "identity"),
    slope and bias ("per_unit", "none"). Returns the layers after the last
    step and the loss of every step.
    """
    velocities = [(None, None) for _ in layers]
    losses = []
    samples = len(X[0])
    for step in range(steps):
        start = (step * batch) % samples
        cols = list(range(start, min(start + batch, samples)))
        A = [[row[c] for c in cols] for row in X]
        T = [[row[c] for c in cols] for row in Y]
        B = len(cols)
        inputs, zs = [], []
        for layer in layers:
            Z = matmul(layer["W"], A)
            if layer["bias"] != "none":
                Z = [[z + layer["b"][i] for z in row] for i, row in enumerate(Z)]
            inputs.append(A)
            zs.append(Z)
            A = [[activate(layer, z) for z in row] for row in Z]
        scale = Fraction(1, B) if mean else Fraction(1)
        n = len(A)
        per_sample = []
        for c in range(B):
            residuals = [A[i][c] - T[i][c] for i in range(n)]
            if loss == "mean_squared_error":
                per_sample.append(sum(r * r for r in residuals) / n)
            else:
                per_sample.append(sum(r * r for r in residuals))
        losses.append(scale * sum(per_sample))
        factor = Fraction(2, n) if loss == "mean_squared_error" else Fraction(2)
        dA = [[factor * (A[i][c] - T[i][c]) for c in range(B)] for i in range(n)]
        updated = []
        for index in range(len(layers) - 1, -1, -1):
            layer = layers[index]
            dZ = [
                [dA[i][c] * derivative(layer, zs[index][i][c]) for c in range(B)]
                for i in range(len(dA))
            ]
            dW = [
                [scale * g for g in row] for row in matmul(dZ, transpose(inputs[index]))
            ]
            if planted == "bias over units":
                db = [scale * sum(dZ[i][0] for i in range(len(dZ)))] * len(dZ)
            else:
                db = [scale * sum(row) for row in dZ]
            dA = matmul(transpose(layer["W"]), dZ)
            gW = [
                [g + decay * w for g, w in zip(grow, wrow)]
                for grow, wrow in zip(dW, layer["W"])
            ]
            vW, vb = velocities[index]
            if mu is not None:
                gW = (
                    gW
                    if vW is None
                    else [
                        [mu * v + g for v, g in zip(vrow, grow)]
                        for vrow, grow in zip(vW, gW)
                    ]
                )
                db = db if vb is None else [mu * v + g for v, g in zip(vb, db)]
                velocities[index] = (gW, db)
            W = [
                [w - eta * g for w, g in zip(wrow, grow)]
                for wrow, grow in zip(layer["W"], gW)
            ]
            b = layer["b"]
            if layer["bias"] != "none":
                b = [bias - eta * g for bias, g in zip(layer["b"], db)]
            updated.append(dict(layer, W=W, b=b))
        layers = updated[::-1]
    return layers, losses


def activate(layer, z):
    if layer["kind"] == "identity" or z > 0:
        return z
    return 0 if layer["kind"] == "relu" else layer["slope"] * z


def derivative(layer, z):
    if layer["kind"] == "identity" or z > 0:
        return Fraction(1)
    return Fraction(0) if layer["kind"] == "relu" else layer["slope"]


def F(text: str) -> Fraction:
    return Fraction(text)


def rational_rows(matrix: sympy.Matrix) -> list[list[Fraction]]:
    return [[Fraction(int(e.p), int(e.q)) for e in row] for row in matrix.tolist()]


MINI_BATCH_LAYERS = [
    {
        "W": [[F("1")], [F("-1")]],
        "b": [F("0"), F("1")],
        "kind": "relu",
        "bias": "per_unit",
    },
    {"W": [[F("1"), F("0.5")]], "b": [F("0")], "kind": "identity", "bias": "per_unit"},
]


def test_mini_batch_matches_reference():
    trace = example_trace("mini-batch")
    X = [[F("1"), F("2"), F("-1"), F("0")]]
    Y = [[F("2"), F("3"), F("1"), F("1")]]
    layers, losses = reference_run(
        MINI_BATCH_LAYERS,
        X,
        Y,
        eta=F("0.1"),
        loss="mean_squared_error",
        batch=2,
        steps=2,
        mean=True,
    )
    assert [Fraction(int(s.loss.p), int(s.loss.q)) for s in trace.steps] == losses
    for layer, expected in zip(trace.final_network.layers, layers):
        assert rational_rows(layer.W) == expected["W"]
        assert [row[0] for row in rational_rows(layer.b)] == expected["b"]


def test_mini_batch_steps_take_samples_in_order():
    trace = example_trace("mini-batch")
    assert [step.samples for step in trace.steps] == [(1, 2), (3, 4)]


def test_bias_gradient_over_wrong_axis_is_caught():
    trace = example_trace("mini-batch")
    X = [[F("1"), F("2"), F("-1"), F("0")]]
    Y = [[F("2"), F("3"), F("1"), F("1")]]
    planted, _ = reference_run(
        MINI_BATCH_LAYERS,
        X,
        Y,
        eta=F("0.1"),
        loss="mean_squared_error",
        batch=2,
        steps=2,
        mean=True,
        planted="bias over units",
    )
    engine_biases = [row[0] for row in rational_rows(trace.final_network.layers[0].b)]
    assert engine_biases != planted[0]["b"]


def test_momentum_weight_decay_matches_reference():
    trace = example_trace("momentum-weight-decay")
    layers = [
        {
            "W": [[F("1"), F("-1")], [F("-0.5"), F("0.5")]],
            "b": [F("0"), F("0")],
            "kind": "leaky",
            "slope": F("0.1"),
            "bias": "per_unit",
        },
        {"W": [[F("1"), F("2")]], "b": [F("0")], "kind": "identity", "bias": "none"},
    ]
    X = [[F("1"), F("2")], [F("2"), F("1")]]
    Y = [[F("1"), F("0")]]
    expected, losses = reference_run(
        layers,
        X,
        Y,
        eta=F("0.1"),
        loss="sum_squared_error",
        batch=1,
        steps=2,
        mean=False,
        mu=F("0.9"),
        decay=F("0.01"),
    )
    assert [Fraction(int(s.loss.p), int(s.loss.q)) for s in trace.steps] == losses
    for layer, reference in zip(trace.final_network.layers, expected):
        assert rational_rows(layer.W) == reference["W"]
        assert [row[0] for row in rational_rows(layer.b)] == reference["b"]


# -- closed forms against mpmath ---------------------------------------------


def test_sigmoid_example_matches_published_values():
    # The published worked example states these, rounded as written there.
    trace = example_trace("sigmoid-2-2-2")
    step = trace.steps[0]
    assert f"{as_float(step.loss):.9f}" == "0.298371109"
    published_output = ["0.35891648", "0.408666186", "0.511301270", "0.561370121"]
    published_hidden = ["0.149780716", "0.19956143", "0.24975114", "0.29950229"]
    for layer, published in ((1, published_output), (0, published_hidden)):
        values = list(step.layers[layer].W_after)
        for value, text in zip(values, published):
            places = len(text.split(".")[1])
            assert f"{as_float(value):.{places}f}" == text


def test_sigmoid_example_keeps_biases_fixed():
    trace = example_trace("sigmoid-2-2-2")
    for before, after in zip(trace.network.layers, trace.final_network.layers):
        assert after.b == before.b


def sigmoid(z):
    return 1 / (1 + mpmath.exp(-z))


def test_tanh_softplus_matches_mpmath():
    trace = example_trace("tanh-softplus")
    x, y, eta = mpmath.mpf(1), mpmath.mpf(1), mpmath.mpf("0.5")
    W1, b1 = [mpmath.mpf(1), mpmath.mpf(-1)], [mpmath.mpf(0), mpmath.mpf("0.5")]
    z1 = [w * x + b for w, b in zip(W1, b1)]
    a1 = [mpmath.tanh(z) for z in z1]
    z2 = a1[0] + a1[1]
    a2 = mpmath.log(1 + mpmath.exp(z2))
    dz2 = (a2 - y) * sigmoid(z2)
    W2_after = [1 - eta * dz2 * a for a in a1]
    dz1 = [dz2 * (1 - mpmath.tanh(z) ** 2) for z in z1]
    W1_after = [w - eta * d * x for w, d in zip(W1, dz1)]
    step = trace.steps[0]
    assert mpmath.almosteq(numeric(step.loss), (a2 - y) ** 2 / 2, 1e-40)
    for value, expected in zip(step.layers[1].W_after, W2_after):
        assert mpmath.almosteq(mpmath.mpf(str(numeric(value))), expected, 1e-40)
    for value, expected in zip(step.layers[0].W_after, W1_after):
        assert mpmath.almosteq(mpmath.mpf(str(numeric(value))), expected, 1e-40)


def test_softmax_cross_entropy_matches_mpmath():
    trace = example_trace("softmax-cross-entropy")
    x = [mpmath.mpf(1), mpmath.mpf(2)]
    h = [
        max(x[0] - x[1], 0),
        max(mpmath.mpf("0.5") * x[0] + x[1] + mpmath.mpf("0.5"), 0),
    ]
    z = [h[0], h[1], -h[0] + h[1]]
    total = sum(mpmath.exp(v) for v in z)
    a = [mpmath.exp(v) / total for v in z]
    y = [0, 1, 0]
    loss = -mpmath.log(a[1])
    dz = [ai - yi for ai, yi in zip(a, y)]
    step = trace.steps[0]
    assert mpmath.almosteq(mpmath.mpf(str(numeric(step.loss))), loss, 1e-40)
    for value, expected in zip(step.layers[1].dz, dz):
        assert mpmath.almosteq(mpmath.mpf(str(numeric(value))), expected, 1e-40)
    W_after = [
        [w - mpmath.mpf("0.5") * d * hj for w, hj in zip(row, h)]
        for row, d in zip([[1, 0], [0, 1], [-1, 1]], dz)
    ]
    for value, expected in zip(step.layers[1].W_after, sum(W_after, [])):
        assert mpmath.almosteq(mpmath.mpf(str(numeric(value))), expected, 1e-40)


def test_binary_cross_entropy_matches_mpmath():
    trace = example_trace("binary-cross-entropy")
    samples = [([1, 1], 1), ([2, 0], 0)]
    w = [mpmath.mpf("0.5"), mpmath.mpf("-0.5")]
    outputs = [sigmoid(w[0] * p + w[1] * q) for (p, q), _ in samples]
    losses = [
        -(t * mpmath.log(a) + (1 - t) * mpmath.log(1 - a))
        for a, (_, t) in zip(outputs, samples)
    ]
    gradient = [
        sum((a - t) * point[k] for a, (point, t) in zip(outputs, samples)) / 2
        for k in range(2)
    ]
    step = trace.steps[0]
    assert mpmath.almosteq(mpmath.mpf(str(numeric(step.loss))), sum(losses) / 2, 1e-40)
    for value, expected in zip(step.layers[0].dW, gradient):
        assert mpmath.almosteq(mpmath.mpf(str(numeric(value))), expected, 1e-40)


def test_named_values_stay_short_over_steps():
    spec = parse_spec(example_text("sigmoid-2-2-2"), "sigmoid.toml")
    trace = train(
        spec.network, spec.x, spec.y, learning_rate=spec.learning_rate, steps=3
    )
    for step in trace.steps:
        for layer in step.layers:
            for field, value in layer.fields().items():
                for entry in value if value is not None else ():
                    assert node_count(entry) <= SHORT_NODES, field
    assert max(node_count(q.definition, 10**6) for q in trace.quantities) < 80


# -- symbolic mode ------------------------------------------------------------

POINTS = [
    {
        "w1": "1/2",
        "b1": "-1",
        "w2": "3",
        "b2": "1/4",
        "x": "2",
        "y": "1",
        "eta": "1/10",
    },
    {"w1": "-2", "b1": "0", "w2": "1/3", "b2": "1", "x": "-1", "y": "5", "eta": "1/2"},
    {
        "w1": "7",
        "b1": "3/4",
        "w2": "-1",
        "b2": "-2",
        "x": "0.5",
        "y": "0",
        "eta": "0.01",
    },
]


@pytest.mark.parametrize("point", POINTS)
def test_symbolic_update_matches_numeric(point):
    general = example_trace("symbolic-1-1-1").subs(point)
    network = Network(
        [
            Layer([[point["w1"]]], [point["b1"]], "identity"),
            Layer([[point["w2"]]], [point["b2"]], "identity"),
        ]
    )
    numeric_trace = train(
        network, [point["x"]], [point["y"]], learning_rate=point["eta"]
    )
    assert general.steps[0].loss == numeric_trace.steps[0].loss
    for general_layer, numeric_layer in zip(
        general.steps[0].layers, numeric_trace.steps[0].layers
    ):
        assert general_layer.W_after == numeric_layer.W_after
        assert general_layer.b_after == numeric_layer.b_after


def test_symbolic_update_formula():
    w1, b1, w2, b2, x, y, eta = sympy.symbols("w1 b1 w2 b2 x y eta", real=True)
    layer = example_trace("symbolic-1-1-1").steps[0].layers[1]
    expected = w2 - eta * (w2 * (w1 * x + b1) + b2 - y) * (w1 * x + b1)
    assert sympy.expand(layer.W_after[0] - expected) == 0


# -- fixed parameters ---------------------------------------------------------


def test_shared_bias_gradient_sums_units():
    network = Network([Layer([[1], [2]], 1, "identity", bias="shared")])
    trace = train(network, [1], [0, 0], learning_rate="1/2")
    layer = trace.steps[0].layers[0]
    assert layer.db == sympy.Matrix([[sum(layer.dz)]])


def test_shared_bias_rejects_different_values():
    with pytest.raises(DerivationError) as info:
        Layer([[1], [2]], [1, 2], "identity", bias="shared")
    assert str(info.value) == (
        "biases: a shared bias is one value, found different values 1, 2"
    )


def test_frozen_weights_stay():
    network = Network([Layer([[3]], [1], "identity", frozen=["weights"])])
    trace = train(network, [1], [0], learning_rate="1/2")
    assert trace.final_network.layers[0].W == sympy.Matrix([[3]])
    assert trace.final_network.layers[0].b == sympy.Matrix([[-1]])


def test_momentum_velocity_starts_at_gradient():
    network = Network([Layer([[3]], [1], "identity")])
    trace = train(
        network,
        [1],
        [0],
        learning_rate="1/2",
        steps=2,
        optimizer=Optimizer(momentum="1/2"),
    )
    first, second = (step.layers[0] for step in trace.steps)
    assert first.vW == first.dW
    assert second.vW == first.vW / 2 + second.dW


# -- rendering ----------------------------------------------------------------


@pytest.mark.parametrize("name", NEW_EXAMPLES)
def test_new_example_compiles(name, tmp_path):
    require_latex_tools()
    spec = parse_spec(example_text(name), f"{name}.toml")
    source = render_latex(solve(spec), title=spec.title)
    compiled = compile_latex(source, tmp_path)
    assert compiled.overfull_boxes == []


def test_named_values_section_fits_pages(tmp_path):
    require_latex_tools()
    spec = load_spec(FEATURES / "softmax-momentum-two-steps.toml")
    trace = solve(spec)
    assert len(trace.quantities) > 30
    compiled = compile_latex(render_latex(trace, title=spec.title), tmp_path)
    assert "Overfull \\vbox" not in compiled.log


def test_equal_long_values_share_a_name():
    trace = example_trace("softmax-cross-entropy")
    definitions = [named.definition for named in trace.quantities]
    assert len(definitions) == len(set(definitions))


# -- inputs a loss cannot take --------------------------------------------------


def test_cross_entropy_target_above_one_rejected():
    text = example_text("binary-cross-entropy").replace(
        "y = [[1], [0]]", "y = [[2], [0]]"
    )
    with pytest.raises(SpecError) as info:
        parse_spec(text, "bce.toml")
    assert str(info.value) == (
        "bce.toml: data: y: sample 1: expected targets from 0 to 1 for binary "
        "cross entropy, found 2"
    )


def test_cross_entropy_output_outside_range_rejected():
    network = Network([Layer([[1]], [0], "identity")])
    with pytest.raises(DerivationError) as info:
        train(network, [-1], [1], loss="binary_cross_entropy", learning_rate=1)
    assert str(info.value) == (
        "step 1: output unit 1 of sample 1: expected an output strictly between 0 "
        "and 1 for binary cross entropy, found -1; use a sigmoid or softmax output "
        "layer"
    )


def test_softmax_targets_must_sum_to_one():
    network = Network([Layer([[1], [2]], [0, 0], "softmax")])
    with pytest.raises(DerivationError) as info:
        train(network, [1], [1, 1], loss="categorical_cross_entropy", learning_rate=1)
    assert str(info.value) == (
        "y: sample 1: expected targets that sum to 1 for softmax with categorical "
        "cross-entropy, found a sum of 2"
    )


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "q_1", "oo"])
def test_reserved_symbol_names_rejected(name):
    with pytest.raises(DerivationError):
        Layer([[name]], [0], "identity")


def test_notation_symbol_as_weight_rejected():
    text = example_text("symbolic-1-1-1").replace('[["w1"]]', '[["eta"]]')
    with pytest.raises(SpecError) as info:
        parse_spec(text, "sym.toml")
    assert str(info.value) == (
        "sym.toml: layer 1: weights: expected a symbol name that the solution does "
        "not use for its own quantities (not eta, mu, lambda, alpha, theta, delta, "
        "sigma), found the string 'eta'"
    )


def test_short_last_batch_renders_exact():
    network = Network([Layer([[1]], [0], "identity")])
    trace = train(
        network,
        [[1], [2], [3]],
        [[2], [3], [5]],
        learning_rate="0.1",
        batch_size=2,
        epochs=1,
    )
    assert [step.samples for step in trace.steps] == [(1, 2), (3,)]
    assert r"\approx" not in render_latex(trace)


def test_combined_gradient_reason_is_math():
    markdown = render_markdown(example_trace("binary-cross-entropy"))
    assert (
        r"because $\sigma'(z) = \sigma(z) \bigl(1 - \sigma(z)\bigr)$ cancels the "
        "denominator" in markdown
    )
