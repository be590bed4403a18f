#!/usr/bin/env python3
"""Turns a diffusers pipeline folder (as `save_pretrained` or the Hugging Face hub lay it out) into a
SageStudio model bundle (docs/model-bundle.md): the text encoder and its tokenizer, the transformer as
the denoiser (attention exported as opset-23 `Attention` nodes, head sizes other than 64/128
zero-padded for our kernels, weights stored as fp16, external data for large graphs), the VAE decoder,
and model.json written from the pipeline's own configs. See docs/import-models.md.

Supported now: PixArt-alpha and PixArt-Sigma (PixArtAlphaPipeline, PixArtSigmaPipeline: T5 + DiT with
cross-attention + SD VAE), which fit bundle schema 1. Stable Diffusion 3, Wan 2.1 and SDXL need
several text encoders or a latent video decoder (bundle schema 2, not written yet) and are refused
with that reason; `export_component` already exports and checks their denoisers (models/import/check_import.py).

Needs torch >= 2.9, onnx, onnxscript, onnxruntime, transformers and diffusers (its source on
PYTHONPATH is enough). Usage:
    python3 models/import/sagestudio_import.py PIPELINE_DIR OUT_DIR [--height 1024 --width 1024]
        [--max-length 120] [--name pixart-sigma] [--steps 20] [--guidance 4.5]
"""
import argparse
import json
import os
import re
import shutil
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "training"))
from export_onnx import pad_attention_head_dim_in, store_fp16_in  # noqa: E402  (shared with our own models)

SUPPORTED = {"PixArtAlphaPipeline": "pixart", "PixArtSigmaPipeline": "pixart"}
NEEDS_SCHEMA_2 = {
    "StableDiffusion3Pipeline": "three text encoders (CLIP-L, CLIP-G, T5) and pooled text embeddings",
    "WanPipeline": "a latent video decoder (causal 3-D VAE) and frame-aware latent shapes",
    "StableDiffusionXLPipeline": "two text encoders (CLIP-L, CLIP-G), pooled embeddings and size conditioning",
}
# Graphs at or above this size keep their weights in external data (protobuf's 2 GiB limit).
EXTERNAL_DATA_BYTES = 1 << 30


class ImportError_(Exception):
    """A pipeline the importer cannot turn into a bundle, with the reason."""


def log(msg):
    print(f"[import] {msg}", flush=True)


def read_json(path):
    with open(path) as f:
        return json.load(f)


def pipeline_class(folder):
    index = os.path.join(folder, "model_index.json")
    if not os.path.isfile(index):
        raise ImportError_(f"{folder} has no model_index.json; is it a diffusers pipeline folder?")
    return read_json(index)["_class_name"]


# ---------------------------------------------------------------------------------------------
# Export wrappers: fix the call signature to the bundle's roles (docs/model-bundle.md).

class TextEncoderExport(nn.Module):
    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids, attention_mask):
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


class PixArtDenoiserExport(nn.Module):
    """PixArt's transformer as (sample, timestep, encoder_hidden_states) -> epsilon. The size
    conditioning of PixArt-alpha 1024 is the bundle's fixed size; the learned-variance half of the
    output is dropped, as the pipeline does. No text mask: the bundle contract attends to padding."""

    def __init__(self, transformer, height, width):
        super().__init__()
        self.transformer = transformer
        self.height, self.width = height, width
        self.latent_channels = transformer.config.in_channels

    def forward(self, sample, timestep, encoder_hidden_states):
        added = {"resolution": None, "aspect_ratio": None}
        if self.transformer.use_additional_conditions:
            b = sample.shape[0]
            added = {"resolution": torch.tensor([[self.height, self.width]], dtype=sample.dtype).repeat(b, 1),
                     "aspect_ratio": torch.tensor([[self.height / self.width]], dtype=sample.dtype).repeat(b, 1)}
        out = self.transformer(sample, encoder_hidden_states=encoder_hidden_states, timestep=timestep,
                               added_cond_kwargs=added, return_dict=False)[0]
        if self.transformer.config.out_channels // 2 == self.latent_channels:
            out = out[:, :self.latent_channels]
        return out


