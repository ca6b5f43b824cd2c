"""Generate PyTorch reference values for the engine tests.

Builds deterministic float32 inputs, runs each op, loss and optimizer step in
PyTorch, and writes inputs, outputs and gradients as JSON under
test/fixtures/reference/. The fixtures are committed, so the tests never need
Python. Regenerate after changing a case:

    /usr/bin/python3 scripts/reference/generate_engine_fixtures.py

Debian's python3-torch and python3-numpy load only under /usr/bin/python3.
"""

import json
import pathlib

import torch
import torch.nn.functional as F

OUTPUT_DIR = pathlib.Path(__file__).resolve().parents[2] / "test" / "fixtures" / "reference"
GENERATOR = "scripts/reference/generate_engine_fixtures.py"


def encode(tensor):
    """Return a float32 tensor as {shape, data}; JSON doubles hold float32 values exactly."""
    values = tensor.detach().to(torch.float32).contiguous()
    return {"shape": list(values.shape), "data": [float(v) for v in values.reshape(-1).tolist()]}


def randn(generator, *shape, low=None):
    """Return a standard normal tensor; with `low`, push every magnitude to at least `low` (away from kinks and poles)."""
    values = torch.randn(tuple(shape), generator=generator, dtype=torch.float32)
    if low is not None:
        values = torch.sign(values) * (values.abs() + low)
    return values


def op_case(name, op, inputs, compute, attributes=None, seed=0):
    """Run `compute` on leaf copies of `inputs`, backpropagate a fixed random upstream gradient, and record everything."""
    leaves = [value.clone().requires_grad_(True) for value in inputs]
    output = compute(*leaves)
    generator = torch.Generator().manual_seed(1000 + seed)
    upstream = torch.randn(output.shape, generator=generator, dtype=torch.float32)
    output.backward(upstream)
    return {
        "name": name,
        "op": op,
        "attributes": attributes or {},
        "inputs": [encode(value) for value in inputs],
        "output": encode(output),
        "upstream": encode(upstream),
        "gradients": [encode(leaf.grad) for leaf in leaves],
    }


