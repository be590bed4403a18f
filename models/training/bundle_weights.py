"""Read a trained model back from its bundle, and inflate an image model into a video model.

The bundled ONNX graphs are the only copy of the bundled image model's weights (no checkpoint was
kept). The exporter keeps parameter names for most initializers (`m.<param>`, stored as
`m.<param>__fp16` + Cast, see export_onnx.store_fp16), but a Linear applied to a 3-D input
becomes MatMul with an anonymous, transposed weight (`val_N`); its name is recovered from the
named bias that the following Add consumes.
"""
import numpy as np
import torch

from dit import T2X, Config


def onnx_parameters(path):
    """{parameter name (as in the exported module, without the `m.` prefix): float32 array}."""
    import onnx
    from onnx import numpy_helper
    g = onnx.load(path).graph
    inits = {i.name: i for i in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)

    def initializer_behind(tensor):  # the initializer a tensor is, or is Cast from
        if tensor in inits:
            return tensor
        n = producer.get(tensor)
        if n is not None and n.op_type == "Cast" and n.input[0] in inits:
            return n.input[0]
        return None

    def param_name(init_name):
        return init_name[2:].removesuffix("__fp16") if init_name.startswith("m.") else None

    params = {}
    for name, t in inits.items():
        if param_name(name):
            params[param_name(name)] = numpy_helper.to_array(t).astype(np.float32)
    for n in g.node:
        # A Gemm's bias input can be another layer's bias: the exporter merges identical
        # initializers, and `pool.bias` and `t_mlp.2.bias` are identical (both are summed into
        # the conditioning vector, so they get the same gradients from the same zero init).
        if n.op_type == "Gemm" and len(n.input) == 3 and param_name(initializer_behind(n.input[1]) or ""):
            weight, bias = param_name(initializer_behind(n.input[1])), initializer_behind(n.input[2])
            if weight.endswith(".weight") and bias:
                params[weight[:-len("weight")] + "bias"] = numpy_helper.to_array(inits[bias]).astype(np.float32)
        if n.op_type != "MatMul":
            continue
        w = initializer_behind(n.input[1])
        if w is None or param_name(w):
            continue
        biases = {param_name(b) for c in consumers.get(n.output[0], []) if c.op_type == "Add"
                  for b in map(initializer_behind, c.input) if b and param_name(b)}
        biases = {b for b in biases if b.endswith(".bias")}
        if len(biases) != 1:
            raise ValueError(f"{path}: cannot name the MatMul weight {w} (bias candidates {sorted(biases)})")
        params[biases.pop()[:-len("bias")] + "weight"] = numpy_helper.to_array(inits[w]).astype(np.float32).T
    return params


def load_bundled_model(bundle_dir, cfg: Config):
    """The T2X whose exported graphs are bundle_dir/{text_encoder,denoiser}.onnx (strict: every
    parameter must be found, with its shape)."""
    import os
    model = T2X(cfg)
    state = {}
    for prefix, fn in (("text.", "text_encoder.onnx"), ("dit.", "denoiser.onnx")):
        for k, v in onnx_parameters(os.path.join(bundle_dir, fn)).items():
            if not (prefix == "dit." and k == "pos"):  # the denoiser's fixed positions: a buffer, rebuilt
                state[prefix + k] = torch.from_numpy(v)
    model.load_state_dict(state, strict=True)
    return model


def graph_agreement(model: T2X, bundle_dir, seed=0):
    """rel-L2 between `model` (PyTorch, fp32, CPU) and the bundle's graphs in ONNX Runtime (CPU) on
    random token ids, samples and timesteps: a model read back correctly agrees to fp32 rounding."""
    import os
    import onnxruntime as ort
    c = model.c
    rng = np.random.default_rng(seed)
    ids = rng.integers(2, c.vocab, (2, c.max_len)).astype(np.int64)
    shape = (2, c.channels, c.size, c.size) if c.frames == 1 else (2, c.channels, c.frames, c.size, c.size)
    x = rng.standard_normal(shape).astype(np.float32)
    ts = np.array([700.0, 200.0], np.float32)
    session = lambda f: ort.InferenceSession(os.path.join(bundle_dir, f), providers=["CPUExecutionProvider"])
    ctx = session("text_encoder.onnx").run(None, {"input_ids": ids})[0]
    ref = session("denoiser.onnx").run(None, {"sample": x, "timestep": ts, "encoder_hidden_states": ctx})[0]
    m = model.float().cpu().eval()
    with torch.no_grad():
        out = m.dit(torch.from_numpy(x), torch.from_numpy(ts), m.text(torch.from_numpy(ids))).numpy()
    return float(np.linalg.norm(out - ref) / np.linalg.norm(ref))


def inflate(image_state, video: T2X):
    """A state dict for `video` (patch p, tubelet t) from an image model's (same width, depth,
    heads, text encoder; patch p): every shared tensor is copied; the patch embedding is split
    evenly over the t frames of a tubelet and the output layer repeated for each, and the learned
    temporal embedding stays zero. On a clip whose frames are all the same image the video model
    then computes exactly what the image model computes on that image (self-attention over t_tokens
    identical copies of the keys gives the same softmax average), so training starts from the image
    model's knowledge of the emoji and only has to learn motion."""
    c = video.c
    if c.temporal_pos != "learned":
        raise ValueError("inflation needs temporal_pos='learned' (zero at init)")
    own = video.state_dict()
    out, t, p, C = dict(own), c.tubelet, c.patch, c.channels
    for k, v in image_state.items():
        if k in own and own[k].shape == v.shape:
            out[k] = v.clone()
    w_in = image_state["dit.x_in.weight"]  # [d, C*p*p]
    if w_in.shape[1] != C * p * p:
        raise ValueError(f"image patch embedding {tuple(w_in.shape)} does not fit patch {p}")
    out["dit.x_in.weight"] = (w_in.reshape(-1, C, 1, p, p) / t).expand(-1, C, t, p, p).reshape(-1, C * t * p * p).clone()
    w_out, b_out = image_state["dit.out.weight"], image_state["dit.out.bias"]  # [C*p*p, d], [C*p*p]
    out["dit.out.weight"] = w_out.reshape(C, 1, p, p, -1).expand(C, t, p, p, -1).reshape(C * t * p * p, -1).clone()
    out["dit.out.bias"] = b_out.reshape(C, 1, p, p).expand(C, t, p, p).reshape(-1).clone()
    copied = sum(1 for k in own if k in image_state and own[k].shape == image_state[k].shape)
    return out, dict(copied=copied, inflated=3, fresh=sorted(k for k in own if k not in image_state), total=len(own))
