#!/usr/bin/env python3
"""Exports the denoiser graphs for the speed measurements at real shapes (issue 15): a Wan 2.1 T2V
transformer with the 1.3B configuration (30 blocks, 12 heads x 128, FFN 8960, T5 width 4096) and
RANDOM weights, in fp16, at 480x832 with 33 frames (9 latent frames, 14,040 tokens) or 81 frames
(21 latent frames, 32,760 tokens), batch 1, text length 512. The graph computes in fp16 so that our
GPU kernels read fp16 Q/K/V. Optionally times the same module in PyTorch (SDPA) on the GPU as a
reference point.

Status: written after the session's GPU time was spent; NOT RUN yet. Then, with the Java GPU bundle
(models/scripts/make-ort-gpu-bundle.sh, docs/onnx-runtime.md), per graph:
    run-onnx wan-81f.onnx --ep cuda --backend flash-fp16 --runs 3
    run-onnx wan-81f.onnx --ep cuda --backend sage-int8-fp16 --runs 3
(run-onnx also runs ONNX Runtime alone first; where its CUDA EP cannot run an fp16 opset-23 Attention
node it falls back to the CPU for it, which at 32k tokens takes far too long: check with the 33-frame
graph first.)

Usage: python3 models/import/export_bench_graphs.py OUT_DIR [--frames 33 81] [--torch-timing]
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sagestudio_import as imp  # noqa: E402

WAN_1_3B = dict(patch_size=(1, 2, 2), num_attention_heads=12, attention_head_dim=128, in_channels=16,
                out_channels=16, text_dim=4096, freq_dim=256, ffn_dim=8960, num_layers=30,
                cross_attn_norm=True, qk_norm="rms_norm_across_heads", eps=1e-6, rope_max_seq_len=1024)


class WanDenoiser(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.model(sample, timestep=timestep, encoder_hidden_states=encoder_hidden_states,
                          return_dict=False)[0]


def latent_frames(frames):
    return (frames - 1) // 4 + 1  # Wan's causal VAE: 4x in time after the first frame


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--frames", type=int, nargs="+", default=[33, 81])
    p.add_argument("--text-length", type=int, default=512)
    p.add_argument("--torch-timing", action="store_true")
    args = p.parse_args()
    from diffusers import WanTransformer3DModel
    torch.manual_seed(0)
    model = WanTransformer3DModel(**WAN_1_3B).eval().half()
    params = sum(t.numel() for t in model.parameters())
    print(f"Wan 2.1 1.3B config, random weights: {params / 1e9:.2f}B parameters", flush=True)
    os.makedirs(args.out, exist_ok=True)
    wrapper = WanDenoiser(model)
    for frames in args.frames:
        f = latent_frames(frames)
        sample = torch.randn(1, 16, f, 480 // 8, 832 // 8, dtype=torch.float16)
        timestep = torch.tensor([500.0], dtype=torch.float16)
        text = torch.randn(1, args.text_length, 4096, dtype=torch.float16)
        tokens = f * (480 // 16) * (832 // 16)
        print(f"{frames} frames: {f} latent frames, {tokens} tokens", flush=True)
        info = imp.export_component(wrapper, (sample, timestep, text), ["sample", "timestep", "encoder_hidden_states"],
                                    ["model_output"], os.path.join(args.out, f"wan-{frames}f.onnx"),
                                    dynamic_batch=False)
        print(f"  exported: {info}", flush=True)
        if args.torch_timing and torch.cuda.is_available():
            gpu = wrapper.cuda()
            x, t, c = sample.cuda(), timestep.cuda(), text.cuda()
            with torch.no_grad():
                gpu(x, t, c)
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
                times = []
                for _ in range(3):
                    start = time.perf_counter()
                    gpu(x, t, c)
                    torch.cuda.synchronize()
                    times.append(time.perf_counter() - start)
            print(f"  PyTorch SDPA step ({torch.cuda.get_device_name()}): median {sorted(times)[1] * 1e3:.1f} ms,"
                  f" peak {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB", flush=True)
            wrapper.cpu()


if __name__ == "__main__":
    main()
