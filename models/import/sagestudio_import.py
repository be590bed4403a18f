#!/usr/bin/env python3
"""Turns a diffusers pipeline folder (as `save_pretrained` or the Hugging Face hub lay it out) into a
SageStudio model bundle (docs/model-bundle.md): the text encoder(s) and their tokenizers, the transformer
or UNet as the denoiser (attention exported as opset-23 `Attention` nodes, head sizes other than 64/128
zero-padded for our kernels, weights stored as fp16, external data for large graphs), the VAE decoder,
and model.json written from the pipeline's own configs (models/import/bundle_json.py). See
docs/import-models.md.

Supported: PixArt-alpha/-Sigma (T5 + DiT + SD VAE; schemaVersion 1), Stable Diffusion 3/3.5 (CLIP-L,
CLIP-G, T5 + MMDiT + 16-channel VAE; schemaVersion 2, `combine: sd3`), Stable Diffusion XL (CLIP-L +
CLIP-G + UNet with size conditioning + SD VAE; schemaVersion 2, `combine: sdxl`) and Wan 2.1 T2V (UMT5 +
Wan transformer + causal 3-D VAE decoding whole clips; schemaVersion 2).

Needs torch >= 2.9, onnx, onnxscript, onnxruntime, transformers and diffusers (its source on
PYTHONPATH is enough). Usage:
    python3 models/import/sagestudio_import.py PIPELINE_DIR OUT_DIR [--height 1024 --width 1024]
        [--frames 81] [--max-length 256] [--name sd35] [--steps 28] [--guidance 4.5]
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "training"))
import bundle_json as bj  # noqa: E402
from export_onnx import pad_attention_head_dim_in, store_fp16_in  # noqa: E402  (shared with our own models)

PIPELINES = {"PixArtAlphaPipeline": "pixart", "PixArtSigmaPipeline": "pixart", "StableDiffusion3Pipeline": "sd3",
             "StableDiffusionXLPipeline": "sdxl", "WanPipeline": "wan"}
# Graphs at or above this size keep their weights in external data (protobuf's 2 GiB limit).
EXTERNAL_DATA_BYTES = 1 << 30
ImportError_ = bj.ImportRefused


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
    """T5-family encoder -> last_hidden_state. `with_mask`: takes the attention mask (PixArt, Wan);
    `zero_padding`: padding positions come out as zeros, as Wan's pipeline re-pads its text states."""

    def __init__(self, encoder, with_mask=True, zero_padding=False):
        super().__init__()
        self.encoder = encoder
        self.with_mask, self.zero_padding = with_mask, zero_padding

    def forward(self, input_ids, attention_mask=None):
        if not self.with_mask:
            return self.encoder(input_ids=input_ids)[0]
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        if self.zero_padding:
            states = states * attention_mask.unsqueeze(-1).to(states.dtype)
        return states


class ClipTextEncoderExport(nn.Module):
    """CLIP text model -> the penultimate layer's states (what SD3 and SDXL read without clip_skip), and
    with `pooled` the projected pooled output (`CLIPTextModelWithProjection`'s text_embeds)."""

    def __init__(self, encoder, pooled):
        super().__init__()
        self.encoder, self.pooled = encoder, pooled

    def forward(self, input_ids):
        out = self.encoder(input_ids=input_ids, output_hidden_states=True)
        states = out.hidden_states[-2]
        return (states, out[0]) if self.pooled else states


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


class SD3DenoiserExport(nn.Module):
    """SD3's MMDiT: (sample, timestep = sigma * 1000, text states, pooled) -> flow velocity."""

    def __init__(self, transformer):
        super().__init__()
        self.transformer = transformer

    def forward(self, sample, timestep, encoder_hidden_states, pooled_text_embeds):
        return self.transformer(hidden_states=sample, encoder_hidden_states=encoder_hidden_states,
                                pooled_projections=pooled_text_embeds, timestep=timestep, return_dict=False)[0]


class SdxlDenoiserExport(nn.Module):
    """SDXL's UNet: (scaled sample, timestep, text states, CLIP-G pooled, size conditioning) -> epsilon/v."""

    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, encoder_hidden_states, pooled_text_embeds, time_ids):
        return self.unet(sample, timestep, encoder_hidden_states=encoder_hidden_states,
                         added_cond_kwargs={"text_embeds": pooled_text_embeds, "time_ids": time_ids},
                         return_dict=False)[0]


