#!/usr/bin/env python3
"""Exports a small transformer (self- and cross-attention blocks through F.scaled_dot_product_attention)
to ONNX with the dynamo exporter at opset 23, so that `sagestudio run-onnx` can be checked on a graph
PyTorch made rather than one built in our tests.

Needs torch >= 2.9 with onnxscript (the GPU machine has them). Usage:
    python3 export_sdpa_blocks.py OUT.onnx [--fp16] [--causal]
Then, on a machine with Java:  sagestudio run-onnx OUT.onnx --min-cosine 0.9999

Status: written without a local torch; not yet run by the project. Check the printed node list.
"""
import argparse

import torch
import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    def __init__(self, width, heads, kv_heads, context_width, causal):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim, self.causal = heads, kv_heads, width // heads, causal
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(width), nn.LayerNorm(width), nn.LayerNorm(width)
        self.q1 = nn.Linear(width, width)
        self.kv1 = nn.Linear(width, 2 * kv_heads * self.head_dim)
        self.o1 = nn.Linear(width, width)
        self.q2 = nn.Linear(width, width)
        self.kv2 = nn.Linear(context_width, 2 * heads * self.head_dim)
        self.o2 = nn.Linear(width, width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def split(self, t, heads):
        b, n, _ = t.shape
        return t.view(b, n, heads, self.head_dim).transpose(1, 2)

    def attend(self, x, source, q_proj, kv_proj, o_proj, kv_heads, causal):
        q = self.split(q_proj(x), self.heads)
        k, v = kv_proj(source).chunk(2, dim=-1)
        k, v = self.split(k, kv_heads), self.split(v, kv_heads)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=kv_heads != self.heads)
        b, _, n, _ = y.shape
        return o_proj(y.transpose(1, 2).reshape(b, n, -1))

    def forward(self, x, context):
        h = self.norm1(x)
        x = x + self.attend(h, h, self.q1, self.kv1, self.o1, self.kv_heads, self.causal)
        x = x + self.attend(self.norm2(x), context, self.q2, self.kv2, self.o2, self.heads, False)
        return x + self.mlp(self.norm3(x))


class Model(nn.Module):
    def __init__(self, causal, width=128, heads=2, kv_heads=1, context_width=64, depth=2):
        super().__init__()
        self.blocks = nn.ModuleList(Block(width, heads, kv_heads, context_width, causal) for _ in range(depth))

    def forward(self, x, context):
        for block in self.blocks:
            x = block(x, context)
        return x


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--fp16", action="store_true")
    parser.add_argument("--causal", action="store_true")
    args = parser.parse_args()
    torch.manual_seed(0)
    model = Model(args.causal).eval()
    x, context = torch.randn(2, 77, 128), torch.randn(2, 16, 64)
    if args.fp16:
        model, x, context = model.half(), x.half(), context.half()
    program = torch.onnx.export(model, (x, context), dynamo=True, opset_version=23,
                                input_names=["x", "context"], output_names=["y"])
    program.save(args.out)
    ops = [n.op_type for n in program.model_proto.graph.node]
    print("nodes:", len(ops), "Attention nodes:", ops.count("Attention"))


if __name__ == "__main__":
    main()
