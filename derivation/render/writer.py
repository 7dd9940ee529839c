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

from ..activations import Activation, softmax_backward
from ..backend import is_rational
from ..numbers import parse_number
from ..quantities import SHORT_NODES, SHOWN_DIGITS, numeric
from ..symbols import is_symbolic
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


# Named values listed in one block of aligned equations.
_NAMES_PER_BLOCK = 8

# Rounded values are written as plain decimals, whatever the number format.
_DECIMALS = NumberFormat(style="exact")


def has_closed_forms(values: sympy.Matrix) -> bool:
    """Whether a matrix contains numbers that are not rational (closed forms)."""
    return any(
        not isinstance(entry, sympy.Rational) and not is_symbolic(entry)
        for entry in values
    )


def rounded_value(value: sympy.Expr) -> sympy.Expr:
    """Return a closed form as a rational, correctly rounded to SHOWN_DIGITS."""
    if isinstance(value, sympy.Rational) or is_symbolic(value):
        return value
    approximation = numeric(value)
    return parse_number(format_significant(approximation))


def format_significant(value: sympy.Float) -> str:
    """Write a float to SHOWN_DIGITS significant digits, rounding half to even."""
    from decimal import ROUND_HALF_EVEN, Decimal

    exact = Decimal(str(value))
    if exact == 0:
        return "0"
    exponent = exact.adjusted() - SHOWN_DIGITS + 1
    return str(exact.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_EVEN))


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
        yield from self.named_values()

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
        samples = trace.sample_count
        data = "one sample" if samples == 1 else f"{samples} samples"
        rate_math = rf"\eta {self.relation(rate)} {rate.latex}"
        if rate.latex.strip() == r"\eta":
            rate_math = r"\eta"
        yield paragraph(
            f"A fully connected network with layer widths {widths} is trained on "
            f"{data} for {steps} {plural} of {trace.optimizer.describe()} with "
            "learning rate ",
            Math(rate_math),
            f". Layers are numbered from {first}; {reads}",
            input_math,
            ".",
        )
        if samples > 1:
            yield paragraph(self.batch_statement())
        for note in self.layer_notes():
            yield paragraph(note)
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

    def batch_statement(self) -> str:
        """Say how the samples are grouped into steps and how they combine."""
        trace = self.trace
        samples, size = trace.sample_count, trace.batch_size
        if size == samples:
            grouping = "Every step uses all samples at once (full batch)"
        elif size == 1:
            grouping = "Every step uses one sample, in order (per-sample updates)"
        else:
            grouping = (
                f"Every step uses the next {size} samples, in order (mini-batches)"
            )
        combined = "averaged" if trace.reduction == "mean" else "summed"
        return (
            f"{grouping}. The samples are the columns of the input and target "
            "matrices, and of every activation and gradient below; the losses "
            f"and parameter gradients of the samples in a batch are {combined}."
        )

    def layer_notes(self) -> Iterator[str]:
        """State the parameters that a layer lacks, shares or keeps fixed."""
        for index, layer in enumerate(self.trace.network.layers, start=1):
            number = self.n.layer_number(index)
            if layer.bias == "none":
                yield f"Layer {number} has no bias."
            elif layer.bias == "shared":
                yield (
                    f"Layer {number} has one bias shared by all its units; its "
                    "gradient is the sum of the units' gradients."
                )
            frozen = sorted(
                layer.frozen - ({"biases"} if not layer.has_bias else set())
            )
            if frozen:
                parts = " and ".join(frozen)
                yield (
                    f"The {parts} of layer {number} are fixed: training leaves "
                    "them as they are."
                )

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
        if self.trace.sample_count > 1:
            yield paragraph(
                "For one sample, the loss and its gradient with respect to the "
                "output are"
            )
        else:
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
        if "n" in loss.definition.replace("{", " ").split():
            yield paragraph("where ", Math("n"), " is the number of outputs.")
        if self.trace.sample_count > 1:
            combine = (
                r"\frac{1}{B} \sum_{s=1}^{B}"
                if self.trace.reduction == "mean"
                else r"\sum_{s=1}^{B}"
            )
            yield paragraph(
                "Over a batch of ",
                Math("B"),
                " samples the loss is ",
                Math(rf"L = {combine} L_s"),
                ", where ",
                Math("L_s"),
                " is the loss of sample ",
                Math("s"),
                ".",
            )
        if self.combined:
            activation = self.trace.network.layers[-1].activation
            reason: tuple[str | Math, ...] = (
                ", because the targets of each sample sum to 1"
                if activation.name == "softmax"
                else ", because ",
            )
            if activation.name != "softmax":
                reason += (
                    Math(
                        f"{activation.latex_name}'(z) = "
                        f"{activation.derivative_definition}"
                    ),
                    " cancels the denominator",
                )
            yield paragraph(
                "With ",
                Math(activation.latex_name),
                " on the output layer the two factors of the chain rule combine: ",
                Math(rf"{n.gradient('z', last)} = {output} - {target}"),
                *reason,
                ". The derivation uses this directly.",
            )
        yield from self.backward_definitions()

    @property
    def combined(self) -> bool:
        """Whether the output layer's dL/dz is written as a - y directly."""
        return self.trace.loss.combines_with(
            self.trace.network.layers[-1].activation.name
        )

    @property
    def factor(self) -> str:
        """The factor before summed gradients: ``\\frac{1}{B}`` or nothing."""
        if self.trace.sample_count > 1 and self.trace.reduction == "mean":
            return r"\frac{1}{B}"
        return ""

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
            argument = "z)" if activation.elementwise else "z)_i"
            derivative = (
                rf"{activation.latex_name}'(z) &= {activation.derivative_definition}"
                if activation.elementwise
                else activation.derivative_definition.replace("=", "&=", 1)
            )
            row = (
                rf"{activation.latex_name}({argument} &= "
                rf"{activation.definition}, &{derivative}"
            )
            if activation.parameters:
                row += rf", & {activation.parameters}"
            if names.count(activation.latex_name) > 1:
                # Two conventions under one name: name the layers of each.
                used_in = self.layers_with(activation.derivative_definition)
                row += rf" && \text{{({used_in})}}"
            rows.append(Row(row, 0.0))

        elementwise = all(layer.activation.elementwise for layer in layers)
        opening = (
            "The activations act element-wise ("
            if elementwise
            else (
                "The activations act element-wise, except softmax, which acts on "
                "each column as a whole ("
            )
        )
        parts: list[str | Math] = [opening]
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
                    rf"{n.gradient('W', 'l')} &= {self.factor} "
                    rf"{n.gradient('z', 'l')}\, "
                    rf"{n.transposed('a', 'l-1')},",
                    0.0,
                ),
                Row(
                    rf"{n.gradient('b', 'l')} &= {self.bias_gradient_definition()}, &"
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
        if any(not layer.activation.elementwise for layer in self.trace.network.layers):
            yield paragraph(
                "For softmax the element-wise product becomes the Jacobian "
                "product, column by column: ",
                Math(
                    rf"{n.gradient('z', 'l')} = {n.symbol('a', 'l')} {n.elementwise} "
                    rf"\bigl({n.gradient('a', 'l')} - "
                    rf"{n.transposed('a', 'l')} {n.gradient('a', 'l')}\bigr)"
                ),
                ".",
            )
        yield from self.update_definitions()

    def bias_gradient_definition(self) -> str:
        n = self.n
        if self.trace.sample_count > 1:
            return rf"{self.factor} {n.gradient('z', 'l')}\, \mathbf{{1}}"
        return n.gradient("z", "l")

    def update_definitions(self) -> Iterator[Block]:
        n, optimizer = self.n, self.trace.optimizer
        theta = r"\theta"
        gradient = n.gradient_of(theta)
        if optimizer.decays:
            decay = self.number(optimizer.weight_decay).latex
            yield paragraph(
                "L2 weight decay adds ",
                Math(r"\frac{\lambda}{2} \lVert W \rVert^2"),
                " to the loss for every weight matrix (not the biases), with ",
                Math(rf"\lambda = {decay}"),
                ", so a weight's gradient ",
                Math(r"g"),
                " is its loss gradient plus ",
                Math(r"\lambda W"),
                "; a bias's is its loss gradient.",
            )
            gradient = "g"
        if optimizer.uses_momentum:
            mu = self.number(optimizer.momentum).latex
            yield paragraph(
                "Gradient descent with momentum ",
                Math(rf"\mu = {mu}"),
                " keeps a velocity ",
                Math("v"),
                " for every parameter, zero before the first step, and updates by",
            )
            yield rows_block(
                [
                    Row(
                        rf"v &\leftarrow \mu v + {gradient}, & "
                        rf"{theta} &\leftarrow {theta} - \eta v.",
                        0.0,
                    )
                ]
            )
            return
        yield paragraph(
            "and gradient descent updates every parameter ", Math(theta), " by"
        )
        yield rows_block([Row(rf"{theta} &\leftarrow {theta} - \eta {gradient}.", 0.0)])

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
            yield from self.backward(step, index)

        yield Heading(2, "Update")
        for index in range(1, self.depth + 1):
            yield from self.update(step, index)

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
        layer = self.trace.network.layers[index - 1]
        z, a = self.sym(n.symbol("z", index)), self.sym(n.symbol("a", index))
        symbolic = self.sym(n.symbol("W", index)) + self.sym(n.symbol("a", index - 1))
        substituted = self.matrix(values.W) + self.matrix(values.a_prev)
        exact = values.W.as_mutable() * values.a_prev
        if layer.has_bias:
            spread = values.b * sympy.ones(1, values.a_prev.cols)
            symbolic += self.op("+") + self.sym(n.symbol("b", index))
            substituted += self.op("+") + self.matrix(values.b)
            exact += spread
        rows = self.chain(z, symbolic, substituted, self.result(values.z, exact))
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
        batch = step.y.cols > 1
        if not batch and not self.same(step.loss, loss.value(step.output, step.y)):
            result = replace(result, approximate=True)
        if self.detail.level == "answers" or batch:
            if batch:
                samples = ", ".join(str(number) for number in step.samples or ())
                yield paragraph(f"This step uses samples {samples}.")
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
        symbolic = self.sym(
            loss.gradient_definition.format(a=output_symbol, y=n.target_name), 3.5
        )
        result = self.result(
            step.layers[-1].da, loss.column_gradients(step.output, step.y)
        )
        if loss.gradient_definition == "{a} - {y}":
            substituted = self.matrix(step.output) + self.op("-") + self.matrix(step.y)
            rows = self.chain(self.grad("a", last), symbolic, substituted, result)
        else:
            rows = chain_rows(self.grad("a", last), [symbolic, result])
        if step.y.cols > 1:
            text = "The gradient of each sample's loss with respect to its output is"
        else:
            text = "The gradient of the loss with respect to the output is"
        yield paragraph(text)
        yield rows_block(rows)

    def backward(self, step: Step, index: int) -> Iterator[Block]:
        values = step.layers[index - 1]
        n = self.n
        activation = self.trace.network.layers[index - 1].activation
        yield self.layer_heading(index)
        if (
            values.slope is not None
            and not activation.is_identity
            and all(entry == 0 for entry in values.slope)
        ):
            yield paragraph(
                f"Every unit of layer {n.layer_number(index)} has a zero derivative (",
                Math(f"{activation.latex_name}'"),
                " is 0 at each entry of ",
                Math(n.symbol("z", index)),
                "), so no gradient reaches its parameters or its input.",
            )
        yield rows_block(self.backward_rows(step, index))
        if index == 1:
            yield paragraph(
                "The gradient ",
                Math(n.gradient("a", 0)),
                " with respect to the input is not needed for the update; it is "
                "shown for completeness.",
            )

    def backward_rows(self, step: Step, index: int) -> list[Row]:
        """Lay out the gradients of one layer: ``z``, ``W``, ``b``, its input."""
        values = step.layers[index - 1]
        n = self.n
        layer = self.trace.network.layers[index - 1]
        dz = self.grad("z", index)
        rows = self.local_gradient_rows(step, index)
        factor = self.factor
        scale = self.batch_scale(step)
        dW_symbolic = dz + self.sym(n.transposed("a", index - 1))
        dW_values = self.matrix(values.dz) + self.matrix(values.a_prev.T)
        if factor:
            dW_symbolic = self.sym(factor, 1.2) + dW_symbolic
            dW_values = (
                self.sym(factor.replace("B", str(values.dz.cols)), 1.2) + dW_values
            )
        rows += self.chain(
            self.grad("W", index),
            dW_symbolic,
            dW_values,
            self.result(values.dW, scale * values.dz * values.a_prev.T),
        )
        if layer.has_bias:
            rows += self.bias_gradient_rows(step, index, layer.bias == "shared")
        rows += self.chain(
            self.grad("a", index - 1),
            self.sym(n.transposed("W", index)) + dz,
            self.matrix(values.W.T) + self.matrix(values.dz),
            self.result(values.da_prev, values.W.T.as_mutable() * values.dz),
        )
        return rows

    def batch_scale(self, step: Step) -> sympy.Rational:
        """Return the factor of the summed gradients in ``step``: 1/B or 1.

        B is the step's own batch, which is shorter than the batch size in
        the last step of an epoch when the samples do not divide evenly.
        """
        if self.factor:
            return sympy.Rational(1, step.x.cols)
        return sympy.Integer(1)

    def local_gradient_rows(self, step: Step, index: int) -> list[Row]:
        """Lay out dL/dz of one layer."""
        values = step.layers[index - 1]
        n = self.n
        activation = self.trace.network.layers[index - 1].activation
        dz, da = self.grad("z", index), self.grad("a", index)
        if index == self.depth and self.combined:
            a, y = values.a, step.y
            return self.chain(
                dz,
                self.sym(f"{n.symbol('a', index)} - {n.target_name}", 3.0),
                self.matrix(a) + self.op("-") + self.matrix(y),
                self.result(values.dz, a - y),
            )
        if activation.is_identity:
            return chain_rows(dz, [da, self.matrix(values.dz)])
        if values.slope is None:
            a = values.a
            inner = softmax_backward(a, values.da)
            return self.chain(
                dz,
                self.sym(n.symbol("a", index))
                + self.op(n.elementwise)
                + self.sym(
                    rf"\bigl({n.gradient('a', index)} - "
                    rf"{n.transposed('a', index)} {n.gradient('a', index)}\bigr)",
                    6.0,
                ),
                self.matrix(a) + self.op(n.elementwise) + self.matrix(values.da),
                self.result(values.dz, inner),
            )
        slope = applied(f"{activation.latex_name}'", self.sym(n.symbol("z", index)))
        return self.chain(
            dz,
            da + self.op(n.elementwise) + slope,
            self.matrix(values.da) + self.op(n.elementwise) + self.matrix(values.slope),
            self.result(values.dz, values.da.multiply_elementwise(values.slope)),
        )

    def bias_gradient_rows(self, step: Step, index: int, shared: bool) -> list[Row]:
        """Lay out dL/db of one layer: per unit, or one sum for a shared bias."""
        values = step.layers[index - 1]
        dz = self.grad("z", index)
        scale = self.batch_scale(step)
        if shared:
            total = scale * sum(values.dz, sympy.Integer(0))
            return chain_rows(
                self.grad("b", index),
                [
                    self.sym(
                        rf"{self.factor} \sum_{{i}} ({self.n.gradient('z', index)})_i",
                        3.5,
                    ),
                    self.result(values.db, sympy.Matrix([[total]])),
                ],
            )
        if values.dz.cols == 1 and not self.factor:
            return chain_rows(
                self.grad("b", index), [dz, self.result(values.db, values.dz)]
            )
        ones = sympy.ones(values.dz.cols, 1)
        return chain_rows(
            self.grad("b", index),
            [
                self.sym(self.factor, 1.2) + dz + self.sym(r"\mathbf{1}", 0.8),
                self.result(values.db, scale * values.dz * ones),
            ],
        )

    def update(self, step: Step, index: int) -> Iterator[Block]:
        layer = self.trace.network.layers[index - 1]
        rows: list[Row] = []
        notes = []
        for name, parameter in (("W", "weights"), ("b", "biases")):
            if parameter == "biases" and not layer.has_bias:
                continue
            if not layer.trains(parameter):
                notes.append(parameter)
                continue
            rows += self.update_rows(step, name, index)
        yield self.layer_heading(index)
        if rows:
            yield rows_block(rows)
        if notes:
            yield paragraph(
                f"The {' and '.join(notes)} of layer "
                f"{self.n.layer_number(index)} are fixed and stay as they are."
            )

    def update_rows(self, step: Step, name: str, index: int) -> list[Row]:
        values = step.layers[index - 1]
        optimizer = self.trace.optimizer
        before = values.W if name == "W" else values.b
        gradient = values.dW if name == "W" else values.db
        after = values.W_after if name == "W" else values.b_after
        parameter = self.sym(self.n.symbol(name, index))
        rate = self.trace.learning_rate
        grad_symbol = self.grad(name, index)
        grad_values = self.matrix(gradient)
        step_exact = gradient
        rows: list[Row] = []
        if name == "W" and optimizer.decays:
            decay = optimizer.weight_decay
            grad_symbol = (
                self.sym("(", 0.4)
                + grad_symbol
                + self.op("+")
                + self.sym(rf"\lambda {self.n.symbol('W', index)})", 2.4)
            )
            grad_values = (
                self.sym("(", 0.4)
                + grad_values
                + self.op("+")
                + self.number(decay)
                + self.matrix(before)
                + self.sym(")", 0.4)
            )
            step_exact = gradient + decay * before
        shared = name == "b" and gradient.shape != before.shape
        if optimizer.uses_momentum:
            velocity = values.vW if name == "W" else values.vb
            v = self.sym(rf"v_{{{self.n.symbol(name, index)}}}", 2.4)
            previous = self.previous_velocity(step, name, index)
            mu = optimizer.momentum
            rows += self.chain(
                v,
                self.sym(r"\mu", 0.6) + v + self.op("+") + grad_symbol,
                self.number(mu) + self.matrix(previous) + self.op("+") + grad_values,
                self.result(velocity, mu * previous + step_exact),
                relation=r"\leftarrow",
            )
            grad_symbol, grad_values, step_exact = v, self.matrix(velocity), velocity
        if shared:
            step_exact = sympy.ones(before.rows, 1) * step_exact
        rows += self.chain(
            parameter,
            parameter + self.op("-") + self.sym(r"\eta", 0.6) + grad_symbol,
            self.matrix(before) + self.op("-") + self.number(rate) + grad_values,
            self.result(after, before - rate * step_exact),
            relation=r"\leftarrow",
        )
        return rows

    def previous_velocity(self, step: Step, name: str, index: int) -> sympy.Matrix:
        """Return the velocity before ``step``: the step before's, or zeros."""
        values = step.layers[index - 1]
        if step.number > 1:
            before = self.trace.steps[step.number - 2].layers[index - 1]
            previous = before.vW if name == "W" else before.vb
            if previous is not None:
                return previous
        shape = (values.dW if name == "W" else values.db).shape
        return sympy.zeros(*shape)

    def summary(self, step: Step) -> Iterator[Block]:
        tables: list[Table] = []
        rounded = False
        for index, layer in enumerate(step.layers, start=1):
            columns = [
                ("W", [self.matrix(m) for m in (layer.W, layer.dW, layer.W_after)]),
            ]
            if self.trace.network.layers[index - 1].has_bias:
                columns.append(
                    ("b", [self.matrix(m) for m in (layer.b, layer.db, layer.b_after)])
                )
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
        return self.matrix_with(values, self.numbers)

    def matrix_with(self, values: sympy.Matrix, numbers: NumberFormat) -> Piece:
        detail = self.detail
        return matrix(values, numbers, detail.max_columns, detail.max_rows)

    def named_values(self) -> Iterator[Block]:
        """List the named quantities with their definitions and values."""
        quantities = self.trace.quantities
        if not quantities:
            return
        yield Heading(1, "Named values")
        yield paragraph(
            f"Exact values with more than {SHORT_NODES} nodes in their expression "
            "tree are given names ",
            Math("q_k"),
            ", each defined from the given numbers and earlier names. Values after ",
            Math(r"\approx"),
            f" are correctly rounded to {SHOWN_DIGITS} significant digits.",
        )
        # One block per few names, because a block of aligned equations cannot
        # break across pages.
        for start in range(0, len(quantities), _NAMES_PER_BLOCK):
            rows = []
            for named in quantities[start : start + _NAMES_PER_BLOCK]:
                definition = sympy.latex(named.definition)
                value = number(rounded_value(named), _DECIMALS)
                rows += chain_rows(
                    symbol(sympy.latex(named), 1.2),
                    [symbol(definition, len(definition) * 0.25), value],
                )
            yield rows_block(rows)

    def result(self, recorded: sympy.Matrix, exact: sympy.Matrix) -> Piece:
        """Write a result, marked as rounded if it differs from ``exact``.

        A result with closed forms or named quantities is followed by its
        value, correctly rounded to a few significant digits.
        """
        piece = self.matrix(recorded)
        if is_rational(recorded) and is_rational(exact):
            return piece if recorded == exact else replace(piece, approximate=True)
        if not all(self.same(a, b) for a, b in zip(recorded, exact)):
            return replace(piece, approximate=True)
        if has_closed_forms(recorded):
            return piece + self.op(r"\approx") + self.approximate(recorded)
        return piece

    def approximate(self, values: sympy.Matrix) -> Piece:
        """Write a matrix of exact values as rounded decimals."""
        rounded = values.applyfunc(rounded_value)
        return self.matrix_with(rounded, _DECIMALS)

    def same(self, recorded: sympy.Expr, exact: sympy.Expr) -> bool:
        """Whether a recorded value equals its recomputation.

        Only rational values are ever rounded, so a value with named
        quantities, functions or symbols is the recomputation itself.
        """
        if isinstance(recorded, sympy.Rational) and isinstance(exact, sympy.Rational):
            return bool(recorded == exact)
        return not isinstance(recorded, sympy.Rational) or recorded == exact

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
