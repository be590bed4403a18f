#!/usr/bin/env python3
"""Denoiser graphs for the speed measurements at real shapes (issue 15), and PyTorch's own time for
the same module as a reference point.

Wan 2.1 T2V transformer with the 1.3B configuration (30 blocks, 12 heads x 128, FFN 8960, T5 width
4096) and RANDOM weights (none can be downloaded where this runs), in fp16, at 480x832 with 33 frames
(9 latent frames, 14,040 tokens) or 81 frames (21 latent frames, 32,760 tokens), batch 1, text length
512. The graph computes in fp16, so our GPU kernels read fp16 Q/K/V.

Two graphs per frame count:
  wan-<F>f.onnx      the dynamo export: SDPA as opset-23 `Attention` nodes [B, H, N, D] (our partitioner's
                     input; ONNX Runtime 1.24's CUDA EP has no kernel for this op and would run it on the CPU)
  wan-<F>f-mha.onnx  the same graph (same weights file) with every `Attention` node replaced by ONNX Runtime's
                     own fused `com.microsoft::MultiHeadAttention` on [B, N, H*D] (Transpose + Reshape around
                     it): the form ONNX Runtime's CUDA EP runs with its flash-attention kernel, so "ONNX Runtime
                     alone" is ONNX Runtime at its best; our partitioner takes these nodes too.

Then, with the Java GPU bundle: `sagestudio step-time wan-33f-mha.onnx --ep cuda --backends
onnxruntime,flash-fp16,sage-int8-fp16,sage-int8-fp8` (models/scripts/bench-real-shapes.sh runs it all).

Usage:
    python3 models/import/export_bench_graphs.py OUT_DIR [--frames 33 81] [--layers 30]
    python3 models/import/export_bench_graphs.py --torch-timing [--frames 33 81]   (no export; needs a GPU)
"""
import argparse
import json
import os
import sys
import time

import torch


WAN_1_3B = dict(patch_size=(1, 2, 2), num_attention_heads=12, attention_head_dim=128, in_channels=16,
                out_channels=16, text_dim=4096, freq_dim=256, ffn_dim=8960, num_layers=30,
                cross_attn_norm=True, qk_norm="rms_norm_across_heads", eps=1e-6, rope_max_seq_len=1024)
HEIGHT, WIDTH = 480, 832


