"""The structure of a worked solution, written once for every output format.

:func:`write_document` states the problem, defines the functions once, then
works through every step: the forward pass, the loss, the backward pass and
the update. At the full level of detail each equation appears first in
symbols, then with the matrices substituted, then with its result. A table
per layer closes every step with the parameters, their gradients and their
updated values.

An equation whose result was rounded, by the number format or by a rounding
policy during training, relates it with ``\\approx``: the writer recomputes
each result exactly from the values shown and compares.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import sympy

from ..activations import Activation
from ..trace import LayerStep, Step, Trace
from .document import (
    Block,
    Detail,
    Document,
    Equations,
    Figure,
    Heading,
    Math,
    Table,
    Text,
    paragraph,
)
from .notation import Notation
from .number_format import NumberFormat
from .tex import (
    LINE_BUDGET_EM,
    Piece,
    Row,
    applied,
    chain_rows,
    joined,
    matrix,
    number,
    operator,
    symbol,
)

_GRADIENT_EM = {"partial": 2.8, "dL/d": 4.0, "d": 2.8, "dW": 2.2, "delta": 2.8}
_DELTA_EM = 1.4
_SYMBOL_EM = 2.0
_OPERATOR_EM = 1.2
_LABEL_EM = 6.0
_TABLE_LABELS = ("Parameter", "Gradient", "Updated")


def write_document(
    trace: Trace,
    *,
    title: str | None = None,
    notation: Notation | None = None,
    numbers: NumberFormat | None = None,
    detail: Detail | None = None,
    diagram: bool = False,
) -> Document:
    """Write the derivation of ``trace`` as a :class:`Document`.

    With ``diagram``, the problem statement ends with a picture of the
    initial network and the values of the first step at its units.
    """
    writer = _Writer(trace, notation or Notation(), numbers or NumberFormat(), detail)
    writer.diagram = diagram
    blocks = tuple(writer.body())
    columns = max(trace.network.widths)
    limit = writer.detail.max_columns
    if limit is not None:
        columns = min(columns, limit)
    return Document(title, blocks, columns)


def rows_block(rows: list[Row]) -> Equations:
    """Collect measured rows into a block of aligned equations."""
    return Equations(tuple(row.latex for row in rows), max(row.width for row in rows))


class _Writer:
    """Writes the blocks of one derivation."""

    def __init__(
        self,
        trace: Trace,
        notation: Notation,
        numbers: NumberFormat,
        detail: Detail | None,
    ) -> None:
        self.trace = trace
        self.n = notation
        self.numbers = numbers
        self.detail = detail or Detail()
        self.depth = len(trace.network.layers)
        self.diagram = False

    @property
    def full(self) -> bool:
        return self.detail.level == "full"

    def body(self) -> Iterator[Block]:
        yield from self.problem()
        if self.detail.level == "answers":
            for step in self.trace.steps:
                yield Heading(1, f"Step {step.number}")
                yield from self.loss(step)
                yield from self.summary(step)
            return
        yield from self.definitions()
        for step in self.trace.steps:
            yield from self.step(step)

    # -- problem statement and definitions --------------------------------

    def problem(self) -> Iterator[Block]:
        trace, n = self.trace, self.n
        widths = "\u2013".join(str(width) for width in trace.network.widths)
        steps = len(trace.steps)
        plural = "step" if steps == 1 else "steps"
        rate = self.number(trace.learning_rate)
        yield Heading(2, "Problem")
        first = n.layer_number(1)
        if n.input_is_x:
            reads = f"layer {first} reads the input "
            input_math = Math(n.input_name)
        else:
            reads = "the input is "
            input_math = Math(f"{n.symbol('a', 0)} = {n.input_name}")
        yield paragraph(
            f"A fully connected network with layer widths {widths} is trained on "
            f"one sample for {steps} {plural} of gradient descent with learning "
            "rate ",
            Math(rf"\eta {self.relation(rate)} {rate.latex}"),
            f". Layers are numbered from {first}; {reads}",
            input_math,
            ".",
        )
        if trace.rounding is not None:
            yield paragraph(trace.rounding.statement())
        x, y = self.matrix(trace.x), self.matrix(trace.y)
        yield rows_block(
            [
                Row(f"{n.input_name} &{self.relation(x)} {x.latex}", 0.0),
                Row(f"{n.target_name} &{self.relation(y)} {y.latex}", 0.0),
            ]
        )
        yield paragraph("The initial parameters are")
        yield rows_block(list(self.parameter_rows()))
        if self.diagram:
            yield self.figure()

    def figure(self) -> Figure:
        from .diagram import diagram_caption, svg_diagram, tikz_diagram

        network = self.trace.network
        first = self.trace.steps[0] if self.trace.steps else None
        return Figure(
            tikz_diagram(network, first, self.n),
            svg_diagram(network, first, self.n),
            diagram_caption(network, first, self.n),
        )

    def parameter_rows(self) -> Iterator[Row]:
        for index, layer in enumerate(self.trace.network.layers, start=1):
            W, b = self.matrix(layer.W), self.matrix(layer.b)
            yield Row(
                f"{self.n.symbol('W', index)} &{self.relation(W)} {W.latex}, &"
                f"{self.n.symbol('b', index)} &{self.relation(b)} {b.latex}",
                0.0,
            )

    def definitions(self) -> Iterator[Block]:
        n, last = self.n, self.depth
        yield Heading(2, "Definitions")
        if n.input_is_x:
            yield paragraph(
                "Each layer ",
                Math("l"),
                " computes the following, where ",
                Math(n.symbol("a", "l-1")),
                " is the input ",
                Math(n.input_name),
                f" in layer {n.layer_number(1)}",
            )
        else:
            yield paragraph("Each layer ", Math("l"), " computes")
        yield rows_block(
            [
                Row(
                    rf"{n.symbol('z', 'l')} &= {n.symbol('W', 'l')} "
                    rf"{n.symbol('a', 'l-1')} + {n.symbol('b', 'l')}, &"
                    rf"{n.symbol('a', 'l')} &= f^{{{n.layer_mark('l')}}}"
                    rf"\left({n.symbol('z', 'l')}\right)",
                    0.0,
                )
            ]
        )
        yield from self.activation_definitions()
        loss = self.trace.loss
        output, target = n.symbol("a", last), n.target_name
        yield paragraph("The loss and its gradient with respect to the output are")
        yield rows_block(
            [
                Row(
                    f"L &= {loss.definition.format(a=output, y=target)}, &"
                    f"{n.gradient('a', last)} &= "
                    f"{loss.gradient_definition.format(a=output, y=target)}",
                    0.0,
                )
            ]
        )
        yield from self.backward_definitions()

    def activation_definitions(self) -> Iterator[Block]:
        layers = self.trace.network.layers
        variants: dict[str, Activation] = {}
        for layer in layers:
            variants.setdefault(
                layer.activation.derivative_definition, layer.activation
            )
        names = [activation.latex_name for activation in variants.values()]

        rows = []
        for activation in variants.values():
            row = (
                rf"{activation.latex_name}(z) &= {activation.definition}, &"
                rf"{activation.latex_name}'(z) &= {activation.derivative_definition}"
            )
            if names.count(activation.latex_name) > 1:
                # Two conventions under one name: name the layers of each.
                used_in = self.layers_with(activation.derivative_definition)
                row += rf" && \text{{({used_in})}}"
            rows.append(Row(row, 0.0))

        parts: list[str | Math] = ["The activations act element-wise ("]
        for position, name in enumerate(dict.fromkeys(names)):
            if position:
                parts.append(", ")
            parts += [Math(name), f" in {self.layers_named(name)}"]
        parts.append("):")
        yield paragraph(*parts)
        yield rows_block(rows)

    def layers_with(self, derivative_definition: str) -> str:
        """Name the layers whose activation has this derivative convention."""

        def same_convention(activation: Activation) -> bool:
            return activation.derivative_definition == derivative_definition

        return self.layer_list(same_convention)

    def layers_named(self, latex_name: str) -> str:
        """Name the layers whose activation is written ``latex_name``."""

        def named(activation: Activation) -> bool:
            return activation.latex_name == latex_name

        return self.layer_list(named)

    def layer_list(self, matches: Callable[[Activation], bool]) -> str:
        """Name the layers whose activation ``matches``: "layers 1 and 2"."""
        numbers = [
            str(self.n.layer_number(index))
            for index, layer in enumerate(self.trace.network.layers, start=1)
            if matches(layer.activation)
        ]
        if len(numbers) == 1:
            return f"layer {numbers[0]}"
        return f"layers {', '.join(numbers[:-1])} and {numbers[-1]}"

    def backward_definitions(self) -> Iterator[Block]:
        n = self.n
        yield paragraph(
            "Going backwards from the output, the chain rule gives for each layer (",
            Math(n.elementwise),
            " is the element-wise product)",
        )
        yield rows_block(
            [
                Row(
                    rf"{n.gradient('z', 'l')} &= {n.gradient('a', 'l')} "
                    rf"{n.elementwise} f^{{{n.layer_mark('l')}}}{{}}'"
                    rf"\left({n.symbol('z', 'l')}\right), &"
                    rf"{n.gradient('W', 'l')} &= {n.gradient('z', 'l')}\, "
                    rf"{n.transposed('a', 'l-1')},",
                    0.0,
                ),
                Row(
                    rf"{n.gradient('b', 'l')} &= {n.gradient('z', 'l')}, &"
                    rf"{n.gradient('a', 'l-1')} &= {n.transposed('W', 'l')}\, "
                    rf"{n.gradient('z', 'l')},",
                    0.0,
                ),
            ]
        )
        if n.gradient_style == "delta":
            yield paragraph(
                "where ",
                Math(n.gradient("z", "l")),
                " is ",
                Math(n.gradient_of(n.symbol("z", "l"))),
                ",",
            )
        yield paragraph(
            "and gradient descent updates every parameter ", Math(r"\theta"), " by"
        )
        theta = r"\theta"
        yield rows_block(
            [Row(rf"{theta} &\leftarrow {theta} - \eta {n.gradient_of(theta)}.", 0.0)]
        )

    # -- one step ---------------------------------------------------------

    def step(self, step: Step) -> Iterator[Block]:
        yield Heading(1, f"Step {step.number}")
        if step.number > 1:
            yield paragraph(
                f"The parameters are those updated in step {step.number - 1}."
            )
        yield Heading(2, "Forward pass")
        for index, layer in enumerate(step.layers, start=1):
            yield from self.forward(index, layer)
        yield from self.loss(step)

        yield Heading(2, "Backward pass")
        yield from self.output_gradient(step)
        for index in range(self.depth, 0, -1):
            yield from self.backward(index, step.layers[index - 1])

        yield Heading(2, "Update")
        for index, layer in enumerate(step.layers, start=1):
            yield from self.update(index, layer)

        yield Heading(2, f"Summary of step {step.number}")
        yield from self.summary(step)

    def chain(
        self,
        left: Piece,
        symbolic: Piece,
        substituted: Piece,
        result: Piece,
        relation: str = "=",
    ) -> list[Row]:
        """Lay out one equation; the substituted values only at full detail."""
        sides = [symbolic, substituted, result] if self.full else [symbolic, result]
        return chain_rows(left, sides, relation=relation)

    def forward(self, index: int, values: LayerStep) -> Iterator[Block]:
        n = self.n
        activation = self.trace.network.layers[index - 1].activation
        z, a = self.sym(n.symbol("z", index)), self.sym(n.symbol("a", index))
        rows = self.chain(
            z,
            self.sym(n.symbol("W", index))
            + self.sym(n.symbol("a", index - 1))
            + self.op("+")
            + self.sym(n.symbol("b", index)),
            self.matrix(values.W)
            + self.matrix(values.a_prev)
            + self.op("+")
            + self.matrix(values.b),
            self.result(values.z, values.W * values.a_prev + values.b),
        )
        a_value = self.result(values.a, activation.value(values.z))
        if activation.is_identity:
            rows += chain_rows(a, [z, a_value])
        else:
            rows += self.chain(
                a,
                applied(activation.latex_name, z),
                applied(activation.latex_name, self.matrix(values.z)),
                a_value,
            )
        yield self.layer_heading(index)
        yield rows_block(rows)

    def loss(self, step: Step) -> Iterator[Block]:
        loss = self.trace.loss
        output = self.n.symbol("a", self.depth)
        result = self.number(step.loss)
        if loss.value(step.output, step.y) != step.loss:
            result = replace(result, approximate=True)
        if self.detail.level == "answers":
            rows = chain_rows(symbol("L", 1.0), [result])
        else:
            definition = loss.definition.format(a=output, y=self.n.target_name)
            rows = self.chain(
                symbol("L", 1.0),
                symbol(definition, 6.0),
                self.substituted_loss(step),
                result,
            )
        yield paragraph("The loss of this step is")
        yield rows_block(rows)

    def substituted_loss(self, step: Step) -> Piece:
        opening, closing = self.trace.loss.frame
        written = {value: self.number(value) for value in [*step.output, *step.y]}
        terms = self.trace.loss.substituted(
            step.output, step.y, lambda value: written[value].latex
        )
        widths = [
            written[a].width + written[y].width + 3.5
            for a, y in zip(step.output, step.y)
        ]
        substituted = [
            symbol(term, width) if index == 0 else self.op("+") + symbol(term, width)
            for index, (term, width) in enumerate(zip(terms, widths))
        ]
        piece = joined([symbol(opening, 2.0), *substituted, symbol(closing, 0.5)])
        rounded = any(entry.approximate for entry in written.values())
        return replace(piece, approximate=rounded) if rounded else piece

    def output_gradient(self, step: Step) -> Iterator[Block]:
        n, last = self.n, self.depth
        loss = self.trace.loss
        output_symbol = n.symbol("a", last)
        rows = self.chain(
            self.grad("a", last),
            self.sym(
                loss.gradient_definition.format(a=output_symbol, y=n.target_name),
                3.5,
            ),
            self.matrix(step.output) + self.op("-") + self.matrix(step.y),
            self.result(step.layers[-1].da, loss.gradient(step.output, step.y)),
        )
        yield paragraph("The gradient of the loss with respect to the output is")
        yield rows_block(rows)

    def backward(self, index: int, values: LayerStep) -> Iterator[Block]:
        n = self.n
        activation = self.trace.network.layers[index - 1].activation
        yield self.layer_heading(index)
        if not activation.is_identity and all(entry == 0 for entry in values.slope):
            yield paragraph(
                f"Every unit of layer {n.layer_number(index)} has a zero derivative (",
                Math(f"{activation.latex_name}'"),
                " is 0 at each entry of ",
                Math(n.symbol("z", index)),
                "), so no gradient reaches its parameters or its input.",
            )
        yield rows_block(self.backward_rows(index, values))
        if index == 1:
            yield paragraph(
                "The gradient ",
                Math(n.gradient("a", 0)),
                " with respect to the input is not needed for the update; it is "
                "shown for completeness.",
            )

    def backward_rows(self, index: int, values: LayerStep) -> list[Row]:
        """Lay out the gradients of one layer: ``z``, ``W``, ``b``, its input."""
        n = self.n
        activation = self.trace.network.layers[index - 1].activation
        dz, da = self.grad("z", index), self.grad("a", index)
        dz_value = self.result(values.dz, values.da.multiply_elementwise(values.slope))
        if activation.is_identity:
            rows = chain_rows(dz, [da, dz_value])
        else:
            slope = applied(f"{activation.latex_name}'", self.sym(n.symbol("z", index)))
            rows = self.chain(
                dz,
                da + self.op(n.elementwise) + slope,
                self.matrix(values.da)
                + self.op(n.elementwise)
                + self.matrix(values.slope),
                dz_value,
            )
        rows += self.chain(
            self.grad("W", index),
            dz + self.sym(n.transposed("a", index - 1)),
            self.matrix(values.dz) + self.matrix(values.a_prev.T),
            self.result(values.dW, values.dz * values.a_prev.T),
        )
        rows += chain_rows(
            self.grad("b", index), [dz, self.result(values.db, values.dz)]
        )
        rows += self.chain(
            self.grad("a", index - 1),
            self.sym(n.transposed("W", index)) + dz,
            self.matrix(values.W.T) + self.matrix(values.dz),
            self.result(values.da_prev, values.W.T * values.dz),
        )
        return rows

    def update(self, index: int, values: LayerStep) -> Iterator[Block]:
        rows = self.update_rows("W", index, values.W, values.dW, values.W_after)
        rows += self.update_rows("b", index, values.b, values.db, values.b_after)
        yield self.layer_heading(index)
        yield rows_block(rows)

    def update_rows(
        self,
        name: str,
        index: int,
        before: sympy.Matrix,
        gradient: sympy.Matrix,
        after: sympy.Matrix,
    ) -> list[Row]:
        parameter = self.sym(self.n.symbol(name, index))
        rate = self.trace.learning_rate
        return self.chain(
            parameter,
            parameter + self.op("-") + self.sym(r"\eta", 0.6) + self.grad(name, index),
            self.matrix(before)
            + self.op("-")
            + self.number(rate)
            + self.matrix(gradient),
            self.result(after, before - rate * gradient),
            relation=r"\leftarrow",
        )

    def summary(self, step: Step) -> Iterator[Block]:
        tables: list[Table] = []
        rounded = False
        for index, layer in enumerate(step.layers, start=1):
            columns = [
                ("W", [self.matrix(m) for m in (layer.W, layer.dW, layer.W_after)]),
                ("b", [self.matrix(m) for m in (layer.b, layer.db, layer.b_after)]),
            ]
            tables += self.summary_tables(index, columns)
            rounded |= any(
                piece.approximate for _, pieces in columns for piece in pieces
            )
        yield from tables
        if rounded:
            note = self.numbers.rounding_note()
            yield paragraph(f"Values in these tables are {note}.")

    def summary_tables(
        self, index: int, columns: list[tuple[str, list[Piece]]]
    ) -> list[Table]:
        """Tabulate parameters, gradients and updated values of one layer.

        ``W`` and ``b`` share one table when it fits the line, otherwise
        each gets a table of its own.
        """
        widths = [max(piece.width for piece in pieces) + 2.0 for _, pieces in columns]
        if sum(widths) + _LABEL_EM <= LINE_BUDGET_EM:
            return [self.table(index, columns, sum(widths))]
        return [
            self.table(index, [column], width) for column, width in zip(columns, widths)
        ]

    def table(
        self, index: int, columns: list[tuple[str, list[Piece]]], width: float
    ) -> Table:
        head: tuple[Text | Math, ...] = (
            Text(f"Layer {self.n.layer_number(index)}"),
            *(Math(self.n.symbol(name, index)) for name, _ in columns),
        )
        rows: tuple[tuple[Text | Math, ...], ...] = tuple(
            (Text(label), *(Math(pieces[row].latex) for _, pieces in columns))
            for row, label in enumerate(_TABLE_LABELS)
        )
        return Table(head, rows, width + _LABEL_EM)

    # -- pieces -------------------------------------------------------------

    def layer_heading(self, index: int) -> Heading:
        return Heading(3, f"Layer {self.n.layer_number(index)}")

    def number(self, value: sympy.Expr) -> Piece:
        return number(value, self.numbers)

    def matrix(self, values: sympy.Matrix) -> Piece:
        detail = self.detail
        return matrix(values, self.numbers, detail.max_columns, detail.max_rows)

    def result(self, recorded: sympy.Matrix, exact: sympy.Matrix) -> Piece:
        """Write a result, marked as rounded if it differs from ``exact``."""
        piece = self.matrix(recorded)
        if recorded != exact:
            return replace(piece, approximate=True)
        return piece

    def relation(self, piece: Piece) -> str:
        """Return ``=``, or ``\\approx`` when ``piece`` shows rounded values."""
        return r"\approx" if piece.approximate else "="

    def sym(self, latex: str, width: float = _SYMBOL_EM) -> Piece:
        return symbol(latex, width)

    def grad(self, name: str, layer: int) -> Piece:
        n = self.n
        width = _GRADIENT_EM[n.gradient_style]
        if n.gradient_style == "delta" and name == "z":
            width = _DELTA_EM
        return symbol(n.gradient(name, layer), width)

    def op(self, latex: str) -> Piece:
        return operator(latex, _OPERATOR_EM)