class WanDenoiserExport(nn.Module):
    """Wan 2.1's transformer: (latent clip [B, C, F_lat, h, w], timestep, text states) -> flow velocity."""

    def __init__(self, transformer):
        super().__init__()
        self.transformer = transformer

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.transformer(hidden_states=sample, timestep=timestep, encoder_hidden_states=encoder_hidden_states,
                                return_dict=False)[0]


class VaeDecoderExport(nn.Module):
    """latent (already divided by the scaling factor and shifted, as the runtime feeds it) -> image."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, latent):
        return self.vae.decode(latent, return_dict=False)[0]


class WanVaeDecoderExport(nn.Module):
    """Wan's causal 3-D VAE on a whole latent clip -> [B, 3, frames, H, W]. The per-channel latent
    normalisation the pipeline undoes before decoding (latents_mean/latents_std) is inside the graph: the
    bundle has no field for it (docs/model-bundle.md)."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae
        c = vae.config.z_dim
        self.register_buffer("latents_mean", torch.tensor(vae.config.latents_mean, dtype=torch.float32).view(1, c, 1, 1, 1))
        # The pipeline divides by 1/std; the same operation keeps the graph bit-close to it.
        self.register_buffer("latents_inv_std", 1.0 / torch.tensor(vae.config.latents_std, dtype=torch.float32).view(1, c, 1, 1, 1))

    def forward(self, latent):
        return self.vae.decode(latent / self.latents_inv_std + self.latents_mean, return_dict=False)[0]


def export_component(module, args, input_names, output_names, path, dynamic_batch=True, pad_attention=False):
    """Dynamo export at opset 23 (SDPA becomes `Attention`); with `pad_attention`, head sizes other than
    64/128 are zero-padded in every Attention node; float weights are stored as fp16 (each Cast back to
    float32 where it is used). One file when the weights stay under 1 GiB, else external data next to
    it. Falls back to a fixed batch of 1 where a dynamic batch does not export. Returns what was done."""
    import onnx
    module.eval()  # the wrappers too (the wrapped models are in eval mode already)
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


def drop_noop_squeezes(model, folder=""):
    """torch's squeeze(dim) leaves an axis that is not 1 alone; ONNX's Squeeze refuses it, and torch
    2.11's dynamo exporter writes one anyway for PixArt's final `squeeze(1)` over [B, tokens, C]
    (ONNX Runtime then refuses the whole graph). Such Squeezes, where the file declares the axis as a
    number other than 1, become Identity. `folder`: where a graph loaded without its external data
    keeps it (only the Squeezes' axes are read, not the weights). Returns how many."""
    from onnx import numpy_helper
    g = model.graph
    shapes = {v.name: [d.dim_value if d.HasField("dim_value") else None for d in v.type.tensor_type.shape.dim]
              for v in list(g.value_info) + list(g.input) + list(g.output)}
    constants = {t.name: t for t in g.initializer}
    for n in g.node:
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
            constants[n.output[0]] = n.attribute[0].t
    dropped = 0
    for n in g.node:
        if n.op_type != "Squeeze" or len(n.input) < 2 or n.input[1] not in constants or n.input[0] not in shapes:
            continue
        dims = shapes[n.input[0]]
        axes = [int(a) + (len(dims) if a < 0 else 0)
                for a in np.atleast_1d(numpy_helper.to_array(constants[n.input[1]], folder))]
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


# ---------------------------------------------------------------------------------------------
# Loading a pipeline folder's parts

def load_part(cls, folder, sub):
    return round_to_fp16(cls.from_pretrained(os.path.join(folder, sub), torch_dtype=torch.float32).eval())


