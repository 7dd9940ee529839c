"""Tests for derivation.spec: loading TOML specs into exact values."""

from pathlib import Path

import pytest
import sympy

from derivation.errors import DerivationError, SpecError
from derivation.limits import ResourceLimitError
from derivation.spec import load_spec, parse_spec
from tests.examples import (
    BUNDLED_EXAMPLES,
    DATA_EXAMPLES,
    EXAMPLE_DIRECTORIES,
    SHARED_EXAMPLES,
)

R = sympy.Rational


NUMBER_FORMS = 'a number (integer, decimal, fraction such as "-3/8", or 2.5e-3)'

# A valid 2-2-1 spec; each error test changes one piece of it.
BASE = """\
[network]
inputs = 2

[[layer]]
activation = "relu"
weights = [[1, 2], [3, 4]]
biases = [0, 0]

[[layer]]
activation = "identity"
weights = [[1, 1]]
biases = [0]

[data]
x = [1, 2]
y = [3]

[training]
loss = "half_squared_error"
learning_rate = 0.1
steps = 1
"""


def edited(old: str, new: str) -> str:
    """Return BASE with the one occurrence of ``old`` replaced by ``new``."""
    assert BASE.count(old) == 1, f"{old!r} must occur once in BASE"
    return BASE.replace(old, new)


def spec_error(text: str) -> str:
    """Parse ``text`` as ``net.toml`` and return the message of its SpecError."""
    with pytest.raises(SpecError) as info:
        parse_spec(text, source="net.toml")
    return str(info.value)


def write_spec(directory: Path, text: str) -> Path:
    path = directory / "net.toml"
    path.write_text(text, encoding="utf-8")
    return path


# Happy path: the example specs.


@pytest.mark.parametrize("directory", EXAMPLE_DIRECTORIES)
def test_relu_1221_weights(directory):
    spec = load_spec(directory / "relu-1-2-2-1.toml")
    layers = spec.network.layers
    assert layers[0].W == sympy.Matrix([[1], [1]])
    assert layers[1].W == sympy.Matrix([[1, 1], [1, 1]])
    assert layers[2].W == sympy.Matrix([[1, 1]])


@pytest.mark.parametrize("directory", EXAMPLE_DIRECTORIES)
def test_relu_1221_biases(directory):
    spec = load_spec(directory / "relu-1-2-2-1.toml")
    layers = spec.network.layers
    assert layers[0].b == sympy.Matrix([R(-1, 2), R(-1, 2)])
    assert layers[1].b == sympy.Matrix([R(-1, 2), R(-1, 2)])
    assert layers[2].b == sympy.Matrix([R(-1, 2)])


@pytest.mark.parametrize("directory", EXAMPLE_DIRECTORIES)
def test_relu_1221_settings(directory):
    path = directory / "relu-1-2-2-1.toml"
    spec = load_spec(path)
    assert spec.learning_rate == R(1, 100)
    assert isinstance(spec.learning_rate, sympy.Rational)
    assert spec.steps == 2
    assert spec.loss.name == "half_squared_error"
    assert spec.title == "Two steps of backpropagation through a small ReLU network"
    assert spec.source == str(path)


@pytest.mark.parametrize("directory", EXAMPLE_DIRECTORIES)
def test_relu_1221_data(directory):
    spec = load_spec(directory / "relu-1-2-2-1.toml")
    assert spec.x == sympy.Matrix([4])
    assert spec.y == sympy.Matrix([1])
    assert spec.network.widths == (1, 2, 2, 1)


@pytest.mark.parametrize("directory", EXAMPLE_DIRECTORIES)
def test_relu_1221_activations(directory):
    spec = load_spec(directory / "relu-1-2-2-1.toml")
    names = [layer.activation.name for layer in spec.network.layers]
    assert names == ["relu", "relu", "identity"]


