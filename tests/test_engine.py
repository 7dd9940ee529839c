"""Tests for derivation.engine: exact forward, backward and update steps.

The gradient checks compare the engine with a small forward pass written
here in ``fractions.Fraction``, so that a shared bug cannot hide in both.
"""

import dataclasses
import json
import random
from fractions import Fraction

import pytest
import sympy

import derivation.trace as trace_module
from derivation.activations import relu
from derivation.engine import solve, train
from derivation.errors import DerivationError, NumberError
from derivation.network import Layer, Network
from derivation.spec import load_spec, parse_spec
from tests.examples import (
    DATA_EXAMPLES,
    EXAMPLE_DIRECTORIES,
    SEED_EXPECTED,
)

R = sympy.Rational
F = Fraction

EXAMPLE_EXPECTED = SEED_EXPECTED

# Keys of the expected JSON file and the LayerStep fields they describe.
EXPECTED_FIELDS = {
    "z": "z",
    "a": "a",
    "dL_dz": "dz",
    "dL_dW": "dW",
    "dL_db": "db",
    "dL_da_of_input": "da_prev",
    "W_after": "W_after",
    "b_after": "b_after",
}

GRADIENT_SEEDS = range(20)


def rational(text: str) -> sympy.Rational:
    """Read an exact string such as ``"-73/100"`` without SymPy's parser."""
    value = Fraction(text)
    return sympy.Rational(value.numerator, value.denominator)


def expected_matrix(entries: list) -> sympy.Matrix:
    """Build a matrix from the JSON form: a flat list is a column."""
    if entries and isinstance(entries[0], list):
        return sympy.Matrix([[rational(entry) for entry in row] for row in entries])
    return sympy.Matrix([rational(entry) for entry in entries])


def to_fraction(value: sympy.Rational) -> Fraction:
    return Fraction(int(value.p), int(value.q))


# The 1-2-2-1 example against its reference values.


@pytest.fixture(scope="module")
def example_expected() -> dict:
    return json.loads(EXAMPLE_EXPECTED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=EXAMPLE_DIRECTORIES)
def example_trace(request):
    return solve(load_spec(request.param / "relu-1-2-2-1.toml"))


def expected_layer_cases():
    data = json.loads(EXAMPLE_EXPECTED.read_text(encoding="utf-8"))
    for step in data["steps"]:
        for layer in step["layers"]:
            for key in EXPECTED_FIELDS:
                case_id = f"step{step['step']}-layer{layer['layer']}-{key}"
                yield pytest.param(step["step"], layer["layer"], key, id=case_id)


def test_relu_1221_step_and_layer_counts(example_trace, example_expected):
    assert len(example_trace.steps) == len(example_expected["steps"])
    for step, expected in zip(
        example_trace.steps, example_expected["steps"], strict=True
    ):
        assert step.number == expected["step"]
        assert len(step.layers) == len(expected["layers"])


@pytest.mark.parametrize("index", [0, 1])
def test_relu_1221_loss_before_update(example_trace, example_expected, index):
    expected = rational(example_expected["steps"][index]["loss_before_update"])
    assert example_trace.steps[index].loss == expected


@pytest.mark.parametrize(("step", "layer", "key"), list(expected_layer_cases()))
def test_relu_1221_layer_value(example_trace, example_expected, step, layer, key):
    expected_layer = example_expected["steps"][step - 1]["layers"][layer - 1]
    expected = expected_matrix(expected_layer[key])
    actual = getattr(
        example_trace.steps[step - 1].layers[layer - 1], EXPECTED_FIELDS[key]
    )
    assert actual == expected


def test_relu_1221_entries_are_rationals(example_trace):
    for step in example_trace.steps:
        for layer in step.layers:
            for field in trace_module.JSON_KEYS:
                matrix = getattr(layer, field)
                assert all(isinstance(entry, sympy.Rational) for entry in matrix)


def test_relu_1221_third_step_output_bias():
    spec = load_spec(DATA_EXAMPLES / "relu-1-2-2-1.toml")
    trace = solve(dataclasses.replace(spec, steps=3))
    assert trace.steps[2].layers[2].b_after == sympy.Matrix([R(-1165723, 2000000)])
    assert trace.final_network.layers[2].b == sympy.Matrix([R(-1165723, 2000000)])


