"""Tests for derivation.lazy and the deferred values that the engine records."""

import dataclasses

import sympy

import derivation.trace as trace_module
from derivation.backend import FLINT
from derivation.engine import train
from derivation.lazy import Deferred, LazyField, stored_value
from derivation.network import Layer, Network

R = sympy.Rational


@dataclasses.dataclass(frozen=True)
class Record:
    value: object = LazyField()


def counting_deferred(result: object) -> tuple[Deferred, list[int]]:
    calls: list[int] = []

    def build() -> object:
        calls.append(1)
        return result

    return Deferred(build), calls


def relu_trace():
    network = Network(
        [
            Layer([[1], [-2]], ["1/2", "1/3"], "relu"),
            Layer([[1, 1]], [0], "identity"),
        ]
    )
    return train(network, x=[1], y=[2], learning_rate="1/4", steps=2)


def test_deferred_builds_once():
    deferred, calls = counting_deferred(7)
    assert deferred.value() == 7
    assert deferred.value() == 7
    assert calls == [1]


def test_lazy_field_caches_value():
    deferred, calls = counting_deferred(9)
    record = Record(deferred)
    assert stored_value(record, "value") is deferred
    assert record.value == 9
    assert stored_value(record, "value") == 9
    assert calls == [1]


def test_lazy_field_keeps_plain_value():
    assert Record(5).value == 5


def test_lazy_field_has_no_default():
    assert dataclasses.fields(Record)[0].default is dataclasses.MISSING


def test_layer_step_fields_are_sympy():
    layer = relu_trace().steps[0].layers[0]
    for field in trace_module.JSON_KEYS:
        value = getattr(layer, field)
        assert isinstance(value, sympy.MatrixBase), field
        assert all(isinstance(entry, sympy.Rational) for entry in value), field


def test_layer_step_values_exact():
    layer = relu_trace().steps[0].layers[0]
    assert layer.z == sympy.Matrix([R(3, 2), R(-5, 3)])
    assert layer.dW == sympy.Matrix([[R(-1, 2)], [0]])
    assert layer.W_after == sympy.Matrix([[R(9, 8)], [-2]])


def test_layer_step_shares_dz_and_db():
    layer = relu_trace().steps[0].layers[0]
    assert layer.db is layer.dz


def test_layer_step_replace_keeps_fields():
    layer = relu_trace().steps[0].layers[0]
    changed = dataclasses.replace(layer, z=sympy.Matrix([0, 0]))
    assert changed.z == sympy.Matrix([0, 0])
    assert changed.dW == layer.dW


def test_step_w_is_previous_w_after():
    first, second = relu_trace().steps
    assert second.layers[0].W is first.layers[0].W_after


def test_updated_layer_defers_weights():
    trace = relu_trace()
    layer = trace.final_network.layers[0]
    if FLINT is not None:
        assert isinstance(stored_value(layer, "W"), Deferred)
    assert (layer.units, layer.inputs) == (2, 1)
    assert layer.W == trace.steps[-1].layers[0].W_after
