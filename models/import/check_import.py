#!/usr/bin/env python3
"""Proof of the importer on random weights of the real diffusers classes (no weights can be downloaded
where this runs). For each of PixArt-Sigma, SD3.5-style, SDXL and Wan 2.1 T2V a small random-initialised
config is built, saved as a pipeline folder and imported by sagestudio_import.py; then

1. each component's ONNX graph (ONNX Runtime, CPU) against the same PyTorch module on the same inputs;
2. the diffusers pipeline samples a few steps from SageStudio's seeded noise (bundle_json.seeded_noise,
   the latents `--seed` gives in Java) and every denoiser call (inputs and output), the latents after each
   step and the decoded image are saved under the bundle's `reference/` folder, so SageStudio's Java
   pipeline can reproduce the run on the CPU from the same latents (reference/sampling.json says how);
3. the bundle's graphs replay that run: the text encoders on the pipeline's token ids, combined by the
   bundle's rule (sd3, sdxl, or one encoder), against the text inputs the pipeline gave its denoiser; the
   ONNX denoiser on each captured call; the ONNX VAE decoder on the final latents against the image.

Every pipeline runs in its own try block, each stage too, and OUT/check_import.json is rewritten after
each pipeline. Each bundle (with its reference run) is packed as OUT/<pipeline>-bundle.tgz.

Needs torch, transformers, onnx, onnxscript, onnxruntime and diffusers' source on PYTHONPATH.
Usage: python3 models/import/check_import.py OUT_DIR [pixartSigma] [sd3] [sdxl] [wan21]  (default: all four)
"""
import inspect
import json
import os
import sys
import tarfile
import tempfile
import time
import traceback

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bundle_json as bj  # noqa: E402
import sagestudio_import as imp  # noqa: E402

RESULTS = {}
RESULTS_FILE = None  # OUT/check_import.json, rewritten after every stage (a run stopped at its limit keeps them)
STEPS = 4
SEED = 42
PROMPT = "w1 w2 w3 w4 w5"  # shorter than every encoder's length: padding is part of the check


# ---------------------------------------------------------------------------------------------
# Comparisons

def cosine(a, b):
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-30))


