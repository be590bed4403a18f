"""Write model.json, LICENSE.md and EVAL.md of a bundle from the pipeline's results JSON.
Torch-free, so it can be re-run anywhere: python write_bundle.py RESULTS.json BUNDLE_DIR"""
import json
import os
import sys

ATTRIBUTION = [
    {"source": "Twemoji graphics via emoji-datasource-twitter@16.0.0 (img/twitter/64)", "license": "CC-BY-4.0",
     "url": "https://github.com/jdecked/twemoji",
     "copyright": "Copyright 2019 Twitter, Inc and other contributors; Copyright 2024 jdecked and other contributors",
     "usedFor": "training images (the model's outputs imitate this style)"},
    {"source": "Noto Emoji graphics via emoji-datasource-google@16.0.0 (img/google/64)", "license": "Apache-2.0",
     "url": "https://github.com/googlefonts/noto-emoji", "copyright": "Copyright Google LLC",
     "usedFor": "training images (the model's outputs imitate this style)"},
    {"source": "emoji-datasource@16.0.0 emoji.json (names, short names, categories)", "license": "MIT",
     "url": "https://github.com/iamcal/emoji-data", "copyright": "Copyright (c) 2013 Cal Henderson",
     "usedFor": "captions"},
    {"source": "emojilib@4.0.3 (dist/emoji-en-US.json keywords)", "license": "MIT",
     "url": "https://github.com/muan/emojilib", "copyright": "Copyright (c) 2014 Mu-An Chiou", "usedFor": "captions"},
]

LICENSE_MD = """# License and attribution of this bundle

The weights in this folder were trained by the SageStudio project from scratch (see model.json,
`training`) and are released under the Creative Commons Attribution 4.0 International license
(CC-BY-4.0), because they are derived from, and generate images in the style of, the following
openly licensed works. Keep this notice with the weights and with images you publish.

- **Twemoji** graphics, Copyright 2019 Twitter, Inc and other contributors, Copyright 2024 jdecked
  and other contributors, licensed CC-BY 4.0 (https://creativecommons.org/licenses/by/4.0/),
  https://github.com/jdecked/twemoji, taken from the npm package `emoji-datasource-twitter@16.0.0`.
- **Noto Emoji** graphics, Copyright Google LLC, licensed under the Apache License 2.0
  (https://www.apache.org/licenses/LICENSE-2.0), https://github.com/googlefonts/noto-emoji,
  taken from the npm package `emoji-datasource-google@16.0.0`.
- **emoji-data** metadata (emoji.json: names, short names, categories), Copyright (c) 2013 Cal
  Henderson, MIT license, https://github.com/iamcal/emoji-data.
- **emojilib** keywords, Copyright (c) 2014 Mu-An Chiou, MIT license, https://github.com/muan/emojilib.

Changes: the images were alpha-composited over white, used at 64x64, and (for the video model)
moved, rotated and scaled to synthesize clips. No image files are included in this bundle.
"""


def tensor(name, dtype, shape):
    return {"name": name, "dtype": dtype, "shape": shape}


def init_note(t):
    i = t.get("image_initialiser") or {}
    if "bundle" in i:
        return (f"initialised from the bundled image model {i['bundle']} (read back from its ONNX graphs; every "
                "tensor copied, the patch embedding split evenly over each tubelet's frames, the output layer "
                "repeated per frame, a learned temporal embedding starting at zero); ")
    return "initialised from the image model (text encoder and transformer blocks); "


