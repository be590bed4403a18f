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

Image denoisers at 1024x1024 (128x128 latents), batch 1, random weights in fp16, with `--model`:
  pixart-sigma-1024  PixArt-Sigma XL/2 (28 blocks, 16 heads x 72, 4,096 image tokens, 300 T5 tokens). Our kernels
                     take head dims 64 and 128, so `pixart-sigma-1024.onnx` has its Attention nodes zero-padded
                     to 128 (as the importer does) while the -mha graph keeps 72 for ONNX Runtime, which runs 72.
  sd35-medium-1024   an SD3.5-medium-like MMDiT (24 joint blocks, 13 with dual attention, 24 heads x 64, 4,096
                     image + 333 text tokens in joint attention)
  sdxl-1024          the SDXL UNet (head dim 64 at every level: 4,096 tokens at 64x64, 1,024 at 32x32, 77 text
                     tokens in cross-attention)

Then, with the Java GPU bundle: `sagestudio step-time wan-33f-mha.onnx --ep cuda --backends
onnxruntime,flash-fp16,sage-int8-fp16,sage-int8-fp8` (models/scripts/bench-real-shapes.sh runs it all).

Usage:
    python3 models/import/export_bench_graphs.py OUT_DIR [--frames 33 81] [--layers 30]
    python3 models/import/export_bench_graphs.py OUT_DIR --model pixart-sigma-1024 [sd35-medium-1024 sdxl-1024]
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


