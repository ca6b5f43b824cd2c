"""Generate PyTorch reference values for the transformer ops, layers and optimizer steps.

Builds deterministic float32 inputs and weights, runs each computation in
PyTorch, and writes inputs, outputs and gradients as JSON under
test/fixtures/reference/. The fixtures are committed, so the tests never need
Python. Regenerate after changing a case:

    /usr/bin/python3 scripts/reference/generate_transformer_fixtures.py

Debian's python3-torch (1.13) and python3-numpy load only under /usr/bin/python3.
Torch 1.13 has no RMSNorm module, so RMS normalisation is computed from its formula.
"""

import json
import math
import pathlib

import torch
import torch.nn.functional as F

OUTPUT_DIR = pathlib.Path(__file__).resolve().parents[2] / "test" / "fixtures" / "reference"
GENERATOR = "scripts/reference/generate_transformer_fixtures.py"


def encode(tensor):
    """Return a float32 tensor as {shape, data}; JSON doubles hold float32 values exactly."""
    values = tensor.detach().to(torch.float32).contiguous()
    return {"shape": list(values.shape), "data": [float(v) for v in values.reshape(-1).tolist()]}


def randn(generator, *shape, scale=1.0):
    return torch.randn(tuple(shape), generator=generator, dtype=torch.float32) * scale


def upstream_for(output, seed):
    generator = torch.Generator().manual_seed(3000 + seed)
    return torch.randn(output.shape, generator=generator, dtype=torch.float32)


def op_case(name, op, inputs, compute, attributes, seed):
    """Run `compute` (returning one tensor or a list) on leaf copies of `inputs`, backpropagate fixed random upstream gradients, and record everything."""
    leaves = [value.clone().requires_grad_(True) for value in inputs]
    result = compute(*leaves)
    outputs = list(result) if isinstance(result, (list, tuple)) else [result]
    upstreams = [upstream_for(output, seed * 10 + index) for index, output in enumerate(outputs)]
    torch.autograd.backward(outputs, upstreams)
    return {
        "name": name,
        "op": op,
        "attributes": attributes,
        "inputs": [encode(value) for value in inputs],
        "outputs": [encode(output) for output in outputs],
        "upstreams": [encode(upstream) for upstream in upstreams],
        "gradients": [encode(leaf.grad if leaf.grad is not None else torch.zeros_like(leaf)) for leaf in leaves],
    }


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def causal_softmax(scores):
    length = scores.shape[-1]
    future = torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=1)
    return torch.softmax(scores.masked_fill(future, float("-inf")), -1)


