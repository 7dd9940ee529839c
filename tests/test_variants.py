"""Variants: drawn values, constraints, rejections, output files and the CLI."""

from __future__ import annotations

import json
import time

import pytest
import sympy

from derivation.bundled import example_text
from derivation.check import check_file
from derivation.cli import main
from derivation.engine import solve
from derivation.errors import DerivationError, SpecError
from derivation.spec import load_spec, parse_spec, spec_document
from derivation.variants import (
    VariantsError,
    _Screen,
    check_trace,
    parse_variants,
    read_variants,
    variant_files,
    write_variant_files,
)

from .latex_tools import compile_latex

EXAMPLE = "relu-1-2-2-1-variants"
TEXT = example_text(EXAMPLE)
BASE = TEXT.split("[variants]")[0]


@pytest.fixture(scope="module")
def class_set():
    started = time.perf_counter()
    variant_set = parse_variants(TEXT, 30, seed=1, source=EXAMPLE)
    files = variant_files(variant_set)
    return variant_set, files, time.perf_counter() - started


@pytest.fixture(scope="module")
def class_folder(class_set, tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    write_variant_files(class_set[1], folder)
    return folder


def with_variants(table: str, base: str = BASE) -> str:
    return base + "[variants]\n" + table


def every_value(trace):
    for step in trace.steps:
        yield f"step {step.number}: loss", step.loss
        for number, record in enumerate(step.layers, start=1):
            for name, value in record.fields().items():
                if value is None:
                    continue
                for entry in value:
                    yield f"step {step.number}: layer {number}: {name}", entry


def test_thirty_variants_generated_quickly(class_set):
    variant_set, _, seconds = class_set
    assert len(variant_set.variants) == 30
    assert seconds < 20


def test_every_value_has_four_decimals(class_set):
    bad = [
        (variant.number, where, value)
        for variant in class_set[0].variants
        for where, value in every_value(variant.trace)
        if not isinstance(value, sympy.Rational) or 10**4 % value.q
    ]
    assert bad == []


def test_no_relu_dead_or_at_kink(class_set):
    bad = []
    for variant in class_set[0].variants:
        layers = variant.trace.network.layers
        for step in variant.trace.steps:
            for layer, record in zip(layers, step.layers):
                if layer.activation.name == "relu" and any(z <= 0 for z in record.z):
                    bad.append((variant.number, step.number))
    assert bad == []


def test_loss_decreases_every_step(class_set):
    for variant in class_set[0].variants:
        losses = [step.loss for step in variant.trace.steps]
        assert losses == sorted(losses, reverse=True)
        assert len(set(losses)) == len(losses)


def test_variants_differ(class_set):
    drawn = [tuple(variant.values.values()) for variant in class_set[0].variants]
    assert len(set(drawn)) == 30


def test_same_seed_same_files(class_set):
    again = variant_files(parse_variants(TEXT, 30, seed=1, source=EXAMPLE))
    assert again == class_set[1]


def test_other_seed_other_variants(class_set):
    other = parse_variants(TEXT, 3, seed=2, source=EXAMPLE)
    first = [variant.values for variant in class_set[0].variants[:3]]
    assert [variant.values for variant in other.variants] != first


def test_written_files_byte_identical(class_set, class_folder, tmp_path):
    write_variant_files(variant_files(parse_variants(TEXT, 30, 1, EXAMPLE)), tmp_path)
    for relative in class_set[1]:
        assert (tmp_path / relative).read_bytes() == (
            class_folder / relative
        ).read_bytes()


def test_files_per_variant(class_set):
    files = class_set[1]
    assert sorted(name for name in files if name.startswith("variant-01/")) == [
        "variant-01/answers.toml",
        "variant-01/exercise.tex",
        "variant-01/solution.tex",
        "variant-01/spec.toml",
    ]
    assert "teacher.tex" in files
    assert len(files) == 30 * 4 + 2


def test_own_answer_key_passes(class_folder):
    failing = []
    for number in range(1, 31):
        folder = class_folder / f"variant-{number:02d}"
        trace = solve(load_spec(folder / "spec.toml"))
        if not check_file(trace, folder / "answers.toml").all_right:
            failing.append(number)
    assert failing == []


def test_other_answer_key_fails(class_folder):
    passing = []
    for number in range(1, 31):
        other = number % 30 + 1
        trace = solve(load_spec(class_folder / f"variant-{number:02d}" / "spec.toml"))
        key = class_folder / f"variant-{other:02d}" / "answers.toml"
        if check_file(trace, key).all_right:
            passing.append((number, other))
    assert passing == []


def test_teacher_document_compiles(class_folder, tmp_path):
    source = (class_folder / "teacher.tex").read_text(encoding="utf-8")
    compiled = compile_latex(source, tmp_path, "teacher")
    assert "Variant 30" in compiled.text
    assert "Answer key" in compiled.text


def test_manifest_records_seed_and_draws(class_set):
    manifest = json.loads(class_set[1]["variants.json"])
    assert manifest["seed"] == 1
    assert manifest["count"] == 30
    assert manifest["draws"] == class_set[0].draws
    assert set(manifest["rejected"]) <= {
        "decimals",
        "kink",
        "dead_relu",
        "loss",
        "repeat",
        "same_answers",
    }


def test_rejections_counted_by_kind(class_set):
    variant_set = class_set[0]
    rejections = variant_set.rejections
    assert rejections.total == variant_set.draws - 30
    assert rejections.counts["decimals"] > 0
    assert rejections.counts["kink"] > 0
    assert rejections.counts["dead_relu"] > 0


def test_report_names_each_reason(class_set):
    report = class_set[0].report()
    assert report.startswith(f"30 variants from {class_set[0].draws} draws (seed 1)")
    assert "a value that is not a decimal with at most 4 decimal places" in report
    assert "a pre-activation exactly at the kink of a ReLU" in report


def test_screen_agrees_with_engine():
    spec = parse_spec(TEXT, source=EXAMPLE)
    plan = read_variants(spec_document(TEXT), spec)
    screen = _Screen.for_spec(spec, plan)
    import random

    from derivation.variants import variant_spec_text

    rng = random.Random(3)
    disagreements = []
    for _ in range(150):
        indices = tuple(rng.randrange(len(slot.values)) for slot in plan.slots)
        values = [slot.values[i] for slot, i in zip(plan.slots, indices)]
        text = variant_spec_text(spec_document(TEXT), spec, plan.slots, values, 1)
        expected = check_trace(solve(parse_spec(text)), plan.constraints)
        if screen.run(indices) != expected:
            disagreements.append(indices)
    assert disagreements == []


IMPOSSIBLE = 'max_abs = 5\n"data.x" = { choices = [3, 4, 5] }\n'


def test_impossible_constraints_fail_clearly():
    with pytest.raises(VariantsError) as caught:
        parse_variants(with_variants(IMPOSSIBLE), 2, seed=1, source="spec.toml")
    assert str(caught.value) == (
        "spec.toml: variants: the constraints cannot be met often enough: found "
        "0 of 2 variants after trying all 3 possible draws. Rejected draws: 3 with "
        "a value larger than 5 in absolute value (most often at step 1: layer 2: "
        "z); 1 with the same draw as an earlier one. Widen the choices or ranges, "
        "relax a constraint, or raise max_draws."
    )


def test_too_few_combinations_fail_early():
    table = '"data.x" = { choices = [1, 2] }\n'
    with pytest.raises(VariantsError) as caught:
        parse_variants(with_variants(table), 3, source="spec.toml")
    assert str(caught.value) == (
        "spec.toml: variants: the draws allow only 2 different variants, fewer "
        "than the 3 requested; add choices or widen the ranges"
    )


def test_max_draws_stops_search():
    table = (
        'max_draws = 5\n"data.x" = { range = [1, 100] }\n'
        '"data.y" = { range = [1, 100] }\n'
    )
    with pytest.raises(VariantsError, match="after max_draws = 5 draws"):
        parse_variants(with_variants(table), 30, source="spec.toml")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            '"layer.4.weights" = { choices = [1] }\n',
            "spec.toml: variants: layer.4.weights: expected a layer from 1 to 3, "
            "found layer 4 (the spec has 3 layers)",
        ),
        (
            '"layer.1.weights.3.1" = { choices = [1] }\n',
            "spec.toml: variants: layer.1.weights.3.1: expected a row from 1 to 2, "
            "found '3'",
        ),
        (
            '"data.x" = { choices = [] }\n',
            "spec.toml: variants: data.x: choices: expected a non-empty list of "
            "numbers, found a list of 0 items",
        ),
        (
            '"data.x" = { range = [5, 1] }\n',
            "spec.toml: variants: data.x: range: expected [lowest, highest], lowest "
            "first, found [5, 1]",
        ),
        (
            'max_decimal = 4\n"data.x" = { range = [1, 2] }\n',
            "spec.toml: variants: max_decimal: expected a constraint (max_decimals, "
            "max_denominator, max_abs, allow_dead_relu, allow_kink, loss_decreases, "
            'max_draws) or a key path such as "layer.1.weights", "layer.2.biases.1", '
            '"layer.*.weights", "data.x", "data.y.1" or "training.learning_rate", '
            "found the unknown key 'max_decimal'",
        ),
        (
            'max_decimals = 1\n"data.x" = { choices = [0.25] }\n',
            "spec.toml: variants: data.x: expected values that meet the "
            "constraints, found 1/4, a value that is not a decimal with at most 1 "
            "decimal place",
        ),
        (
            'max_decimals = 1\n"data.x" = { choices = [1] }\n',
            "spec.toml: variants: training.learning_rate: expected a value that "
            "meets the constraints, or a draw for it, found 1/20, a value that is "
            "not a decimal with at most 1 decimal place",
        ),
    ],
)
def test_invalid_table_rejected(table, message):
    text = with_variants(table)
    spec = parse_spec(text, source="spec.toml")
    with pytest.raises(SpecError) as caught:
        read_variants(spec_document(text), spec)
    assert str(caught.value) == message