def test_relu_1221_final_network(example_trace):
    final = example_trace.final_network.layers
    assert final[0].W == sympy.Matrix([[R(2, 25)], [R(2, 25)]])
    assert final[1].W == sympy.Matrix([[R(239, 400)] * 2] * 2)
    assert final[2].W == sympy.Matrix([[R(101, 400), R(101, 400)]])
    assert final[2].b == sympy.Matrix([R(-11977, 20000)])


# The 2-2-1 example, worked by hand in Fractions.


@pytest.mark.parametrize("directory", EXAMPLE_DIRECTORIES)
def test_two_input_example_by_hand(directory):
    trace = solve(load_spec(directory / "relu-2-2-1.toml"))
    hidden, output = trace.steps[0].layers

    # Forward pass: x = (2, 1).
    # z1 = W1 x + b1 = (1/2*2 - 1*1 + 1/4, 3/2*2 + 2*1 - 1/2) = (1/4, 9/2).
    z1 = [F(1, 2) * 2 - 1 * 1 + F(1, 4), F(3, 2) * 2 + 2 * 1 - F(1, 2)]
    assert z1 == [F(1, 4), F(9, 2)]
    a1 = z1  # both pre-activations are positive, so ReLU passes them on
    # z2 = 2*(1/4) - 1/2*(9/2) + 1/10 = -33/20, and the output is identity.
    z2 = 2 * a1[0] - F(1, 2) * a1[1] + F(1, 10)
    assert z2 == F(-33, 20)
    # L = (z2 - 3)^2 / 2 = (-93/20)^2 / 2 = 8649/800.
    loss = (z2 - 3) ** 2 / 2
    assert loss == F(8649, 800)

    # Backward pass: dz2 = z2 - y = -93/20.
    dz2 = z2 - 3
    dW2 = [dz2 * a1[0], dz2 * a1[1]]  # (-93/80, -837/40)
    da1 = [2 * dz2, F(-1, 2) * dz2]  # W2^T dz2 = (-93/10, 93/40)
    dz1 = da1  # ReLU'(z1) = (1, 1)
    dW1 = [[dz1[0] * 2, dz1[0] * 1], [dz1[1] * 2, dz1[1] * 1]]
    assert dW2 == [F(-93, 80), F(-837, 40)]
    assert dW1 == [[F(-93, 5), F(-93, 10)], [F(93, 20), F(93, 40)]]

    # The update with eta = 1/10.
    W2_after = [2 - dW2[0] / 10, F(-1, 2) - dW2[1] / 10]
    b1_after = [F(1, 4) - dz1[0] / 10, F(-1, 2) - dz1[1] / 10]

    assert hidden.z == sympy.Matrix([R(1, 4), R(9, 2)])
    assert output.z == sympy.Matrix([R(-33, 20)])
    assert trace.steps[0].loss == R(8649, 800)
    assert output.dW == sympy.Matrix([[R(-93, 80), R(-837, 40)]])
    assert hidden.da == sympy.Matrix([R(-93, 10), R(93, 40)])
    assert hidden.dW == sympy.Matrix([[R(-93, 5), R(-93, 10)], [R(93, 20), R(93, 40)]])
    assert [to_fraction(w) for w in output.W_after] == W2_after
    assert [to_fraction(b) for b in hidden.b_after] == b1_after


# Gradient check against exact central differences.


@dataclasses.dataclass
class Problem:
    """A network as plain Fractions, with one sample."""

    weights: list[list[list[Fraction]]]
    biases: list[list[Fraction]]
    activations: list[str]
    x: list[Fraction]
    y: list[Fraction]


def draw_fraction(rng: random.Random) -> Fraction:
    return Fraction(rng.randint(-9, 12), rng.choice((1, 2, 3, 4, 5, 8)))


def draw_candidate(rng: random.Random) -> Problem:
    depth = rng.randint(1, 4)
    widths = [rng.randint(1, 5) for _ in range(depth + 1)]
    weights, biases, activations = [], [], []
    for inputs, units in zip(widths, widths[1:], strict=False):
        weights.append(
            [[draw_fraction(rng) for _ in range(inputs)] for _ in range(units)]
        )
        biases.append([draw_fraction(rng) for _ in range(units)])
        activations.append(rng.choice(("relu", "relu", "identity")))
    x = [draw_fraction(rng) for _ in range(widths[0])]
    y = [draw_fraction(rng) for _ in range(widths[-1])]
    return Problem(weights, biases, activations, x, y)


def dot(row: list[Fraction], column: list[Fraction]) -> Fraction:
    products = (w * value for w, value in zip(row, column, strict=True))
    return sum(products, Fraction(0))