def build_op_cases():
    g = torch.Generator().manual_seed(20261205)
    cases = []

    def add_case(name, op, inputs, compute, attributes=None):
        cases.append(op_case(name, op, inputs, compute, attributes or {}, seed=len(cases)))

    def embedding_case(name, vocabulary, width, ids, ids_shape):
        ids_tensor = torch.tensor(ids, dtype=torch.int64).reshape(ids_shape)
        add_case(name, "embedding", [randn(g, vocabulary, width)], lambda table: F.embedding(ids_tensor, table), {"ids": ids, "idsShape": ids_shape})

    embedding_case("embedding batch of sequences", 7, 4, [0, 3, 6, 3, 1, 3], [2, 3])
    embedding_case("embedding repeated id", 5, 3, [2, 2, 2, 2], [4])

    add_case("transpose last two axes", "transpose", [randn(g, 2, 3, 4)], lambda a: a.transpose(1, 2), {"axis1": -2, "axis2": -1})
    add_case("transpose outer axes", "transpose", [randn(g, 2, 3, 4)], lambda a: a.transpose(0, 2), {"axis1": 0, "axis2": 2})
    add_case("permute three axes", "permute", [randn(g, 2, 3, 4)], lambda a: a.permute(2, 0, 1), {"axes": [2, 0, 1]})
    add_case("permute four axes", "permute", [randn(g, 2, 3, 2, 4)], lambda a: a.permute(0, 2, 1, 3), {"axes": [0, 2, 1, 3]})

    add_case("split last axis", "split", [randn(g, 2, 6)], lambda a: a.split([1, 2, 3], -1), {"axis": -1, "sizes": [1, 2, 3]})
    add_case("split middle axis", "split", [randn(g, 2, 5, 3)], lambda a: a.split([2, 3], 1), {"axis": 1, "sizes": [2, 3]})
    add_case("concat last axis", "concat", [randn(g, 2, 3, 1), randn(g, 2, 3, 2), randn(g, 2, 3, 4)], lambda *parts: torch.cat(parts, -1), {"axis": -1})
    add_case("concat first axis", "concat", [randn(g, 1, 4), randn(g, 3, 4)], lambda *parts: torch.cat(parts, 0), {"axis": 0})

    add_case("bmm same batch", "bmm", [randn(g, 3, 2, 4), randn(g, 3, 4, 5)], torch.matmul)
    add_case("bmm broadcast batch", "bmm", [randn(g, 2, 1, 3, 4), randn(g, 3, 4, 2)], torch.matmul)
    add_case("bmm shared b", "bmm", [randn(g, 2, 3, 4), randn(g, 4, 5)], torch.matmul)
    add_case("bmm shared a", "bmm", [randn(g, 3, 4), randn(g, 2, 4, 5)], torch.matmul)

    add_case("causalMask then softmax", "causalMaskSoftmax", [randn(g, 2, 4, 4)], causal_softmax)
    add_case("causalMask then softmax one position", "causalMaskSoftmax", [randn(g, 1, 1)], causal_softmax)

    add_case("gelu erf", "gelu", [randn(g, 4, 6, scale=2.5)], lambda a: F.gelu(a), {"approximate": "none"})
    add_case("gelu tanh", "gelu", [randn(g, 4, 6, scale=2.5)], lambda a: F.gelu(a, approximate="tanh"), {"approximate": "tanh"})

    add_case("layerNorm affine", "layerNorm", [randn(g, 2, 3, 5), randn(g, 5), randn(g, 5)], lambda x, w, b: F.layer_norm(x, (5,), w, b, 1e-5), {"eps": 1e-5})
    add_case("layerNorm large offset", "layerNorm", [randn(g, 4, 8) + 30, randn(g, 8), randn(g, 8)], lambda x, w, b: F.layer_norm(x, (8,), w, b, 1e-5), {"eps": 1e-5})
    add_case("layerNorm custom eps", "layerNorm", [randn(g, 3, 4, scale=0.01), randn(g, 4), randn(g, 4)], lambda x, w, b: F.layer_norm(x, (4,), w, b, 1e-3), {"eps": 1e-3})
    add_case("rmsNorm", "rmsNorm", [randn(g, 2, 3, 6), randn(g, 6)], lambda x, w: rms_norm(x, w, 1e-5), {"eps": 1e-5})
    add_case("rmsNorm custom eps", "rmsNorm", [randn(g, 4, 5, scale=0.01), randn(g, 5)], lambda x, w: rms_norm(x, w, 1e-3), {"eps": 1e-3})

    add_case("softmaxWithTemperature hot", "softmaxWithTemperature", [randn(g, 3, 5)], lambda a: torch.softmax(a / 2.5, -1), {"temperature": 2.5})
    add_case("softmaxWithTemperature cold", "softmaxWithTemperature", [randn(g, 3, 5)], lambda a: torch.softmax(a / 0.4, -1), {"temperature": 0.4})

    def sequence_case(name, batch, length, vocabulary, targets):
        targets_tensor = torch.tensor(targets, dtype=torch.int64)
        add_case(
            name,
            "sequenceCrossEntropy",
            [randn(g, batch, length, vocabulary, scale=2)],
            lambda logits: F.cross_entropy(logits.reshape(-1, vocabulary), targets_tensor),
            {"targets": targets},
        )

    sequence_case("sequenceCrossEntropy", 2, 3, 5, [0, 4, 2, 2, 1, 3])
    sequence_case("sequenceCrossEntropy one sequence", 1, 4, 6, [5, 5, 0, 1])
    return cases


def head_weights(generator, head_count, head_size, width):
    scale = 1 / math.sqrt(width)
    return [{key: randn(generator, head_size, width, scale=scale) for key in ("w_q", "w_k", "w_v")} for _ in range(head_count)]