@pytest.mark.parametrize("directory", EXAMPLE_DIRECTORIES)
def test_two_input_example_values(directory):
    spec = load_spec(directory / "relu-2-2-1.toml")
    hidden, output = spec.network.layers
    assert hidden.W == sympy.Matrix([[R(1, 2), -1], [R(3, 2), 2]])
    assert hidden.b == sympy.Matrix([R(1, 4), R(-1, 2)])
    assert output.W == sympy.Matrix([[2, R(-1, 2)]])
    assert output.b == sympy.Matrix([R(1, 10)])
    assert spec.x == sympy.Matrix([2, 1])
    assert spec.learning_rate == R(1, 10)
    assert spec.steps == 1


@pytest.mark.parametrize("name", ["relu-1-2-2-1.toml", "relu-2-2-1.toml"])
def test_bundled_examples_match_copies(name):
    bundled = (BUNDLED_EXAMPLES / name).read_text(encoding="utf-8")
    copy = (DATA_EXAMPLES / name).read_text(encoding="utf-8")
    assert bundled == copy


@pytest.mark.skipif(not SHARED_EXAMPLES.is_dir(), reason="no shared/examples")
@pytest.mark.parametrize(
    "name",
    [
        "relu-1-2-2-1.toml",
        "relu-1-2-2-1.expected.json",
        "relu-1-2-2-1.expected.md",
        "relu-2-2-1.toml",
    ],
)
def test_copies_match_shared_examples(name):
    copy = (DATA_EXAMPLES / name).read_text(encoding="utf-8")
    shared = (SHARED_EXAMPLES / name).read_text(encoding="utf-8")
    assert copy == shared


# Happy path: number forms and fills.


def test_toml_decimal_is_exact():
    spec = parse_spec(BASE)
    assert spec.learning_rate == R(1, 10)
    assert isinstance(spec.learning_rate, sympy.Rational)


def test_toml_decimal_forms_are_exact():
    text = edited("biases = [0, 0]", "biases = [-0.59885, 2.5e-3]")
    spec = parse_spec(text)
    assert spec.network.layers[0].b == sympy.Matrix([R(-11977, 20000), R(1, 400)])


def test_toml_decimal_with_underscores():
    spec = parse_spec(edited("learning_rate = 0.1", "learning_rate = 0.000_1"))
    assert spec.learning_rate == R(1, 10000)


def test_toml_exponent_float():
    spec = parse_spec(edited("learning_rate = 0.1", "learning_rate = 1E-2"))
    assert spec.learning_rate == R(1, 100)


def test_string_numbers():
    text = edited("weights = [[1, 1]]", 'weights = [["-3/8", "2.5e-3"]]')
    spec = parse_spec(text)
    assert spec.network.layers[1].W == sympy.Matrix([[R(-3, 8), R(1, 400)]])


def test_string_learning_rate():
    spec = parse_spec(edited("learning_rate = 0.1", 'learning_rate = "1/3"'))
    assert spec.learning_rate == R(1, 3)


def test_scalar_weights_fill_matrix():
    spec = parse_spec(edited("weights = [[1, 2], [3, 4]]", "weights = 1"))
    assert spec.network.layers[0].W == sympy.Matrix([[1, 1], [1, 1]])


def test_scalar_string_weights_fill_matrix():
    spec = parse_spec(edited("weights = [[1, 2], [3, 4]]", 'weights = "-1/2"'))
    assert spec.network.layers[0].W == sympy.Matrix([[R(-1, 2)] * 2] * 2)


def test_scalar_weights_and_biases_make_one_unit():
    text = edited("weights = [[1, 1]]\nbiases = [0]", "weights = 0.5\nbiases = -1")
    spec = parse_spec(text)
    assert spec.network.layers[1].W == sympy.Matrix([[R(1, 2), R(1, 2)]])
    assert spec.network.layers[1].b == sympy.Matrix([-1])


def test_units_key_sizes_scalar_layer():
    text = edited(
        'activation = "relu"\nweights = [[1, 2], [3, 4]]\nbiases = [0, 0]',
        'activation = "relu"\nunits = 2\nweights = 1\nbiases = 0',
    )
    spec = parse_spec(text)
    assert spec.network.layers[0].W == sympy.Matrix([[1, 1], [1, 1]])
    assert spec.network.layers[0].b == sympy.Matrix([0, 0])