def psnr(a, b, peak=1.0):
    mse = float(((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2).mean())
    return float(10 * np.log10(peak * peak / max(mse, 1e-20)))


def agreement(name, got, expected):
    got, expected = np.asarray(got, np.float32), np.asarray(expected, np.float32)
    r = {"cosine": cosine(got, expected), "maxAbs": float(np.abs(got - expected).max()),
         "maxAbsExpected": float(np.abs(expected).max()), "shape": list(got.shape)}
    # all zeros (SDXL's empty negative prompt) have no cosine; they agree only with zeros
    r["pass"] = r["cosine"] >= 0.9999 if np.any(expected) else not np.any(got)
    print(f"  {name}: cosine {r['cosine']:.8f} max abs {r['maxAbs']:.3e} (max |torch| {r['maxAbsExpected']:.3e})"
          f" -> {'PASS' if r['pass'] else 'FAIL'}", flush=True)
    return r


def session(path):
    import onnxruntime as ort
    return ort.InferenceSession(path, providers=["CPUExecutionProvider"])


def graph_ops(path):
    import onnx
    ops = {}
    for n in onnx.load(path, load_external_data=False).graph.node:
        key = (n.domain or "ai.onnx") + "::" + n.op_type
        ops[key] = ops.get(key, 0) + 1
    return ops


def run_graph(sess, feeds):
    """All outputs of one graph; a graph exported with batch 1 runs item by item, as the runtime does."""
    feeds = {k: np.ascontiguousarray(v.numpy() if hasattr(v, "numpy") else v) for k, v in feeds.items()}
    if sess.get_inputs()[0].shape[0] != 1:
        return sess.run(None, feeds)
    n = next(iter(feeds.values())).shape[0]
    parts = [sess.run(None, {k: v[i:i + 1] for k, v in feeds.items()}) for i in range(n)]
    return [np.concatenate([p[j] for p in parts]) for j in range(len(parts[0]))]


def compare(name, onnx_path, feeds, expected, output=0):
    got = run_graph(session(onnx_path), feeds)[output]
    expected = expected.detach().float().numpy() if hasattr(expected, "detach") else expected
    r = agreement(name, got, expected)
    ops = graph_ops(onnx_path)
    r["attentionNodes"] = ops.get("ai.onnx::Attention", 0)
    r["nodes"] = sum(ops.values())
    return r


def stage(result, key, fn):
    """One stage of a pipeline's check; its failure is recorded and the next stages still run."""
    try:
        result[key] = fn()
    except Exception as e:  # noqa: BLE001 - record, go on
        traceback.print_exc()
        result[key] = {"error": f"{type(e).__name__}: {str(e)[:1500]}"}
    write_results()
    return result[key]


def write_results():
    if RESULTS_FILE:
        with open(RESULTS_FILE, "w") as f:
            json.dump(RESULTS, f, indent=2, default=str)


# ---------------------------------------------------------------------------------------------
# Tiny pipelines

def tiny_tokenizer(folder, bos=False, max_length=None, words=60):
    """WordLevel tokenizer: <pad> 0, </s> 1, <unk> 2, <s> 3, w0.. from 4 (vocabulary 64). CLIP-like with
    `bos` (<s> text </s>), T5-like without (text </s>)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast
    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2, "<s>": 3}
    for i in range(words):
        vocab[f"w{i}"] = len(vocab)
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    if bos:
        tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 3), ("</s>", 1)])
    else:
        tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    extra = {"bos_token": "<s>"} if bos else {}
    if max_length:
        extra["model_max_length"] = max_length
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", **extra)
    fast.save_pretrained(folder)
    return fast


def visible_init(*modules):
    """Random weights that make every layer count: N(0, 0.05), norm scales 1 + N(0, 0.1) (zero-initialised
    output layers and unit norms of a fresh model would hide errors; a norm scale near 0 would shrink every
    activation), then rounded to fp16 values so the saved folder holds exactly what the importer's fp16
    graphs hold. Norm scales: 1-D `*norm*.weight`, and `gamma` (Wan's VAE keeps [C, 1, 1, 1] ones)."""
    for m in modules:
        with torch.no_grad():
            for name, p in m.named_parameters():
                leaf = name.rsplit(".", 1)[-1]
                if leaf == "gamma" or (p.ndim == 1 and "norm" in name.lower() and leaf == "weight"):
                    p.copy_(1 + 0.1 * torch.randn_like(p))
                else:
                    torch.nn.init.normal_(p, std=0.05)
        imp.round_to_fp16(m)


def tiny_clip(with_projection, hidden=32, projection=16):
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection
    config = CLIPTextConfig(vocab_size=64, hidden_size=hidden, intermediate_size=64, num_hidden_layers=2,
                            num_attention_heads=2, max_position_embeddings=8, projection_dim=projection,
                            pad_token_id=0, bos_token_id=3, eos_token_id=1)
    return (CLIPTextModelWithProjection if with_projection else CLIPTextModel)(config)


def tiny_t5(umt5=False, d_model=32):
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel
    kw = dict(vocab_size=64, d_model=d_model, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
              relative_attention_num_buckets=8, decoder_start_token_id=0)
    return UMT5EncoderModel(UMT5Config(**kw)) if umt5 else T5EncoderModel(T5Config(**kw))


def tiny_sd_vae(latent_channels, **extra):
    from diffusers import AutoencoderKL
    return AutoencoderKL(in_channels=3, out_channels=3, block_out_channels=(32, 32, 32, 32), layers_per_block=1,
                         down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                         latent_channels=latent_channels, norm_num_groups=32, sample_size=64, **extra)


def load_rounded(pipeline_cls, folder, **kw):
    """The saved pipeline, every module rounded as the importer rounds it (buffers computed at load too)."""
    pipe = pipeline_cls.from_pretrained(folder, **kw)
    for name, module in pipe.components.items():
        if isinstance(module, torch.nn.Module):
            imp.round_to_fp16(module.eval())
    return pipe


# ---------------------------------------------------------------------------------------------
# The reference run: the diffusers pipeline with every denoiser call captured

def capture_calls(module, calls):
    """Records each forward call's tensors (positional args as argN, keyword args by name, dict values as
    name.key) and its first output."""
    def flat(prefix, value, into):
        if torch.is_tensor(value):
            into[prefix] = value.detach().float().clone()
        elif isinstance(value, dict):
            for k, v in value.items():
                flat(f"{prefix}.{k}", v, into)

    def hook(_module, args, kwargs, output):
        tensors = {}
        for i, a in enumerate(args):
            flat(f"arg{i}", a, tensors)
        for k, v in kwargs.items():
            flat(k, v, tensors)
        flat("output", output[0] if isinstance(output, (tuple, list)) else output.sample, tensors)
        calls.append(tensors)
    return module.register_forward_hook(hook, with_kwargs=True)


def save_f32(folder, name, tensor):
    a = np.ascontiguousarray(tensor.detach().float().numpy() if hasattr(tensor, "detach") else tensor, dtype="<f4")
    a.tofile(os.path.join(folder, name + ".f32"))
    return {"file": name + ".f32", "shape": list(a.shape)}


def reference_run(pipe, denoiser, bundle_dir, latent_shape, call_kwargs, guidance, image_layout, notes, prompt=PROMPT):
    """Runs the pipeline from the seeded noise, saves reference/ and returns (calls, latents per step, image)."""
    reference = os.path.join(bundle_dir, "reference")
    os.makedirs(reference, exist_ok=True)
    noise = torch.from_numpy(bj.seeded_noise(SEED, latent_shape))
    calls, steps = [], []
    handle = capture_calls(denoiser, calls)

    def on_step_end(_pipe, _i, _t, kwargs):
        steps.append(kwargs["latents"].detach().float().clone())
        return kwargs

    if "callback_on_step_end" in inspect.signature(pipe.__call__).parameters:
        callback = {"callback_on_step_end": on_step_end}
    else:  # PixArt's pipelines still take the older per-step callback
        callback = {"callback": lambda _i, _t, latents: steps.append(latents.detach().float().clone()),
                    "callback_steps": 1}
    try:
        out = pipe(prompt, latents=noise.clone(), num_inference_steps=STEPS, guidance_scale=guidance,
                   output_type="pt", **callback, **call_kwargs)
    finally:
        handle.remove()
    image = (out.frames if hasattr(out, "frames") else out.images).float()
    files = {"initialLatents": save_f32(reference, "initial_latents", noise),
             "latentsAfterStep": [save_f32(reference, f"latents_step{i + 1}", s) for i, s in enumerate(steps)],
             "image": save_f32(reference, "image", image)}
    files["calls"] = [{k: save_f32(reference, f"call{i}_{k}", v) for k, v in c.items()} for i, c in enumerate(calls)]
    meta = {"prompt": prompt, "negativePrompt": "", "steps": STEPS, "guidanceScale": guidance, "seed": SEED,
            "initialLatentsFrom": f"SageStudio SeededNoise({SEED}) over {list(latent_shape)} (bundle_json.seeded_noise)",
            "timesteps": [float(t) for t in pipe.scheduler.timesteps],
            "sigmas": [float(s) for s in getattr(pipe.scheduler, "sigmas", [])],
            "imageLayout": image_layout, "imageRange": "[0, 1] (diffusers output_type pt)",
            "imageStd": float(image.std()), "files": files, "notes": notes,
            "pipelineCall": {k: v for k, v in call_kwargs.items() if not callable(v)}}
    with open(os.path.join(reference, "sampling.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"  reference run: {STEPS} steps, guidance {guidance}, {len(calls)} denoiser calls, image {list(image.shape)}"
          f" (std {meta['imageStd']:.3f})", flush=True)
    return calls, steps, image


# ---------------------------------------------------------------------------------------------
# Replaying the reference run through the bundle's graphs (what SageStudio's runtime computes)

def encode_with_bundle(bundle_dir, bundle, prompt):
    """Text inputs of the denoiser for one prompt, by the bundle's graphs and its combination rule
    (docs/model-bundle.md): (encoder_hidden_states [1, T, C], pooled [1, P] or None, ids per encoder)."""
    from tokenizers import Tokenizer
    components = bundle["components"]
    several = components.get("textEncoders")
    encoders = several["encoders"] if several else [dict(components["textEncoder"], tokenizer=bundle["tokenizer"])]
    states, pooled, ids_used = [], [], []
    for e in encoders:
        tok = Tokenizer.from_file(os.path.join(bundle_dir, e["tokenizer"]["file"]))
        length, pad = e["tokenizer"]["maxLength"], e["tokenizer"]["padId"]
        ids = tok.encode(prompt.lower() if e["tokenizer"].get("lowercase") else prompt).ids[:length]
        ids = np.array([ids + [pad] * (length - len(ids))], dtype=np.int64)
        ids_used.append(ids[0].tolist())
        feeds = {"input_ids": ids}
        if "attention_mask" in e["inputs"]:
            feeds["attention_mask"] = (ids != pad).astype(np.int64)
        outs = session(os.path.join(bundle_dir, e["file"])).run(None, feeds)
        states.append(outs[0])
        pooled.append(outs[1] if "pooled" in e["outputs"] else None)
    if not several:
        return states[0], None, ids_used
    zeros = bool(several.get("zerosForEmptyNegative")) and prompt == ""
    combined, pool = bj.combine_text(several["combine"], states, pooled, zeros)
    return combined, pool, ids_used


# Which captured tensor feeds which denoiser role, per pipeline (the pipelines call their models differently).
CALL_ROLES = {
    "pixart": {"sample": "arg0", "timestep": "timestep", "encoder_hidden_states": "encoder_hidden_states"},
    "sd3": {"sample": "hidden_states", "timestep": "timestep", "encoder_hidden_states": "encoder_hidden_states",
            "pooled_text_embeds": "pooled_projections"},
    "sdxl": {"sample": "arg0", "timestep": "arg1", "encoder_hidden_states": "encoder_hidden_states",
             "pooled_text_embeds": "added_cond_kwargs.text_embeds", "time_ids": "added_cond_kwargs.time_ids"},
    "wan": {"sample": "hidden_states", "timestep": "timestep", "encoder_hidden_states": "encoder_hidden_states"},
}


def replay(kind, bundle_dir, calls, steps, image, guidance, prompt=PROMPT):
    bundle = json.load(open(os.path.join(bundle_dir, "model.json")))
    comps = bundle["components"]
    r = {}
    roles = CALL_ROLES[kind]
    # Text: with CFG, SD3/SDXL/PixArt batch [negative, positive] into one call; Wan calls the positive
    # first and the negative second, each alone.
    text_rows = {"positive": (calls[0], 0)}
    if guidance > 1:
        batched = calls[0][roles["encoder_hidden_states"]].shape[0] == 2
        text_rows = {"positive": (calls[0], 1), "negative": (calls[0], 0)} if batched else \
            {"positive": (calls[0], 0), "negative": (calls[1], 0)}
    for label, (call, row) in text_rows.items():
        states, pooled, ids = encode_with_bundle(bundle_dir, bundle, prompt if label == "positive" else "")
        r[f"text_{label}_ids"] = ids
        r[f"text_{label}"] = agreement(f"{label} text states, bundle rule vs pipeline",
                                       states[0], call[roles["encoder_hidden_states"]][row].numpy())
        if pooled is not None:
            r[f"pooled_{label}"] = agreement(f"{label} pooled, bundle rule vs pipeline", pooled[0],
                                             call[roles["pooled_text_embeds"]][row].numpy())
    # Denoiser on every captured call.
    den = comps["denoiser"]
    sess = session(os.path.join(bundle_dir, den["file"]))
    worst = None
    for i, c in enumerate(calls):
        feeds = {den["inputs"][role]["name"]: c[key].numpy().astype(np.float32) for role, key in roles.items()
                 if role in den["inputs"]}
        t = feeds[den["inputs"]["timestep"]["name"]]
        n = feeds[den["inputs"]["sample"]["name"]].shape[0]
        feeds[den["inputs"]["timestep"]["name"]] = np.broadcast_to(t.reshape(-1), (n,)).copy() if t.size in (1, n) else t
        got = run_graph(sess, feeds)[0]
        expected = c["output"].numpy()[:, :got.shape[1]]  # PixArt: the learned-variance half is dropped
        a = agreement(f"denoiser call {i}", got, expected)
        if worst is None or a["cosine"] < worst["cosine"]:
            worst = dict(a, call=i)
    r["denoiserCalls"] = {"count": len(calls), "worst": worst, "pass": worst["pass"]}
    # VAE decoder on the final latents, fed as the runtime feeds it.
    dec = comps["vaeDecoder"]
    latent = steps[-1].numpy() / dec["scalingFactor"] + dec["shiftFactor"]
    decoded = run_graph(session(os.path.join(bundle_dir, dec["file"])), {dec["inputs"]["latent"]["name"]: latent})[0]
    ours = np.clip(decoded / 2 + 0.5, 0, 1)
    theirs = image.numpy()
    if ours.ndim == 5:  # bundle [B, 3, F, H, W]; diffusers' video [B, F, 3, H, W]
        ours = ours.transpose(0, 2, 1, 3, 4)
    r["decodedImage"] = {"psnrDb": psnr(ours, theirs), "shape": list(ours.shape)}
    r["decodedImage"]["pass"] = r["decodedImage"]["psnrDb"] >= 40
    print(f"  VAE decoder on the final latents vs the pipeline's image: PSNR {r['decodedImage']['psnrDb']:.1f} dB",
          flush=True)
    return r


def import_bundle(folder, bundle_dir, extra_args):
    t0 = time.time()
    status = imp.main([folder, bundle_dir, *extra_args])
    r = {"importStatus": status, "importSeconds": round(time.time() - t0, 1)}
    if status != 0:
        raise RuntimeError(f"importer exit status {status}")
    bundle = json.load(open(os.path.join(bundle_dir, "model.json")))
    r["modelJson"] = {k: bundle[k] for k in ("schemaVersion", "prediction", "scheduler", "sample")}
    return r


def pack(out, name, bundle_dir):
    with tarfile.open(os.path.join(out, f"{name}-bundle.tgz"), "w:gz") as tar:
        tar.add(bundle_dir, arcname=f"{name}-random")
    return os.path.getsize(os.path.join(out, f"{name}-bundle.tgz"))


def run_checks(result, out, name, bundle_dir, kind, components, reference, guidance, prompt=PROMPT):
    """The shared part: components vs PyTorch, the reference run, its replay, the packed bundle (each a stage)."""
    for key, fn in components:
        stage(result, key, fn)
    run = stage(result, "referenceRun", lambda: dict(zip(("calls", "steps", "image"), reference())))
    if "error" not in run:
        calls, steps, image = run.pop("calls"), run.pop("steps"), run.pop("image")
        run.update({"denoiserCalls": len(calls), "imageShape": list(image.shape)})
        stage(result, "replay", lambda: replay(kind, bundle_dir, calls, steps, image, guidance, prompt))
    stage(result, "packedBytes", lambda: pack(out, name, bundle_dir))


# ---------------------------------------------------------------------------------------------
# PixArt-Sigma

def check_pixart(work, out, result):
    from diffusers import DPMSolverMultistepScheduler, PixArtSigmaPipeline, PixArtTransformer2DModel
    torch.manual_seed(0)
    folder = os.path.join(work, "pixart-sigma-random")
    tokenizer = tiny_tokenizer(os.path.join(work, "tok-pixart"))
    text_encoder = tiny_t5()
    # head dim 72 as the real PixArt (so the padding to 128 is exercised), 2 blocks, 64x64 px. No size
    # conditioning: PixArt-Σ has none, and its pipeline always passes resolution=None.
    transformer = PixArtTransformer2DModel(num_attention_heads=2, attention_head_dim=72, in_channels=4, out_channels=8,
                                           num_layers=2, cross_attention_dim=144, sample_size=8, patch_size=2,
                                           caption_channels=32, use_additional_conditions=False)
    vae = tiny_sd_vae(4)
    visible_init(text_encoder, transformer, vae)
    PixArtSigmaPipeline(tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer,
                        scheduler=DPMSolverMultistepScheduler()).save_pretrained(folder)
    bundle_dir = os.path.join(work, "bundle-pixart")
    result.update(import_bundle(folder, bundle_dir, ["--max-length", "16", "--name", "pixart-sigma-random"]))
    pipe = load_rounded(PixArtSigmaPipeline, folder)
    ids = torch.tensor([tokenizer(PROMPT, padding="max_length", max_length=16)["input_ids"]] * 2)
    mask = (ids != 0).long()
    with torch.no_grad():
        states = imp.TextEncoderExport(pipe.text_encoder)(ids, mask)
        sample, timestep = torch.randn(2, 4, 8, 8), torch.tensor([999.0, 321.0])
        latent = torch.randn(1, 4, 8, 8)
        components = [
            ("textEncoder", lambda: compare("PixArt text encoder (T5)", os.path.join(bundle_dir, "text_encoder.onnx"),
                                            {"input_ids": ids, "attention_mask": mask}, states)),
            ("denoiser", lambda: compare("PixArt denoiser", os.path.join(bundle_dir, "denoiser.onnx"),
                                         {"sample": sample, "timestep": timestep, "encoder_hidden_states": states},
                                         imp.PixArtDenoiserExport(pipe.transformer, 64, 64)(sample, timestep, states))),
            ("vaeDecoder", lambda: compare("SD VAE decoder", os.path.join(bundle_dir, "vae_decoder.onnx"),
                                           {"latent": latent}, imp.VaeDecoderExport(pipe.vae)(latent))),
        ]
    # The prompt fills all 16 tokens here: the pipeline masks padding in cross-attention, the bundle does not.
    full = " ".join(f"w{i}" for i in range(15))
    run_checks(result, out, "pixart", bundle_dir, "pixart", components,
               lambda: reference_run(pipe, pipe.transformer, bundle_dir, (1, 4, 8, 8),
                                     {"max_sequence_length": 16, "use_resolution_binning": False, "clean_caption": False}, 1.0, "[B, 3, H, W]",
                                     ["prompt fills all 16 T5 tokens: the pipeline masks padding tokens in"
                                      " cross-attention, the bundle contract does not", "no CFG (guidance 1)"],
                                     prompt=full),
               1.0, prompt=full)
    stage(result, "onnxLoopSampling", lambda: sample_like_pipeline(folder, bundle_dir, tokenizer, full))


def sample_like_pipeline(folder, bundle_dir, tokenizer, prompt):
    """The diffusers pipeline and a Python loop over the bundle's ONNX graphs with the same scheduler class
    and initial latents (no CFG, a prompt that fills every token) must give the same image."""
    from diffusers import DPMSolverMultistepScheduler, PixArtSigmaPipeline
    pipe = load_rounded(PixArtSigmaPipeline, folder)
    latents = torch.from_numpy(bj.seeded_noise(SEED, (1, 4, 8, 8)))
    with torch.no_grad():
        ref = pipe(prompt, latents=latents.clone(), num_inference_steps=STEPS, guidance_scale=1.0, output_type="pt",
                   max_sequence_length=16, use_resolution_binning=False, clean_caption=False).images.float().numpy()
    s = {n: session(os.path.join(bundle_dir, n + ".onnx")) for n in ("text_encoder", "denoiser", "vae_decoder")}
    ids = np.array([tokenizer(prompt, padding="max_length", max_length=16)["input_ids"]], dtype=np.int64)
    states = s["text_encoder"].run(None, {"input_ids": ids, "attention_mask": (ids != 0).astype(np.int64)})[0]
    scheduler = DPMSolverMultistepScheduler.from_pretrained(os.path.join(folder, "scheduler"))
    scheduler.set_timesteps(STEPS)
    x = latents.clone()
    for t in scheduler.timesteps:
        eps = s["denoiser"].run(None, {"sample": x.numpy(), "timestep": np.array([float(t)], np.float32),
                                       "encoder_hidden_states": states})[0]
        x = scheduler.step(torch.from_numpy(eps), t, x, return_dict=False)[0]
    image = s["vae_decoder"].run(None, {"latent": (x / pipe.vae.config.scaling_factor).numpy()})[0]
    value = psnr(np.clip(image / 2 + 0.5, 0, 1), ref)
    print(f"  PixArt {STEPS}-step sampling, ONNX graphs in a Python loop vs diffusers: PSNR {value:.1f} dB", flush=True)
    return {"steps": STEPS, "psnrDb": value, "pass": value >= 40}


# ---------------------------------------------------------------------------------------------
# Stable Diffusion 3.5-style: CLIP-L, CLIP-G, T5 + MMDiT (dual attention block, q/k RMS norm) + 16-ch VAE

def flow_sigmas():
    """SageStudio's flow grid before the shift (docs/model-bundle.md): 1 - k/S, k = 0..S-1."""
    return [1.0 - k / STEPS for k in range(STEPS)]


def check_sd3(work, out, result):
    from diffusers import FlowMatchEulerDiscreteScheduler, SD3Transformer2DModel, StableDiffusion3Pipeline
    torch.manual_seed(1)
    folder = os.path.join(work, "sd3-random")
    tok_l = tiny_tokenizer(os.path.join(work, "tok-sd3-l"), bos=True, max_length=8)
    tok_g = tiny_tokenizer(os.path.join(work, "tok-sd3-g"), bos=True, max_length=8)
    tok_t5 = tiny_tokenizer(os.path.join(work, "tok-sd3-t5"))
    clip_l, clip_g, t5 = tiny_clip(True), tiny_clip(True), tiny_t5(d_model=96)  # CLIP-L ‖ CLIP-G padded 64 -> 96
    transformer = SD3Transformer2DModel(sample_size=8, patch_size=2, in_channels=16, num_layers=2, attention_head_dim=64,
                                        num_attention_heads=2, joint_attention_dim=96, caption_projection_dim=128,
                                        pooled_projection_dim=32, out_channels=16, pos_embed_max_size=16,
                                        dual_attention_layers=(0,), qk_norm="rms_norm")
    vae = tiny_sd_vae(16, shift_factor=0.0609, scaling_factor=1.5305)
    visible_init(clip_l, clip_g, t5, transformer, vae)
    StableDiffusion3Pipeline(transformer=transformer, scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0), vae=vae,
                             text_encoder=clip_l, tokenizer=tok_l, text_encoder_2=clip_g, tokenizer_2=tok_g,
                             text_encoder_3=t5, tokenizer_3=tok_t5).save_pretrained(folder)
    bundle_dir = os.path.join(work, "bundle-sd3")
    result.update(import_bundle(folder, bundle_dir, ["--max-length", "16", "--name", "sd3-random"]))
    pipe = load_rounded(StableDiffusion3Pipeline, folder)
    ids8 = torch.tensor([tok_l(PROMPT, padding="max_length", max_length=8)["input_ids"]] * 2)
    ids16 = torch.tensor([tok_t5(PROMPT, padding="max_length", max_length=16)["input_ids"]] * 2)
    b = bundle_dir
    with torch.no_grad():
        sample, timestep = torch.randn(2, 16, 8, 8), torch.tensor([1000.0, 250.0])
        text, pooled = torch.randn(2, 24, 96), torch.randn(2, 32)
        latent = torch.randn(1, 16, 8, 8)
        wl, wg = imp.ClipTextEncoderExport(pipe.text_encoder, True), imp.ClipTextEncoderExport(pipe.text_encoder_2, True)
        components = [
            ("clipL", lambda: compare("CLIP-L states", f"{b}/text_encoder.onnx", {"input_ids": ids8}, wl(ids8)[0])),
            ("clipLPooled", lambda: compare("CLIP-L pooled", f"{b}/text_encoder.onnx", {"input_ids": ids8}, wl(ids8)[1], 1)),
            ("clipG", lambda: compare("CLIP-G states", f"{b}/text_encoder_2.onnx", {"input_ids": ids8}, wg(ids8)[0])),
            ("clipGPooled", lambda: compare("CLIP-G pooled", f"{b}/text_encoder_2.onnx", {"input_ids": ids8}, wg(ids8)[1], 1)),
            ("t5", lambda: compare("T5 (no mask, as SD3)", f"{b}/text_encoder_3.onnx", {"input_ids": ids16},
                                   imp.TextEncoderExport(pipe.text_encoder_3, with_mask=False)(ids16))),
            ("denoiser", lambda: compare("SD3.5-style MMDiT", f"{b}/denoiser.onnx",
                                         {"sample": sample, "timestep": timestep, "encoder_hidden_states": text,
                                          "pooled_text_embeds": pooled},
                                         imp.SD3DenoiserExport(pipe.transformer)(sample, timestep, text, pooled))),
            ("vaeDecoder", lambda: compare("16-channel VAE decoder", f"{b}/vae_decoder.onnx", {"latent": latent},
                                           imp.VaeDecoderExport(pipe.vae)(latent))),
        ]
    run_checks(result, out, "sd3", bundle_dir, "sd3", components,
               lambda: reference_run(pipe, pipe.transformer, bundle_dir, (1, 16, 8, 8),
                                     {"max_sequence_length": 16, "sigmas": flow_sigmas()}, 2.0, "[B, 3, H, W]",
                                     ["sigmas=1-k/S passed to the pipeline: SageStudio's flow_euler grid",
                                      "CFG with negative prompt \"\" through all three encoders"]),
               2.0)


# ---------------------------------------------------------------------------------------------
# Stable Diffusion XL: CLIP-L + CLIP-G (pooled) + UNet (head dim 64 at every attention level, time_ids)

def check_sdxl(work, out, result):
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
    torch.manual_seed(3)
    folder = os.path.join(work, "sdxl-random")
    tok_l = tiny_tokenizer(os.path.join(work, "tok-sdxl-l"), bos=True, max_length=8)
    tok_g = tiny_tokenizer(os.path.join(work, "tok-sdxl-g"), bos=True, max_length=8)
    clip_l, clip_g = tiny_clip(False), tiny_clip(True, projection=32)
    # SDXL's layout in small: no attention in the first level, then 64-wide heads (attention_head_dim counts heads).
    unet = UNet2DConditionModel(sample_size=8, in_channels=4, out_channels=4, layers_per_block=1,
                                block_out_channels=(32, 64), down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                                up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), attention_head_dim=(1, 1),
                                transformer_layers_per_block=(1, 2), cross_attention_dim=64, use_linear_projection=True,
                                addition_embed_type="text_time", addition_time_embed_dim=8,
                                projection_class_embeddings_input_dim=32 + 6 * 8)
    vae = tiny_sd_vae(4, scaling_factor=0.13025)
    visible_init(clip_l, clip_g, unet, vae)
    # SageStudio's Euler has steps_offset 0; "trailing" spacing is one of its fields.
    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                       timestep_spacing="trailing", steps_offset=0)
    StableDiffusionXLPipeline(vae=vae, text_encoder=clip_l, text_encoder_2=clip_g, tokenizer=tok_l, tokenizer_2=tok_g,
                              unet=unet, scheduler=scheduler, add_watermarker=False).save_pretrained(folder)
    bundle_dir = os.path.join(work, "bundle-sdxl")
    result.update(import_bundle(folder, bundle_dir, ["--name", "sdxl-random"]))
    pipe = load_rounded(StableDiffusionXLPipeline, folder, add_watermarker=False)
    ids8 = torch.tensor([tok_l(PROMPT, padding="max_length", max_length=8)["input_ids"]] * 2)
    b = bundle_dir
    with torch.no_grad():
        sample, timestep = torch.randn(2, 4, 8, 8), torch.tensor([999.0, 250.0])
        text, pooled = torch.randn(2, 8, 64), torch.randn(2, 32)
        time_ids = torch.tensor([[64.0, 64.0, 0.0, 0.0, 64.0, 64.0]] * 2)
        latent = torch.randn(1, 4, 8, 8)
        wl, wg = imp.ClipTextEncoderExport(pipe.text_encoder, False), imp.ClipTextEncoderExport(pipe.text_encoder_2, True)
        components = [
            ("clipL", lambda: compare("CLIP-L states", f"{b}/text_encoder.onnx", {"input_ids": ids8}, wl(ids8))),
            ("clipG", lambda: compare("CLIP-G states", f"{b}/text_encoder_2.onnx", {"input_ids": ids8}, wg(ids8)[0])),
            ("clipGPooled", lambda: compare("CLIP-G pooled", f"{b}/text_encoder_2.onnx", {"input_ids": ids8}, wg(ids8)[1], 1)),
            ("denoiser", lambda: compare("SDXL-style UNet", f"{b}/denoiser.onnx",
                                         {"sample": sample, "timestep": timestep, "encoder_hidden_states": text,
                                          "pooled_text_embeds": pooled, "time_ids": time_ids},
                                         imp.SdxlDenoiserExport(pipe.unet)(sample, timestep, text, pooled, time_ids))),
            ("vaeDecoder", lambda: compare("SD VAE decoder", f"{b}/vae_decoder.onnx", {"latent": latent},
                                           imp.VaeDecoderExport(pipe.vae)(latent))),
        ]
    run_checks(result, out, "sdxl", bundle_dir, "sdxl", components,
               lambda: reference_run(pipe, pipe.unet, bundle_dir, (1, 4, 8, 8), {}, 2.0, "[B, 3, H, W]",
                                     ["Euler, trailing spacing, steps_offset 0", "CFG; the negative is zeros"
                                      " (force_zeros_for_empty_prompt, zerosForEmptyNegative)"]),
               2.0)