def save_tokenizer(folder, sub, out):
    """The fast tokenizer's JSON (normalizer, pre-tokenizer, post-processor) as OUT/SUB/tokenizer.json;
    returns (tokenizer, pad id, bundle-relative file)."""
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(os.path.join(folder, sub), use_fast=True)
    if not getattr(tokenizer, "is_fast", False):
        raise ImportError_(f"{sub} has no fast (tokenizers JSON) form; install sentencepiece and protobuf")
    os.makedirs(os.path.join(out, sub), exist_ok=True)
    tokenizer.backend_tokenizer.save(os.path.join(out, sub, "tokenizer.json"))
    pad = tokenizer.pad_token_id
    return tokenizer, int(pad if pad is not None else 0), f"{sub}/tokenizer.json"


def example_ids(length, pad_id, vocab, batch=2):
    ids = torch.full((batch, length), pad_id, dtype=torch.long)
    ids[:, :min(5, length)] = torch.randint(3, vocab, (batch, min(5, length)))
    return ids


def batch_dim(info):
    """A graph that only exported with a fixed batch says so in its shapes (the runtime then calls it per item)."""
    return 1 if info["batch"] == "batch 1" else "B"


def bundle_name(args, folder, fallback):
    return args.name or re.sub(r"[^a-z0-9._-]", "-", os.path.basename(os.path.normpath(folder)).lower())[:64] or fallback


def image_geometry(folder, args, sample_size, latent_multiple):
    """(height, width, VAE scale): the size asked for, else the denoiser's sample_size in pixels, which must
    be a multiple of the VAE scale times `latent_multiple` (patch size, or the UNet's downsampling)."""
    vae_scale = 2 ** (len(read_json(os.path.join(folder, "vae", "config.json"))["block_out_channels"]) - 1)
    default_size = sample_size * vae_scale
    height, width = args.height or default_size, args.width or default_size
    check_multiple(height, width, vae_scale * latent_multiple)
    return height, width, vae_scale


def check_multiple(height, width, step):
    if height % step or width % step:
        raise ImportError_(f"{height}x{width} is not a multiple of {step}")


def export_clip(encoder_cls, folder, sub, tok_sub, out, pooled):
    """CLIP-L or CLIP-G with its tokenizer (length = the tokenizer's model_max_length, as the pipelines use):
    returns the bundle's encoder entry and (length, width, pooled width)."""
    encoder = load_part(encoder_cls, folder, sub)
    tokenizer, pad_id, tok_file = save_tokenizer(folder, tok_sub, out)
    length = int(min(tokenizer.model_max_length, encoder.config.max_position_embeddings))
    width = encoder.config.hidden_size
    pooled_width = encoder.config.projection_dim if pooled else None
    ids = example_ids(length, pad_id, encoder.config.vocab_size)
    info = export_component(ClipTextEncoderExport(encoder, pooled), (ids,), ["input_ids"],
                            ["hidden_states", "pooled"] if pooled else ["hidden_states"],
                            os.path.join(out, f"{sub}.onnx"))
    entry = bj.text_encoder_entry(f"{sub}.onnx", batch_dim(info), length, width, pooled=pooled_width,
                                  tokenizer=bj.tokenizer_entry(tok_file, length, pad_id))
    return entry, (length, width, pooled_width)


def export_t5(encoder_cls, folder, sub, tok_sub, out, length, with_mask, zero_padding=False, lowercase=False):
    """T5 or UMT5 with its tokenizer; `lowercase`: the pipeline lower-cases prompts before its case-sensitive
    tokenizer does (PixArt), which the bundle's tokenizer entry then says."""
    encoder = load_part(encoder_cls, folder, sub)
    tokenizer, pad_id, tok_file = save_tokenizer(folder, tok_sub, out)
    width = encoder.config.d_model
    ids = example_ids(length, pad_id, min(tokenizer.vocab_size, encoder.config.vocab_size))
    feeds = (ids, (ids != pad_id).long()) if with_mask else (ids,)
    names = ["input_ids", "attention_mask"] if with_mask else ["input_ids"]
    info = export_component(TextEncoderExport(encoder, with_mask, zero_padding), feeds, names, ["hidden_states"],
                            os.path.join(out, f"{sub}.onnx"))
    entry = bj.text_encoder_entry(f"{sub}.onnx", batch_dim(info), length, width, with_mask=with_mask,
                                  tokenizer=bj.tokenizer_entry(tok_file, length, pad_id, lowercase=lowercase))
    return entry, width