def test_units_key_must_match_weights():
    text = edited('activation = "relu"', 'activation = "relu"\nunits = 3')
    assert spec_error(text) == (
        "net.toml: layer 1: weights: expected 3 rows (units = 3), found 2 rows"
    )


def test_units_key_must_match_biases():
    text = edited(
        'activation = "relu"\nweights = [[1, 2], [3, 4]]',
        'activation = "relu"\nunits = 3\nweights = 1',
    )
    assert spec_error(text) == (
        "net.toml: layer 1: biases: expected 3 values (units = 3), found 2 values"
    )


def test_scalar_biases_fill_column():
    spec = parse_spec(edited("biases = [0, 0]", "biases = 0.25"))
    assert spec.network.layers[0].b == sympy.Matrix([R(1, 4), R(1, 4)])


def test_scalar_data_fills_column():
    spec = parse_spec(edited("x = [1, 2]", 'x = "1/2"'))
    assert spec.x == sympy.Matrix([R(1, 2), R(1, 2)])


def test_title_is_optional():
    spec = parse_spec(BASE)
    assert spec.title is None


def test_relu_convention_defaults_to_zero():
    spec = parse_spec(BASE)
    slope = spec.network.layers[0].activation.derivative(sympy.Matrix([0]))
    assert slope == sympy.Matrix([0])


def test_relu_convention_from_network():
    spec = parse_spec(edited("inputs = 2", "inputs = 2\nrelu_derivative_at_zero = 1"))
    slope = spec.network.layers[0].activation.derivative(sympy.Matrix([0]))
    assert slope == sympy.Matrix([1])


def test_relu_convention_from_layer():
    text = edited(
        'activation = "relu"', 'activation = "relu"\nrelu_derivative_at_zero = 1'
    )
    spec = parse_spec(text)
    slope = spec.network.layers[0].activation.derivative(sympy.Matrix([0]))
    assert slope == sympy.Matrix([1])


def test_relu_convention_layer_overrides_network():
    text = edited("inputs = 2", "inputs = 2\nrelu_derivative_at_zero = 1")
    text = text.replace(
        'activation = "relu"', 'activation = "relu"\nrelu_derivative_at_zero = 0'
    )
    spec = parse_spec(text)
    slope = spec.network.layers[0].activation.derivative(sympy.Matrix([0]))
    assert slope == sympy.Matrix([0])


def test_load_spec_reads_file(tmp_path):
    path = write_spec(tmp_path, BASE)
    spec = load_spec(path)
    assert spec.source == str(path)
    assert spec.network.widths == (2, 2, 1)


def test_spec_error_is_derivation_error():
    assert issubclass(SpecError, DerivationError)


# One test per way to fail. Messages are pinned whole.


def test_bad_toml_syntax():
    message = spec_error(edited("inputs = 2", "inputs = = 2"))
    assert message == (
        "net.toml: expected valid TOML, found Invalid value (at line 2, column 10)"
    )


def test_bad_toml_syntax_in_file(tmp_path):
    path = write_spec(tmp_path, "[network\n")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert str(info.value) == (
        f"{path}: expected valid TOML, "
        "found Expected ']' at the end of a table declaration (at line 1, column 9)"
    )


def test_non_utf8_bytes(tmp_path):
    path = tmp_path / "net.toml"
    path.write_bytes(b'title = "caf\xe9"\n')
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert str(info.value) == (
        f"{path}: expected UTF-8 text, found the byte 0xe9 at offset 12"
    )


def test_file_not_found(tmp_path):
    path = tmp_path / "missing.toml"
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert str(info.value) == (
        f"{path}: expected a spec file, found nothing (file not found)"
    )


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(SpecError) as info:
        load_spec(tmp_path)
    assert str(info.value) == (
        f"{tmp_path}: expected a readable spec file, "
        "found a path that cannot be read (Is a directory)"
    )


def test_missing_network_table():
    message = spec_error(edited("[network]\ninputs = 2\n", ""))
    assert message == (
        "net.toml: network: expected a [network] table, "
        "found nothing (the key is missing)"
    )


