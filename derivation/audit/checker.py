"""Check the equations and values of a document, in reading order.

The auditor keeps the value that the document wrote for each named
quantity (per step), so that a later equation is checked against the
values *as written*: a slip is reported once, where it happens, and later
work that follows from it is marked consistent. With a trace (from
``--spec``), names the document never states take their exact values, and
every named value is also compared with the exact solution, which catches
values that stand alone, such as a summary table entry or an updated weight
written without its computation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fractions import Fraction

from ..trace import Trace
from . import quantities
from .document import Cell, Heading, MathPiece, Part, Problem, Table
from .evaluate import RoundingClaim, Scope, UnknownName, evaluate
from .math_reader import read_cell, read_side
from .nodes import Name, Node, Number, Unreadable, is_literal, names_in, symbols_in
from .quantities import CONSTANT_FIELDS, Quantity
from .report import AuditReport, Consistent, Finding, NotChecked
from .rules import (
    SHAPE,
    Comparison,
    compare,
    half_unit,
    same_shape,
    shape_problem,
    show_fraction,
    show_right,
    show_value,
)
from .statements import Statement, TableCells, split_math
from .tokens import Token, tokenize
from .values import DivisionByZero, ShapeError, TooLarge, Value

_STEP = re.compile(r"\b(?:step|iteration|epoch)\s+(\d{1,6})\b", re.I)
_LAYER = re.compile(r"\blayer\s+(\d{1,4})\b", re.I)
_AFTER_WORDS = ("updat", "after", "new")
_GRADIENT_WORDS = ("gradient", "partial", "dl/d")
# Values remembered for matching copies of slipped values; more are dropped.
_MAX_SLIPPED = 10_000
_WRITTEN, _CORRECTED, _TRUE = "written", "corrected", "true"
# Quantities that are equal by definition: dL/db is dL/dz.
_ALIASES = {"db": "dz", "dz": "db"}


@dataclass(frozen=True)
class Binding:
    """The value a document gave a quantity, and the value its working implies."""

    value: Value
    corrected: Value | None
    line: int


@dataclass
class _Side:
    node: Node | None
    tokens: list[Token]
    value: Value | None = None
    text: str = ""


class Auditor:
    """Checks the parts of one document; :meth:`run` returns the report."""

    def __init__(self, trace: Trace | None, source: str) -> None:
        self.trace = trace
        self.report = AuditReport(source)
        self.bindings: dict[tuple[int, Quantity], Binding] = {}
        self.rounded_numbers: set[tuple[Fraction, int]] = set()
        self.slipped: list[tuple[Value, frozenset[int]]] = []
        self.headings: dict[int, str] = {}
        self.step = 1
        # Whether a step has begun: before it, x and y hold every sample.
        self.in_steps = False
        self.first = 1
        self.approximate = False

    # -- driver ---------------------------------------------------------

    def run(self, parts: list[Part]) -> AuditReport:
        """Check every part and return the report."""
        parsed = [self.prepare(part) for part in parts]
        self.first = quantities.first_layer(
            name for item in parsed for name in _names_of(item)
        )
        for part, prepared in zip(parts, parsed):
            self.visit(part, prepared)
        return self.report

    def prepare(self, part: Part) -> object:
        """Tokenize and split math ahead of checking, to detect the numbering."""
        if isinstance(part, MathPiece):
            return [
                (item, _parse_item(item))
                for item in split_math(tokenize(part.latex, part.line))
            ]
        if isinstance(part, Table):
            return _table_rows(part)
        return None

    def visit(self, part: Part, prepared: object) -> None:
        if isinstance(part, Heading):
            self.heading(part)
        elif isinstance(part, Problem):
            self.not_checked(part.line, part.text, part.reason)
        elif isinstance(part, MathPiece) and isinstance(prepared, list):
            for item, parsed in prepared:
                if isinstance(item, TableCells):
                    self.table(parsed, item.line)
                else:
                    self.statement(item, parsed, part)
        elif isinstance(part, Table) and isinstance(prepared, list):
            self.table(prepared, part.line)

    def heading(self, heading: Heading) -> None:
        self.headings = {
            level: text
            for level, text in self.headings.items()
            if level < heading.level
        }
        self.headings[heading.level] = heading.text
        step = _STEP.search(heading.text)
        if step:
            self.step = int(step.group(1))
            self.in_steps = True

    @property
    def updating(self) -> bool:
        """Whether the current section is about the update of the parameters."""
        return any("update" in text.lower() for text in self.headings.values())

    def not_checked(self, line: int, text: str, reason: str) -> None:
        self.report.not_checked.append(NotChecked(line, " ".join(text.split()), reason))

    # -- statements -----------------------------------------------------

    def statement(
        self, statement: Statement, sides: list[Node | Unreadable], piece: MathPiece
    ) -> None:
        if not statement.tokens:
            return
        text = _source(statement, piece)
        if statement.unsupported:
            self.not_checked(
                statement.line,
                text,
                f"the relation {statement.unsupported} is not checked",
            )
            return
        if len(statement.sides) < 2:
            node = sides[0] if sides else None
            if (
                node is not None
                and not isinstance(node, Unreadable)
                and is_literal(node)
            ):
                self.not_checked(
                    statement.line, text, "a value without a name or an equation"
                )
            return
        unreadable = [side for side in sides if isinstance(side, Unreadable)]
        for problem in unreadable:
            self.not_checked(problem.line, text, f"cannot read {problem.reason}")
        entries = [
            _Side(
                None if isinstance(node, Unreadable) else node,
                tokens,
                text=_span_text(tokens, piece.latex),
            )
            for node, tokens in zip(sides, statement.sides)
        ]
        if all(entry.node is None for entry in entries):
            return
        _Equation(self, statement, entries, text).check()

    # -- tables ---------------------------------------------------------

    def table(self, rows: list[list[_TableCell]], line: int) -> None:
        if len(rows) < 2:
            return
        head = rows[0]
        for row in rows[1:]:
            if not row:
                continue
            label = row[0]
            for column, cell in enumerate(row[1:], start=1):
                if cell.node is None:
                    if cell.problem is not None:
                        self.not_checked(
                            cell.line, cell.text, f"cannot read {cell.problem}"
                        )
                    continue
                if not is_literal(cell.node):
                    continue
                header = head[column] if column < len(head) else None
                quantity = self.table_quantity(label, header, head[0] if head else None)
                self.table_value(cell, cell.node, quantity)

    def table_quantity(
        self, label: _TableCell, header: _TableCell | None, corner: _TableCell | None
    ) -> Quantity | None:
        described = [cell for cell in (label, header, corner) if cell is not None]
        words = " ".join(cell.text.lower() for cell in described)
        names = [name for cell in described for name in cell.names]
        name = next(
            (
                item
                for item in names
                if item.kind in ("W", "b", "dW", "db", "z", "a", "dz", "da")
            ),
            None,
        )
        if name is None:
            return None
        label_text = name.label
        if label_text is None:
            layer = _LAYER.search(words)
            if layer is None:
                return None
            label_text = layer.group(1)
        position = quantities.layer_position(label_text, self.first)
        if position is None or position < 1:
            return None
        kind = name.kind
        role_words = " ".join(
            cell.text.lower() for cell in (label, header) if cell is not None
        )
        if any(word in role_words for word in _GRADIENT_WORDS) and not kind.startswith(
            "d"
        ):
            kind = "d" + kind
        elif kind in ("W", "b") and any(word in role_words for word in _AFTER_WORDS):
            kind += "_after"
        return Quantity(kind, position)

    def table_value(
        self, cell: _TableCell, node: Node, quantity: Quantity | None
    ) -> None:
        equation = cell.text
        if quantity is None:
            self.not_checked(
                cell.line, equation, "a table entry whose quantity is not named"
            )
            return
        try:
            value = evaluate(node, self.scope(quantity.layer))
        except (UnknownName, ShapeError, TooLarge, DivisionByZero) as error:
            self.not_checked(cell.line, equation, f"cannot evaluate: {error}")
            return
        self.standalone(quantity, value, cell.line, equation, node)

    # -- values and names -----------------------------------------------

    def key(self, quantity: Quantity, step: int | None = None) -> tuple[int, Quantity]:
        if quantity.field in CONSTANT_FIELDS:
            return 0, quantity
        return (self.step if step is None else step), quantity

    def binding(self, quantity: Quantity) -> Binding | None:
        found = self.bindings.get(self.key(quantity))
        if found is not None:
            return found
        alias = _ALIASES.get(quantity.field)
        if alias is not None:
            found = self.bindings.get(self.key(Quantity(alias, quantity.layer)))
            if found is not None:
                return found
        if quantity.field == "a" and quantity.layer is not None:
            return self.activated(quantity.layer)
        if quantity.field not in ("W", "b") or self.step <= 1:
            return None
        after = Quantity(quantity.field + "_after", quantity.layer)
        return self.bindings.get(self.key(after, self.step - 1))

    def activated(self, layer: int) -> Binding | None:
        """Return ``a = f(z)`` from the written ``z`` when the spec gives ``f``."""
        if self.trace is None:
            return None
        name = quantities.activation_name(self.trace, layer)
        found = self.bindings.get(self.key(Quantity("z", layer)))
        if found is None or name is None:
            return None
        if name == "identity":
            return found
        if name != "relu":
            # Other activations have closed forms; the trace gives their values.
            return None
        from .values import relu

        corrected = None if found.corrected is None else relu(found.corrected)
        return Binding(relu(found.value), corrected, found.line)

    def truth(self, quantity: Quantity) -> Value | None:
        if self.trace is None:
            return None
        step = self.step
        if quantity.field in ("x", "y") and not self.in_steps:
            step = 0
        return quantities.true_value(self.trace, step, quantity)

    def value_of(self, name: Name, mode: str) -> Value:
        quantity = quantities.resolve(name, self.first)
        if quantity is None:
            raise UnknownName(name.written)
        value: Value | None = None
        found = self.binding(quantity)
        if mode == _TRUE or self.other_samples(quantity, found):
            value = self.truth(quantity)
        if value is None:
            if found is not None:
                value = found.value
                if mode != _WRITTEN and found.corrected is not None:
                    value = found.corrected
        if value is None:
            value = self.truth(quantity)
        if value is None:
            raise UnknownName(name.written)
        value = replace(value, places=None, scalar=value.scalar)
        if name.transposed:
            from .values import transpose

            value = transpose(value)
        if name.indexed:
            value = replace(value, indexed=True)
        return value

    def other_samples(self, quantity: Quantity, found: Binding | None) -> bool:
        """Whether written x or y has other samples than the step uses.

        A mini-batch or per-sample step uses only some columns of x and y, so
        the spec's columns replace the whole matrix of the problem statement.
        """
        if quantity.field not in ("x", "y") or self.trace is None:
            return False
        truth = self.truth(quantity)
        whole = quantities.true_value(self.trace, 0, quantity)
        if truth is None or whole is None or truth.shape == whole.shape:
            return False
        return found is None or not same_shape(truth, found.value)

    def literal(self, written: Value, number: Number) -> Value:
        value = written.entries[0]
        places = number.places
        radius = Fraction(0)
        if places is not None and places >= 1:
            if self.approximate or (abs(value), places) in self.rounded_numbers:
                radius = half_unit(places)
        elif places == 0 and self.approximate:
            digits = number.text.lstrip("-")
            zeros = len(digits) - len(digits.rstrip("0"))
            if zeros and digits.strip("0"):
                radius = Fraction(10**zeros, 2)
        result = replace(written, radii=(radius,), rounded=bool(radius))
        return result.with_origins(self.origins_of(result))

    def origins_of(self, value: Value) -> frozenset[int]:
        for slipped, origins in self.slipped:
            if slipped.shape == value.shape and slipped.entries == value.entries:
                return origins
        return frozenset()

    def scope(
        self, layer: int | None, mode: str = _WRITTEN, convention: int = 0
    ) -> Scope:
        trace = self.trace

        def relu_at_zero(position: int | None) -> int | None:
            if trace is None or position is None:
                return None
            return quantities.relu_at_zero(trace, position)

        def activation(position: int | None) -> str | None:
            if trace is None or position is None:
                return None
            return quantities.activation_name(trace, position)

        return Scope(
            lookup=lambda name: self.value_of(name, mode),
            literal=self.literal,
            copied=self.origins_of,
            relu_at_zero=relu_at_zero,
            activation=activation,
            first_layer=self.first,
            layer=layer,
            convention=convention,
        )

    def describe(self, quantity: Quantity | None) -> str:
        if quantity is None:
            return ""
        words = quantity.describe(self.first)
        if quantity.field in CONSTANT_FIELDS:
            return words
        return f"{words} in step {self.step}"

    def bind(
        self, quantity: Quantity, value: Value, corrected: Value | None, line: int
    ) -> None:
        self.bindings[self.key(quantity)] = Binding(value, corrected, line)
        if value.origins and len(self.slipped) < _MAX_SLIPPED:
            self.slipped.append((value, value.origins))

    def remember_rounding(self, value: Value, comparison: Comparison) -> None:
        if value.places is None:
            return
        for index in comparison.rounded_entries:
            places = value.places[index]
            if places:
                self.rounded_numbers.add((abs(value.entries[index]), places))

    def standalone(
        self,
        quantity: Quantity,
        value: Value,
        line: int,
        equation: str,
        node: Node,
        approximate: bool = True,
    ) -> None:
        """Check a value written without working against the solution so far.

        ``approximate`` lets whole numbers count as rounded, as summary
        tables of rounded solutions write them.
        """
        truth = self.truth(quantity)
        earlier = self.binding(quantity)
        if (
            earlier is not None
            and self.bindings.get(self.key(quantity)) is None
            and not same_shape(earlier.value, value)
        ):
            # dL/db of a batch is dL/dz averaged over its columns, not dL/dz.
            earlier = None
        self.report.checked += 1
        if truth is not None:
            verdict = compare(truth, value, approximate)
            if verdict.right:
                self.remember_rounding(value, verdict)
                self.keep(quantity, value, earlier, line)
                return
        if earlier is not None:
            for candidate in (earlier.value, earlier.corrected):
                if candidate is None:
                    continue
                verdict = compare(candidate, value, approximate)
                if verdict.right:
                    origins = candidate.origins
                    if truth is not None and origins:
                        self.report.consistent.append(
                            Consistent(
                                line,
                                equation,
                                self.describe(quantity),
                                tuple(sorted(origins)),
                            )
                        )
                    self.remember_rounding(value, verdict)
                    self.keep(quantity, value.with_origins(origins), earlier, line)
                    return
        if truth is None and earlier is None:
            self.keep(quantity, value, None, line)
            return
        right = truth if truth is not None else (earlier.corrected or earlier.value)  # type: ignore[union-attr]
        problem = self.standalone_problem(quantity, value, right, earlier, truth)
        rule = (
            "a named value must equal the exact solution of the spec, or that "
            "value correctly rounded to the decimal places written"
            if truth is not None
            else "a value stated again must agree with its working"
        )
        self.report.findings.append(
            Finding(
                line,
                equation,
                self.describe(quantity),
                problem,
                rule,
                show_right(right, value),
                "unmatched",
            )
        )
        self.keep(quantity, value.with_origins(frozenset({line})), earlier, line, right)

    def standalone_problem(
        self,
        quantity: Quantity,
        value: Value,
        right: Value,
        earlier: Binding | None,
        truth: Value | None,
    ) -> str:
        words = self.describe(quantity)
        verdict = compare(right, value)
        if verdict.rule == SHAPE:
            return shape_problem(right, value, words)
        detail = _entry_detail(verdict, right, value, subject=words)
        if truth is None and earlier is not None:
            working = show_value(right)
            return f"{detail}; the working at line {earlier.line} gives {working}"
        problem = detail
        if earlier is not None and compare(earlier.value, right).right is False:
            working = show_value(earlier.value)
            problem += f"; the working at line {earlier.line} gives {working}"
        return problem

    def keep(
        self,
        quantity: Quantity,
        value: Value,
        earlier: Binding | None,
        line: int,
        corrected: Value | None = None,
    ) -> None:
        """Bind a restated value unless the working above already gave one."""
        if earlier is None or self.bindings.get(self.key(quantity)) is None:
            self.bind(quantity, value, corrected, line)


class _Equation:
    """The check of one equation: its links, its names and the solution."""

    def __init__(
        self, auditor: Auditor, statement: Statement, sides: list[_Side], text: str
    ) -> None:
        self.auditor = auditor
        self.statement = statement
        self.sides = sides
        self.text = text
        self.found = False
        self.defined: list[Quantity] = []
        self.generic = False
        # Sides with no value, listed as not checked when others are checked.
        self.skipped: list[tuple[int, str]] = []

    def check(self) -> None:
        auditor = self.auditor
        first = self.sides[0].node
        start = 0
        if isinstance(first, Name) and not first.transposed and not first.indexed:
            updated = self.statement.relations[0] == r"\leftarrow" or auditor.updating
            quantity = quantities.resolve(first, auditor.first, updated=updated)
            if quantity is None:
                self.generic = True
            else:
                self.defined.append(quantity)
            start = 1
        layer = self.defined[0].layer if self.defined else None
        self.evaluate_sides(start, layer)
        known = [
            index
            for index in range(len(self.sides))
            if self.sides[index].value is not None
        ]
        if not known:
            if not self.found:
                auditor.not_checked(
                    self.statement.line, self.text, self.unchecked_reason()
                )
            return
        if len(known) == 1 and not self.defined:
            if not self.found:
                auditor.not_checked(
                    self.statement.line, self.text, self.unchecked_reason()
                )
            return
        for line, reason in self.skipped:
            auditor.not_checked(line, self.text, reason)
        corrected = self.check_links(known, layer)
        final = self.sides[known[-1]]
        assert final.value is not None
        if self.found:
            final_value = final.value.with_origins(frozenset({self.line_of(known[-1])}))
        else:
            final_value = final.value
        for quantity in self.defined:
            if len(known) == 1 and not self.found:
                auditor.standalone(
                    quantity,
                    final_value,
                    self.line_of(known[-1]),
                    self.text,
                    final.node,  # type: ignore[arg-type]
                    self.after_approximation(known[-1]),
                )
                continue
            auditor.report.checked += 1
            self.against_solution(quantity, final_value, known)
            if not self.found:
                auditor.bind(quantity, final_value, None, self.statement.line)
            else:
                auditor.bind(quantity, final_value, corrected, self.statement.line)

    def after_approximation(self, index: int) -> bool:
        """Whether the side follows ``\\approx``, so its decimals may be rounded."""
        relations = self.statement.relations
        return 0 < index <= len(relations) and relations[index - 1] == r"\approx"

    def unchecked_reason(self) -> str:
        if self.generic or self.has_generic_names():
            return "a formula in general symbols"
        return "no values to compare: the names have no values yet"

    def has_generic_names(self) -> bool:
        for side in self.sides:
            if side.node is None:
                continue
            if symbols_in(side.node):
                return True
            for name in names_in(side.node):
                if quantities.resolve(name, self.auditor.first) is None:
                    return True
        return False

    def line_of(self, index: int) -> int:
        side = self.sides[index]
        return side.tokens[0].line if side.tokens else self.statement.line

    def evaluate_sides(self, start: int, layer: int | None) -> None:
        auditor = self.auditor
        try:
            for index in range(start, len(self.sides)):
                side = self.sides[index]
                if side.node is None:
                    continue
                auditor.approximate = self.after_approximation(index)
                scope = auditor.scope(layer)
                try:
                    side.value = evaluate(side.node, scope)
                    self.rounding_claims(scope.claims)
                except UnknownName as error:
                    if not isinstance(side.node, Name):
                        self.skipped.append(
                            (
                                self.line_of(index),
                                f"cannot evaluate {side.text}: no value for {error}",
                            )
                        )
                    if isinstance(side.node, Name) and not self.defined:
                        quantity = quantities.resolve(side.node, auditor.first)
                        if quantity is not None:
                            self.defined.append(quantity)
                    elif isinstance(side.node, Name):
                        quantity = quantities.resolve(side.node, auditor.first)
                        if quantity is not None:
                            self.defined.append(quantity)
                except ShapeError as error:
                    self.shape_finding(index, str(error))
                except (TooLarge, DivisionByZero) as error:
                    auditor.not_checked(self.line_of(index), self.text, str(error))
                except RecursionError:
                    auditor.not_checked(
                        self.line_of(index), self.text, "math nested too deeply"
                    )
        finally:
            auditor.approximate = False

    def rounding_claims(self, claims: list[RoundingClaim]) -> None:
        """Report entries written ``exact \\approx rounded`` whose rounding is wrong."""
        for claim in claims:
            self.found = True
            places = f"{claim.places} decimal place{'' if claim.places == 1 else 's'}"
            rounded = show_right(
                Value(1, 1, (claim.exact,), (Fraction(0),), scalar=True),
                Value(1, 1, (claim.rounded,), (Fraction(0),), True, (claim.places,)),
            )
            self.auditor.report.findings.append(
                Finding(
                    claim.line,
                    self.text,
                    "",
                    f"{show_fraction(claim.exact)} is written as approximately "
                    f"{show_fraction(claim.rounded)}",
                    f"a rounded value must be the exact value correctly rounded "
                    f"to the {places} written",
                    rounded,
                    "rounding",
                )
            )

    def uses_whole_batch(self, *indices: int) -> bool:
        """Whether a side uses x or y of several samples whose step is unknown.

        A mini-batch or per-sample step uses only some columns of x and y,
        which the document alone does not tell (nor a spec, before the first
        step), so shapes cannot be judged.
        """
        auditor = self.auditor
        if auditor.trace is not None and auditor.in_steps:
            return False
        for index in indices:
            node = self.sides[index].node
            if node is None:
                continue
            for name in names_in(node):
                quantity = quantities.resolve(name, auditor.first)
                if quantity is None or quantity.field not in ("x", "y"):
                    continue
                try:
                    value = auditor.value_of(name, _WRITTEN)
                except UnknownName:
                    continue
                if value.columns > 1:
                    return True
        return False

    def batch_not_checked(self, index: int) -> None:
        self.auditor.not_checked(
            self.line_of(index),
            self.text,
            "uses x or y of several samples, but the samples this step uses "
            "are not known here",
        )

    def shape_finding(self, index: int, message: str) -> None:
        if self.uses_whole_batch(index):
            self.batch_not_checked(index)
            return
        auditor = self.auditor
        self.found = True
        quantity = self.defined[0] if self.defined else None
        truth = auditor.truth(quantity) if quantity is not None else None
        right = (
            show_value(truth)
            if truth is not None
            else "none: the expression is undefined"
        )
        auditor.report.findings.append(
            Finding(
                self.line_of(index),
                self.text,
                auditor.describe(quantity),
                f"{_side_text(self.sides[index])}: {message}",
                "shapes: every product and sum must have shapes that fit",
                right,
                "shape",
            )
        )

    def evaluate_in(
        self, index: int, mode: str, layer: int | None, convention: int
    ) -> Value | None:
        node = self.sides[index].node
        if node is None:
            return None
        auditor = self.auditor
        auditor.approximate = self.after_approximation(index)
        try:
            return evaluate(node, auditor.scope(layer, mode, convention))
        except (UnknownName, ShapeError, TooLarge, DivisionByZero, RecursionError):
            return None
        finally:
            auditor.approximate = False

    def check_links(self, known: list[int], layer: int | None) -> Value | None:
        corrected = None
        for left, right in zip(known, known[1:]):
            left_value = self.sides[left].value
            right_value = self.sides[right].value
            assert left_value is not None and right_value is not None
            approximate = self.after_approximation(right)
            verdict = compare(left_value, right_value, approximate)
            if not verdict.right:
                alternative = self.alternative(left, right_value, layer, approximate)
                if alternative is not None:
                    verdict, left_value = alternative
            self.auditor.report.checked += 1
            if verdict.right:
                self.auditor.remember_rounding(right_value, verdict)
                self.sides[right].value = _widened(right_value, left_value, verdict)
                continue
            self.link_finding(left, right, left_value, right_value, verdict)
            corrected = left_value
        return corrected

    def alternative(
        self, left: int, written: Value, layer: int | None, approximate: bool
    ) -> tuple[Comparison, Value] | None:
        """Try ``ReLU'(0) = 1`` and the corrected or exact values of the names."""
        original = self.sides[left].value
        assert original is not None
        attempts = []
        if original.kink:
            attempts.append((_WRITTEN, 1))
        if not is_literal(self.sides[left].node):  # type: ignore[arg-type]
            attempts += [(_CORRECTED, 0), (_TRUE, 0)]
            if original.kink:
                attempts += [(_CORRECTED, 1), (_TRUE, 1)]
        for mode, convention in attempts:
            value = self.evaluate_in(left, mode, layer, convention)
            if value is None:
                continue
            verdict = compare(value, written, approximate)
            if verdict.right:
                return verdict, value
        return None

    def link_finding(
        self,
        left: int,
        right: int,
        expected: Value,
        written: Value,
        verdict: Comparison,
    ) -> None:
        auditor = self.auditor
        if verdict.rule == SHAPE and self.uses_whole_batch(left, right):
            self.batch_not_checked(right)
            return
        self.found = True
        quantity = self.defined[0] if self.defined else None
        truth = auditor.truth(quantity) if quantity is not None else None
        left_text = _side_text(self.sides[left])
        if verdict.rule == SHAPE:
            problem = shape_problem(expected, written, left_text)
            rule = "shapes: a value must have the shape of the expression it equals"
            right_value = (
                truth
                if truth is not None and compare(truth, expected).rule == SHAPE
                else expected
            )
            if truth is not None:
                right_value = truth
            line = self.line_of(right)
        else:
            miss = verdict.misses[0]
            line = _entry_line(self.sides[right], miss.index) or self.line_of(right)
            problem = f"{_entry_detail(verdict, expected, written, against=left_text)}"
            rule = _value_rule(miss)
            right_value = expected
            if truth is not None and compare(truth, expected).right:
                right_value = truth
        shown = show_right(right_value, written)
        if truth is not None and not compare(truth, right_value).right:
            shown += (
                f" (from the values as written; the exact value is {show_value(truth)})"
            )
        auditor.report.findings.append(
            Finding(
                line,
                self.text,
                auditor.describe(quantity),
                problem,
                rule,
                shown,
                "shape" if verdict.rule == SHAPE else "value",
            )
        )

    def against_solution(
        self, quantity: Quantity, value: Value, known: list[int]
    ) -> None:
        """Compare a computed value with the solution when the working is sound."""
        auditor = self.auditor
        if self.found:
            return
        truth = auditor.truth(quantity)
        if truth is None:
            return
        verdict = compare(truth, value, self.after_approximation(known[-1]))
        if verdict.right or _carried_rounding(truth, value):
            return
        if value.origins:
            auditor.report.consistent.append(
                Consistent(
                    self.line_of(known[-1]),
                    self.text,
                    auditor.describe(quantity),
                    tuple(sorted(value.origins)),
                )
            )
            return
        self.found = True
        words = auditor.describe(quantity)
        if verdict.rule == SHAPE:
            problem = (
                f"{words} must be {_shape_words(truth)}, but "
                f"{_shape_words(value)} is written"
            )
        else:
            problem = (
                f"{_entry_detail(verdict, truth, value, subject=words)}; the working "
                "is consistent with itself, so a value it starts from is wrong"
            )
        auditor.report.findings.append(
            Finding(
                self.line_of(known[-1]),
                self.text,
                words,
                problem,
                "a named value must equal the exact solution of the spec, or that "
                "value correctly rounded to the decimal places written",
                show_right(truth, value),
                "unmatched",
            )
        )