def test_missing_table_rejected():
    spec = parse_spec(BASE, source="spec.toml")
    with pytest.raises(SpecError) as caught:
        read_variants(spec_document(BASE), spec)
    assert str(caught.value) == (
        "spec.toml: variants: expected a [variants] table, found none"
    )


def test_nested_tables_read_as_paths():
    table = "max_decimals = 4\n[variants.data]\nx = { range = [1, 2] }\n"
    text = (
        BASE + "[variants]\n" + table.split("\n", 1)[0] + "\n" + table.split("\n", 1)[1]
    )
    spec = parse_spec(text)
    plan = read_variants(spec_document(text), spec)
    assert [slot.path for slot in plan.slots] == ["data.x.1"]


def test_entry_path_overrides_matrix():
    table = (
        '"layer.1.weights" = { choices = [1] }\n'
        '"layer.1.weights.2.1" = { choices = [2] }\n'
    )
    text = with_variants(table)
    plan = read_variants(spec_document(text), parse_spec(text))
    assert [(slot.path, slot.values) for slot in plan.slots] == [
        ("layer.1.weights.1.1", (1,)),
        ("layer.1.weights.2.1", (2,)),
    ]


def test_range_with_step_and_exclude():
    table = '"data.y" = { range = [0, 2], step = 0.5, exclude = [1] }\n'
    text = with_variants(table)
    plan = read_variants(spec_document(text), parse_spec(text))
    assert [str(value) for value in plan.slots[0].values] == ["0", "1/2", "3/2", "2"]