def forward_reference(problem: Problem) -> tuple[list[list[Fraction]], list[Fraction]]:
    """Return every layer's pre-activations and the output, in Fractions."""
    a = problem.x
    pre_activations = []
    for W, b, name in zip(
        problem.weights, problem.biases, problem.activations, strict=True
    ):
        z = [dot(row, a) + bias for row, bias in zip(W, b, strict=True)]
        pre_activations.append(z)
        a = [max(entry, Fraction(0)) for entry in z] if name == "relu" else z
    return pre_activations, a


def loss_reference(problem: Problem) -> Fraction:
    _, output = forward_reference(problem)
    residuals = [a - y for a, y in zip(output, problem.y, strict=True)]
    return sum((r * r for r in residuals), Fraction(0)) / 2


def relu_signs(problem: Problem) -> list[int]:
    """Return the sign (-1, 0 or 1) of every ReLU pre-activation."""
    pre_activations, _ = forward_reference(problem)
    signs = []
    for z, name in zip(pre_activations, problem.activations, strict=True):
        if name == "relu":
            signs.extend((entry > 0) - (entry < 0) for entry in z)
    return signs


def draw_problem(seed: int) -> Problem:
    """Draw a problem with no ReLU pre-activation exactly at the kink."""
    rng = random.Random(seed)
    while True:
        problem = draw_candidate(rng)
        if 0 not in relu_signs(problem):
            return problem


def parameter_positions(problem: Problem):
    for layer, W in enumerate(problem.weights):
        for i, row in enumerate(W):
            for j in range(len(row)):
                yield ("W", layer, i, j)
        for i in range(len(W)):
            yield ("b", layer, i)


def shifted(problem: Problem, position: tuple, h: Fraction) -> Problem:
    """Return a copy of ``problem`` with one parameter moved by ``h``."""
    weights = [[list(row) for row in W] for W in problem.weights]
    biases = [list(b) for b in problem.biases]
    if position[0] == "W":
        _, layer, i, j = position
        weights[layer][i][j] += h
    else:
        _, layer, i = position
        biases[layer][i] += h
    return Problem(weights, biases, problem.activations, problem.x, problem.y)


def safe_step(problem: Problem, position: tuple) -> Fraction:
    """Return a step ``h`` over which no ReLU pre-activation changes sign.

    Moving one parameter makes the pre-activations of its layer affine in
    ``h``, and each later layer stays affine while the ReLU pattern before it
    holds. So equal, nonzero signs at ``-h``, ``0`` and ``+h`` mean the same
    signs on the whole interval, where the loss is a quadratic in ``h``.
    """
    signs = relu_signs(problem)
    h = Fraction(1, 2)
    for _ in range(80):
        below = relu_signs(shifted(problem, position, -h))
        above = relu_signs(shifted(problem, position, h))
        if below == signs and above == signs:
            return h
        h /= 2
    raise AssertionError(f"no safe step found for {position}")


def central_difference(problem: Problem, position: tuple) -> Fraction:
    h = safe_step(problem, position)
    above = loss_reference(shifted(problem, position, h))
    below = loss_reference(shifted(problem, position, -h))
    return (above - below) / (2 * h)


def engine_network(problem: Problem) -> Network:
    return Network(
        Layer(W, b, name)
        for W, b, name in zip(
            problem.weights, problem.biases, problem.activations, strict=True
        )
    )


def engine_gradient(step, position: tuple) -> sympy.Rational:
    if position[0] == "W":
        _, layer, i, j = position
        return step.layers[layer].dW[i, j]
    _, layer, i = position
    return step.layers[layer].db[i, 0]


def train_problem(problem: Problem, steps: int = 1):
    return train(
        engine_network(problem),
        problem.x,
        problem.y,
        learning_rate="1/10",
        steps=steps,
    )


@pytest.mark.parametrize("seed", GRADIENT_SEEDS)
def test_gradient_equals_central_difference(seed):
    problem = draw_problem(seed)
    step = train_problem(problem).steps[0]
    for position in parameter_positions(problem):
        expected = central_difference(problem, position)
        actual = engine_gradient(step, position)
        assert to_fraction(actual) == expected, f"seed {seed}, {position}"


