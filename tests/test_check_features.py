"""Checking answers for batches, momentum, bias modes and closed forms."""

from __future__ import annotations

import tomllib
from pathlib import Path

import sympy

from derivation.answers import answer_template, parse_answers
from derivation.check import Report, check_answers
from derivation.engine import gradient_step, solve, train
from derivation.network import Layer, Network
from derivation.numbers import decimal_string, exact_string
from derivation.spec import load_spec
from derivation.tolerance import round_to_decimals
from derivation.trace import Trace

R = sympy.Rational
EXAMPLES = Path(__file__).resolve().parents[1] / "derivation" / "examples"
MINI_BATCH = solve(load_spec(EXAMPLES / "mini-batch.toml"))
TANH = solve(load_spec(EXAMPLES / "tanh-softplus.toml"))
MOMENTUM = solve(load_spec(EXAMPLES / "momentum-weight-decay.toml"))


def written(value: sympy.Expr) -> str:
    """Write a true value as a TOML string: exact, or a closed form to 12 places."""
    if isinstance(value, sympy.Rational):
        return f'"{exact_string(value)}"'
    rounded = round_to_decimals(value, 12, "either").values[0]
    return f'"{decimal_string(rounded)}"'


def toml_value(matrix: sympy.Matrix) -> str:
    rows = [
        "[" + ", ".join(written(entry) for entry in row) + "]"
        for row in matrix.tolist()
    ]
    return "[" + ", ".join(rows) + "]"


def filled_template(trace: Trace) -> str:
    """Fill every blank of the trace's template with the true value."""
    template = tomllib.loads(answer_template(trace))
    lines = []
    for step_key, table in template["step"].items():
        step = trace.steps[int(step_key) - 1]
        lines += [f"[step.{step_key}]", f"loss = {written(step.loss)}"]
        for layer_key, names in table["layer"].items():
            record = step.layers[int(layer_key) - 1]
            lines.append(f"[step.{step_key}.layer.{layer_key}]")
            lines += [f"{name} = {toml_value(getattr(record, name))}" for name in names]
    return "\n".join(lines) + "\n"


def check_text(text: str, trace: Trace) -> Report:
    return check_answers(trace, parse_answers(text, source="a.toml"))


def status_of(report: Report, key_path: str) -> str:
    return next(value.status for value in report.values if value.key_path == key_path)


# Batches


def test_template_batch_values_are_matrices():
    lines = answer_template(MINI_BATCH).splitlines()
    z_line = next(line for line in lines if line.startswith("z = "))
    expected = 'z = [["", ""], ["", ""]]      # W a_prev + b, 2x2, a column per sample'
    assert z_line == expected


def test_template_batch_names_samples():
    lines = answer_template(MINI_BATCH).splitlines()
    expected = (
        "# This step's batch: samples 3, 4, one column each in z, a, da, slope, dz "
        "and da_prev."
    )
    assert expected in lines


def test_batch_template_round_trip_all_correct():
    report = check_text(filled_template(MINI_BATCH), MINI_BATCH)
    assert report.count("correct") == len(report.values)


def test_batch_template_round_trip_checks_every_value():
    report = check_text(filled_template(MINI_BATCH), MINI_BATCH)
    assert report.summary() == "46 values checked: 46 correct"


def test_batch_accepts_true_z_matrix():
    report = check_text("[step.1.layer.1]\nz = [[1, 2], [0, -1]]\n", MINI_BATCH)
    assert report.summary() == "1 value checked: 1 correct"


def test_batch_wrong_entry_found_with_true_value():
    text = "[step.1.layer.1]\nz = [[1, 2], [5, -1]]\na = [[1, 2], [5, 0]]\n"
    report = check_text(text, MINI_BATCH)
    assert report.to_text().splitlines()[3:6] == [
        "step 1: layer 1: z: wrong",
        "  row 2, column 1: found 5, expected 0, error 5",
        "step 1: layer 1: a: consistent with the earlier slip at step 1: layer 1: z",
    ]


def test_batch_wrong_entry_is_first_slip():
    text = "[step.1.layer.1]\nz = [[1, 2], [5, -1]]\n"
    report = check_text(text, MINI_BATCH)
    assert report.first_slip.key_path == "step 1: layer 1: z"


def features_network() -> Network:
    return Network(
        [
            Layer([[1, -1], [2, 1]], [1, 1], "relu", bias="shared"),
            Layer([[1, 2]], None, "identity", bias="none", frozen=["weights"]),
        ]
    )


FEATURES = train(
    features_network(),
    [[1, 2], [2, 1], [1, 0], [0, 1]],
    [[1], [2], [0], [1]],
    learning_rate="0.01",
    batch_size=2,
    reduction="sum",
    steps=2,
)


# Step 1's W_after of layer 1 with a slip of 0.1 in its first entry.
WRONG_W = FEATURES.steps[0].layers[0].W_after + sympy.Matrix([[R(1, 10), 0], [0, 0]])