def export_sd_vae(folder, out, latent_hw, image_hw):
    """AutoencoderKL's decoder (SD, SDXL, SD3): returns the component entry and the VAE."""
    from diffusers import AutoencoderKL
    vae = load_part(AutoencoderKL, folder, "vae")
    c = vae.config.latent_channels
    info = export_component(VaeDecoderExport(vae), (torch.randn(1, c, *latent_hw),), ["latent"], ["image"],
                            os.path.join(out, "vae_decoder.onnx"))
    return bj.vae_decoder_entry("vae_decoder.onnx", batch_dim(info), [c, *latent_hw], [3, *image_hw],
                                vae.config.scaling_factor, getattr(vae.config, "shift_factor", None) or 0.0), vae


def scheduler_of(folder):
    return bj.scheduler_fields(read_json(os.path.join(folder, "scheduler", "scheduler_config.json")))


def finish(out, folder, args, fallback, kind, components, scheduler, steps, guidance, sample, description,
           extensions, tokenizer=None):
    prediction, scheduler_json, notes = scheduler
    name = bundle_name(args, folder, fallback)
    cls = pipeline_class(folder)
    extensions = {"importedFrom": cls, **extensions}
    if notes:
        extensions["schedulerNotes"] = notes
    bundle = bj.model_json(name=name, display_name=args.display_name or f"{name} (imported {cls})",
                           description=f"Imported from a diffusers {cls} folder by models/import/sagestudio_import.py: "
                                       + description,
                           kind=kind, components=components, prediction=prediction, scheduler=scheduler_json,
                           steps=args.steps or steps, guidance=args.guidance or guidance, sample=sample,
                           license_spdx=args.license, extensions=extensions, tokenizer=tokenizer)
    bj.write_model_json(out, bundle)
    log(f"wrote {out}/model.json ({name}, schemaVersion {bundle['schemaVersion']}, {sample['height']}x{sample['width']}"
        f"{', ' + str(sample['frames']) + ' frames' if sample['frames'] > 1 else ''})")
    return bundle


# ---------------------------------------------------------------------------------------------
# PixArt-alpha / -Sigma: T5 + DiT with cross-attention + SD VAE (schemaVersion 1)

def import_pixart(folder, out, args):
    from diffusers import PixArtTransformer2DModel
    from transformers import T5EncoderModel

    transformer = load_part(PixArtTransformer2DModel, folder, "transformer")
    height, width, vae_scale = image_geometry(folder, args, transformer.config.sample_size,
                                              transformer.config.patch_size)
    max_length = args.max_length or (300 if pipeline_class(folder) == "PixArtSigmaPipeline" else 120)
    channels = transformer.config.in_channels
    h, w = height // vae_scale, width // vae_scale
    os.makedirs(out, exist_ok=True)

    # Both PixArt pipelines lower-case the prompt (_text_preprocessing, with or without clean_caption).
    text, hidden = export_t5(T5EncoderModel, folder, "text_encoder", "tokenizer", out, max_length, with_mask=True,
                             lowercase=True)
    tokenizer = text.pop("tokenizer")  # schemaVersion 1: one encoder, its tokenizer at the top level
    denoiser = export_component(PixArtDenoiserExport(transformer, height, width),
                                (torch.randn(2, channels, h, w), torch.tensor([999.0, 10.0]),
                                 torch.randn(2, max_length, hidden)),
                                ["sample", "timestep", "encoder_hidden_states"], ["model_output"],
                                os.path.join(out, "denoiser.onnx"), pad_attention=True)
    decoder, _ = export_sd_vae(folder, out, (h, w), (height, width))
    head_dim = transformer.config.attention_head_dim
    components = {"textEncoder": text,
                  "denoiser": bj.denoiser_entry("denoiser.onnx", batch_dim(denoiser), [channels, h, w], max_length, hidden),
                  "vaeDecoder": decoder}
    return finish(out, folder, args, "pixart", "image", components, scheduler_of(folder), 20, 4.5,
                  {"frames": 1, "channels": channels, "height": height, "width": width, "latentScale": vae_scale},
                  f"T5 ({hidden}-wide) text encoder, {transformer.config.num_layers}-layer PixArt transformer"
                  f" ({transformer.config.num_attention_heads} heads x {head_dim}), SD VAE decoder.",
                  {"denoiserPaddedAttention": {"nodes": denoiser["paddedAttention"], "headDim": head_dim},
                   "textMask": "not passed to the denoiser (bundle contract); the diffusers pipeline masks padding"
                               " tokens in cross-attention"},
                  tokenizer=tokenizer)