def test_network_not_a_table():
    message = spec_error(edited("[network]\ninputs = 2\n", "network = 3\n"))
    assert message == "net.toml: network: expected a [network] table, found 3"


def test_missing_inputs():
    message = spec_error(edited("inputs = 2\n", ""))
    assert message == (
        "net.toml: network: inputs: expected a value, "
        "found nothing (the key is missing)"
    )


def test_missing_layer_biases():
    message = spec_error(edited("biases = [0]\n", ""))
    assert message == (
        "net.toml: layer 2: biases: expected a value, "
        "found nothing (the key is missing)"
    )


def test_missing_layer_weights():
    message = spec_error(edited("weights = [[1, 2], [3, 4]]\n", ""))
    assert message == (
        "net.toml: layer 1: weights: expected a value, "
        "found nothing (the key is missing)"
    )


def test_missing_layer_activation():
    message = spec_error(edited('activation = "identity"\n', ""))
    assert message == (
        "net.toml: layer 2: activation: expected a value, "
        "found nothing (the key is missing)"
    )


def test_missing_data_table():
    message = spec_error(edited("[data]\nx = [1, 2]\ny = [3]\n", ""))
    assert message == (
        "net.toml: data: expected a [data] table, found nothing (the key is missing)"
    )


def test_missing_learning_rate():
    message = spec_error(edited("learning_rate = 0.1\n", ""))
    assert message == (
        "net.toml: training: learning_rate: expected a value, "
        "found nothing (the key is missing)"
    )


def test_wrong_weight_columns():
    message = spec_error(edited("weights = [[1, 1]]", "weights = [[1, 1, 1]]"))
    assert message == "net.toml: layer 2: weights: expected a 1x2 matrix, found 1x3"


def test_wrong_weight_shape_first_layer():
    text = edited("weights = [[1, 2], [3, 4]]", "weights = [[1, 2, 5], [3, 4, 6]]")
    message = spec_error(text)
    assert message == "net.toml: layer 1: weights: expected a 2x2 matrix, found 2x3"


def test_weight_rows_disagree_with_next_layer():
    text = edited("weights = [[1, 2], [3, 4]]", "weights = [[1, 2]]")
    text = text.replace("biases = [0, 0]", "biases = [0]")
    message = spec_error(text)
    assert message == "net.toml: layer 2: weights: expected a 1x1 matrix, found 1x2"


def test_ragged_weight_rows():
    message = spec_error(
        edited("weights = [[1, 2], [3, 4]]", "weights = [[1, 2], [3]]")
    )
    assert message == (
        "net.toml: layer 1: weights: expected a 2x2 matrix, found rows of lengths 1, 2"
    )


def test_flat_weight_list():
    message = spec_error(edited("weights = [[1, 2], [3, 4]]", "weights = [1, 2]"))
    assert message == (
        "net.toml: layer 1: weights: expected a 2x2 matrix (a list of rows), "
        "found a list of 2 items"
    )


def test_empty_weight_list():
    message = spec_error(edited("weights = [[1, 1]]", "weights = []"))
    assert message == (
        "net.toml: layer 2: weights: expected a matrix with at least one row, "
        "found an empty list"
    )


def test_weights_as_table():
    message = spec_error(edited("weights = [[1, 1]]", "weights = {a = 1}"))
    assert (
        message == f"net.toml: layer 2: weights: expected {NUMBER_FORMS}, found a table"
    )


def test_wrong_bias_length():
    message = spec_error(edited("biases = [0, 0]", "biases = [0, 0, 0]"))
    assert message == (
        "net.toml: layer 1: biases: expected a list of 2 values, "
        "found a list of 3 items"
    )


def test_nested_bias_list():
    message = spec_error(edited("biases = [0, 0]", "biases = [[0], [0]]"))
    assert message == (
        "net.toml: layer 1: biases: expected a list of 2 values (a flat list), "
        "found a nested list"
    )


def test_unknown_activation():
    message = spec_error(edited('"identity"', '"swish"'))
    assert message == (
        "net.toml: layer 2: activation: expected one of identity, relu, "
        "leaky_relu, sigmoid, tanh, softplus, softmax, found the string 'swish'"
    )