def _carried_rounding(truth: Value, value: Value) -> bool:
    """Whether a value misses the solution only by rounding carried forward.

    A result worked out from rounded values may differ from the rounded
    exact value; it is right when every entry lies within its inputs'
    rounding error (its radius) plus half a unit of its last written place.
    """
    if not value.rounded or not same_shape(truth, value):
        return False
    for index, (written, target) in enumerate(zip(value.entries, truth.entries)):
        places = value.places[index] if value.places is not None else None
        own = half_unit(places)
        if abs(written - target) > value.radii[index] + own + truth.radii[index]:
            return False
    return True


@dataclass
class _TableCell:
    text: str
    node: Node | None
    names: list[Name]
    line: int
    problem: str | None = None


def _parse_item(item: Statement | TableCells) -> object:
    if isinstance(item, TableCells):
        return [[_math_cell(tokens, item.line) for tokens in row] for row in item.rows]
    parsed: list[Node | Unreadable] = []
    for side in item.sides:
        try:
            parsed.append(read_side(side))
        except Unreadable as error:
            parsed.append(error)
        except RecursionError:
            line = side[0].line if side else 0
            parsed.append(Unreadable("math nested too deeply", line))
    return parsed


def _math_cell(tokens: list[Token], line: int) -> _TableCell:
    text = " ".join(token.written for token in tokens)
    first_line = tokens[0].line if tokens else line
    words = _text_words(tokens)
    if not tokens:
        return _TableCell("", None, [], first_line)
    if (
        tokens[0].is_command("text", "textrm", "mathrm", "textbf")
        and len(words) > 0
        and not _is_value(tokens)
    ):
        return _TableCell(words, None, [], first_line)
    try:
        node = read_cell(tokens)
    except Unreadable as error:
        return _TableCell(text, None, [], first_line, error.reason)
    except RecursionError:
        return _TableCell(text, None, [], first_line, "math nested too deeply")
    return _TableCell(text, node, names_in(node), first_line)


