"""Export text encoder and denoiser to ONNX (dynamo exporter, opset 23), check the graph has
standard `Attention` nodes, compare ONNX Runtime (CPU) with PyTorch, and time CPU sampling."""
import collections
import copy
import os
import time

import numpy as np
import torch
import torch.nn as nn


class TextExport(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids):
        return self.m(input_ids)


class DenoiserExport(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.m(sample, timestep, encoder_hidden_states)


def _export(module, args, names, out_names, path, dyn, log):
    import onnx
    B = torch.export.Dim("B", min=1, max=256)
    attempts = [("dynamic batch", {n: {0: B} for n in names}), ("static batch", None)]
    for label, shapes in attempts:
        try:
            a = args if shapes else tuple(x[:1] for x in args)
            torch.onnx.export(module, a, path, dynamo=True, opset_version=23, input_names=names,
                              output_names=out_names, dynamic_shapes=shapes, external_data=False)
            model = onnx.load(path, load_external_data=True)
            onnx.save(model, path)  # one self-contained file
            if os.path.exists(path + ".data"):
                os.remove(path + ".data")
            log(f"exported {os.path.basename(path)} ({label})")
            return label
        except Exception as e:  # noqa: BLE001 - report and try the next variant
            log(f"export {os.path.basename(path)} with {label} failed: {type(e).__name__}: {str(e)[:800]}")
    raise RuntimeError(f"export of {path} failed")


def store_fp16(path, min_elements=16):
    """Halve the file: every float32 initializer whose values are exactly representable in fp16
    (the weights were rounded to fp16 before export, see round_weights_fp16) is stored as fp16
    and followed by a Cast back to float32 under its original name, placed just before its first
    consumer so that the runtime's graph partitioning keeps it inside the segment that uses it.
    The computation is unchanged (lossless); ONNX Runtime folds the Casts at load time."""
    import onnx
    m = onnx.load(path)
    info = store_fp16_in(m, min_elements)
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return info


def store_fp16_in(m, min_elements=16):
    """store_fp16 on a ModelProto in memory (for graphs whose weights go to external data)."""
    import onnx
    from onnx import helper, numpy_helper
    g = m.graph
    first_use = {}
    for i, n in enumerate(g.node):
        for name in n.input:
            first_use.setdefault(name, i)
    casts, keep, converted, saved = {}, [], 0, 0
    for t in g.initializer:
        if t.data_type != onnx.TensorProto.FLOAT or t.name not in first_use:
            keep.append(t)
            continue
        a = numpy_helper.to_array(t)
        h = a.astype(np.float16)
        if a.size < min_elements or not np.array_equal(h.astype(np.float32), a):
            keep.append(t)
            continue
        keep.append(numpy_helper.from_array(h, t.name + "__fp16"))
        casts.setdefault(first_use[t.name], []).append(
            helper.make_node("Cast", [t.name + "__fp16"], [t.name], to=onnx.TensorProto.FLOAT, name=t.name + "__cast"))
        converted += 1
        saved += a.size * 2
    del g.initializer[:]
    g.initializer.extend(keep)
    nodes = []
    for i, n in enumerate(g.node):
        nodes.extend(casts.get(i, []))
        nodes.append(n)
    del g.node[:]
    g.node.extend(nodes)
    return dict(fp16_initializers=converted, bytes_saved=saved)


def zero_pad_last_axis(g, x, y, extra, elem_type):
    """Nodes computing y = concat(x, zeros) with `extra` zeros on the last axis of a 4-D x, using
    ops every ONNX Runtime EP runs (the zeros are x[..., :extra] * 0, so no shape arithmetic)."""
    from onnx import helper, numpy_helper
    starts, ends, axes = "pad__starts0", f"pad__ends{extra}", "pad__axes3"
    zero = "pad__zero_" + str(elem_type)
    present = {i.name for i in g.initializer}
    for name, value in ((starts, np.array([0], np.int64)), (ends, np.array([extra], np.int64)),
                        (axes, np.array([3], np.int64)),
                        (zero, np.array(0, helper.tensor_dtype_to_np_dtype(elem_type)))):
        if name not in present:
            g.initializer.append(numpy_helper.from_array(value, name))
    head, zeros = y + "__head", y + "__zeros"
    return [helper.make_node("Slice", [x, starts, ends, axes], [head], name=head),
            helper.make_node("Mul", [head, zero], [zeros], name=zeros),
            helper.make_node("Concat", [x, zeros], [y], axis=3, name=y)]


def pad_attention_head_dim(path, supported=(64, 128)):
    """SageStudio's quantized attention kernels take head dims 64 and 128 only. For every 4-D
    Attention node whose head dim D is another size, zero-pad Q, K and V on the last axis to the
    next supported size, set the node's softmax scale to 1/sqrt(D) (the padded zeros add nothing
    to q.k), and slice the output back to D: the same function, runnable by those kernels.
    The zeros are made as x[..., :target-D] * 0 and concatenated (Slice, Mul, Concat): ONNX
    Runtime 1.24's CUDA EP has no opset-23 Pad kernel, and a Pad would send Q, K and V to the
    CPU and back inside every denoiser call (seen on the H100)."""
    import onnx
    m = onnx.load(path)
    padded = pad_attention_head_dim_in(m, supported)
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return padded


def pad_attention_head_dim_in(m, supported=(64, 128)):
    """pad_attention_head_dim on a ModelProto in memory (for graphs whose weights go to external data)."""
    from onnx import helper, numpy_helper
    g = m.graph
    info = {v.name: v for v in list(g.value_info) + list(g.input) + list(g.output)}

    def dims(name):
        return [d.dim_param or d.dim_value for d in info[name].type.tensor_type.shape.dim]

    nodes, padded = [], []
    for n in g.node:
        if n.op_type != "Attention" or len(n.input) != 3 or any(n.input[i] not in info for i in range(3)):
            nodes.append(n)
            continue
        shape = dims(n.input[0])
        D = shape[-1]
        target = next((t for t in supported if t >= D), None) if len(shape) == 4 and isinstance(D, int) else None
        if target is None or D in supported or any(a.name == "scale" and a.f != 0 for a in n.attribute):
            nodes.append(n)
            continue
        new_inputs = []
        for x in n.input:
            y = x + f"__pad{target}__" + n.name
            nodes.extend(zero_pad_last_axis(g, x, y, target - D, info[x].type.tensor_type.elem_type))
            g.value_info.append(helper.make_tensor_value_info(y, info[x].type.tensor_type.elem_type,
                                                              dims(x)[:-1] + [target]))
            new_inputs.append(y)
        out = n.output[0]
        wide = out + f"__pad{target}"
        del n.input[:]
        n.input.extend(new_inputs)
        n.output[0] = wide
        for a in list(n.attribute):
            if a.name == "scale":
                n.attribute.remove(a)
        n.attribute.append(helper.make_attribute("scale", float(1.0 / np.sqrt(D))))
        nodes.append(n)
        g.value_info.append(helper.make_tensor_value_info(wide, info[out].type.tensor_type.elem_type,
                                                          dims(out)[:-1] + [target]))
        sl = [n.name + "__starts", n.name + "__ends", n.name + "__axes"]
        for name, v in zip(sl, ([0], [D], [3])):
            g.initializer.append(numpy_helper.from_array(np.array(v, np.int64), name))
        nodes.append(helper.make_node("Slice", [wide] + sl, [out], name=out + "__unpad"))
        padded.append(n.name)
    del g.node[:]
    g.node.extend(nodes)
    return padded


def round_weights_fp16(model):
    """Round every floating parameter and buffer to the nearest fp16 value (kept as fp32), so that
    evaluation, export and the fp16-stored bundle all use exactly the same weights."""
    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            if t.is_floating_point():
                t.copy_(t.half().float())
    return model


def op_histogram(path):
    import onnx
    m = onnx.load(path)
    ops = collections.Counter((n.domain or "ai.onnx") + "::" + n.op_type for n in m.graph.node)
    return m, ops


def export_model(model, cfg, outdir, log, fp16_storage=True):
    import onnx
    os.makedirs(outdir, exist_ok=True)
    m = copy.deepcopy(model).float().cpu().eval()
    te_path, dn_path = os.path.join(outdir, "text_encoder.onnx"), os.path.join(outdir, "denoiser.onnx")
    ids = torch.randint(2, cfg.vocab, (2, cfg.max_len))
    ids[:, 12:] = 0
    shape = (2, 3, 64, 64) if cfg.frames == 1 else (2, 3, cfg.frames, 64, 64)
    x = torch.randn(shape)
    t = torch.tensor([700.0, 250.0])
    with torch.no_grad():
        ctx = m.text(ids)
        ref_te, ref_dn = ctx.numpy(), m.dit(x, t, ctx).numpy()
    info = {}
    info["text_encoder_batch"] = _export(TextExport(m.text), (ids,), ["input_ids"], ["hidden_states"], te_path, True, log)
    info["denoiser_batch"] = _export(DenoiserExport(m.dit), (x, t, ctx), ["sample", "timestep", "encoder_hidden_states"],
                                     ["model_output"], dn_path, True, log)
    padded = pad_attention_head_dim(dn_path)
    info["denoiser_padded_attention"] = dict(nodes=len(padded), head_dim=cfg.d // cfg.heads)
    if padded:
        log(f"denoiser: head dim {cfg.d // cfg.heads} zero-padded for the SageAttention kernels in {len(padded)} Attention nodes")
    if fp16_storage:
        for name, path in (("text_encoder", te_path), ("denoiser", dn_path)):
            info[f"{name}_fp16_storage"] = store_fp16(path)
            log(f"{name}: fp16 storage {info[f'{name}_fp16_storage']}, now {os.path.getsize(path)/2**20:.2f} MiB")
    import onnxruntime as ort
    for name, path, feeds, ref in [("text_encoder", te_path, {"input_ids": ids.numpy()}, ref_te),
                                   ("denoiser", dn_path, {"sample": x.numpy(), "timestep": t.numpy(),
                                                          "encoder_hidden_states": ref_te}, ref_dn)]:
        model_proto, ops = op_histogram(path)
        n_att = ops.get("ai.onnx::Attention", 0)
        opset = {o.domain or "ai.onnx": o.version for o in model_proto.opset_import}
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        if "static" in info[f"{name}_batch"]:
            got = np.concatenate([sess.run(None, {k: v[i:i + 1] for k, v in feeds.items()})[0] for i in range(2)])
        else:
            got = sess.run(None, feeds)[0]
        err = float(np.abs(got - ref).max())
        cos = float((got * ref).sum() / (np.linalg.norm(got) * np.linalg.norm(ref) + 1e-12))
        info[name] = dict(file=os.path.basename(path), bytes=os.path.getsize(path), attention_nodes=n_att,
                          opset=opset, ir_version=model_proto.ir_version, ops=dict(sorted(ops.items())),
                          ort_vs_torch_max_abs=err, ort_vs_torch_cosine=cos,
                          inputs=[(i.name, [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim])
                                  for i in model_proto.graph.input],
                          outputs=[(o.name, [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim])
                                   for o in model_proto.graph.output])
        log(f"{name}: {os.path.getsize(path)/2**20:.2f} MiB, Attention nodes {n_att}, opset {opset}, "
            f"ORT vs torch max|diff| {err:.2e} cos {cos:.7f}")
        if n_att == 0:
            log(f"WARNING: {name} has no ONNX Attention node; ops: {dict(ops)}")
    return info


def ort_sessions(outdir, threads):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    mk = lambda f: ort.InferenceSession(os.path.join(outdir, f), so, providers=["CPUExecutionProvider"])
    return mk("text_encoder.onnx"), mk("denoiser.onnx")


def ort_generate(te, dn, ids, noise, steps, guidance, batch2=True, max_steps=None, shift=1.0):
    """Same algorithm as train.sample, in numpy through ONNX Runtime. Returns (x, seconds, per-step)."""
    t0 = time.time()
    ctx = np.concatenate([te.run(None, {"input_ids": ids[None]})[0],
                          te.run(None, {"input_ids": np.zeros_like(ids)[None]})[0]])
    t_text = time.time() - t0
    x = noise[None].astype(np.float32)
    sig = np.linspace(1, 0, steps + 1)
    sig = (shift * sig / (1 + (shift - 1) * sig)).astype(np.float32)
    per = []
    for k in range(steps if max_steps is None else min(steps, max_steps)):
        ts = time.time()
        s = np.full(2, sig[k] * 1000.0, np.float32)
        if batch2:
            v = dn.run(None, {"sample": np.concatenate([x, x]), "timestep": s, "encoder_hidden_states": ctx})[0]
        else:
            v = np.concatenate([dn.run(None, {"sample": x, "timestep": s[:1], "encoder_hidden_states": ctx[i:i + 1]})[0]
                                for i in range(2)])
        x = x + (sig[k + 1] - sig[k]) * (v[1:] + guidance * (v[:1] - v[1:]))
        per.append(time.time() - ts)
    return np.clip(x[0], -1, 1), time.time() - t0, t_text, per