class PixArtDenoiser(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.model(sample, encoder_hidden_states=encoder_hidden_states, timestep=timestep,
                          added_cond_kwargs={"resolution": None, "aspect_ratio": None}, return_dict=False)[0]


class SD3Denoiser(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, sample, timestep, encoder_hidden_states, pooled_text_embeds):
        return self.model(sample, encoder_hidden_states=encoder_hidden_states, pooled_projections=pooled_text_embeds,
                          timestep=timestep, return_dict=False)[0]


class SDXLDenoiser(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, sample, timestep, encoder_hidden_states, pooled_text_embeds, time_ids):
        return self.model(sample, timestep, encoder_hidden_states=encoder_hidden_states,
                          added_cond_kwargs={"text_embeds": pooled_text_embeds, "time_ids": time_ids},
                          return_dict=False)[0]


def random_half(module, label):
    module = module.eval().half()
    params = sum(t.numel() for t in module.parameters())
    print(f"{label}, random weights: {params / 1e9:.2f}B parameters", flush=True)
    return module


def pixart_sigma_1024():
    from diffusers import PixArtTransformer2DModel
    model = random_half(PixArtTransformer2DModel(
        num_attention_heads=16, attention_head_dim=72, in_channels=4, out_channels=8, num_layers=28,
        cross_attention_dim=1152, caption_channels=4096, sample_size=128, patch_size=2, attention_bias=True,
        norm_type="ada_norm_single", norm_elementwise_affine=False, norm_eps=1e-6, num_embeds_ada_norm=1000,
        activation_fn="gelu-approximate", use_additional_conditions=False), "PixArt-Sigma XL/2 1024 config")
    names = ["sample", "timestep", "encoder_hidden_states"]
    shapes = [(1, 4, 128, 128), (1,), (1, 300, 4096)]
    return PixArtDenoiser(model), names, shapes


def sd35_medium_1024():
    from diffusers import SD3Transformer2DModel
    model = random_half(SD3Transformer2DModel(
        sample_size=128, patch_size=2, in_channels=16, num_layers=24, attention_head_dim=64, num_attention_heads=24,
        joint_attention_dim=4096, caption_projection_dim=1536, pooled_projection_dim=2048, out_channels=16,
        pos_embed_max_size=384, dual_attention_layers=tuple(range(13)), qk_norm="rms_norm"),
        "SD3.5-medium-like MMDiT config")
    names = ["sample", "timestep", "encoder_hidden_states", "pooled_text_embeds"]
    shapes = [(1, 16, 128, 128), (1,), (1, 333, 4096), (1, 2048)]
    return SD3Denoiser(model), names, shapes


def sdxl_1024():
    from diffusers import UNet2DConditionModel
    model = random_half(UNet2DConditionModel(
        sample_size=128, in_channels=4, out_channels=4, layers_per_block=2, block_out_channels=(320, 640, 1280),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        transformer_layers_per_block=(1, 2, 10), attention_head_dim=(5, 10, 20), cross_attention_dim=2048,
        use_linear_projection=True, addition_embed_type="text_time", addition_time_embed_dim=256,
        projection_class_embeddings_input_dim=2816), "SDXL UNet config")
    names = ["sample", "timestep", "encoder_hidden_states", "pooled_text_embeds", "time_ids"]
    # The pooled embeddings in float32: diffusers concatenates them with the float32 time-id embedding (torch
    # promotes fp16 + fp32 to fp32), and torch 2.11's exporter writes that Concat without the Cast, which ONNX
    # Runtime refuses ("Type parameter (T) of Optype (Concat) bound to different types", H100 run of 2026-12-06).
    shapes = [(1, 4, 128, 128), (1,), (1, 77, 2048), ((1, 1280), torch.float32), (1, 6)]
    return SDXLDenoiser(model), names, shapes


IMAGE_MODELS = {"pixart-sigma-1024": pixart_sigma_1024, "sd35-medium-1024": sd35_medium_1024, "sdxl-1024": sdxl_1024}


def image_inputs(shapes, device="cpu"):
    """Random inputs in fp16, or in the dtype a shape is paired with as `(shape, dtype)`."""
    g = torch.Generator().manual_seed(1024)
    typed = [s if len(s) == 2 and isinstance(s[1], torch.dtype) else (s, torch.float16) for s in shapes]
    tensors = [torch.randn(*shape, generator=g).to(dtype) for shape, dtype in typed]
    tensors[1] = torch.full(typed[1][0], 500.0, dtype=typed[1][1])  # the timestep
    return tuple(t.to(device) for t in tensors)


# opset-23 Attention attributes whose default (0) means plain non-causal softmax attention.
DEFAULT_ZERO_ATTENTION_ATTRIBUTES = ("is_causal", "softcap", "qk_matmul_output_mode")


def attention_to_multihead(model, folder="."):
    """Replaces every opset-23 `Attention` node over 4-D [B, H, N, D] Q/K/V (no mask, no cache, one output)
    by Transpose -> Reshape [B, N, H*D] -> com.microsoft::MultiHeadAttention(num_heads=H, scale) -> Reshape
    [B, N, H, D] -> Transpose back, so the consumers see the same tensor. Needs Q's shape: from the file's
    value_info, or inferred (`folder`: where the graph's external weights file is). Returns how many nodes
    were replaced."""
    import onnx
    from onnx import helper
    def declared_shapes(g):
        return {v.name: [d.dim_value if d.HasField("dim_value") else None for d in v.type.tensor_type.shape.dim]
                for v in list(g.value_info) + list(g.input) + list(g.output)}

    shapes = declared_shapes(model.graph)
    if any(n.op_type == "Attention" and n.input[0] not in shapes for n in model.graph.node):
        # The weights' dims are in the graph, not their data; but onnx checks that the external data file exists,
        # relative to the working directory (the SD3 and SDXL graphs failed so on the H100, 2026-12-06).
        here = os.getcwd()
        os.chdir(folder)
        try:
            inferred = onnx.shape_inference.infer_shapes(model)
        finally:
            os.chdir(here)
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


def write_multihead_variant(path, model=None):
    """`<graph>-mha.onnx` next to `path`, sharing its external weights file (only the graph is rewritten);
    `model`: the graph to rewrite if not the file at `path` (e.g. before its head dims were padded)."""
    import onnx
    model = onnx.load(path, load_external_data=False) if model is None else model
    replaced = attention_to_multihead(model, os.path.dirname(os.path.abspath(path)))
    target = path[:-len(".onnx")] + "-mha.onnx"
    onnx.save(model, target)
    print(f"  {os.path.basename(target)}: {replaced} Attention nodes as com.microsoft::MultiHeadAttention", flush=True)
    return target


def export(args):
    """The dynamo exporter straight to the file (weights in `<name>.onnx.data`): the weights are fp16 already, so
    the importer's load / fp16 storage / save pass (minutes at this size) would change nothing."""
    os.makedirs(args.out, exist_ok=True)
    if args.model:
        for name in args.model:
            if os.path.exists(os.path.join(args.out, f"{name}.onnx.failed")):
                os.remove(os.path.join(args.out, f"{name}.onnx.failed"))
            try:
                export_image_model(args, name)
            except Exception as e:  # noqa: BLE001 - the next model still exports; the runner reports this one
                with open(os.path.join(args.out, f"{name}.onnx.failed"), "w") as f:
                    f.write(f"{type(e).__name__}: {e}"[:4000])
                print(f"  {name}: export failed: {type(e).__name__}: {str(e)[:2000]}", flush=True)
        return
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


def export_image_model(args, name):
    """One image denoiser at 1024x1024: `<name>.onnx` (Attention nodes, head dims other than 64/128 padded for
    our kernels, no-op Squeezes dropped as the importer does) and `<name>-mha.onnx` (ONNX Runtime's
    MultiHeadAttention at the model's own head dim)."""
    import copy
    import onnx
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "training"))
    from sagestudio_import import drop_noop_squeezes
    from export_onnx import pad_attention_head_dim_in
    start = time.time()
    path = os.path.join(os.path.abspath(args.out), f"{name}.onnx")
    if args.reuse_export and os.path.exists(path + ".data"):
        print(f"  {name}.onnx: the export already made is used again", flush=True)
    else:
        wrapper, names, shapes = IMAGE_MODELS[name]()
        program = torch.onnx.export(wrapper, image_inputs(shapes), None, dynamo=True, opset_version=23,
                                    input_names=names, output_names=["model_output"])
        program.save(path, external_data=True)
        del program, wrapper
        print(f"  exported {name}.onnx in {time.time() - start:.0f} s", flush=True)
    model = onnx.load(path, load_external_data=False)
    # (Reading every initializer relative to the working directory failed once the chdir that hid it went: H100,
    # 2026-12-06e.) Only the Squeezes' axes are read, from the graph's folder.
    squeezes = drop_noop_squeezes(model, os.path.dirname(path))
    write_multihead_variant(path, copy.deepcopy(model))
    padded = pad_attention_head_dim_in(model)
    onnx.save(model, path)
    print(f"  {name}.onnx: {len(padded)} Attention nodes padded to a supported head dim, {squeezes} no-op"
          f" Squeezes dropped", flush=True)
    open(path + ".done", "w").close()