def _is_value(tokens: list[Token]) -> bool:
    return any(token.kind == "number" for token in tokens)


def _text_words(tokens: list[Token]) -> str:
    return "".join(
        token.text if token.kind != "command" else " "
        for token in tokens
        if token.kind in ("letter", "number", "command")
    ).strip()


def _table_rows(table: Table) -> list[list[_TableCell]]:
    rows = []
    for row in table.rows:
        rows.append([_document_cell(cell) for cell in row])
    return rows


def _document_cell(cell: Cell) -> _TableCell:
    names: list[Name] = []
    node: Node | None = None
    problem = None
    shown = cell.text
    for piece in cell.math:
        tokens = tokenize(piece.latex, piece.line)
        shown = (shown + " $" + piece.latex + "$").strip()
        if not tokens:
            continue
        try:
            parsed = read_cell(tokens)
        except Unreadable as error:
            problem = error.reason
            continue
        except RecursionError:
            problem = "math nested too deeply"
            continue
        names += names_in(parsed)
        if is_literal(parsed):
            node = parsed
    return _TableCell(
        cell.text if node is None else shown,
        node,
        names,
        cell.line,
        problem if node is None and not names else None,
    )


def _names_of(prepared: object) -> list[Name]:
    found: list[Name] = []
    if isinstance(prepared, list):
        for entry in prepared:
            if isinstance(entry, tuple):
                _, parsed = entry
                if isinstance(parsed, list):
                    for item in parsed:
                        if isinstance(item, list):
                            found += [name for cell in item for name in cell.names]
                        elif not isinstance(item, Unreadable):
                            found += names_in(item)
            elif isinstance(entry, list):
                found += [name for cell in entry for name in cell.names]
    return found