@pytest.mark.parametrize("seed", GRADIENT_SEEDS)
def test_forward_matches_reference(seed):
    problem = draw_problem(seed)
    step = train_problem(problem).steps[0]
    pre_activations, output = forward_reference(problem)
    for layer, z in zip(step.layers, pre_activations, strict=True):
        assert [to_fraction(entry) for entry in layer.z] == z
    assert [to_fraction(entry) for entry in step.output] == output
    assert to_fraction(step.loss) == loss_reference(problem)


def test_gradient_check_covers_varied_networks():
    problems = [draw_problem(seed) for seed in GRADIENT_SEEDS]
    depths = {len(problem.weights) for problem in problems}
    widths = {len(b) for problem in problems for b in problem.biases}
    assert depths == {1, 2, 3, 4}
    assert widths == {1, 2, 3, 4, 5}


def test_gradient_check_sees_nonzero_gradients():
    # Guards against draws whose ReLUs are all inactive, where every
    # gradient of the hidden layers is trivially zero.
    nonzero_first_layers = 0
    for seed in GRADIENT_SEEDS:
        problem = draw_problem(seed)
        if len(problem.weights) < 2:
            continue
        step = train_problem(problem).steps[0]
        if any(entry != 0 for entry in step.layers[0].dW):
            nonzero_first_layers += 1
    assert nonzero_first_layers >= 5


# ReLU'(0): the convention at the kink.

KINK_SPEC = """\
[network]
inputs = 1
{network_key}

[[layer]]
activation = "relu"
weights = [[1], [2]]
biases = [-1, 1]
{layer_key}

[[layer]]
activation = "identity"
weights = [[1, 1]]
biases = [0]

[data]
x = [1]
y = [1]

[training]
loss = "half_squared_error"
learning_rate = 0.1
steps = 1
"""

# With x = 1 the first unit's pre-activation is 1*1 - 1 = 0 and the second's
# is 2*1 + 1 = 3. The output is 0 + 3 = 3, so dL/da of the output is 3 - 1 = 2
# and dL/da of the hidden layer is W2^T * 2 = (2, 2).


def kink_trace(network_key: str = "", layer_key: str = ""):
    text = KINK_SPEC.format(network_key=network_key, layer_key=layer_key)
    return solve(parse_spec(text))


def test_kink_forward_values():
    hidden = kink_trace().steps[0].layers[0]
    assert hidden.z == sympy.Matrix([0, 3])
    assert hidden.a == sympy.Matrix([0, 3])
    assert hidden.da == sympy.Matrix([2, 2])


def test_relu_derivative_at_zero_is_zero_by_default():
    hidden = kink_trace().steps[0].layers[0]
    assert hidden.slope == sympy.Matrix([0, 1])
    assert hidden.dz == sympy.Matrix([0, 2])
    assert hidden.dW == sympy.Matrix([[0], [2]])


def test_kink_unit_does_not_move_by_default():
    hidden = kink_trace().steps[0].layers[0]
    assert hidden.W_after == sympy.Matrix([[1], [R(9, 5)]])
    assert hidden.b_after == sympy.Matrix([-1, R(4, 5)])


@pytest.mark.parametrize(
    ("network_key", "layer_key"),
    [
        pytest.param("relu_derivative_at_zero = 1", "", id="network"),
        pytest.param("", "relu_derivative_at_zero = 1", id="layer"),
    ],
)
def test_relu_derivative_at_zero_set_to_one(network_key, layer_key):
    hidden = kink_trace(network_key, layer_key).steps[0].layers[0]
    assert hidden.slope == sympy.Matrix([1, 1])
    assert hidden.dz == hidden.da
    assert hidden.dz == sympy.Matrix([2, 2])
    assert hidden.dW == sympy.Matrix([[2], [2]])
    assert hidden.W_after == sympy.Matrix([[R(4, 5)], [R(9, 5)]])
    assert hidden.b_after == sympy.Matrix([R(-6, 5), R(4, 5)])


def test_relu_convention_leaves_output_layer_alone():
    default = kink_trace().steps[0]
    at_one = kink_trace("relu_derivative_at_zero = 1").steps[0]
    assert default.loss == at_one.loss == 2
    assert default.layers[1].dW == sympy.Matrix([[0, 6]])
    assert at_one.layers[1].dW == sympy.Matrix([[0, 6]])
    assert at_one.layers[1].b_after == sympy.Matrix([R(-1, 5)])


def test_relu_convention_through_api():
    network = Network(
        [Layer([[1], [2]], [-1, 1], relu(1)), Layer([[1, 1]], [0], "identity")]
    )
    hidden = train(network, [1], [1], learning_rate="0.1").steps[0].layers[0]
    assert hidden.dz == sympy.Matrix([2, 2])
    assert hidden.W_after == sympy.Matrix([[R(4, 5)], [R(9, 5)]])