# ---------------------------------------------------------------------------------------------
# Stable Diffusion 3 / 3.5: CLIP-L, CLIP-G, T5 + MMDiT + 16-channel VAE (schemaVersion 2, combine sd3)

def import_sd3(folder, out, args):
    from diffusers import SD3Transformer2DModel
    from transformers import CLIPTextModelWithProjection, T5EncoderModel

    if not os.path.isdir(os.path.join(folder, "text_encoder_3")):
        raise ImportError_("this StableDiffusion3Pipeline folder has no text_encoder_3 (T5); SD3 without T5 (zeros"
                           " in its place) is not in the bundle format")
    transformer = load_part(SD3Transformer2DModel, folder, "transformer")
    height, width, vae_scale = image_geometry(folder, args, transformer.config.sample_size,
                                              transformer.config.patch_size)
    channels = transformer.config.in_channels
    h, w = height // vae_scale, width // vae_scale
    os.makedirs(out, exist_ok=True)

    clip_l, (length_l, width_l, pooled_l) = export_clip(CLIPTextModelWithProjection, folder, "text_encoder",
                                                        "tokenizer", out, pooled=True)
    clip_g, (length_g, width_g, pooled_g) = export_clip(CLIPTextModelWithProjection, folder, "text_encoder_2",
                                                        "tokenizer_2", out, pooled=True)
    t5_length = args.max_length or 256  # the pipeline's default max_sequence_length
    t5, width_t5 = export_t5(T5EncoderModel, folder, "text_encoder_3", "tokenizer_3", out, t5_length, with_mask=False)
    if length_l != length_g:
        raise ImportError_(f"CLIP-L reads {length_l} tokens and CLIP-G {length_g}; the sd3 rule needs the same")
    if width_l + width_g > width_t5:
        raise ImportError_(f"CLIP-L ({width_l}) + CLIP-G ({width_g}) are wider than T5 ({width_t5})")
    text_length, pooled = length_l + t5_length, pooled_l + pooled_g
    denoiser = export_component(SD3DenoiserExport(transformer),
                                (torch.randn(2, channels, h, w), torch.tensor([900.0, 100.0]),
                                 torch.randn(2, text_length, width_t5), torch.randn(2, pooled)),
                                ["sample", "timestep", "encoder_hidden_states", "pooled_text_embeds"], ["model_output"],
                                os.path.join(out, "denoiser.onnx"), pad_attention=True)
    decoder, vae = export_sd_vae(folder, out, (h, w), (height, width))
    if vae.config.latent_channels != channels:
        raise ImportError_(f"the VAE has {vae.config.latent_channels} latent channels, the transformer {channels}")
    components = {"textEncoders": {"combine": "sd3", "encoders": [clip_l, clip_g, t5]},
                  "denoiser": bj.denoiser_entry("denoiser.onnx", batch_dim(denoiser), [channels, h, w], text_length,
                                                width_t5, pooled=pooled),
                  "vaeDecoder": decoder}
    cfg = transformer.config
    return finish(out, folder, args, "sd3", "image", components, scheduler_of(folder), 28, 7.0,
                  {"frames": 1, "channels": channels, "height": height, "width": width, "latentScale": vae_scale},
                  f"CLIP-L ({width_l}), CLIP-G ({width_g}) and T5 ({width_t5}, {t5_length} tokens) text encoders,"
                  f" {cfg.num_layers}-block MMDiT ({cfg.num_attention_heads} heads x {cfg.attention_head_dim}),"
                  f" {channels}-channel VAE decoder.",
                  {"denoiserPaddedAttention": {"nodes": denoiser["paddedAttention"], "headDim": cfg.attention_head_dim}})


# ---------------------------------------------------------------------------------------------
# Stable Diffusion XL: CLIP-L + CLIP-G (pooled) + UNet with size conditioning + SD VAE (schemaVersion 2, sdxl)