def _source(statement: Statement, piece: MathPiece) -> str:
    tokens = statement.tokens
    start = tokens[0].offset
    last = tokens[-1]
    end = last.offset + len(last.written or last.text)
    text = piece.latex[start:end]
    text = re.sub(r"(?<!\\)&(?=\s*(=|\\approx|\\leftarrow))", "", text)
    return " ".join(text.split())


def _side_text(side: _Side) -> str:
    return side.text


def _span_text(tokens: list[Token], latex: str) -> str:
    if not tokens:
        return ""
    last = tokens[-1]
    text = latex[tokens[0].offset : last.offset + len(last.written or last.text)]
    text = re.sub(r"(?<!\\)&", "", text) if "begin" not in text else text
    return " ".join(text.split())


def _entry_line(side: _Side, index: int) -> int | None:
    numbers = [token for token in side.tokens if token.kind == "number"]
    if len(numbers) > index:
        return numbers[index].line
    return None


def _widened(written: Value, computed: Value, verdict: Comparison) -> Value:
    """Give a written value the rounding of the value it was computed from."""
    radii = []
    for index, (radius, other) in enumerate(zip(written.radii, computed.radii)):
        widest = max(radius, other)
        if index in verdict.rounded_entries and written.places is not None:
            widest = max(widest, half_unit(written.places[index]))
        radii.append(widest)
    rounded = written.rounded or computed.rounded or bool(verdict.rounded_entries)
    return replace(
        written,
        radii=tuple(radii),
        rounded=rounded,
        origins=written.origins | computed.origins,
    )