class VaeDecoderExport(nn.Module):
    """latent (already divided by the scaling factor and shifted, as the runtime feeds it) -> image."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, latent):
        return self.vae.decode(latent, return_dict=False)[0]


def export_component(module, args, input_names, output_names, path, dynamic_batch=True, pad_attention=False):
    """Dynamo export at opset 23 (SDPA becomes `Attention`); with `pad_attention`, head sizes other than
    64/128 are zero-padded in every Attention node; float weights are stored as fp16 (each Cast back to
    float32 where it is used). One file when the weights stay under 1 GiB, else external data next to
    it. Falls back to a fixed batch of 1 where a dynamic batch does not export. Returns what was done."""
    import onnx
    batch = torch.export.Dim("B", min=1, max=64)
    staging = path + ".export"  # exporters may write many weight files; only the final graph stays

    def dynamo(shapes):
        def run(target):
            a = args if shapes else tuple(x[:1] for x in args)
            program = torch.onnx.export(module, a, None, dynamo=True, opset_version=23, input_names=input_names,
                                        output_names=output_names, dynamic_shapes=shapes)
            program.save(target, external_data=True)
        return run

    def torchscript(target):
        # Some models (T5's relative attention) fail torch.export's decompositions; the TorchScript
        # exporter writes their attention out as MatMul/Softmax, which is fine where it stays in ORT.
        torch.onnx.export(module, args, target, dynamo=False, opset_version=17, input_names=input_names,
                          output_names=output_names, dynamic_axes={n: {0: "B"} for n in input_names})

    attempts = [("dynamic batch", dynamo({n: {0: batch} for n in input_names}))] if dynamic_batch else []
    attempts += [("batch 1", dynamo(None)), ("TorchScript exporter, opset 17", torchscript)]
    errors = []
    model = None
    for label, export in attempts:
        shutil.rmtree(staging, ignore_errors=True)
        os.makedirs(staging)
        try:
            export(os.path.join(staging, "graph.onnx"))
            model = onnx.load(os.path.join(staging, "graph.onnx"), load_external_data=True)
            break
        except Exception as e:  # noqa: BLE001 - try the next form, report all if none works
            errors.append(f"{label}: {type(e).__name__}: {str(e)[:300]} ... {str(e)[-300:]}")
            log(f"export of {os.path.basename(path)} with {label} failed: {errors[-1]}")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    if model is None:
        raise ImportError_(f"export of {path} failed: " + " | ".join(errors))
    data = os.path.basename(path) + ".data"
    squeezes = drop_noop_squeezes(model)
    padded = pad_attention_head_dim_in(model) if pad_attention else []
    fp16 = store_fp16_in(model)
    size = sum(len(t.raw_data) for t in model.graph.initializer)
    if size >= EXTERNAL_DATA_BYTES:
        onnx.save(model, path, save_as_external_data=True, all_tensors_to_one_file=True, location=data,
                  size_threshold=1024)
    else:
        onnx.checker.check_model(model)
        onnx.save(model, path)
    log(f"exported {os.path.basename(path)} ({label}, {size / 2**20:.1f} MiB of weights"
        f"{', external data ' + data if size >= EXTERNAL_DATA_BYTES else ''}, {fp16['fp16_initializers']} fp16"
        f" initializers, {len(padded)} Attention nodes padded, {squeezes} no-op Squeezes dropped)")
    return {"batch": label, "weightBytes": size, "paddedAttention": len(padded), "external": size >= EXTERNAL_DATA_BYTES}


def drop_noop_squeezes(model):
    """torch's squeeze(dim) leaves an axis that is not 1 alone; ONNX's Squeeze refuses it, and torch
    2.11's dynamo exporter writes one anyway for PixArt's final `squeeze(1)` over [B, tokens, C]
    (ONNX Runtime then refuses the whole graph). Such Squeezes, where the file declares the axis as a
    number other than 1, become Identity. Returns how many."""
    from onnx import numpy_helper
    g = model.graph
    shapes = {v.name: [d.dim_value if d.HasField("dim_value") else None for d in v.type.tensor_type.shape.dim]
              for v in list(g.value_info) + list(g.input) + list(g.output)}
    constants = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    for n in g.node:
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
            constants[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    dropped = 0
    for n in g.node:
        if n.op_type != "Squeeze" or len(n.input) < 2 or n.input[1] not in constants or n.input[0] not in shapes:
            continue
        dims = shapes[n.input[0]]
        axes = [int(a) + (len(dims) if a < 0 else 0) for a in np.atleast_1d(constants[n.input[1]])]
        if dims and all(0 <= a < len(dims) and dims[a] is not None and dims[a] != 1 for a in axes):
            n.op_type = "Identity"
            del n.input[1:]
            dropped += 1
    return dropped


def round_to_fp16(module):
    """Weights rounded to fp16 values (kept float32) so the fp16-stored graph computes exactly what
    the module computes; real checkpoints are fp16/bf16 already."""
    with torch.no_grad():
        for t in list(module.parameters()) + list(module.buffers()):
            if t.is_floating_point():
                t.copy_(t.half().float())
    return module


def tensor_spec(name, dtype, shape):
    return {"name": name, "dtype": dtype, "shape": shape}


# ---------------------------------------------------------------------------------------------
# Scheduler config -> model.json's prediction and scheduler

SCHEDULER_NAMES = {
    "DPMSolverMultistepScheduler": "dpmpp_2m",
    "DDIMScheduler": "ddim",
    "EulerDiscreteScheduler": "euler",
    "EulerAncestralDiscreteScheduler": "euler_ancestral",
    "FlowMatchEulerDiscreteScheduler": "flow_euler",
}
PREDICTIONS = {"epsilon": "epsilon", "v_prediction": "v"}


def scheduler_fields(config):
    cls = config.get("_class_name")
    if cls not in SCHEDULER_NAMES:
        raise ImportError_(f"scheduler {cls} has no SageStudio equivalent ({', '.join(SCHEDULER_NAMES)})")
    name = SCHEDULER_NAMES[cls]
    if name == "flow_euler":
        return "flow", {"name": name, "numTrainTimesteps": int(config.get("num_train_timesteps", 1000)),
                        "shift": float(config.get("shift", 1.0))}
    prediction = config.get("prediction_type", "epsilon")
    if prediction not in PREDICTIONS:
        raise ImportError_(f"prediction type {prediction} is not supported (epsilon, v_prediction)")
    schedule = config.get("beta_schedule", "linear")
    if schedule not in ("linear", "scaled_linear", "squaredcos_cap_v2"):
        raise ImportError_(f"beta schedule {schedule} is not supported")
    fields = {"name": name, "numTrainTimesteps": int(config.get("num_train_timesteps", 1000)),
              "betaSchedule": schedule}
    if schedule != "squaredcos_cap_v2":
        fields["betaStart"] = float(config.get("beta_start", 0.0001))
        fields["betaEnd"] = float(config.get("beta_end", 0.02))
    spacing = config.get("timestep_spacing", "linspace")
    if spacing in ("leading", "trailing", "linspace"):
        fields["timestepSpacing"] = spacing
    return PREDICTIONS[prediction], fields


# ---------------------------------------------------------------------------------------------
# PixArt-alpha / -Sigma

def import_pixart(folder, out, args):
    from diffusers import AutoencoderKL, PixArtTransformer2DModel
    from transformers import AutoTokenizer, T5EncoderModel

    transformer = round_to_fp16(PixArtTransformer2DModel.from_pretrained(os.path.join(folder, "transformer"),
                                                                          torch_dtype=torch.float32).eval())
    text_encoder = round_to_fp16(T5EncoderModel.from_pretrained(os.path.join(folder, "text_encoder"),
                                                                torch_dtype=torch.float32).eval())
    vae = round_to_fp16(AutoencoderKL.from_pretrained(os.path.join(folder, "vae"), torch_dtype=torch.float32).eval())
    tokenizer = AutoTokenizer.from_pretrained(os.path.join(folder, "tokenizer"), use_fast=True)
    if not getattr(tokenizer, "is_fast", False):
        raise ImportError_("the tokenizer has no fast (tokenizers JSON) form; install sentencepiece and protobuf")
    scheduler = read_json(os.path.join(folder, "scheduler", "scheduler_config.json"))
    prediction, scheduler_json = scheduler_fields(scheduler)

    vae_scale = 2 ** (len(vae.config.block_out_channels) - 1)
    default_size = transformer.config.sample_size * vae_scale
    height, width = args.height or default_size, args.width or default_size
    if height % (vae_scale * transformer.config.patch_size) or width % (vae_scale * transformer.config.patch_size):
        raise ImportError_(f"{height}x{width} is not a multiple of {vae_scale * transformer.config.patch_size}")
    max_length = args.max_length or (300 if pipeline_class(folder) == "PixArtSigmaPipeline" else 120)
    channels = transformer.config.in_channels
    h, w = height // vae_scale, width // vae_scale
    hidden = text_encoder.config.d_model
    os.makedirs(out, exist_ok=True)

    # Tokenizer: the fast tokenizer's JSON carries normalizer, pre-tokenizer and the EOS post-processor.
    tokenizer.backend_tokenizer.save(os.path.join(out, "tokenizer.json"))
    pad_id = int(tokenizer.pad_token_id or 0)

    ids = torch.full((2, max_length), pad_id, dtype=torch.long)
    ids[:, :5] = torch.randint(3, min(tokenizer.vocab_size, text_encoder.config.vocab_size), (2, 5))
    mask = (ids != pad_id).long()
    text = export_component(TextEncoderExport(text_encoder), (ids, mask), ["input_ids", "attention_mask"],
                            ["hidden_states"], os.path.join(out, "text_encoder.onnx"))
    sample = torch.randn(2, channels, h, w)
    timestep = torch.tensor([999.0, 10.0])
    states = torch.randn(2, max_length, hidden)
    denoiser = export_component(PixArtDenoiserExport(transformer, height, width), (sample, timestep, states),
                                ["sample", "timestep", "encoder_hidden_states"], ["model_output"],
                                os.path.join(out, "denoiser.onnx"), pad_attention=True)
    head_dim = transformer.config.attention_head_dim
    decoder = export_component(VaeDecoderExport(vae), (torch.randn(1, vae.config.latent_channels, h, w),), ["latent"],
                               ["image"], os.path.join(out, "vae_decoder.onnx"))
    # A graph that only exported with a fixed batch says so in its shapes (the runtime then calls it per item).
    tb, db, vb = (1 if info["batch"] == "batch 1" else "B" for info in (text, denoiser, decoder))

    components = {
        "textEncoder": {"file": "text_encoder.onnx",
                        "inputs": {"input_ids": tensor_spec("input_ids", "int64", [tb, max_length]),
                                   "attention_mask": tensor_spec("attention_mask", "int64", [tb, max_length])},
                        "outputs": {"hidden_states": tensor_spec("hidden_states", "float32", [tb, max_length, hidden])}},
        "denoiser": {"file": "denoiser.onnx",
                     "inputs": {"sample": tensor_spec("sample", "float32", [db, channels, h, w]),
                                "timestep": tensor_spec("timestep", "float32", [db]),
                                "encoder_hidden_states": tensor_spec("encoder_hidden_states", "float32",
                                                                     [db, max_length, hidden])},
                     "outputs": {"model_output": tensor_spec("model_output", "float32", [db, channels, h, w])}},
        "vaeDecoder": {"file": "vae_decoder.onnx",
                       "inputs": {"latent": tensor_spec("latent", "float32", [vb, channels, h, w])},
                       "outputs": {"image": tensor_spec("image", "float32", [vb, 3, height, width])},
                       "scalingFactor": float(vae.config.scaling_factor),
                       "shiftFactor": float(getattr(vae.config, "shift_factor", None) or 0.0)},
    }
    name = args.name or re.sub(r"[^a-z0-9._-]", "-", os.path.basename(os.path.normpath(folder)).lower())[:64] or "pixart"
    bundle = {
        "schemaVersion": 1,
        "name": name,
        "displayName": args.display_name or f"{name} (imported {pipeline_class(folder)})",
        "description": f"Imported from a diffusers {pipeline_class(folder)} folder by models/import/sagestudio_import.py:"
                       f" T5 ({hidden}-wide) text encoder, {transformer.config.num_layers}-layer PixArt transformer"
                       f" ({transformer.config.num_attention_heads} heads x {head_dim}), SD VAE decoder.",
        "kind": "image",
        "components": components,
        "tokenizer": {"file": "tokenizer.json", "maxLength": max_length, "padId": pad_id},
        "prediction": prediction,
        "scheduler": scheduler_json,
        "defaults": {"steps": args.steps, "guidanceScale": args.guidance, "negativePrompt": ""},
        "sample": {"frames": 1, "channels": channels, "height": height, "width": width, "latentScale": vae_scale},
        "output": {"valueRange": [-1.0, 1.0]},
        "license": {"spdx": args.license, "attribution": []},
        "extensions": {"sagestudio": {"importedFrom": pipeline_class(folder),
                                      "denoiserPaddedAttention": {"nodes": denoiser["paddedAttention"], "headDim": head_dim},
                                      "textMask": "not passed to the denoiser (bundle contract); the diffusers"
                                                  " pipeline masks padding tokens in cross-attention"}},
    }
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(bundle, f, indent=2)
    log(f"wrote {out}/model.json ({name}, {height}x{width}, {max_length} tokens)")
    return bundle


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("pipeline")
    p.add_argument("out")
    p.add_argument("--height", type=int)
    p.add_argument("--width", type=int)
    p.add_argument("--max-length", type=int)
    p.add_argument("--name")
    p.add_argument("--display-name")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--guidance", type=float, default=4.5)
    p.add_argument("--license", default="LicenseRef-see-model-card",
                   help="SPDX id of the weights' licence (the user's to respect); default points to the model card")
    args = p.parse_args(argv)
    try:
        cls = pipeline_class(args.pipeline)
        if cls in NEEDS_SCHEMA_2:
            raise ImportError_(f"{cls} needs {NEEDS_SCHEMA_2[cls]}: bundle schema 2, which SageStudio does not"
                               " read yet; supported now: " + ", ".join(SUPPORTED))
        if cls not in SUPPORTED:
            raise ImportError_(f"{cls} is not supported; supported: " + ", ".join(SUPPORTED))
        import_pixart(args.pipeline, args.out, args)
    except ImportError_ as e:
        print(f"sagestudio_import: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