def import_sdxl(folder, out, args):
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    unet = load_part(UNet2DConditionModel, folder, "unet")
    if unet.config.addition_embed_type != "text_time":
        raise ImportError_(f"the UNet's addition_embed_type is {unet.config.addition_embed_type}, not SDXL's text_time")
    height, width, vae_scale = image_geometry(folder, args, unet.config.sample_size,
                                              2 ** (len(unet.config.block_out_channels) - 1))
    channels = unet.config.in_channels
    h, w = height // vae_scale, width // vae_scale
    os.makedirs(out, exist_ok=True)

    clip_l, (length_l, width_l, _) = export_clip(CLIPTextModel, folder, "text_encoder", "tokenizer", out, pooled=False)
    clip_g, (length_g, width_g, pooled) = export_clip(CLIPTextModelWithProjection, folder, "text_encoder_2",
                                                      "tokenizer_2", out, pooled=True)
    if length_l != length_g:
        raise ImportError_(f"CLIP-L reads {length_l} tokens and CLIP-G {length_g}; the sdxl rule needs the same")
    text_width = width_l + width_g
    time_ids = torch.tensor([[height, width, 0, 0, height, width]] * 2, dtype=torch.float32)
    denoiser = export_component(SdxlDenoiserExport(unet),
                                (torch.randn(2, channels, h, w), torch.tensor([900.0, 100.0]),
                                 torch.randn(2, length_l, text_width), torch.randn(2, pooled), time_ids),
                                ["sample", "timestep", "encoder_hidden_states", "pooled_text_embeds", "time_ids"],
                                ["model_output"], os.path.join(out, "denoiser.onnx"), pad_attention=True)
    decoder, _ = export_sd_vae(folder, out, (h, w), (height, width))
    zeros = bool(read_json(os.path.join(folder, "model_index.json")).get("force_zeros_for_empty_prompt", True))
    components = {"textEncoders": {"combine": "sdxl", "zerosForEmptyNegative": zeros, "encoders": [clip_l, clip_g]},
                  "denoiser": bj.denoiser_entry("denoiser.onnx", batch_dim(denoiser), [channels, h, w], length_l,
                                                text_width, pooled=pooled, time_ids=True),
                  "vaeDecoder": decoder}
    cfg = unet.config
    return finish(out, folder, args, "sdxl", "image", components, scheduler_of(folder), 50, 5.0,
                  {"frames": 1, "channels": channels, "height": height, "width": width, "latentScale": vae_scale},
                  f"CLIP-L ({width_l}) and CLIP-G ({width_g}, pooled {pooled}) text encoders, UNet"
                  f" ({'/'.join(map(str, cfg.block_out_channels))} channels) with size conditioning, SD VAE decoder.",
                  {"denoiserPaddedAttention": {"nodes": denoiser["paddedAttention"]},
                   "sizeConditioning": "time_ids = [height, width, 0, 0, height, width] (diffusers' defaults)"})


# ---------------------------------------------------------------------------------------------
# Wan 2.1 T2V: UMT5 + Wan transformer + causal 3-D VAE decoding whole clips (schemaVersion 2)