def test_variant_spec_round_trips(class_set):
    variant = class_set[0].variants[0]
    again = parse_spec(variant.spec_text)
    assert again.network.layers[0].W == variant.spec.network.layers[0].W
    assert again.x == variant.spec.x


def test_bad_count_rejected():
    with pytest.raises(DerivationError, match="count must be a positive integer"):
        parse_variants(TEXT, 0)


def test_cli_writes_folder(tmp_path, capsys):
    status = main(
        [
            "variants",
            "--example",
            EXAMPLE,
            "--count",
            "2",
            "--seed",
            "1",
            "-o",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert out.splitlines()[-1] == f"wrote 10 files to {tmp_path}"
    assert (tmp_path / "variant-02" / "answers.toml").is_file()


def test_cli_keeps_foreign_file(tmp_path, capsys):
    (tmp_path / "teacher.tex").write_text("my notes\n", encoding="utf-8")
    status = main(
        ["variants", "--example", EXAMPLE, "--count", "2", "-o", str(tmp_path)]
    )
    err = capsys.readouterr().err
    assert status == 2
    assert "was not written by derivation" in err
    assert not (tmp_path / "variant-01").exists()


def test_cli_impossible_constraints_exit_2(tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text(with_variants(IMPOSSIBLE), encoding="utf-8")
    status = main(["variants", str(spec), "--count", "2", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2
    assert "the constraints cannot be met often enough" in err