# ---------------------------------------------------------------------------------------------
# Wan 2.1 T2V: UMT5 + Wan transformer + causal 3-D VAE (5 frames -> 2 latent frames)

def check_wan(work, out, result):
    from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanPipeline, WanTransformer3DModel
    torch.manual_seed(2)
    folder = os.path.join(work, "wan21-random")
    tokenizer = tiny_tokenizer(os.path.join(work, "tok-wan"))
    text_encoder = tiny_t5(umt5=True)
    transformer = WanTransformer3DModel(patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=64,
                                        in_channels=16, out_channels=16, text_dim=32, freq_dim=32, ffn_dim=64,
                                        num_layers=2, rope_max_seq_len=64)
    vae = AutoencoderKLWan(base_dim=8, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True])
    visible_init(text_encoder, transformer, vae)
    WanPipeline(tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer,
                scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0)).save_pretrained(folder)
    bundle_dir = os.path.join(work, "bundle-wan21")
    result.update(import_bundle(folder, bundle_dir, ["--max-length", "16", "--height", "64", "--width", "64",
                                                     "--frames", "5", "--name", "wan21-random"]))
    pipe = load_rounded(WanPipeline, folder)
    # WanPipeline calls set_timesteps(steps) without sigmas; give it SageStudio's grid the documented way.
    original = pipe.scheduler.set_timesteps
    pipe.scheduler.set_timesteps = lambda *a, device=None, **k: original(sigmas=flow_sigmas(), device=device)
    ids = torch.tensor([tokenizer(PROMPT, padding="max_length", max_length=16)["input_ids"]] * 2)
    mask = (ids != 0).long()
    b = bundle_dir
    with torch.no_grad():
        sample, timestep, text = torch.randn(2, 16, 2, 8, 8), torch.tensor([1000.0, 250.0]), torch.randn(2, 16, 32)
        latent = torch.randn(1, 16, 2, 8, 8)
        components = [
            ("textEncoder", lambda: compare("UMT5 (padding zeroed as the pipeline does)", f"{b}/text_encoder.onnx",
                                            {"input_ids": ids, "attention_mask": mask},
                                            imp.TextEncoderExport(pipe.text_encoder, True, True)(ids, mask))),
            ("denoiser", lambda: compare("Wan 2.1 transformer (2 latent frames)", f"{b}/denoiser.onnx",
                                         {"sample": sample, "timestep": timestep, "encoder_hidden_states": text},
                                         imp.WanDenoiserExport(pipe.transformer)(sample, timestep, text))),
            ("vaeDecoder", lambda: compare("Wan causal VAE decoder (2 latent frames -> 5)", f"{b}/vae_decoder.onnx",
                                           {"latent": latent}, imp.WanVaeDecoderExport(pipe.vae)(latent))),
        ]
    run_checks(result, out, "wan21", bundle_dir, "wan", components,
               lambda: reference_run(pipe, pipe.transformer, bundle_dir, (1, 16, 2, 8, 8),
                                     {"height": 64, "width": 64, "num_frames": 5, "max_sequence_length": 16}, 2.0,
                                     "[B, F, 3, H, W]",
                                     ["FlowMatchEulerDiscreteScheduler(shift=3) given sigmas=1-k/S (SageStudio's"
                                      " flow_euler grid) by wrapping set_timesteps", "CFG with negative prompt \"\""]),
               2.0)