def model_json(r):
    video = r["kind"] == "video"
    c = r["config"]
    sshape = ["B", 3, c["frames"], 64, 64] if video else ["B", 3, 64, 64]
    ex = r["export"]
    bdim = lambda k: "B" if ex.get(k, "dynamic").startswith("dynamic") else 1
    te_b, dn_b = bdim("text_encoder_batch"), bdim("denoiser_batch")
    sshape[0] = dn_b
    t = r["train"]
    runs = [*t.get("previous_runs", []), t]  # a training continued in later runs: report the totals
    j = {
        "schemaVersion": 1,
        "name": r["name"],
        "displayName": "Emoji text-to-video (SageStudio)" if video else "Emoji text-to-image (SageStudio)",
        "description": (f"Small pixel-space diffusion transformer ({r['params']['denoiser']/1e6:.2f}M params, "
                        + (f"tubelets of {c['tubelet']} frames x {c['patch']}x{c['patch']} pixels, "
                           if c.get("tubelet", 1) > 1 else f"patch {c['patch']}, ")
                        + f"{c['depth']} blocks of self- and cross-attention"
                        + (f", full spatio-temporal attention over {c['frames']} frames" if video else "")
                        + f") with a jointly trained {r['params']['text']/1e6:.2f}M-param text encoder, trained with "
                        "rectified flow on Twemoji and Noto emoji at 64x64"
                        + (" turned into clips with described motion." if video else ".")),
        "kind": r["kind"],
        "components": {
            "textEncoder": {"file": "text_encoder.onnx",
                            "inputs": {"input_ids": tensor("input_ids", "int64", [te_b, c["max_len"]])},
                            "outputs": {"hidden_states": tensor("hidden_states", "float32", [te_b, c["max_len"], c["d_txt"]])}},
            "denoiser": {"file": "denoiser.onnx",
                         "inputs": {"sample": tensor("sample", "float32", sshape),
                                    "timestep": tensor("timestep", "float32", [dn_b]),
                                    "encoder_hidden_states": tensor("encoder_hidden_states", "float32",
                                                                    [dn_b, c["max_len"], c["d_txt"]])},
                         "outputs": {"model_output": tensor("model_output", "float32", sshape)}},
        },
        "tokenizer": {"file": "tokenizer.json", "maxLength": c["max_len"], "padId": 0},
        "prediction": "flow",
        "scheduler": {"name": "flow_euler", "numTrainTimesteps": 1000, "shift": r["defaults"].get("shift", 1.0)},
        "defaults": {"steps": r["defaults"]["steps"], "guidanceScale": r["defaults"]["guidance"], "negativePrompt": ""},
        "sample": {"frames": c["frames"], "channels": 3, "height": 64, "width": 64, "latentScale": 1},
        "output": {"valueRange": [-1.0, 1.0]},
        "license": {"spdx": "CC-BY-4.0", "file": "LICENSE.md", "attribution": ATTRIBUTION},
        "training": {
            "steps": sum(x["steps"] for x in runs), "batchSize": t["batch"],
            "data": ["emoji-datasource-twitter@16.0.0 img/twitter/64 (3786 PNGs, alpha over white)",
                     "emoji-datasource-google@16.0.0 img/google/64 (3786 PNGs, alpha over white)",
                     "captions from emoji.json names/short names/categories and emojilib@4.0.3 keywords + style",
                     "held out: 200 caption strings (see EVAL.md)"]
                    + (["16-frame clips synthesized on the fly: " + ", ".join(r["motions"])] if video else []),
            "loss": (("rectified flow, x-prediction: the network predicts the clean sample x0 and the loss is the MSE "
                      "between the implied velocity (x_s - x0_pred)/max(s, 0.05) and eps - x0 (Li & He 2025); the "
                      "exported denoiser returns the velocity (x_s - x0_pred)/max(s, 0.001)"
                      if t.get("pred") == "x" else
                      "rectified flow: MSE between predicted and true velocity (eps - x0)")
                     + ", x_s=(1-s)x0+s*eps, s~logit-normal(0,1)"
                     + (f" mapped by the shift {t['shift']}: s -> {t['shift']}s/(1+{t['shift'] - 1:g}s)" if t.get("shift", 1.0) != 1.0 else "")
                     + "; caption dropout 10% to the empty caption; AdamW, "
                     f"bf16 autocast, EMA {t['ema_decay']}"),
            "finalLoss": round(t["final_loss"], 4),
            "hardware": r["hardware"],
            "durationMinutes": round(sum(x["seconds"] for x in runs) / 60, 2),
            "seed": t["seed"],  # the last run's; earlier runs' seeds are in the notes
            "script": "models/training/pipeline.py (see models/training/README.md)",
            "notes": (f"peak lr {t['lr']}, warmup {t['warmup']}, cosine to 10%; "
                      + (f"continued from {len(runs) - 1} earlier run(s) of " + " + ".join(
                          f"{x['steps']} steps (peak lr {x['lr']})" for x in runs[:-1]) + " with a fresh schedule; "
                         if len(runs) > 1 else "")
                      + (init_note(t) if video and t.get("initialised_from_image_model", True) else "")
                      + (f"noise-level shift {t['shift']} in training and sampling; " if t.get("shift", 1.0) != 1.0 else "")
                      + ("trained from scratch; " if video and not t.get("initialised_from_image_model", True) else "")
                      + "".join(f"run {i + 1} drew clips of {', '.join(f'{m} x{w:g}' for m, w in zip(r['motions'], x['motion_weights']) if w != 1)}; "
                                for i, x in enumerate(runs) if x.get("motion_weights"))
                      + ("torch.compile; " if t.get("compiled") else "")
                      + ("weights rounded to fp16 after training and stored as fp16 initializers, each Cast to "
                         "float32 in the graph; " if "denoiser_fp16_storage" in r["export"] else "")
                      + (f"seeds of the runs: {', '.join(str(x.get('seed', 1234)) for x in runs)}"
                         + (" (runs without a recorded seed used the default, 1234)" if any("seed" not in x for x in runs) else "")
                         + "; " if len(runs) > 1 else "")
                      + "seeded, but GPU kernels are not bitwise deterministic"),
        },
        "extensions": {"sagestudio": {"architecture": c, "params": r["params"],
                                      "eval": {k: r["eval"][k] for k in ("chosen", "by_guidance")}}},
    }
    if video:
        j["sample"]["fps"] = 8
    return j