# Internal consistency of every recorded step.


def assert_step_consistent(trace):
    eta = trace.learning_rate
    for step in trace.steps:
        assert step.layers[-1].da == step.output - trace.y
        for layer in step.layers:
            assert layer.dz == layer.da.multiply_elementwise(layer.slope)
            assert layer.dW == layer.dz * layer.a_prev.T
            assert layer.db == layer.dz
            assert layer.da_prev == layer.W.T * layer.dz
            assert layer.W_after == layer.W - eta * layer.dW
            assert layer.b_after == layer.b - eta * layer.db
        for before, after in zip(step.layers, step.layers[1:], strict=False):
            assert after.a_prev == before.a
            assert before.da == after.da_prev
        assert step.layers[0].a_prev == trace.x


def assert_steps_chained(trace):
    for earlier, later in zip(trace.steps, trace.steps[1:], strict=False):
        for before, after in zip(earlier.layers, later.layers, strict=True):
            assert after.W == before.W_after
            assert after.b == before.b_after
    for layer, record in zip(
        trace.final_network.layers, trace.steps[-1].layers, strict=True
    ):
        assert layer.W == record.W_after
        assert layer.b == record.b_after


def test_relu_1221_step_consistency(example_trace):
    assert_step_consistent(example_trace)


def test_relu_1221_steps_chained(example_trace):
    assert_steps_chained(example_trace)


def test_relu_1221_first_step_uses_spec_parameters(example_trace):
    for layer, record in zip(
        example_trace.network.layers, example_trace.steps[0].layers, strict=True
    ):
        assert record.W == layer.W
        assert record.b == layer.b


@pytest.mark.parametrize("seed", range(0, 20, 2))
def test_random_step_consistency(seed):
    trace = train_problem(draw_problem(seed), steps=3)
    assert_step_consistent(trace)


@pytest.mark.parametrize("seed", range(0, 20, 2))
def test_random_steps_chained(seed):
    trace = train_problem(draw_problem(seed), steps=3)
    assert_steps_chained(trace)


# Errors from the Python API.


@pytest.fixture
def small_network() -> Network:
    return Network([Layer([[2]], [0], "identity")])


def test_train_rejects_float_learning_rate(small_network):
    with pytest.raises(NumberError) as info:
        train(small_network, [1], [3], learning_rate=0.01)
    assert str(info.value) == (
        "0.01 is a binary float, which is not exact; "
        "write it as a string such as '0.01' or as a Fraction"
    )


def test_train_rejects_float_input(small_network):
    with pytest.raises(NumberError) as info:
        train(small_network, [0.5], [3], learning_rate="1/2")
    assert str(info.value) == (
        "0.5 is a binary float, which is not exact; "
        "write it as a string such as '0.5' or as a Fraction"
    )


def test_train_rejects_long_input(small_network):
    with pytest.raises(DerivationError) as info:
        train(small_network, [1, 2], [3], learning_rate="1/2")
    assert str(info.value) == "x: expected 1 value, found 2 values"


def test_train_rejects_row_target(small_network):
    with pytest.raises(DerivationError) as info:
        train(small_network, [1], [[3, 4]], learning_rate="1/2")
    assert str(info.value) == "y: expected 1 value per sample, found 2 per sample"


def test_train_rejects_short_input():
    network = Network([Layer([[1, 1]], [0], "identity")])
    with pytest.raises(DerivationError) as info:
        train(network, [1], [3], learning_rate="1/2")
    assert str(info.value) == "x: expected 2 values, found 1 value"


@pytest.mark.parametrize("steps", [0, -1, 1.5, True, "2"])
def test_train_rejects_steps(small_network, steps):
    with pytest.raises(DerivationError) as info:
        train(small_network, [1], [3], learning_rate="1/2", steps=steps)
    assert str(info.value) == f"steps must be a positive integer, not {steps!r}"


def test_train_rejects_unknown_loss(small_network):
    with pytest.raises(DerivationError) as info:
        train(small_network, [1], [3], loss="mse", learning_rate="1/2")
    assert str(info.value) == (
        "unknown loss 'mse'; supported: half_squared_error, sum_squared_error, "
        "mean_squared_error, binary_cross_entropy, categorical_cross_entropy"
    )
