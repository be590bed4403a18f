#!/usr/bin/env python3
"""Writes the small ONNX graphs under models/src/test/resources/onnx/decomposed/ that the partitioner's
tests read: attention written out as MatMul -> Softmax -> MatMul, in the forms exporters produce.

Every graph but one comes from PyTorch's TorchScript exporter (torch.onnx.export), run on tiny
random-initialised modules that write attention the way common model code does. The exception is
`sdpa_opset14.onnx`: torch >= 2.0 exports F.scaled_dot_product_attention as Shape -> Slice -> Cast ->
Sqrt -> Div (the default scale 1/sqrt(D)), the square root of that on Q and on the transposed K, MatMul,
Softmax, MatMul. The torch here (Debian's 1.13) predates that function, so this script writes that node
sequence with onnx.helper, node for node as torch 2.x's symbolic_opset14 emits it; the GPU machine's
torch 2.x exports the real thing (models/import/tests).

Needs torch (Debian: python3-torch) and onnx (python3-onnx). Usage:
    /usr/bin/python3 models/scripts/make_decomposed_attention_fixtures.py models/src/test/resources/onnx/decomposed
"""
import math
import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

WIDTH, HEADS, HEAD_DIM, TOKENS, CONTEXT_TOKENS, CONTEXT_WIDTH = 16, 2, 64, 24, 10, 8
INNER = HEADS * HEAD_DIM


class EagerSelfAttention(nn.Module):
    """Heads split with view + transpose, scores = q @ k.transpose(-2, -1) * scale (HF/diffusers eager code)."""

    def __init__(self, return_weights=False):
        super().__init__()
        self.q, self.k, self.v = nn.Linear(WIDTH, INNER), nn.Linear(WIDTH, INNER), nn.Linear(WIDTH, INNER)
        self.o = nn.Linear(INNER, WIDTH)
        self.return_weights = return_weights

    def heads(self, t):
        b, n, _ = t.shape
        return t.view(b, n, HEADS, HEAD_DIM).transpose(1, 2)

    def forward(self, x):
        q, k, v = self.heads(self.q(x)), self.heads(self.k(x)), self.heads(self.v(x))
        weights = torch.softmax(q @ k.transpose(-2, -1) * (HEAD_DIM ** -0.5), dim=-1)
        y = (weights @ v).transpose(1, 2).reshape(x.shape[0], x.shape[1], INNER)
        return (self.o(y), weights) if self.return_weights else self.o(y)


class BatchedHeadsCrossAttention(nn.Module):
    """diffusers' classic AttnProcessor: heads folded into the batch ([B*H, N, D]), baddbmm with
    beta=0 and alpha=scale, softmax, bmm; the context has its own length and width."""

    def __init__(self):
        super().__init__()
        self.q, self.k, self.v = nn.Linear(WIDTH, INNER), nn.Linear(CONTEXT_WIDTH, INNER), nn.Linear(CONTEXT_WIDTH, INNER)
        self.o = nn.Linear(INNER, WIDTH)

    @staticmethod
    def to_batch(t):
        b, n, _ = t.shape
        return t.reshape(b, n, HEADS, HEAD_DIM).permute(0, 2, 1, 3).reshape(b * HEADS, n, HEAD_DIM)

    def forward(self, x, context):
        q, k, v = self.to_batch(self.q(x)), self.to_batch(self.k(context)), self.to_batch(self.v(context))
        empty = torch.zeros(q.shape[0], q.shape[1], k.shape[1], dtype=q.dtype)
        scores = torch.baddbmm(empty, q, k.transpose(-1, -2), beta=0, alpha=HEAD_DIM ** -0.5)
        y = torch.bmm(scores.softmax(dim=-1), v)
        b = x.shape[0]
        y = y.reshape(b, HEADS, x.shape[1], HEAD_DIM).permute(0, 2, 1, 3).reshape(b, x.shape[1], INNER)
        return self.o(y)


class PretransposedKeyAttention(nn.Module):
    """K reshaped straight into its transposed form: k.view(B, M, H, D).permute(0, 2, 3, 1) -> [B, H, D, M],
    the query divided by sqrt(D) before the product."""

    def __init__(self):
        super().__init__()
        self.q, self.k, self.v = nn.Linear(WIDTH, INNER), nn.Linear(CONTEXT_WIDTH, INNER), nn.Linear(CONTEXT_WIDTH, INNER)
        self.o = nn.Linear(INNER, WIDTH)

    def forward(self, x, context):
        b, n, _ = x.shape
        m = context.shape[1]
        q = self.q(x).view(b, n, HEADS, HEAD_DIM).permute(0, 2, 1, 3) / math.sqrt(HEAD_DIM)
        k_t = self.k(context).view(b, m, HEADS, HEAD_DIM).permute(0, 2, 3, 1)
        v = self.v(context).view(b, m, HEADS, HEAD_DIM).permute(0, 2, 1, 3)
        y = torch.matmul(torch.softmax(torch.matmul(q, k_t), dim=-1), v)
        return self.o(y.permute(0, 2, 1, 3).reshape(b, n, INNER))