class WanDenoiser(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.model(sample, timestep=timestep, encoder_hidden_states=encoder_hidden_states,
                          return_dict=False)[0]


def latent_frames(frames):
    return (frames - 1) // 4 + 1  # Wan's causal VAE: 4x in time after the first frame


def tokens(frames):
    return latent_frames(frames) * (HEIGHT // 16) * (WIDTH // 16)


def wan_model(layers):
    from diffusers import WanTransformer3DModel
    torch.manual_seed(0)
    model = WanTransformer3DModel(**dict(WAN_1_3B, num_layers=layers)).eval().half()
    params = sum(t.numel() for t in model.parameters())
    print(f"Wan 2.1 1.3B config with {layers} blocks, random weights: {params / 1e9:.2f}B parameters", flush=True)
    return WanDenoiser(model)


def inputs(frames, text_length, device="cpu"):
    g = torch.Generator().manual_seed(frames)
    sample = torch.randn(1, 16, latent_frames(frames), HEIGHT // 8, WIDTH // 8, generator=g).half()
    text = torch.randn(1, text_length, 4096, generator=g).half()
    timestep = torch.tensor([500.0], dtype=torch.float16)
    return sample.to(device), timestep.to(device), text.to(device)


# opset-23 Attention attributes whose default (0) means plain non-causal softmax attention.
DEFAULT_ZERO_ATTENTION_ATTRIBUTES = ("is_causal", "softcap", "qk_matmul_output_mode")


def attention_to_multihead(model):
    """Replaces every opset-23 `Attention` node over 4-D [B, H, N, D] Q/K/V (no mask, no cache, one output)
    by Transpose -> Reshape [B, N, H*D] -> com.microsoft::MultiHeadAttention(num_heads=H, scale) -> Reshape
    [B, N, H, D] -> Transpose back, so the consumers see the same tensor. Needs Q's shape in the file's
    value_info (the dynamo exporter writes it). Returns how many nodes were replaced."""
    import onnx
    from onnx import helper
    def declared_shapes(g):
        return {v.name: [d.dim_value if d.HasField("dim_value") else None for d in v.type.tensor_type.shape.dim]
                for v in list(g.value_info) + list(g.input) + list(g.output)}

    shapes = declared_shapes(model.graph)
    if any(n.op_type == "Attention" and n.input[0] not in shapes for n in model.graph.node):
        inferred = onnx.shape_inference.infer_shapes(model)  # the weights' dims are in the file, not their data
        del model.graph.value_info[:]
        model.graph.value_info.extend(inferred.graph.value_info)
        shapes = declared_shapes(model.graph)
    g = model.graph
    nodes, replaced = [], 0
    for n in g.node:
        q_shape = shapes.get(n.input[0]) if n.input else None
        if (n.op_type != "Attention" or n.domain not in ("", "ai.onnx") or len([i for i in n.input if i]) != 3
                or len(n.output) != 1 or not q_shape or len(q_shape) != 4 or None in q_shape[1:]):
            nodes.append(n)
            continue
        heads, head_dim = q_shape[1], q_shape[3]
        scale = [a.f for a in n.attribute if a.name == "scale"]
        # torch's exporter writes is_causal, softcap and qk_matmul_output_mode on every node, at their
        # defaults (0): only a non-default value asks for something MultiHeadAttention does not do. (The
        # 2026-12-06 run replaced 0 nodes because any attribute beyond these three counted as unsupported.)
        unsupported = [a.name for a in n.attribute if a.name not in ("scale", "q_num_heads", "kv_num_heads")
                       and not (a.name in DEFAULT_ZERO_ATTENTION_ATTRIBUTES and a.i == 0 and a.f == 0.0)]
        if unsupported:
            nodes.append(n)
            continue
        p = f"{n.name or 'attention'}_{replaced}_mha"
        flat = helper.make_tensor(p + "_flat", onnx.TensorProto.INT64, [3], [0, 0, heads * head_dim])
        split = helper.make_tensor(p + "_split", onnx.TensorProto.INT64, [4], [0, 0, heads, head_dim])
        g.initializer.extend([flat, split])
        three_d = []
        for role, name in zip("qkv", n.input[:3]):
            nodes.append(helper.make_node("Transpose", [name], [f"{p}_{role}_bnhd"], perm=[0, 2, 1, 3]))
            nodes.append(helper.make_node("Reshape", [f"{p}_{role}_bnhd", flat.name], [f"{p}_{role}_3d"]))
            three_d.append(f"{p}_{role}_3d")
        attrs = {"num_heads": heads}
        if scale:
            attrs["scale"] = scale[0]
        nodes.append(helper.make_node("MultiHeadAttention", three_d, [p + "_out"], domain="com.microsoft",
                                      name=p, **attrs))
        nodes.append(helper.make_node("Reshape", [p + "_out", split.name], [p + "_out_bnhd"]))
        nodes.append(helper.make_node("Transpose", [p + "_out_bnhd"], [n.output[0]], perm=[0, 2, 1, 3]))
        replaced += 1
    del g.node[:]
    g.node.extend(nodes)
    if replaced and not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return replaced


def write_multihead_variant(path):
    """`<graph>-mha.onnx` next to `path`, sharing its external weights file (only the graph is rewritten)."""
    import onnx
    model = onnx.load(path, load_external_data=False)
    replaced = attention_to_multihead(model)
    target = path[:-len(".onnx")] + "-mha.onnx"
    onnx.save(model, target)
    print(f"  {os.path.basename(target)}: {replaced} Attention nodes as com.microsoft::MultiHeadAttention", flush=True)
    return target


def export(args):
    """The dynamo exporter straight to the file (weights in `<name>.onnx.data`): the weights are fp16 already, so
    the importer's load / fp16 storage / save pass (minutes at this size) would change nothing."""
    os.makedirs(args.out, exist_ok=True)
    wrapper = wan_model(args.layers)
    for frames in args.frames:
        start = time.time()
        print(f"{frames} frames: {latent_frames(frames)} latent frames, {tokens(frames)} tokens", flush=True)
        path = os.path.join(args.out, f"wan-{frames}f.onnx")
        program = torch.onnx.export(wrapper, inputs(frames, args.text_length), None, dynamo=True, opset_version=23,
                                    input_names=["sample", "timestep", "encoder_hidden_states"],
                                    output_names=["model_output"])
        program.save(path, external_data=True)
        print(f"  exported {os.path.basename(path)} in {time.time() - start:.0f} s", flush=True)
        write_multihead_variant(path)
        open(path + ".done", "w").close()  # the runner waits for this marker


def torch_timing(args):
    """PyTorch eager with SDPA (its flash kernel for fp16) on the same configuration: median of 3 steps."""
    wrapper = wan_model(args.layers).cuda()
    rows = []
    for frames in args.frames:
        x, t, c = inputs(frames, args.text_length, "cuda")
        with torch.no_grad():
            wrapper(x, t, c)
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            times = []
            for _ in range(3):
                start = time.perf_counter()
                wrapper(x, t, c)
                torch.cuda.synchronize()
                times.append((time.perf_counter() - start) * 1e3)
        row = dict(frames=frames, tokens=tokens(frames), device=torch.cuda.get_device_name(),
                   step_ms=sorted(times)[1], times_ms=times, peak_gib=torch.cuda.max_memory_allocated() / 2**30)
        print(f"PyTorch SDPA step at {frames} frames ({row['tokens']} tokens) on {row['device']}:"
              f" median {row['step_ms']:.1f} ms, peak {row['peak_gib']:.1f} GiB", flush=True)
        rows.append(row)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out", nargs="?")
    p.add_argument("--frames", type=int, nargs="+", default=[33, 81])
    p.add_argument("--layers", type=int, default=30, help="blocks (30 in Wan 2.1 1.3B; fewer for a quick trial)")
    p.add_argument("--text-length", type=int, default=512)
    p.add_argument("--torch-timing", action="store_true")
    p.add_argument("--json", help="with --torch-timing: save the rows here")
    args = p.parse_args()
    if args.torch_timing:
        torch_timing(args)
    elif args.out:
        export(args)
    else:
        p.error("give OUT_DIR, or --torch-timing")


if __name__ == "__main__":
    main()