def torch_attention(x, heads, w_o, b_o, causal):
    """Multi-head attention with torch.nn.MultiheadAttention, loaded with the engine's per-head weights."""
    width = x.shape[-1]
    head_count = len(heads)
    module = torch.nn.MultiheadAttention(width, head_count, bias=True, batch_first=True)
    with torch.no_grad():
        # in_proj_weight stacks W_Q, W_K, W_V, each [C, C], with head h in rows h·H .. (h+1)·H.
        module.in_proj_weight.copy_(torch.cat([torch.cat([head[key] for head in heads], 0) for key in ("w_q", "w_k", "w_v")], 0))
        module.in_proj_bias.zero_()
        module.out_proj.weight.copy_(w_o)
        module.out_proj.bias.copy_(b_o)
    length = x.shape[1]
    mask = torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=1) if causal else None
    output, weights = module(x, x, x, attn_mask=mask, need_weights=True, average_attn_weights=False)
    return module, output, weights


def single_head_case(name, g, seed, batch, length, width, head_size, causal):
    x = randn(g, batch, length, width)
    weights = head_weights(g, 1, head_size, width)[0]
    leaves = {key: value.clone().requires_grad_(True) for key, value in weights.items()}
    x_leaf = x.clone().requires_grad_(True)
    q = x_leaf @ leaves["w_q"].T  # [B, T, H]
    k = x_leaf @ leaves["w_k"].T
    v = x_leaf @ leaves["w_v"].T
    scores = q @ k.transpose(-2, -1) / math.sqrt(head_size)  # [B, T, T]
    attention = causal_softmax(scores) if causal else torch.softmax(scores, -1)
    output = attention @ v
    upstream = upstream_for(output, seed)
    output.backward(upstream)
    return {
        "name": name,
        "layer": "AttentionHead",
        "config": {"modelWidth": width, "headSize": head_size, "causal": causal},
        "parameters": {key: encode(value) for key, value in weights.items()},
        "input": encode(x),
        "output": encode(output),
        "attentionWeights": [encode(attention)],
        "upstream": encode(upstream),
        "inputGradient": encode(x_leaf.grad),
        "parameterGradients": {key: encode(leaf.grad) for key, leaf in leaves.items()},
    }


def multi_head_case(name, g, seed, batch, length, width, head_count, causal):
    head_size = width // head_count
    x = randn(g, batch, length, width)
    heads = head_weights(g, head_count, head_size, width)
    w_o = randn(g, width, width, scale=1 / math.sqrt(width))
    b_o = randn(g, width, scale=0.1)
    x_leaf = x.clone().requires_grad_(True)
    module, output, weights = torch_attention(x_leaf, heads, w_o, b_o, causal)
    upstream = upstream_for(output, seed)
    output.backward(upstream)

    parameters = {}
    gradients = {}
    in_grad = module.in_proj_weight.grad
    for h, head in enumerate(heads):
        for index, key in enumerate(("w_q", "w_k", "w_v")):
            parameters[f"heads.{h}.{key}"] = encode(head[key])
            rows = in_grad[index * width + h * head_size: index * width + (h + 1) * head_size]
            gradients[f"heads.{h}.{key}"] = encode(rows)
    parameters["w_o.weight"] = encode(w_o)
    parameters["w_o.bias"] = encode(b_o)
    gradients["w_o.weight"] = encode(module.out_proj.weight.grad)
    gradients["w_o.bias"] = encode(module.out_proj.bias.grad)
    return {
        "name": name,
        "layer": "MultiHeadAttention",
        "config": {"modelWidth": width, "headCount": head_count, "headSize": head_size, "causal": causal},
        "parameters": parameters,
        "input": encode(x),
        "output": encode(output),
        "attentionWeights": [encode(weights[:, h]) for h in range(head_count)],
        "upstream": encode(upstream),
        "inputGradient": encode(x_leaf.grad),
        "parameterGradients": gradients,
    }