def _position(value: Value, index: int) -> str:
    if value.acts_as_scalar:
        return ""
    row, column = divmod(index, value.columns)
    if value.columns == 1:
        return f"entry {row + 1} "
    if value.rows == 1:
        return f"entry {column + 1} "
    return f"entry ({row + 1}, {column + 1}) "


def _entry_detail(
    verdict: Comparison,
    expected: Value,
    written: Value,
    against: str = "",
    subject: str = "",
) -> str:
    """Describe the wrong entries: ``entry 2 of X is written 1.5295, but ...``."""
    if not verdict.misses:
        return f"{subject or 'the value'} disagrees with the solution"
    parts = []
    for miss in verdict.misses[:3]:
        where = _position(written, miss.index).strip()
        if where:
            where = f"{where} of {subject}" if subject else where
        else:
            where = subject or "the value"
        verb = "is written" if written.places is not None else "is"
        source = f"{against} gives" if against else "the right value is"
        parts.append(
            f"{where} {verb} {show_fraction(miss.written)}, but {source} "
            f"{show_fraction(miss.expected)}"
        )
    more = len(verdict.misses) - 3
    text = "; ".join(parts)
    if more > 0:
        text += f"; and {more} more entr{'y' if more == 1 else 'ies'}"
    return text


def _value_rule(miss) -> str:
    if miss.radius:
        return (
            "the value must lie within the rounding of the values it is computed "
            f"from: {show_fraction(miss.expected)} plus or minus "
            f"{show_fraction(miss.radius + half_unit(miss.places))}"
        )
    if miss.places:
        from .rules import correctly_rounded  # noqa: F401

        return (
            f"a value written with {miss.places} decimal place"
            f"{'' if miss.places == 1 else 's'} must be the exact value "
            f"{show_fraction(miss.expected)} correctly rounded to that many places"
        )
    return f"the value must equal {show_fraction(miss.expected)} exactly"


def _shape_words(value: Value) -> str:
    from .values import describe_shape

    return describe_shape(value)