class MaskedAttention(nn.Module):
    """A text-encoder-style block: a constant causal mask (a buffer, so an initializer) added to the
    scores, and optionally a bias computed from an input (a T5-like position bias): the first is
    taken as causal attention, the second stays in ONNX Runtime."""

    def __init__(self, with_bias):
        super().__init__()
        self.inner = EagerSelfAttention()
        mask = torch.full((TOKENS, TOKENS), float("-inf")).triu(1)
        self.register_buffer("causal", mask[None, None])
        self.with_bias = with_bias

    def forward(self, x, bias=None):
        a = self.inner
        q, k, v = a.heads(a.q(x)), a.heads(a.k(x)), a.heads(a.v(x))
        scores = q @ k.transpose(-2, -1) * (HEAD_DIM ** -0.5) + self.causal
        if self.with_bias:
            scores = scores + bias
        y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(x.shape[0], x.shape[1], INNER)
        return a.o(y)


def export(module, args, names, path, opset, dynamic=None):
    torch.manual_seed(0)
    for p in module.parameters():
        nn.init.normal_(p, std=0.08)
    module.eval()
    torch.onnx.export(module, args, path, input_names=names[0], output_names=names[1], opset_version=opset,
                      dynamic_axes=dynamic, do_constant_folding=True)
    model = onnx.shape_inference.infer_shapes(onnx.load(path))
    onnx.save(model, path)
    print(f"{os.path.basename(path)}: opset {opset}, {len(model.graph.node)} nodes,"
          f" {os.path.getsize(path) // 1024} KB: " + " ".join(n.op_type for n in model.graph.node))


def sdpa_opset14(path):
    """The node sequence torch 2.x's TorchScript exporter emits for F.scaled_dot_product_attention
    (scale=None, no mask) at opset 14, around q/k/v given as [B, H, N, D] graph inputs."""
    f = TensorProto.FLOAT
    shape = [1, HEADS, TOKENS, HEAD_DIM]
    inputs = [helper.make_tensor_value_info(n, f, shape) for n in ("query", "key", "value")]
    output = helper.make_tensor_value_info("attention", f, shape)
    consts = [
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "slice_start"),
        numpy_helper.from_array(np.array([np.iinfo(np.int64).max], dtype=np.int64), "slice_end"),
    ]
    nodes = [
        helper.make_node("Shape", ["query"], ["query_shape"], name="/Shape"),
        helper.make_node("Slice", ["query_shape", "slice_start", "slice_end"], ["head_size_int"], name="/Slice"),
        helper.make_node("Cast", ["head_size_int"], ["head_size"], to=f, name="/Cast"),
        helper.make_node("Constant", [], ["one"], value=numpy_helper.from_array(np.array([1.0], dtype=np.float32)),
                         name="/Constant"),
        helper.make_node("Sqrt", ["head_size"], ["sqrt_head_size"], name="/Sqrt"),
        helper.make_node("Div", ["one", "sqrt_head_size"], ["scale_f"], name="/Div"),
        helper.make_node("Cast", ["scale_f"], ["scale"], to=f, name="/Cast_1"),
        helper.make_node("Transpose", ["key"], ["key_t"], perm=[0, 1, 3, 2], name="/Transpose"),
        helper.make_node("Sqrt", ["scale"], ["sqrt_scale"], name="/Sqrt_1"),
        helper.make_node("Mul", ["query", "sqrt_scale"], ["query_scaled"], name="/Mul"),
        helper.make_node("Sqrt", ["scale"], ["sqrt_scale_1"], name="/Sqrt_2"),
        helper.make_node("Mul", ["key_t", "sqrt_scale_1"], ["key_t_scaled"], name="/Mul_1"),
        helper.make_node("MatMul", ["query_scaled", "key_t_scaled"], ["scores"], name="/MatMul"),
        helper.make_node("Softmax", ["scores"], ["weights"], axis=-1, name="/Softmax"),
        helper.make_node("MatMul", ["weights", "value"], ["attention"], name="/MatMul_1"),
    ]
    graph = helper.make_graph(nodes, "sdpa_opset14", inputs, [output], initializer=consts)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], producer_name="pytorch",
                              producer_version="2.x (node sequence of symbolic_opset14, written by hand)")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(onnx.shape_inference.infer_shapes(model), path)
    print(f"{os.path.basename(path)}: {len(nodes)} nodes")


def main(out):
    os.makedirs(out, exist_ok=True)
    x = torch.randn(1, TOKENS, WIDTH)
    context = torch.randn(1, CONTEXT_TOKENS, CONTEXT_WIDTH)
    bias = torch.randn(1, HEADS, TOKENS, TOKENS)
    export(EagerSelfAttention(), (x,), (["x"], ["y"]), f"{out}/eager_self_opset14.onnx", 14)
    export(EagerSelfAttention(), (x,), (["x"], ["y"]), f"{out}/eager_self_opset17_dynamic.onnx", 17,
           dynamic={"x": {0: "batch", 1: "tokens"}, "y": {0: "batch", 1: "tokens"}})
    export(BatchedHeadsCrossAttention(), (x, context), (["x", "context"], ["y"]),
           f"{out}/batched_heads_cross_opset14.onnx", 14)
    export(PretransposedKeyAttention(), (x, context), (["x", "context"], ["y"]),
           f"{out}/pretransposed_key_cross_opset16.onnx", 16)
    export(MaskedAttention(False), (x,), (["x"], ["y"]), f"{out}/causal_mask_opset15.onnx", 15)
    export(MaskedAttention(True), (x, bias), (["x", "bias"], ["y"]), f"{out}/position_bias_opset15.onnx", 15)
    export(EagerSelfAttention(return_weights=True), (x,), (["x"], ["y", "weights"]),
           f"{out}/weights_returned_opset14.onnx", 14)
    sdpa_opset14(f"{out}/sdpa_opset14.onnx")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "models/src/test/resources/onnx/decomposed")