def torch_timing(args):
    """PyTorch eager with SDPA (its flash kernel for fp16) on the same configuration: median of 3 steps."""
    rows = []

    def timed(wrapper, tensors, **row):
        with torch.no_grad():
            wrapper(*tensors)
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            times = []
            for _ in range(3):
                start = time.perf_counter()
                wrapper(*tensors)
                torch.cuda.synchronize()
                times.append((time.perf_counter() - start) * 1e3)
        row.update(device=torch.cuda.get_device_name(), step_ms=sorted(times)[1], times_ms=times,
                   peak_gib=torch.cuda.max_memory_allocated() / 2**30)
        print(f"PyTorch SDPA step, {row.get('model', 'wan')} {row.get('frames', '')}: median {row['step_ms']:.1f} ms on"
              f" {row['device']}, peak {row['peak_gib']:.1f} GiB", flush=True)
        rows.append(row)

    for name in args.model or []:
        wrapper, _, shapes = IMAGE_MODELS[name]()
        timed(wrapper.cuda(), image_inputs(shapes, "cuda"), model=name)
        del wrapper
        torch.cuda.empty_cache()
    if not args.model:
        wrapper = wan_model(args.layers).cuda()
        for frames in args.frames:
            timed(wrapper, inputs(frames, args.text_length, "cuda"), model="wan", frames=frames, tokens=tokens(frames))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out", nargs="?")
    p.add_argument("--frames", type=int, nargs="+", default=[33, 81])
    p.add_argument("--layers", type=int, default=30, help="blocks (30 in Wan 2.1 1.3B; fewer for a quick trial)")
    p.add_argument("--text-length", type=int, default=512)
    p.add_argument("--model", nargs="+", choices=sorted(IMAGE_MODELS),
                   help="image denoisers at 1024x1024 instead of Wan")
    p.add_argument("--reuse-export", action="store_true",
                   help="with --model: rewrite a graph exported earlier (OUT/<name>.onnx and its .data) again")
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
