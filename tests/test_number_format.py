"""Number formats: written forms, rounding marks, validation, spec and CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sympy

from derivation import Layer, Network, load_spec, parse_spec, solve, train
from derivation.cli import main
from derivation.errors import SpecError
from derivation.growth import RoundingPolicy
from derivation.render import NumberFormat, SettingError, render_latex
from derivation.render.tex import chain_rows, matrix, number, symbol

SEED = (
    Path(__file__).resolve().parents[1]
    / "derivation"
    / "examples"
    / ("relu-1-2-2-1.toml")
)
R = sympy.Rational

EXACT = NumberFormat()
REPEATING = NumberFormat(repeating=True)
FRACTION = NumberFormat("fraction")
PLACES = NumberFormat("decimal", places=3)
FIGURES = NumberFormat("decimal", significant=3)
MIXED = NumberFormat("mixed", places=3)
COMMA = NumberFormat("decimal", places=2, decimal_separator="comma")

CASES = [
    (EXACT, R(0), "0", False),
    (EXACT, R(-11977, 20000), "-0.59885", False),
    (EXACT, R(-1, 3), r"-\frac{1}{3}", False),
    (EXACT, R(123456789), "123456789", False),
    (EXACT, R(1, 2**40), r"\frac{1}{1099511627776}", False),
    (REPEATING, R(1, 3), r"0.\overline{3}", False),
    (REPEATING, R(-7, 6), r"-1.1\overline{6}", False),
    (REPEATING, R(1, 7), r"0.\overline{142857}", False),
    (REPEATING, R(1, 17), r"\frac{1}{17}", False),
    (REPEATING, R(5, 4), "1.25", False),
    (FRACTION, R(239, 400), r"\frac{239}{400}", False),
    (FRACTION, R(-5, 2), r"-\frac{5}{2}", False),
    (FRACTION, R(-4), "-4", False),
    (PLACES, R(1, 2), "0.5", False),
    (PLACES, R(2, 3), "0.667", True),
    (PLACES, R(-2, 3), "-0.667", True),
    (PLACES, R(1999, 10000), "0.200", True),
    (PLACES, R(-1, 10**7), "0.000", True),
    (PLACES, R(10**9, 3), "333333333.333", True),
    (PLACES, R(5, 10000), "0.001", True),
    (PLACES, R(-5, 10000), "-0.001", True),
    (FIGURES, R(2, 3), "0.667", True),
    (FIGURES, R(9996, 10000), "1.00", True),
    (FIGURES, R(123456), "123000", True),
    (FIGURES, R(1234567), r"1.23 \times 10^{6}", True),
    (FIGURES, R(-1, 3 * 10**7), r"-3.33 \times 10^{-8}", True),
    (FIGURES, R(1, 8), "0.125", False),
    (FIGURES, R(0), "0", False),
    (MIXED, R(1, 3), r"\frac{1}{3} \approx 0.333", False),
    (MIXED, R(-2, 3), r"-\frac{2}{3} \approx -0.667", False),
    (MIXED, R(239, 400), "0.5975", False),
    (MIXED, R(7), "7", False),
    (COMMA, R(-239, 400), "-0{,}60", True),
    (COMMA, R(1, 4), "0{,}25", False),
    (
        NumberFormat(repeating=True, decimal_separator="comma"),
        R(1, 6),
        r"0{,}1\overline{6}",
        False,
    ),
    (NumberFormat(decimal_separator="comma"), R(1, 3), r"\frac{1}{3}", False),
    (NumberFormat("decimal", places=0), R(5, 2), "3", True),
    (NumberFormat("decimal", places=0), R(-5, 2), "-3", True),
]


@pytest.mark.parametrize(("numbers", "value", "latex", "approximate"), CASES)
def test_number_written(numbers, value, latex, approximate):
    written = numbers.write(value)
    assert written.latex == latex
    assert written.approximate is approximate


def test_default_matches_latex_number():
    from derivation.numbers import latex_number

    for value in (R(1, 3), R(-239, 400), R(7), R(1, 2**100)):
        assert EXACT.write(value).latex == latex_number(value)


def test_rounding_notes():
    assert PLACES.rounding_note() == "rounded to 3 decimal places"
    assert NumberFormat("decimal", places=1).rounding_note() == (
        "rounded to 1 decimal place"
    )
    assert FIGURES.rounding_note() == "rounded to 3 significant figures"


# -- validation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"style": "scientific"},
            "numbers: style: expected one of exact, fraction, decimal, mixed, "
            "found 'scientific'",
        ),
        (
            {"style": "decimal"},
            "numbers: style: expected places or significant to go with "
            "'decimal', found neither",
        ),
        (
            {"style": "decimal", "places": 2, "significant": 3},
            "numbers: significant: expected no value when places is set "
            "(choose one), found 3",
        ),
        (
            {"places": 2},
            "numbers: places: expected no value with style 'exact' (it applies "
            "to the styles decimal and mixed), found 2",
        ),
        (
            {"style": "decimal", "places": 31},
            "numbers: places: expected an integer from 0 to 30, found 31",
        ),
        (
            {"style": "mixed", "significant": 0},
            "numbers: significant: expected an integer from 1 to 30, found 0",
        ),
        (
            {"style": "decimal", "places": True},
            "numbers: places: expected an integer from 0 to 30, found true",
        ),
        (
            {"style": "fraction", "repeating": True},
            "numbers: repeating: expected false unless style is 'exact', found true",
        ),
        (
            {"repeating": "yes"},
            "numbers: repeating: expected true or false, found 'yes'",
        ),
        (
            {"decimal_separator": ";"},
            "numbers: decimal_separator: expected one of point, comma, found ';'",
        ),
    ],
)
def test_invalid_formats_rejected(settings, message):
    with pytest.raises(SettingError) as caught:
        NumberFormat(**settings)
    assert str(caught.value) == message


def test_unknown_key_rejected():
    with pytest.raises(SettingError) as caught:
        NumberFormat.from_mapping({"digits": 3})
    assert str(caught.value) == (
        "numbers: digits: expected a known key (style, places, significant, "
        "repeating, decimal_separator), found the unknown key 'digits'"
    )


def test_from_mapping_reads_text():
    numbers = NumberFormat.from_mapping(
        {"style": "decimal", "significant": "4", "decimal_separator": "comma"}
    )
    assert numbers == NumberFormat("decimal", significant=4, decimal_separator="comma")


def test_from_mapping_replaces_digits():
    base = NumberFormat("decimal", places=2)
    assert NumberFormat.from_mapping({"significant": 3}, base=base) == FIGURES
    assert NumberFormat.from_mapping({"style": "exact"}, base=base) == EXACT


def test_from_mapping_reads_flag():
    assert NumberFormat.from_mapping({"repeating": "true"}) == REPEATING


# -- equations -------------------------------------------------------------


def test_rounded_matrix_is_approximate():
    assert matrix(sympy.Matrix([R(1, 3)]), PLACES).approximate
    assert not matrix(sympy.Matrix([R(1, 2)]), PLACES).approximate


def test_chain_uses_approx_next_to_rounding():
    left = symbol("z")
    exact, rounded = number(R(1, 2), PLACES), number(R(2, 3), PLACES)
    rows = chain_rows(left, [symbol("W a"), exact, rounded, exact])
    assert rows[0].latex == r"z &= W a = 0.5 \approx 0.667 \approx 0.5"


def test_chain_keeps_leftarrow():
    rows = chain_rows(
        symbol("W"), [symbol("W - g"), number(R(2, 3), PLACES)], relation=r"\leftarrow"
    )
    assert rows[0].latex == r"W &\leftarrow W - g \approx 0.667"


def one_third_trace(**options):
    network = Network([Layer([[1]], [0], "identity")])
    return train(network, [1], [0], learning_rate="1/3", **options)


def test_document_never_equates_rounded_values():
    document = render_latex(one_third_trace(), numbers=PLACES, standalone=False)
    assert r"\approx \begin{bmatrix} 0.667 \end{bmatrix}" in document
    assert re.search(r"= \\begin\{bmatrix\} 0\.667", document) is None
    assert r"\eta \approx 0.333" in document


def test_document_keeps_equals_for_exact_values():
    document = render_latex(one_third_trace(), numbers=PLACES, standalone=False)
    assert r"z^{[1]} &= W^{[1]} a^{[0]} + b^{[1]} = " in document
    assert r"= \begin{bmatrix} 1 \end{bmatrix}" in document


def test_table_note_names_rounding():
    document = render_latex(one_third_trace(), numbers=PLACES, standalone=False)
    assert "Values in these tables are rounded to 3 decimal places." in document


def test_exact_document_has_no_note():
    document = render_latex(one_third_trace(), standalone=False)
    assert r"\approx" not in document
    assert "rounded" not in document


def test_training_rounding_marks_results():
    policy = RoundingPolicy("decimals", 2)
    document = render_latex(one_third_trace(rounding=policy), standalone=False)
    update = document.split(r"\subsection*{Update}")[1]
    assert (
        r"- \frac{1}{3} \begin{bmatrix} 1 \end{bmatrix} \approx "
        r"\begin{bmatrix} 0.67 \end{bmatrix}"
    ) in update


def test_comma_in_document():
    document = render_latex(solve(load_spec(SEED)), numbers=COMMA, standalone=False)
    assert "0{,}60" in document
    assert "0.60" not in document


# -- spec and command line -------------------------------------------------


def test_spec_reads_numbers_table():
    text = SEED.read_text() + '\n[numbers]\nstyle = "decimal"\nplaces = 4\n'
    assert parse_spec(text).numbers == NumberFormat("decimal", places=4)


def test_spec_names_bad_numbers_key():
    text = SEED.read_text() + '\n[numbers]\nstyle = "decimal"\nplaces = -1\n'
    with pytest.raises(SpecError) as caught:
        parse_spec(text, source="net.toml")
    assert str(caught.value) == (
        "net.toml: numbers: places: expected an integer from 0 to 30, found -1"
    )


def test_cli_numbers_option(capsys):
    arguments = ["solve", "--example", "relu-1-2-2-1", "--fragment"]
    status = main([*arguments, "--numbers", "style=decimal", "--numbers", "places=2"])
    output = capsys.readouterr().out
    assert status == 0
    assert r"\approx \begin{bmatrix} 0.60 & 0.60" in output


def test_cli_rejects_numbers_for_json(capsys):
    arguments = ["solve", "--example", "relu-1-2-2-1", "--format", "json"]
    assert main([*arguments, "--numbers", "style=fraction"]) == 2
    assert capsys.readouterr().err == (
        "derivation: error: --numbers applies only to --format latex, markdown, "
        "html; JSON holds every value exactly\n"
    )


def test_cli_rejects_malformed_assignment(capsys):
    arguments = ["solve", "--example", "relu-1-2-2-1", "--numbers", "style"]
    assert main(arguments) == 2
    assert capsys.readouterr().err == (
        "derivation: error: --numbers: expected KEY=VALUE items separated by "
        "commas, found 'style'\n"
    )