def main(out):
    global RESULTS_FILE
    os.makedirs(out, exist_ok=True)
    RESULTS_FILE = os.path.join(out, "check_import.json")
    RESULTS["torch"] = torch.__version__
    for module in ("diffusers", "transformers", "onnxruntime"):
        try:
            RESULTS[module] = __import__(module).__version__
        except Exception as e:  # noqa: BLE001
            RESULTS[module] = f"not importable: {e}"
    torch.set_grad_enabled(False)
    checks = (("pixartSigma", check_pixart), ("sd3", check_sd3), ("sdxl", check_sdxl), ("wan21", check_wan))
    only = sys.argv[2:] or None  # e.g. `check_import.py OUT sd3 wan21` for a part
    unknown = set(only or ()) - {name for name, _ in checks}
    if unknown:
        sys.exit(f"unknown pipeline(s) {sorted(unknown)}; choose from {[name for name, _ in checks]}")
    with tempfile.TemporaryDirectory() as work:
        for name, check in checks:
            if only and name not in only:
                continue
            print(f"== {name}", flush=True)
            t0 = time.time()
            result = RESULTS[name] = {}
            try:
                check(work, out, result)
            except Exception as e:  # noqa: BLE001 - record and go on with the next architecture
                traceback.print_exc()
                result["error"] = f"{type(e).__name__}: {str(e)[:1500]}"
            result["seconds"] = round(time.time() - t0, 1)
            write_results()
    print(json.dumps(RESULTS, indent=1, default=str)[:8000])
    print(summary(RESULTS), flush=True)


def summary(results):
    """One line per pipeline: each stage's verdict (pass, FAIL, error), the last lines of the log."""
    lines = []
    for name, r in results.items():
        if not isinstance(r, dict):
            continue
        verdicts = []
        for stage_name, v in r.items():
            if not isinstance(v, dict):
                continue
            if "error" in v:
                verdicts.append(f"{stage_name} ERROR")
            elif "pass" in v:
                verdicts.append(f"{stage_name} {'pass' if v['pass'] else 'FAIL'}")
            elif stage_name == "replay":
                verdicts += [f"replay.{k} {'pass' if x.get('pass') else 'FAIL'}" for k, x in v.items()
                             if isinstance(x, dict) and "pass" in x]
        head = f"{name}: " + ("ERROR " + r["error"][:120] + "; " if "error" in r else "")
        lines.append(head + ", ".join(verdicts))
    return "\n".join(lines)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "check-import-out")