def slipped_answers(trace: Trace, wrong_W: sympy.Matrix) -> str:
    """Step 1's W_after of layer 1 is ``wrong_W``; step 2 follows from it."""
    first = trace.steps[0]
    network = Network(
        [
            trace.network.layers[0].with_parameters(wrong_W, first.layers[0].b_after),
            trace.network.layers[1].with_parameters(
                first.layers[1].W_after, first.layers[1].b_after
            ),
        ]
    )
    second = trace.steps[1]
    step, _ = gradient_step(
        network,
        second.x,
        second.y,
        trace.loss,
        trace.learning_rate,
        2,
        reduction=trace.reduction,
    )
    lines = ["[step.1.layer.1]", f"W_after = {toml_value(wrong_W)}", "[step.2]"]
    lines.append(f"loss = {written(step.loss)}")
    for number, record in enumerate(step.layers, start=1):
        lines.append(f"[step.2.layer.{number}]")
        for name in ("z", "a", "da", "dz", "dW", "db", "da_prev", "W_after", "b_after"):
            lines.append(f"{name} = {toml_value(getattr(record, name))}")
    return "\n".join(lines) + "\n"


def test_batch_slip_carries_to_next_step():
    report = check_text(slipped_answers(FEATURES, WRONG_W), FEATURES)
    assert report.count("carried_forward") == 17


def test_batch_slip_counts_one_wrong():
    report = check_text(slipped_answers(FEATURES, WRONG_W), FEATURES)
    assert report.count("wrong") == 1


def test_shared_bias_gradient_is_one_number():
    db = FEATURES.steps[0].layers[0].db
    text = f"[step.1.layer.1]\ndb = {written(db[0, 0])}\n"
    assert check_text(text, FEATURES).summary() == "1 value checked: 1 correct"


def test_frozen_weights_stay_unchanged():
    W = FEATURES.network.layers[1].W
    text = f"[step.1.layer.2]\nW_after = {toml_value(W)}\n"
    assert check_text(text, FEATURES).summary() == "1 value checked: 1 correct"


# Closed forms


def test_closed_form_rounded_decimal_accepted():
    text = '[step.1.layer.1]\na = ["0.7615941560", ""]\n'
    report = check_text(text, TANH)
    assert report.values[0].rule == "correctly rounded to 10 decimal places"


def test_closed_form_misrounded_decimal_wrong():
    text = '[step.1.layer.1]\na = ["0.7615941559", ""]\n'
    report = check_text(text, TANH)
    assert report.to_text().splitlines()[4] == (
        "  entry 1: found 0.7615941559, expected tanh(1) (about 0.761594156), "
        "error about 0.0000000000558, 0.00000000732% of the true value"
    )


def test_closed_form_significant_policy():
    text = '[tolerance]\nsignificant = 3\n[step.1.layer.1]\na = ["0.762", "-0.462"]\n'
    report = check_text(text, TANH)
    assert report.values[0].rule == "correctly rounded to 3 significant figures"


def test_closed_form_absolute_policy():
    text = '[tolerance]\nabsolute = 0.001\n[step.1.layer.1]\na = ["0.761", ""]\n'
    report = check_text(text, TANH)
    assert report.values[0].rule == "within the absolute tolerance 0.001"


def test_closed_form_exact_policy_explains():
    text = '[tolerance]\nexact = true\n[step.1.layer.1]\na = ["0.7615941560", ""]\n'
    report = check_text(text, TANH)
    assert report.to_text().splitlines()[4] == (
        "  entry 1: found 0.7615941560, expected tanh(1) (about 0.761594156), "
        "error about 0.0000000000442, 0.00000000581% of the true value (never "
        "exact: "
        "a decimal or fraction cannot equal the closed form)"
    )


def test_closed_form_round_trip_within_tolerance():
    report = check_text(filled_template(TANH), TANH)
    assert report.all_right


# Momentum and weight decay


def plain_update(trace: Trace) -> sympy.Matrix:
    """Step 2's W_after of layer 1 computed without momentum."""
    record = trace.steps[1].layers[0]
    decay = trace.optimizer.weight_decay
    return record.W - trace.learning_rate * (record.dW + decay * record.W)


def test_momentum_plain_update_is_wrong():
    text = (
        f"[step.2.layer.1]\ndW = {toml_value(MOMENTUM.steps[1].layers[0].dW)}\n"
        f"W_after = {toml_value(plain_update(MOMENTUM))}\n"
    )
    report = check_text(text, MOMENTUM)
    assert status_of(report, "step 2: layer 1: W_after") == "wrong"


def test_momentum_report_names_no_empty_place():
    text = f"[step.2.layer.1]\nW_after = {toml_value(plain_update(MOMENTUM))}\n"
    report = check_text(text, MOMENTUM)
    assert "at )" not in report.to_text()


def test_momentum_update_from_wrong_gradient_carried():
    record = MOMENTUM.steps[1].layers[0]
    wrong_dW = record.dW + sympy.ones(2, 2)
    velocity = MOMENTUM.optimizer.momentum * MOMENTUM.steps[0].layers[0].vW + (
        wrong_dW + MOMENTUM.optimizer.weight_decay * record.W
    )
    W_after = record.W - MOMENTUM.learning_rate * velocity
    text = (
        f"[step.2.layer.1]\ndW = {toml_value(wrong_dW)}\n"
        f"W_after = {toml_value(W_after)}\n"
    )
    report = check_text(text, MOMENTUM)
    assert status_of(report, "step 2: layer 1: W_after") == "carried_forward"


def test_momentum_round_trip_all_correct():
    report = check_text(filled_template(MOMENTUM), MOMENTUM)
    assert report.count("correct") == len(report.values)


def test_momentum_template_states_update():
    lines = answer_template(MOMENTUM).splitlines()
    b_line = next(line for line in lines if line.startswith("b_after"))
    assert b_line.endswith("# b - eta v, v = mu v_before + db, 2 values")