def build_op_cases():
    g = torch.Generator().manual_seed(20261204)
    cases = []

    def add_case(name, op, inputs, compute, attributes=None):
        cases.append(op_case(name, op, inputs, compute, attributes, seed=len(cases)))

    add_case("matmul 2-D", "matmul", [randn(g, 3, 4), randn(g, 4, 5)], torch.matmul)
    add_case("matmul odd sizes", "matmul", [randn(g, 7, 9), randn(g, 9, 6)], torch.matmul)
    add_case("matmul batched a", "matmul", [randn(g, 2, 3, 4), randn(g, 4, 5)], torch.matmul)
    add_case("matmul batched both", "matmul", [randn(g, 2, 3, 4), randn(g, 2, 4, 5)], torch.matmul)
    add_case("matmul two batch dimensions", "matmul", [randn(g, 2, 2, 3, 4), randn(g, 2, 2, 4, 3)], torch.matmul)

    add_case("linear with bias", "linear", [randn(g, 5, 4), randn(g, 3, 4), randn(g, 3)], F.linear)
    add_case("linear without bias", "linear", [randn(g, 6, 5), randn(g, 7, 5)], F.linear)
    add_case("linear batched x", "linear", [randn(g, 2, 3, 4), randn(g, 5, 4), randn(g, 5)], F.linear)

    add_case("add same shape", "add", [randn(g, 2, 3), randn(g, 2, 3)], torch.add)
    add_case("add row broadcast", "add", [randn(g, 4, 3), randn(g, 3)], torch.add)
    add_case("add both broadcast", "add", [randn(g, 2, 1, 4), randn(g, 3, 1)], torch.add)
    add_case("add scalar", "add", [randn(g, 2, 3), randn(g)], torch.add)
    add_case("sub column broadcast", "sub", [randn(g, 4, 3), randn(g, 4, 1)], torch.sub)
    add_case("sub broadcast first", "sub", [randn(g, 3), randn(g, 2, 3)], torch.sub)
    add_case("mul same shape", "mul", [randn(g, 3, 4), randn(g, 3, 4)], torch.mul)
    add_case("mul both broadcast", "mul", [randn(g, 2, 1, 3), randn(g, 4, 1)], torch.mul)
    add_case("div same shape", "div", [randn(g, 3, 4), randn(g, 3, 4, low=0.5)], torch.div)
    add_case("div row broadcast", "div", [randn(g, 2, 3), randn(g, 3, low=0.5)], torch.div)
    add_case("scale negative factor", "scale", [randn(g, 3, 2)], lambda a: a * -1.5, {"factor": -1.5})

    add_case("sum all elements", "sum", [randn(g, 3, 4)], torch.sum)
    add_case("sum axis 0", "sum", [randn(g, 3, 4)], lambda a: a.sum(0), {"axis": 0})
    add_case("sum axis 1 of 3-D", "sum", [randn(g, 2, 3, 4)], lambda a: a.sum(1), {"axis": 1})
    add_case("sum last axis keepDims", "sum", [randn(g, 2, 3, 4)], lambda a: a.sum(-1, keepdim=True), {"axis": -1, "keepDims": True})
    add_case("mean all elements", "mean", [randn(g, 3, 4)], torch.mean)
    add_case("mean axis 1", "mean", [randn(g, 3, 4)], lambda a: a.mean(1), {"axis": 1})
    add_case("mean first axis keepDims", "mean", [randn(g, 2, 3, 4)], lambda a: a.mean(-3, keepdim=True), {"axis": -3, "keepDims": True})

    add_case("reshape inferred dimension", "reshape", [randn(g, 2, 6)], lambda a: a.reshape(3, -1), {"shape": [3, -1]})

    add_case("relu away from zero", "relu", [randn(g, 4, 5, low=0.05)], torch.relu)
    add_case("sigmoid", "sigmoid", [randn(g, 4, 5) * 3], torch.sigmoid)
    add_case("tanh", "tanh", [randn(g, 4, 5) * 2], torch.tanh)

    add_case("softmax last axis", "softmax", [randn(g, 3, 5)], lambda a: torch.softmax(a, -1), {"axis": -1})
    add_case("softmax middle axis", "softmax", [randn(g, 2, 4, 3)], lambda a: torch.softmax(a, 1), {"axis": 1})
    add_case("softmax large logits", "softmax", [randn(g, 2, 4) * 40 + 500], lambda a: torch.softmax(a, -1), {"axis": -1})
    add_case("logSoftmax last axis", "logSoftmax", [randn(g, 3, 5)], lambda a: torch.log_softmax(a, -1), {"axis": -1})
    add_case("logSoftmax first axis", "logSoftmax", [randn(g, 4, 3)], lambda a: torch.log_softmax(a, 0), {"axis": 0})
    add_case("logSoftmax large logits", "logSoftmax", [randn(g, 2, 4) * 40 - 500], lambda a: torch.log_softmax(a, -1), {"axis": -1})

    add_case("mseLoss", "mseLoss", [randn(g, 4, 3), randn(g, 4, 3)], F.mse_loss)

    def cross_entropy_case(name, logits, labels):
        labels_tensor = torch.tensor(labels, dtype=torch.int64)
        add_case(name, "softmaxCrossEntropy", [logits], lambda a: F.cross_entropy(a, labels_tensor), {"labels": labels})

    cross_entropy_case("softmaxCrossEntropy", randn(g, 5, 4), [0, 3, 1, 1, 2])
    cross_entropy_case("softmaxCrossEntropy large logits", randn(g, 3, 6) * 50 + 1000, [5, 0, 2])

    return cases


def optimizer_for(kind, parameters, options):
    if kind == "adamw":
        return torch.optim.AdamW(
            parameters,
            lr=options["learningRate"],
            betas=(options.get("beta1", 0.9), options.get("beta2", 0.999)),
            eps=options.get("epsilon", 1e-8),
            weight_decay=options.get("weightDecay", 0.01),
        )
    if kind == "sgd":
        return torch.optim.SGD(
            parameters,
            lr=options["learningRate"],
            momentum=options.get("momentum", 0),
            weight_decay=options.get("weightDecay", 0),
        )
    return torch.optim.Adam(
        parameters,
        lr=options["learningRate"],
        betas=(options.get("beta1", 0.9), options.get("beta2", 0.999)),
        eps=options.get("epsilon", 1e-8),
        weight_decay=options.get("weightDecay", 0),
    )