def test_activation_not_a_string():
    message = spec_error(edited('"identity"', "3"))
    assert message == (
        "net.toml: layer 2: activation: expected one of identity, relu, "
        "leaky_relu, sigmoid, tanh, softplus, softmax, found 3"
    )


def test_unknown_loss():
    message = spec_error(edited('"half_squared_error"', '"mse"'))
    assert message == (
        "net.toml: training: loss: expected one of half_squared_error, "
        "sum_squared_error, mean_squared_error, binary_cross_entropy, "
        "categorical_cross_entropy, found the string 'mse'"
    )


def test_number_string_not_a_number():
    message = spec_error(edited("weights = [[1, 1]]", 'weights = [[1, "a.b"]]'))
    assert message == (
        f"net.toml: layer 2: weights: row 1, column 2: expected {NUMBER_FORMS}, "
        "found the string 'a.b'"
    )


def test_number_toml_nan():
    message = spec_error(edited("weights = [[1, 1]]", "weights = [[1, nan]]"))
    assert message == (
        f"net.toml: layer 2: weights: row 1, column 2: expected {NUMBER_FORMS}, "
        "found nan"
    )


def test_number_toml_inf():
    message = spec_error(edited("biases = [0, 0]", "biases = [0, -inf]"))
    assert message == (
        f"net.toml: layer 1: biases: entry 2: expected {NUMBER_FORMS}, found -inf"
    )


def test_number_boolean():
    message = spec_error(edited("weights = [[1, 1]]", "weights = [[true, 1]]"))
    assert message == (
        f"net.toml: layer 2: weights: row 1, column 1: expected {NUMBER_FORMS}, "
        "found the boolean true"
    )


def test_number_zero_denominator():
    message = spec_error(edited("learning_rate = 0.1", 'learning_rate = "1/0"'))
    assert message == (
        f"net.toml: training: learning_rate: expected {NUMBER_FORMS}, "
        "found the string '1/0', which has a zero denominator"
    )


def test_number_exponent_out_of_range():
    message = spec_error(edited("learning_rate = 0.1", "learning_rate = 1e1000000"))
    assert message == (
        f"net.toml: training: learning_rate: expected {NUMBER_FORMS}, "
        "found 1e1000000, which has the exponent 1000000, "
        "outside the supported range -1000 to 1000"
    )


def test_number_date():
    message = spec_error(edited("learning_rate = 0.1", "learning_rate = 1979-05-27"))
    assert message == (
        f"net.toml: training: learning_rate: expected {NUMBER_FORMS}, "
        "found a date (1979-05-27)"
    )


def test_steps_zero():
    message = spec_error(edited("steps = 1", "steps = 0"))
    assert message == "net.toml: training: steps: expected a positive integer, found 0"


def test_steps_negative():
    message = spec_error(edited("steps = 1", "steps = -1"))
    assert message == (
        "net.toml: training: steps: expected a positive integer, found -1"
    )


def test_steps_fraction():
    message = spec_error(edited("steps = 1", "steps = 1.5"))
    assert message == (
        "net.toml: training: steps: expected a positive integer, found 1.5"
    )


def test_steps_string():
    message = spec_error(edited("steps = 1", 'steps = "2"'))
    assert message == (
        "net.toml: training: steps: expected a positive integer, found the string '2'"
    )


def test_inputs_zero():
    message = spec_error(edited("inputs = 2", "inputs = 0"))
    assert message == "net.toml: network: inputs: expected a positive integer, found 0"


def test_misspelled_layer_key():
    message = spec_error(edited("weights = [[1, 1]]", "weigths = [[1, 1]]"))
    assert message == (
        "net.toml: layer 2: weigths: expected a known key "
        "(activation, units, weights, biases, relu_derivative_at_zero, slope, "
        "bias, frozen), found the unknown key 'weigths'"
    )


def test_unknown_top_level_key():
    message = spec_error("extra = 1\n" + BASE)
    assert message == (
        "net.toml: extra: expected a known key (title, network, layer, data, "
        "training, notation, numbers, output, exercise, variants), found the "
        "unknown key 'extra'"
    )