def import_wan(folder, out, args):
    from diffusers import AutoencoderKLWan, WanTransformer3DModel
    from transformers import UMT5EncoderModel

    index = read_json(os.path.join(folder, "model_index.json"))
    if os.path.isdir(os.path.join(folder, "transformer_2")) or index.get("boundary_ratio") is not None:
        raise ImportError_("two-stage Wan 2.2 folders (transformer_2, boundary_ratio) are not supported; Wan 2.1 T2V is")
    transformer = load_part(WanTransformer3DModel, folder, "transformer")
    vae = load_part(AutoencoderKLWan, folder, "vae")
    temporal = int(getattr(vae.config, "scale_factor_temporal", 2 ** sum(vae.config.temperal_downsample)))
    spatial = int(getattr(vae.config, "scale_factor_spatial", 2 ** len(vae.config.temperal_downsample)))
    height, width, frames = args.height or 480, args.width or 832, args.frames or 81  # the pipeline's defaults
    check_multiple(height, width, spatial * transformer.config.patch_size[1])
    if (frames - 1) % temporal:
        raise ImportError_(f"{frames} frames: frames - 1 must be a multiple of the VAE's temporal scale {temporal}")
    latent_frames = (frames - 1) // temporal + 1
    channels = transformer.config.in_channels
    if vae.config.z_dim != channels:
        raise ImportError_(f"the VAE has {vae.config.z_dim} latent channels, the transformer {channels}")
    h, w = height // spatial, width // spatial
    length = args.max_length or 512  # the pipeline's default max_sequence_length
    os.makedirs(out, exist_ok=True)

    text, text_width = export_t5(UMT5EncoderModel, folder, "text_encoder", "tokenizer", out, length, with_mask=True,
                                 zero_padding=True)
    tokenizer = text.pop("tokenizer")
    latent_shape = [channels, latent_frames, h, w]
    denoiser = export_component(WanDenoiserExport(transformer),
                                (torch.randn(2, *latent_shape), torch.tensor([900.0, 100.0]),
                                 torch.randn(2, length, text_width)),
                                ["sample", "timestep", "encoder_hidden_states"], ["model_output"],
                                os.path.join(out, "denoiser.onnx"), pad_attention=True)
    decoder = export_component(WanVaeDecoderExport(vae), (torch.randn(1, *latent_shape),), ["latent"], ["image"],
                               os.path.join(out, "vae_decoder.onnx"), dynamic_batch=False)
    cfg = transformer.config
    components = {"textEncoder": text,
                  "denoiser": bj.denoiser_entry("denoiser.onnx", batch_dim(denoiser), latent_shape, length, text_width),
                  "vaeDecoder": bj.vae_decoder_entry("vae_decoder.onnx", batch_dim(decoder), latent_shape,
                                                     [3, frames, height, width], temporal_scale=temporal)}
    return finish(out, folder, args, "wan21", "video", components, scheduler_of(folder), 50, 5.0,
                  {"frames": frames, "channels": channels, "height": height, "width": width, "latentScale": spatial,
                   "fps": args.fps},
                  f"UMT5 ({text_width}-wide, {length} tokens) text encoder, {cfg.num_layers}-block Wan transformer"
                  f" ({cfg.num_attention_heads} heads x {cfg.attention_head_dim}), causal 3-D VAE decoding"
                  f" {latent_frames} latent frames into {frames}.",
                  {"denoiserPaddedAttention": {"nodes": denoiser["paddedAttention"], "headDim": cfg.attention_head_dim},
                   "textPadding": "padding positions of the text states are zeros (inside the text encoder graph),"
                                  " as the pipeline re-pads them",
                   "latentNormalisation": "latents_mean/latents_std are inside vae_decoder.onnx"},
                  tokenizer=tokenizer)


IMPORTERS = {"pixart": import_pixart, "sd3": import_sd3, "sdxl": import_sdxl, "wan": import_wan}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("pipeline")
    p.add_argument("out")
    p.add_argument("--height", type=int)
    p.add_argument("--width", type=int)
    p.add_argument("--frames", type=int, help="video frames (Wan; default 81)")
    p.add_argument("--fps", type=int, default=16, help="video frame rate (Wan; default 16)")
    p.add_argument("--max-length", type=int,
                   help="T5/UMT5 tokens (default: PixArt-Sigma 300, -Alpha 120, SD3 256, Wan 512)")
    p.add_argument("--name")
    p.add_argument("--display-name")
    p.add_argument("--steps", type=int, help="default steps (default: the pipeline's)")
    p.add_argument("--guidance", type=float, help="default guidance scale (default: the pipeline's)")
    p.add_argument("--license", default="LicenseRef-see-model-card",
                   help="SPDX id of the weights' licence (the user's to respect); default points to the model card")
    args = p.parse_args(argv)
    try:
        cls = pipeline_class(args.pipeline)
        if cls not in PIPELINES:
            raise ImportError_(f"{cls} is not supported; supported: " + ", ".join(PIPELINES))
        IMPORTERS[PIPELINES[cls]](args.pipeline, args.out, args)
    except ImportError_ as e:
        print(f"sagestudio_import: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