OPTIMIZER_SETTINGS = [
    ("sgd plain", "sgd", {"learningRate": 0.1}),
    ("sgd momentum", "sgd", {"learningRate": 0.05, "momentum": 0.9}),
    ("sgd momentum weightDecay", "sgd", {"learningRate": 0.05, "momentum": 0.9, "weightDecay": 0.01}),
    ("adam defaults", "adam", {"learningRate": 0.01}),
    ("adam custom", "adam", {"learningRate": 0.02, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6, "weightDecay": 0.1}),
    ("adamw defaults", "adamw", {"learningRate": 0.01}),
    ("adamw strong decay", "adamw", {"learningRate": 0.05, "beta1": 0.85, "weightDecay": 0.5}),
]

STEP_COUNT = 5


def given_gradients_case(index, name, kind, options):
    """Step the optimizer with fixed gradients, isolating its update rule from any model."""
    g = torch.Generator().manual_seed(500 + index)
    initial = {"weight": randn(g, 3, 4), "bias": randn(g, 3)}
    parameters = {key: value.clone().requires_grad_(True) for key, value in initial.items()}
    optimizer = optimizer_for(kind, list(parameters.values()), options)
    steps = []
    for _ in range(STEP_COUNT):
        gradients = {key: randn(g, *value.shape) for key, value in initial.items()}
        for key, parameter in parameters.items():
            parameter.grad = gradients[key].clone()
        optimizer.step()
        steps.append({
            "gradients": {key: encode(value) for key, value in gradients.items()},
            "parameters": {key: encode(value) for key, value in parameters.items()},
        })
    return {"name": f"{name} given gradients", "optimizer": kind, "options": options, "initial": {key: encode(value) for key, value in initial.items()}, "steps": steps}


def regression_case(index, name, kind, options):
    """Train a linear layer on a fixed batch with the mean squared error, recording each loss and parameter update."""
    g = torch.Generator().manual_seed(700 + index)
    initial = {"weight": randn(g, 2, 3) * 0.5, "bias": randn(g, 2) * 0.1}
    inputs = randn(g, 8, 3)
    targets = randn(g, 8, 2)
    parameters = {key: value.clone().requires_grad_(True) for key, value in initial.items()}
    optimizer = optimizer_for(kind, list(parameters.values()), options)
    steps = []
    for _ in range(STEP_COUNT):
        optimizer.zero_grad()
        loss = F.mse_loss(F.linear(inputs, parameters["weight"], parameters["bias"]), targets)
        loss.backward()
        optimizer.step()
        steps.append({"loss": float(loss), "parameters": {key: encode(value) for key, value in parameters.items()}})
    return {
        "name": f"{name} linear regression",
        "optimizer": kind,
        "options": options,
        "initial": {key: encode(value) for key, value in initial.items()},
        "inputs": encode(inputs),
        "targets": encode(targets),
        "steps": steps,
    }


def write_fixture(file_name, key, cases):
    # One case per line keeps the file small and its diffs readable.
    header = json.dumps({"generatedBy": GENERATOR, "torchVersion": torch.__version__})[:-1]
    lines = ",\n".join(json.dumps(case, separators=(",", ":")) for case in cases)
    path = OUTPUT_DIR / file_name
    path.write_text(f'{header}, "{key}": [\n{lines}\n]}}\n')
    print(f"wrote {len(cases)} cases to {path}")


def main():
    torch.use_deterministic_algorithms(True)
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    write_fixture("ops.json", "cases", build_op_cases())
    optimizer_cases = []
    for index, (name, kind, options) in enumerate(OPTIMIZER_SETTINGS):
        optimizer_cases.append(given_gradients_case(index, name, kind, options))
        optimizer_cases.append(regression_case(index, name, kind, options))
    write_fixture("optimizers.json", "cases", optimizer_cases)


if __name__ == "__main__":
    main()