def test_unknown_training_key():
    message = spec_error(edited("steps = 1", "steps = 1\nnesterov = true"))
    assert message == (
        "net.toml: training: nesterov: expected a known key "
        "(loss, learning_rate, steps, epochs, batch_size, reduction, momentum, "
        "weight_decay, rounding, max_digits), found the unknown key 'nesterov'"
    )


def test_x_wrong_length():
    message = spec_error(edited("x = [1, 2]", "x = [1, 2, 3]"))
    assert message == (
        "net.toml: data: x: expected a list of 2 values, found a list of 3 items"
    )


def test_y_wrong_length():
    message = spec_error(edited("y = [3]", "y = [3, 4]"))
    assert message == (
        "net.toml: data: y: expected a list of 1 value, found a list of 2 items"
    )


def test_no_layer_tables():
    start = BASE.index("[[layer]]")
    end = BASE.index("[data]")
    message = spec_error(BASE[:start] + BASE[end:])
    assert message == (
        "net.toml: layer: expected at least one [[layer]] table, found none"
    )


def test_layer_not_a_table():
    start = BASE.index("[[layer]]")
    end = BASE.index("[data]")
    message = spec_error("layer = 3\n" + BASE[:start] + BASE[end:])
    assert message == "net.toml: layer: expected at least one [[layer]] table, found 3"


def test_relu_convention_two():
    message = spec_error(
        edited("inputs = 2", "inputs = 2\nrelu_derivative_at_zero = 2")
    )
    assert message == (
        "net.toml: network: relu_derivative_at_zero: expected 0 or 1, found 2"
    )


def test_relu_convention_two_in_layer():
    text = edited(
        'activation = "relu"', 'activation = "relu"\nrelu_derivative_at_zero = 2'
    )
    message = spec_error(text)
    assert message == (
        "net.toml: layer 1: relu_derivative_at_zero: expected 0 or 1, found 2"
    )


def test_relu_convention_boolean():
    text = edited("inputs = 2", "inputs = 2\nrelu_derivative_at_zero = true")
    message = spec_error(text)
    assert message == (
        "net.toml: network: relu_derivative_at_zero: expected 0 or 1, "
        "found the boolean true"
    )


def test_title_not_a_string():
    message = spec_error("title = 3\n" + BASE)
    assert message == "net.toml: title: expected a string, found 3"


def test_error_names_default_source():
    with pytest.raises(SpecError) as info:
        parse_spec(edited("steps = 1", "steps = 0"))
    assert str(info.value) == (
        "<spec>: training: steps: expected a positive integer, found 0"
    )


def test_layer_entry_not_a_table():
    start = BASE.index("[[layer]]")
    end = BASE.index("[data]")
    message = spec_error("layer = [1, 2]\n" + BASE[:start] + BASE[end:])
    assert message == "net.toml: layer 1: expected a [[layer]] table, found 1"


def test_byte_order_mark_is_ignored(tmp_path):
    path = tmp_path / "net.toml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode("utf-8"))
    assert load_spec(path).steps == 1


def test_title_must_be_a_string_not_a_decimal():
    message = spec_error("title = 1.5\n" + BASE)
    assert message == "net.toml: title: expected a string, found 1.5"


def test_huge_toml_integer_is_rejected():
    huge = "1" * 1001
    message = spec_error(edited("x = [1, 2]", f"x = [1, {huge}]"))
    assert message == (
        f"net.toml: data: x: entry 2: expected {NUMBER_FORMS}, "
        "found an integer of 1001 digits, which has more than 1000 digits"
    )


def test_oversized_file_is_rejected(tmp_path):
    path = tmp_path / "net.toml"
    path.write_text(BASE + "#" * 1_000_001)
    size = path.stat().st_size
    with pytest.raises(ResourceLimitError) as raised:
        load_spec(path)
    assert str(raised.value) == (
        f"{path}: expected at most 1000000 bytes (the spec_bytes limit), "
        f"found {size}; to allow it, pass --limit spec_bytes={size} "
        f"(in Python, Limits(spec_bytes={size}))"
    )