def block_case(name, g, seed, batch, length, width, head_count, hidden, approximate):
    """A pre-norm block, x + attn(ln1(x)) then x + ff(ln2(x)), built from torch modules with the engine's names."""
    head_size = width // head_count
    x = randn(g, batch, length, width)
    heads = head_weights(g, head_count, head_size, width)
    values = {
        "ln1.weight": 1 + randn(g, width, scale=0.1),
        "ln1.bias": randn(g, width, scale=0.1),
        "attn.w_o.weight": randn(g, width, width, scale=1 / math.sqrt(width)),
        "attn.w_o.bias": randn(g, width, scale=0.1),
        "ln2.weight": 1 + randn(g, width, scale=0.1),
        "ln2.bias": randn(g, width, scale=0.1),
        "ff.fc1.weight": randn(g, hidden, width, scale=1 / math.sqrt(width)),
        "ff.fc1.bias": randn(g, hidden, scale=0.1),
        "ff.fc2.weight": randn(g, width, hidden, scale=1 / math.sqrt(hidden)),
        "ff.fc2.bias": randn(g, width, scale=0.1),
    }
    leaves = {key: value.clone().requires_grad_(True) for key, value in values.items()}
    x_leaf = x.clone().requires_grad_(True)
    normed = F.layer_norm(x_leaf, (width,), leaves["ln1.weight"], leaves["ln1.bias"], 1e-5)
    module, attended, _ = torch_attention(normed, heads, values["attn.w_o.weight"], values["attn.w_o.bias"], True)
    # The attention module keeps its own copies of W_Q, W_K, W_V and W_O, so their gradients are read from it below.
    hidden_state = x_leaf + attended
    normed2 = F.layer_norm(hidden_state, (width,), leaves["ln2.weight"], leaves["ln2.bias"], 1e-5)
    fed = F.linear(F.gelu(F.linear(normed2, leaves["ff.fc1.weight"], leaves["ff.fc1.bias"]), approximate=approximate), leaves["ff.fc2.weight"], leaves["ff.fc2.bias"])
    output = hidden_state + fed
    upstream = upstream_for(output, seed)
    output.backward(upstream)

    parameters = {}
    gradients = {}
    in_grad = module.in_proj_weight.grad
    for h, head in enumerate(heads):
        for index, key in enumerate(("w_q", "w_k", "w_v")):
            parameters[f"attn.heads.{h}.{key}"] = encode(head[key])
            gradients[f"attn.heads.{h}.{key}"] = encode(in_grad[index * width + h * head_size: index * width + (h + 1) * head_size])
    for key, value in values.items():
        parameters[key] = encode(value)
        if key == "attn.w_o.weight":
            gradients[key] = encode(module.out_proj.weight.grad)
        elif key == "attn.w_o.bias":
            gradients[key] = encode(module.out_proj.bias.grad)
        else:
            gradients[key] = encode(leaves[key].grad)
    return {
        "name": name,
        "layer": "TransformerBlock",
        "config": {"modelWidth": width, "headCount": head_count, "feedForwardWidth": hidden, "approximate": approximate},
        "parameters": parameters,
        "input": encode(x),
        "output": encode(output),
        "upstream": encode(upstream),
        "inputGradient": encode(x_leaf.grad),
        "parameterGradients": gradients,
    }


def norm_layer_case(name, g, seed, layer, shape, eps):
    width = shape[-1]
    x = randn(g, *shape)
    values = {"weight": 1 + randn(g, width, scale=0.2)}
    if layer == "LayerNorm":
        values["bias"] = randn(g, width, scale=0.2)
    leaves = {key: value.clone().requires_grad_(True) for key, value in values.items()}
    x_leaf = x.clone().requires_grad_(True)
    if layer == "LayerNorm":
        module = torch.nn.LayerNorm(width, eps=eps)
        with torch.no_grad():
            module.weight.copy_(values["weight"])
            module.bias.copy_(values["bias"])
        output = module(x_leaf)
    else:
        output = rms_norm(x_leaf, leaves["weight"], eps)
    upstream = upstream_for(output, seed)
    output.backward(upstream)
    if layer == "LayerNorm":
        gradients = {"weight": encode(module.weight.grad), "bias": encode(module.bias.grad)}
    else:
        gradients = {"weight": encode(leaves["weight"].grad)}
    return {
        "name": name,
        "layer": layer,
        "config": {"width": width, "eps": eps},
        "parameters": {key: encode(value) for key, value in values.items()},
        "input": encode(x),
        "output": encode(output),
        "upstream": encode(upstream),
        "inputGradient": encode(x_leaf.grad),
        "parameterGradients": gradients,
    }


def build_layer_cases():
    g = torch.Generator().manual_seed(20261206)
    cases = []
    cases.append(single_head_case("attention head causal", g, 1, 2, 5, 8, 4, True))
    cases.append(single_head_case("attention head without mask", g, 2, 2, 4, 6, 3, False))
    cases.append(multi_head_case("multi-head attention causal", g, 3, 2, 5, 8, 2, True))
    cases.append(multi_head_case("multi-head attention without mask", g, 4, 1, 4, 12, 3, False))
    cases.append(norm_layer_case("LayerNorm module", g, 5, "LayerNorm", [2, 3, 6], 1e-5))
    cases.append(norm_layer_case("RMSNorm by formula", g, 6, "RMSNorm", [2, 3, 6], 1e-5))
    cases.append(block_case("transformer block erf GELU", g, 7, 2, 4, 8, 2, 16, "none"))
    cases.append(block_case("transformer block tanh GELU", g, 8, 1, 5, 12, 3, 24, "tanh"))
    return cases