def eval_md(r):
    e, c, t = r["eval"], r["config"], r["train"]
    video = r["kind"] == "video"
    prev = t.get("previous_runs", [])
    L = [f"# {r['name']} — evaluation", "",
         (f"Trained {sum(x['steps'] for x in prev) + t['steps']} steps in {len(prev) + 1} runs ("
          + " + ".join(f"{x['steps']} steps, peak lr {x['lr']}, {x['seconds']/60:.2f} min" for x in [*prev, t])
          + f"; batch {t['batch']}, each on {r['hardware']}; each run a warmup + cosine schedule starting from the "
          "previous run's exported weights), " if prev else
          f"Trained {t['steps']} steps (batch {t['batch']}, {t['seconds']/60:.2f} min on {r['hardware']}), ")
         + f"final training loss {t['final_loss']:.4f}. Denoiser {r['params']['denoiser']/1e6:.2f}M params, "
         f"text encoder {r['params']['text']/1e6:.2f}M params. "
         + (f"Initialised from {'the bundled image model ' + t['image_initialiser']['bundle'] if 'bundle' in t['image_initialiser'] else 'an image model trained just before'} "
            f"({t['image_initialiser']['steps']} steps, {t['image_initialiser']['seconds']/60:.2f} min; its own held-out "
            f"top-1/top-5 at guidance 3: {t['image_initialiser']['heldout_guidance_3']['top1']:.3f} / "
            f"{t['image_initialiser']['heldout_guidance_3']['top5']:.3f}). "
            if (t.get("image_initialiser") or {}).get("heldout_guidance_3") else "")
         + (f"Noise levels shifted by {t['shift']} (s -> {t['shift']}s/(1+{t['shift'] - 1:g}s)) in training and sampling. "
            if t.get("shift", 1.0) != 1.0 else "")
         + "Sampling: flow Euler, "
         f"{r['defaults']['steps']} steps, guidance {r['defaults']['guidance']} (chosen below).", "",
         *([f"**Verdict: {r['verdict']}**", ""] if r.get("verdict") else []),
         "## Prompt adherence on held-out captions", "",
         f"{e['n']} held-out caption strings (never used in training; each names a different emoji; "
         "the emoji images themselves are in the training set — the models are meant to reproduce the emoji set). "
         "For each caption one sample is generated (fixed seed) and its nearest training images are found "
         "in a fixed feature space: crop to the non-white bounding square, resample to 64x64, average-pool to "
         "16x16 RGB (768 values), L2 distance, over all 7572 training images"
         + (" (for video: frame 0 of the clip)." if video else ".")
         + " top-1/top-5: the nearest / one of the 5 nearest images shows the prompted emoji (same base emoji, any"
         " skin tone or style). Chance: a random training image.", "",
         "| guidance | top-1 | top-5 | style top-1 |" + (" motion direction |" if video else ""),
         "|---|---|---|---|" + ("---|" if video else "")]
    for g, m in e["by_guidance"].items():
        L.append(f"| {g} | {m['top1']:.3f} | {m['top5']:.3f} | {m['style_top1']:.3f} |"
                 + (f" {m['motion']['direction_agreement'] or 0:.3f} |" if video else ""))
    m0 = next(iter(e["by_guidance"].values()))
    L += ["", f"Chance: top-1 {m0['chance_top1']:.4f}, top-5 {m0['chance_top5']:.4f}. "
          f"The default guidance ({e['chosen']}) was picked as the best "
          + ("top-1 + motion direction agreement" if video else "top-1") + " on this same set (a mild selection bias).", ""]
    if "reference" in e:
        L += [f"Reference (same measure on the ground-truth data): {json.dumps(e['reference'])}", ""]
    if video:
        L += ["## Motion", "",
              "Direction agreement: for the held-out prompts whose motion has a net direction (left/right/up/down, "
              "pans, zoom in/out) the clip's ink centroid (darkness-weighted, white = 0) and ink mass are compared "
              "between the first and last 4 frames; the dominant change (x shift, y shift, or log-mass change / 4) "
              "and its sign must match the caption (a camera pan left moves the content right). "
              "Spinning, pulsing and bouncing are not scored by this measure.", "",
              "Per motion at the default guidance: " + json.dumps(e["by_guidance"][str(e["chosen"])]["motion"]["per_motion"]), ""]
        by_motion = e["by_guidance"][str(e["chosen"])].get("top1_by_motion")
        if by_motion:
            L += ["Identity (top-1 of frame 0) per motion at the default guidance: "
                  + ", ".join(f"{m} {v:.2f}" for m, v in by_motion.items()), ""]
    tm = r["timing"]
    L += ["## CPU speed (proxy)", "",
          f"ONNX Runtime {tm['ort_version']} CPU EP, intra-op threads = 2, on the GPU machine's CPU ({tm['cpu']}) — a proxy "
          "for the 2-core target machine" + ("" if r.get("timing_local") else ", which has not been measured yet")
          + ". Batch 2 (conditional + unconditional); measured on the "
          + ("graphs before the attention padding." if r["export"].get("denoiser_padded_attention", {}).get("applied")
             else "final graphs (fp16-stored weights, padded attention)."), "",
          f"- text encoder (2 prompts): {tm['text_s']:.3f} s",
          f"- denoiser step: median {tm['step_median_s']:.3f} s",
          f"- whole generation at {r['defaults']['steps']} steps: {tm['total_s']:.2f} s"
          + (" (extrapolated from the measured steps)" if tm.get("extrapolated") else " (measured)"), ""]
    for loc in r.get("timing_local", []):
        L += [f"Measured on {loc['machine']}: {loc['what']}", ""]
    if "ort_vs_torch_sample" in tm:
        L += [f"ONNX Runtime fp32 generation vs PyTorch fp32 generation from the same noise: {json.dumps(tm['ort_vs_torch_sample'])}", ""]
    ex = r["export"]
    L += ["## Export", "",
          f"ONNX opset 23 (torch.onnx dynamo exporter); Attention nodes: text encoder "
          f"{ex['text_encoder']['attention_nodes']}, denoiser {ex['denoiser']['attention_nodes']}. "
          f"ONNX Runtime vs PyTorch on random inputs: text encoder max|diff| {ex['text_encoder']['ort_vs_torch_max_abs']:.2e}, "
          f"denoiser max|diff| {ex['denoiser']['ort_vs_torch_max_abs']:.2e} (cosine {ex['denoiser']['ort_vs_torch_cosine']:.7f})."
          + (" Weights: rounded to fp16 after training (the evaluation above uses the rounded weights) and stored as "
             "fp16 initializers, each followed by a Cast to float32, so the graphs compute in float32 and the files are "
             f"half the size ({ex['text_encoder']['bytes']/2**20:.2f} + {ex['denoiser']['bytes']/2**20:.2f} MiB)."
             if "denoiser_fp16_storage" in ex else "")
          + (f" The denoiser's head dim {ex['denoiser_padded_attention']['head_dim']} is not one the SageAttention kernels "
             f"take (64, 128): in its {ex['denoiser_padded_attention']['nodes']} Attention nodes Q, K and V are zero-padded "
             "to 128 with the softmax scale set to 1/sqrt(head dim) and the output is sliced back, which computes the "
             "same attention (ONNX Runtime outputs before/after: identical)"
             + (f" ({ex['denoiser_padded_attention']['applied']})" if ex["denoiser_padded_attention"].get("applied") else "")
             + "." if ex.get("denoiser_padded_attention", {}).get("nodes") else ""), "",
          "## Samples", ""]
    for s in r["samples"]:
        L += [f"![{s['title']}]({s['file']})", "", s["caption"], ""]
    return "\n".join(L) + "\n"


def write(results_path, bundle_dir):
    r = json.load(open(results_path))
    os.makedirs(bundle_dir, exist_ok=True)
    with open(os.path.join(bundle_dir, "model.json"), "w") as f:
        json.dump(model_json(r), f, indent=2)
    with open(os.path.join(bundle_dir, "LICENSE.md"), "w") as f:
        f.write(LICENSE_MD)
    with open(os.path.join(bundle_dir, "EVAL.md"), "w") as f:
        f.write(eval_md(r))


if __name__ == "__main__":
    write(sys.argv[1], sys.argv[2])