def clip_case(name, g, max_norm, gradient_scale):
    gradients = {"weight": randn(g, 3, 4, scale=gradient_scale), "bias": randn(g, 3, scale=gradient_scale)}
    parameters = {key: torch.zeros_like(value, requires_grad=True) for key, value in gradients.items()}
    for key, parameter in parameters.items():
        parameter.grad = gradients[key].clone()
    total = torch.nn.utils.clip_grad_norm_(list(parameters.values()), max_norm)
    return {
        "name": name,
        "maxNorm": max_norm,
        "gradients": {key: encode(value) for key, value in gradients.items()},
        "totalNorm": float(total),
        "clipped": {key: encode(parameter.grad) for key, parameter in parameters.items()},
    }


def adamw_clip_case(name, g, options, max_norm, step_count):
    """AdamW steps on given gradients, each clipped to `max_norm` first, as a transformer training loop runs them."""
    initial = {"w_q": randn(g, 4, 6, scale=0.3), "ln.weight": 1 + randn(g, 6, scale=0.1), "ln.bias": randn(g, 6, scale=0.1)}
    parameters = {key: value.clone().requires_grad_(True) for key, value in initial.items()}
    optimizer = torch.optim.AdamW(
        list(parameters.values()),
        lr=options["learningRate"],
        betas=(options.get("beta1", 0.9), options.get("beta2", 0.999)),
        eps=options.get("epsilon", 1e-8),
        weight_decay=options.get("weightDecay", 0.01),
    )
    steps = []
    for _ in range(step_count):
        gradients = {key: randn(g, *value.shape, scale=2.0) for key, value in initial.items()}
        for key, parameter in parameters.items():
            parameter.grad = gradients[key].clone()
        total = torch.nn.utils.clip_grad_norm_(list(parameters.values()), max_norm)
        optimizer.step()
        steps.append({
            "gradients": {key: encode(value) for key, value in gradients.items()},
            "totalNorm": float(total),
            "parameters": {key: encode(value) for key, value in parameters.items()},
        })
    return {"name": name, "options": options, "maxNorm": max_norm, "initial": {key: encode(value) for key, value in initial.items()}, "steps": steps}


def build_optimizer_cases():
    g = torch.Generator().manual_seed(20261207)
    clip_cases = [
        clip_case("clip_grad_norm_ scales large gradients", g, 1.0, 3.0),
        clip_case("clip_grad_norm_ keeps small gradients", g, 100.0, 1.0),
        clip_case("clip_grad_norm_ fractional max norm", g, 0.25, 1.0),
    ]
    adamw_cases = [
        adamw_clip_case("AdamW defaults with clipping", g, {"learningRate": 0.01}, 1.0, 6),
        adamw_clip_case("AdamW strong decay with clipping", g, {"learningRate": 0.03, "beta1": 0.8, "beta2": 0.95, "epsilon": 1e-6, "weightDecay": 0.1}, 0.5, 6),
    ]
    return clip_cases, adamw_cases


def write_fixture(file_name, sections):
    # One case per line keeps the file small and its diffs readable.
    parts = [f'"generatedBy": {json.dumps(GENERATOR)}', f'"torchVersion": {json.dumps(torch.__version__)}']
    for key, cases in sections.items():
        lines = ",\n".join(json.dumps(case, separators=(",", ":"), allow_nan=False) for case in cases)
        parts.append(f'"{key}": [\n{lines}\n]')
    path = OUTPUT_DIR / file_name
    path.write_text("{" + ", ".join(parts) + "}\n")
    print(f"wrote {sum(len(cases) for cases in sections.values())} cases to {path}")


def main():
    torch.use_deterministic_algorithms(True)
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    write_fixture("transformer_ops.json", {"cases": build_op_cases()})
    write_fixture("transformer_layers.json", {"cases": build_layer_cases()})
    clip_cases, adamw_cases = build_optimizer_cases()
    write_fixture("transformer_optim.json", {"clipCases": clip_cases, "adamwCases": adamw_cases})


if __name__ == "__main__":
    main()
