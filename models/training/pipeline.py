"""Whole pipeline on the GPU machine: data prep, train t2i, eval, export, (same for t2v).
Writes bundles to WORK/bundled/<name>/ and copies results to OUT progressively.

python pipeline.py (--raw RAW | --data PREPARED) --work WORK --out OUT [--t2i-steps N] [--t2v-steps N]
  [--parallel]   train the image and the video model at the same time, one per GPU (two processes)
  [--t2i-init-only]  train the image model only to initialise the video model (no image bundle)
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import evaluate as EV  # noqa: E402
import export_onnx as EX  # noqa: E402
import video_data  # noqa: E402
import write_bundle  # noqa: E402
from captions import MOTION_IDS  # noqa: E402
from dit import T2X, Config, n_params  # noqa: E402
from train import Data, sample, train  # noqa: E402

T0 = time.time()
LOG = []


def log(msg):
    line = f"[{time.time()-T0:7.1f}s] {msg}"
    print(line, flush=True)
    LOG.append(line)


def flush_out(a):
    tag = a.only or "all"
    with open(os.path.join(a.out, f"log_{tag}.txt"), "w") as f:
        f.write("\n".join(LOG) + "\n")
    with tarfile.open(os.path.join(a.out, f"small_{tag}.tar.gz"), "w:gz") as t:
        for root, _, files in os.walk(a.work_bundles):
            for fn in files:
                if fn != "denoiser.onnx":
                    p = os.path.join(root, fn)
                    t.add(p, arcname=os.path.relpath(p, a.work))
        for fn in ("split.json", "results_t2i.json", "results_t2i_init.json", "results_t2v.json"):
            p = os.path.join(a.work, fn)
            if os.path.exists(p):
                t.add(p, arcname=fn)


def copy_denoiser_out(a, bdir, tag):
    """The denoiser goes to OUT on its own (the text encoder travels in the small tar); files
    coming back from the GPU machine are limited to 16 MiB, so a larger one is split in two
    (rejoin with cat)."""
    src = os.path.join(bdir, "denoiser.onnx")
    blob = open(src, "rb").read()
    if len(blob) <= 15 * 2**20:
        shutil.copy(src, os.path.join(a.out, f"{tag}_denoiser.onnx"))
        return
    half = len(blob) // 2
    for i, part in enumerate((blob[:half], blob[half:])):
        with open(os.path.join(a.out, f"{tag}_denoiser.onnx.part{i}"), "wb") as f:
            f.write(part)


def cpu_name():
    try:
        for l in open("/proc/cpuinfo"):
            if l.startswith("model name"):
                return l.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def timing(bdir, ids, cfg, steps, guidance, full, log, ref_torch=None, noise=None, batch2=True, shift=1.0):
    import onnxruntime as ort
    te, dn = EX.ort_sessions(bdir, threads=2)
    shape = (3, 64, 64) if cfg.frames == 1 else (3, cfg.frames, 64, 64)
    if noise is None:
        noise = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    EX.ort_generate(te, dn, ids, noise, steps, guidance, batch2=batch2, max_steps=1)  # warm-up
    x, total, t_text, per = EX.ort_generate(te, dn, ids, noise, steps, guidance, batch2=batch2, shift=shift,
                                            max_steps=None if full else 3)
    med = float(np.median(per))
    res = dict(ort_version=ort.__version__, cpu=cpu_name(), threads=2, text_s=t_text, step_median_s=med,
               steps_measured=len(per), extrapolated=not full,
               total_s=total if full else t_text + med * steps)
    if ref_torch is not None and full:
        diff = np.abs(x - ref_torch)
        mse = float((((x - ref_torch) / 2) ** 2).mean())
        res["ort_vs_torch_sample"] = dict(max_abs=float(diff.max()), psnr_db=float(10 * np.log10(1 / max(mse, 1e-12))))
    log(f"CPU timing (2 threads): {json.dumps(res)}")
    return res


def heldout_image_targets(a, data, meta):
    """The held-out image captions (token ids) and the identity and style each should produce."""
    dev = data.images.device
    held = meta["heldout"][:a.eval_n]
    caps = np.load(os.path.join(a.work, "data", "heldout_ids.npy"))[:len(held)]
    ids = torch.from_numpy(caps.astype(np.int64)).to(dev)
    tgt_ident = torch.tensor([h["ident"] for h in held], device=dev)
    tgt_style = data.style[torch.tensor([h["index"] for h in held], device=dev)]
    return held, caps, ids, tgt_ident, tgt_style


def heldout_video_targets(held, data, frames):
    """For held-out video captions: the images they were made from, the identity and style each
    should produce, their motions, and the reference clips (those images moved as captioned)."""
    dev = data.images.device
    idx = torch.tensor([h["index"] for h in held], device=dev)
    tgt_ident, tgt_style = torch.tensor([h["ident"] for h in held], device=dev), data.style[idx]
    motions = [h["motion"] for h in held]
    mot_t = torch.tensor([MOTION_IDS.index(m) for m in motions], device=dev)
    gt = video_data.synthesize(data.images[idx], mot_t, frames, torch.Generator(device=dev).manual_seed(5))
    return tgt_ident, tgt_style, motions, gt


def train_t2i(a, data, vocab):
    cfg = Config(vocab=vocab, patch=4, frames=1, d=a.d, depth=a.depth, heads=a.heads, pred=a.t2i_pred)
    ema, tr = train("t2i", cfg, data, a.t2i_steps, a.t2i_batch, a.t2i_lr, a.seed, log, max_seconds=a.t2i_cap,
                    ema_decay=a.ema, compile_model=a.compile, fit_to_time=a.fit_steps)
    return cfg, ema, tr


def run_t2i_initialiser(a, data, meta, vocab):
    """An image model trained only to start the video model from: checked at one guidance on the
    held-out captions (so the log shows what the video model inherits), not exported."""
    cfg, ema, tr = train_t2i(a, data, vocab)
    res = dict(config=cfg.to_dict(), train=tr)
    try:
        held, _, ids, tgt_ident, tgt_style = heldout_image_targets(a, data, meta)
        gen = sample(ema, ids, (len(held), 3, 64, 64), a.sample_steps, 3.0, seed=a.seed + 1)
        res["eval_guidance_3"], _ = EV.adherence(EV.features(gen), EV.features(data.images), data.ident, data.style,
                                                 tgt_ident, tgt_style)
        log(f"[t2i initialiser] guidance 3.0: {json.dumps(res['eval_guidance_3'])}")
    except Exception as e:  # the check is informative only: never lose the video run to it
        log(f"[t2i initialiser] check failed: {e!r}")
    json.dump(res, open(os.path.join(a.work, "results_t2i_init.json"), "w"), indent=1)
    return ema, res


def start_bundle(a, cfg, ema, name, ckpt_name):
    """After training: round the EMA weights to fp16 (the bundle stores fp16: evaluate exactly
    those), save the checkpoint if asked, and make the bundle folder with its tokenizer."""
    EX.round_weights_fp16(ema)
    if a.save_ckpt:
        torch.save({"config": cfg.to_dict(), "state": {k: v.to(torch.bfloat16) for k, v in ema.state_dict().items()}},
                   os.path.join(a.out, ckpt_name))
    bdir = os.path.join(a.work_bundles, name)
    os.makedirs(os.path.join(bdir, "samples"), exist_ok=True)
    shutil.copy(os.path.join(a.work, "data", "tokenizer.json"), bdir)
    return bdir


def run_t2i(a, data, meta, vocab, hw):
    cfg, ema, tr = train_t2i(a, data, vocab)
    name = "sage-emoji-t2i"
    bdir = start_bundle(a, cfg, ema, name, "ckpt_t2i.pt")
    # --- evaluation on the GPU ---
    dev = data.images.device
    held, caps, ids, tgt_ident, tgt_style = heldout_image_targets(a, data, meta)
    train_f = EV.features(data.images)
    ref, _ = EV.adherence(EV.features(data.images[torch.tensor([h["index"] for h in held], device=dev)]),
                          train_f, data.ident, data.style, tgt_ident, tgt_style)
    by_g, gens = {}, {}
    for g in a.guidances:
        gen = sample(ema, ids, (len(held), 3, 64, 64), a.sample_steps, g, seed=a.seed + 1)
        m, nn5 = EV.adherence(EV.features(gen), train_f, data.ident, data.style, tgt_ident, tgt_style)
        by_g[str(g)], gens[g] = m, (gen, nn5)
        log(f"[t2i] guidance {g}: {json.dumps(m)}")
    best = max(a.guidances, key=lambda g: (by_g[str(g)]["top1"], by_g[str(g)]["top5"], -g))
    gen, nn5 = gens[best]
    EV.save_grid(gen[:32], 8, os.path.join(bdir, "samples", "heldout_grid.png"))
    pairs = torch.stack([gen[:16], data.images[nn5[:16, 0]]], 1).reshape(-1, 3, 64, 64)
    pairs = torch.cat([pairs[0::2][:8], pairs[1::2][:8], pairs[0::2][8:16], pairs[1::2][8:16]])
    EV.save_grid(pairs, 8, os.path.join(bdir, "samples", "nearest_neighbours.png"))
    samples = [
        dict(file="samples/heldout_grid.png", title="held-out prompts",
             caption="Held-out prompts 1-32 (row by row, seed fixed): " + "; ".join(
                 f"{i+1}. \"{h['caption']}\"" for i, h in enumerate(held[:32]))),
        dict(file="samples/nearest_neighbours.png", title="nearest training images",
             caption="Rows 1 and 3: samples for held-out prompts 1-8 and 9-16; rows 2 and 4: the nearest training "
                     "image of each in the evaluation feature space.")]
    # --- export + ONNX Runtime ---
    ex = EX.export_model(ema, cfg, bdir, log)
    copy_denoiser_out(a, bdir, "t2i")
    noise = torch.randn((1, 3, 64, 64), generator=torch.Generator().manual_seed(7))
    ref_img = sample(ema.float(), ids[:1], (1, 3, 64, 64), a.sample_steps, best, seed=0, amp=False, noise=noise)
    tm = timing(bdir, caps[0].astype(np.int64), cfg, a.sample_steps, best, True, log,
                ref_torch=ref_img[0].cpu().numpy(), noise=noise[0].numpy(),
                batch2=ex["denoiser_batch"].startswith("dynamic"))
    r = dict(name=name, kind="image", config=cfg.to_dict(), train=tr, hardware=hw,
             params=dict(text=n_params(ema.text), denoiser=n_params(ema.dit)), export=ex, timing=tm,
             defaults=dict(steps=a.sample_steps, guidance=best),
             eval=dict(chosen=best, by_guidance=by_g, n=len(held), reference=dict(real_images_top1=ref["top1"],
                                                                                  real_images_top5=ref["top5"])),
             samples=samples, motions=[])
    json.dump(r, open(os.path.join(a.work, "results_t2i.json"), "w"), indent=1)
    write_bundle.write(os.path.join(a.work, "results_t2i.json"), bdir)
    return ema, cfg


def video_config(a, vocab, image_cfg=None):
    """The video model's architecture; started from an image model it takes that model's width,
    depth, heads and prediction type (the transformer is shared)."""
    kw = dict(vocab=vocab, patch=a.t2v_patch, frames=16, tubelet=a.t2v_tubelet, temporal_pos=a.t2v_temporal_pos,
              d=a.t2v_d, depth=a.t2v_depth, heads=a.heads, pred=a.t2v_pred)
    if image_cfg is not None:
        kw.update(d=image_cfg.d, depth=image_cfg.depth, heads=image_cfg.heads, pred=image_cfg.pred,
                  mlp_ratio=image_cfg.mlp_ratio, d_txt=image_cfg.d_txt, txt_depth=image_cfg.txt_depth,
                  txt_heads=image_cfg.txt_heads, txt_mlp=image_cfg.txt_mlp, max_len=image_cfg.max_len)
    return Config(**kw)


def checked_read_back(model, bundle_dir):
    """Stops the run unless the model read back from bundle_dir computes what its graphs compute."""
    import bundle_weights as BW
    rel = BW.graph_agreement(model, bundle_dir)
    log(f"[t2v] {bundle_dir} read back: PyTorch vs ONNX Runtime rel-L2 {rel:.2e}")
    if rel > 1e-3:
        raise SystemExit(f"the model read back from {bundle_dir} does not match its graphs (rel-L2 {rel})")
    return rel


def bundled_image_initialiser(a, data, meta, vocab):
    """The bundled image model, read back from its ONNX graphs (bundle_weights), checked against
    ONNX Runtime and on the held-out captions, and inflated into the video model's shapes."""
    import bundle_weights as BW
    r = json.load(open(a.t2v_init_config))
    icfg = Config(**r["config"])
    if icfg.vocab != vocab:
        raise SystemExit(f"image model vocab {icfg.vocab} != tokenizer vocab {vocab}")
    img = BW.load_bundled_model(a.t2v_init_bundle, icfg)
    rel = checked_read_back(img, a.t2v_init_bundle)
    img = img.to(data.images.device).eval()
    held, _, hids, tgt_ident, tgt_style = heldout_image_targets(a, data, meta)
    gen = sample(img, hids, (len(held), 3, 64, 64), a.sample_steps, 3.0, seed=a.seed + 1)
    check, _ = EV.adherence(EV.features(gen), EV.features(data.images), data.ident, data.style, tgt_ident, tgt_style)
    log(f"[t2v init] bundled image model, held-out at guidance 3.0: {json.dumps(check)}")
    vcfg = video_config(a, vocab, icfg)
    state, how = BW.inflate({k: v.cpu() for k, v in img.state_dict().items()}, T2X(vcfg))
    log(f"[t2v init] inflated: {how['copied']} tensors copied, {how['inflated']} inflated, fresh {how['fresh']}")
    bundle = json.load(open(os.path.join(a.t2v_init_bundle, "model.json")))
    info = dict(bundle=os.path.basename(os.path.normpath(a.t2v_init_bundle)), steps=bundle["training"]["steps"],
                seconds=bundle["training"]["durationMinutes"] * 60, final_loss=bundle["training"]["finalLoss"],
                heldout_guidance_3=check, pytorch_vs_onnx_rel_l2=rel, inflation=how)
    return vcfg, state, info


def resumed_video_model(a):
    """Continue training a video model from its exported bundle (`--t2v-resume DIR RESULTS_JSON`):
    its weights read back from the graphs, its config and training record from the results JSON."""
    import bundle_weights as BW
    bdir, rpath = a.t2v_resume
    r = json.load(open(rpath))
    cfg = Config(**r["config"])
    model = BW.load_bundled_model(bdir, cfg)
    checked_read_back(model, bdir)
    t = r["train"]
    if a.t2v_shift is None:  # the noise-level shift is part of what the model learned: keep it
        a.t2v_shift = t.get("shift", 1.0)
    kept = ("steps", "batch", "lr", "seconds", "final_loss", "shift", "seed", "motion_weights")
    prev = [*t.get("previous_runs", []), {k: t[k] for k in kept if k in t}]
    log(f"[t2v] resuming from {bdir}: {sum(p['steps'] for p in prev)} steps so far")
    info = dict(t.get("image_initialiser") or {}, previous_runs=prev)
    return cfg, model.state_dict(), info


def run_t2v(a, data, meta, vocab, hw, init, init_info=None, cfg=None):
    cfg = cfg or video_config(a, vocab)
    # a resumed run draws new batches and noise: its seed is the base seed + the runs before it
    seed = a.seed + len((init_info or {}).get("previous_runs", []))
    weights = None
    if a.t2v_motion_weights:
        weights = torch.ones(len(MOTION_IDS), device=data.images.device)
        for m, w in a.t2v_motion_weights.items():
            weights[MOTION_IDS.index(m)] = w
    ema, tr = train("t2v", cfg, data, a.t2v_steps, a.t2v_batch, a.t2v_lr, seed, log, max_seconds=a.t2v_cap,
                    init=init, warmup=100 if init is not None else 200, ema_decay=a.ema, compile_model=a.compile,
                    fit_to_time=a.fit_steps, shift=a.t2v_shift, motion_weights=weights)
    tr["initialised_from_image_model"] = init is not None
    if init_info is not None and "bundle" in init_info:  # inflated from the bundled image model (maybe resumed)
        tr["previous_runs"] = init_info.pop("previous_runs", [])
        tr["image_initialiser"] = init_info
    elif init_info is not None:  # the initialiser's training and check (it has no bundle of its own)
        tr["image_initialiser"] = dict(steps=init_info["train"]["steps"], seconds=init_info["train"]["seconds"],
                                       final_loss=init_info["train"]["final_loss"],
                                       heldout_guidance_3=init_info.get("eval_guidance_3"))
    name = "sage-emoji-t2v"
    bdir = start_bundle(a, cfg, ema, name, "ckpt_t2v.pt")
    dev = data.images.device
    held = meta["video_heldout"][:a.eval_n]
    caps = np.load(os.path.join(a.work, "data", "video_heldout_ids.npy"))[:len(held)]
    ids = torch.from_numpy(caps.astype(np.int64)).to(dev)
    tgt_ident, tgt_style, motions, gt = heldout_video_targets(held, data, cfg.frames)
    train_f = EV.features(data.images)
    ref_id, _ = EV.adherence(EV.features(gt[:, :, 0]), train_f, data.ident, data.style, tgt_ident, tgt_style)
    ref_mo = EV.motion_agreement(gt, motions)
    by_g, gens = {}, {}
    for g in a.guidances:
        gen = torch.cat([sample(ema, ids[i:i + 50], (len(ids[i:i + 50]), 3, cfg.frames, 64, 64), a.sample_steps, g,
                                seed=a.seed + 1 + i, shift=a.t2v_shift) for i in range(0, len(held), 50)])
        m = EV.score_video(gen, gt, motions, train_f, data.ident, data.style, tgt_ident, tgt_style)
        by_g[str(g)], gens[g] = m, gen
        log(f"[t2v] guidance {g}: {json.dumps(m)}")
    best = max(a.guidances, key=lambda g: (by_g[str(g)]["top1"] + (by_g[str(g)]["motion"]["direction_agreement"] or 0), -g))
    gen = gens[best]
    # grid: 8 clips x 8 frames (every other frame); GIF: 8 clips
    EV.save_grid(gen[:8, :, ::2].permute(0, 2, 1, 3, 4).reshape(-1, 3, 64, 64), 8,
                 os.path.join(bdir, "samples", "heldout_frames.png"))
    EV.save_gif(gen[:4], 2, os.path.join(bdir, "samples", "heldout_clips.gif"))
    samples = [dict(file="samples/heldout_frames.png", title="held-out prompts, frames 0,2,...,14",
                    caption="One clip per row (frames 0, 2, ..., 14): " + "; ".join(
                        f"{i+1}. \"{h['caption']}\"" for i, h in enumerate(held[:8]))),
               dict(file="samples/heldout_clips.gif", title="the same clips animated (8 fps)",
                    caption="Clips 1-4 of the grid above, 2 per row.")]
    ex = EX.export_model(ema, cfg, bdir, log)
    copy_denoiser_out(a, bdir, "t2v")
    flush_out(a)
    tm = timing(bdir, caps[0].astype(np.int64), cfg, a.sample_steps, best, a.full_video_timing, log,
                batch2=ex["denoiser_batch"].startswith("dynamic"), shift=a.t2v_shift)
    r = dict(name=name, kind="video", config=cfg.to_dict(), train=tr, hardware=hw,
             params=dict(text=n_params(ema.text), denoiser=n_params(ema.dit)), export=ex, timing=tm,
             defaults=dict(steps=a.sample_steps, guidance=best, shift=a.t2v_shift), motions=MOTION_IDS,
             eval=dict(chosen=best, by_guidance=by_g, n=len(held),
                       reference=dict(ground_truth_clips_top1=ref_id["top1"], ground_truth_clips_top5=ref_id["top5"],
                                      ground_truth_direction_agreement=ref_mo["direction_agreement"])),
             samples=samples)
    json.dump(r, open(os.path.join(a.work, "results_t2v.json"), "w"), indent=1)
    write_bundle.write(os.path.join(a.work, "results_t2v.json"), bdir)


def run_parallel(a):
    """One child process per model, each on its own GPU; the children share nothing but $OUT
    (distinct file names) and the prepared data."""
    if torch.cuda.device_count() < 2:
        raise SystemExit("--parallel needs 2 GPUs")
    os.makedirs(a.work, exist_ok=True)
    data = a.data
    if not data:
        data = os.path.join(a.work, "data")
        subprocess.run([sys.executable, os.path.join(HERE, "prep_data.py"), "--raw", a.raw, "--out", data], check=True)
    argv = [x for x in sys.argv[1:] if x != "--parallel"]
    for flag in ("--raw", "--data", "--work"):  # replaced below
        while flag in argv:
            i = argv.index(flag)
            del argv[i:i + 2]
    note = f"{a.hw_note} (t2i and t2v trained at the same time, one per GPU of a 2-GPU machine)"
    while "--hw-note" in argv:
        i = argv.index("--hw-note")
        del argv[i:i + 2]
    procs = []
    for gpu, kind in enumerate(("t2i", "t2v")):
        env = dict(os.environ, CUDA_VISIBLE_DEVICES=str(gpu))
        cmd = [sys.executable, os.path.abspath(__file__), *argv, "--data", data, "--work",
               os.path.join(a.work, kind), "--only", kind, "--hw-note", note]
        log(f"GPU {gpu}: {' '.join(cmd)}")
        procs.append(subprocess.Popen(cmd, env=env))
    codes = [p.wait() for p in procs]
    log(f"children exited with {codes}")
    return max(codes)


def motion_weights_arg(text):
    weights = {}
    for item in text.split(","):
        name, _, w = item.partition("=")
        if name not in MOTION_IDS or not w:
            raise argparse.ArgumentTypeError(f"'{item}': expected MOTION=WEIGHT with MOTION one of {MOTION_IDS}")
        weights[name] = float(w)
        if not weights[name] > 0:
            raise argparse.ArgumentTypeError(f"'{item}': the weight must be positive")
    return weights


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", help="unpacked npm packages (README); prep_data.py runs here")
    ap.add_argument("--data", help="an already prepared data folder (prep_data.py output) instead of --raw")
    ap.add_argument("--parallel", action="store_true", help="t2i on GPU 0 and t2v on GPU 1, concurrently; "
                    "the video model then starts from scratch instead of from the image model")
    ap.add_argument("--only", choices=["t2i", "t2v"], help="train only this model (used by --parallel)")
    ap.add_argument("--hw-note", default="", help="appended to the hardware description")
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--d", type=int, default=256)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--t2v-d", type=int, default=256)
    ap.add_argument("--heads", type=int, default=4, help="attention heads; d/heads = 64 or 128 suits the Sage kernels")
    ap.add_argument("--t2i-steps", type=int, default=1950)
    ap.add_argument("--t2i-batch", type=int, default=512)
    ap.add_argument("--t2i-lr", type=float, default=1e-3)
    ap.add_argument("--t2i-cap", type=float, default=160)
    ap.add_argument("--t2v-depth", type=int, default=4)
    ap.add_argument("--t2v-steps", type=int, default=2100)
    ap.add_argument("--t2v-batch", type=int, default=128)
    ap.add_argument("--t2v-lr", type=float, default=6e-4)
    ap.add_argument("--t2v-cap", type=float, default=170)
    ap.add_argument("--ema", type=float, default=0.996)
    ap.add_argument("--sample-steps", type=int, default=20)
    ap.add_argument("--guidances", type=lambda s: [float(x) for x in s.split(",")], default=[2.5, 4.0, 6.0])
    ap.add_argument("--eval-n", type=int, default=200)
    ap.add_argument("--full-video-timing", action="store_true")
    ap.add_argument("--save-ckpt", action="store_true")
    ap.add_argument("--t2i-pred", choices=["v", "x"], default="v", help="network output: velocity or clean sample")
    ap.add_argument("--t2v-pred", choices=["v", "x"], default="v", help="network output: velocity or clean sample")
    ap.add_argument("--compile", action="store_true", help="torch.compile the training forward")
    ap.add_argument("--skip-video", action="store_true")
    ap.add_argument("--t2i-init-only", action="store_true", help="train the image model only as the video model's "
                    "initialiser: no image evaluation beyond one check, no export, no image bundle")
    ap.add_argument("--t2v-patch", type=int, default=8, help="video patch size in pixels")
    ap.add_argument("--t2v-tubelet", type=int, default=1, help="frames per video token")
    ap.add_argument("--t2v-temporal-pos", choices=["sincos", "learned"], default="sincos")
    ap.add_argument("--t2v-shift", type=float, help="noise-level shift of the video model, in training and "
                    "sampling (written to model.json's scheduler); default 1, or the resumed model's")
    ap.add_argument("--t2v-init-bundle", help="train only the video model, inflated from this bundled image model "
                    "(needs --t2v-init-config, --t2v-temporal-pos learned and the image model's patch size)")
    ap.add_argument("--t2v-resume", nargs=2, metavar=("BUNDLE_DIR", "RESULTS_JSON"),
                    help="continue training the video model exported to BUNDLE_DIR (its results JSON: config, record)")
    ap.add_argument("--t2v-motion-weights", type=motion_weights_arg, metavar="MOTION=W,...",
                    help="draw clips of these motions W times as often (e.g. spin_cw=2,spin_ccw=2); others 1")
    ap.add_argument("--t2v-init-config", help="the image model's results JSON (its architecture config)")
    ap.add_argument("--fit-steps", action="store_true", help="shorten each run to the steps that fit in its time "
                    "cap (measured speed), so the learning-rate schedule completes")
    a = ap.parse_args()
    if a.t2v_shift is None and not a.t2v_resume:
        a.t2v_shift = 1.0
    if a.parallel:
        return run_parallel(a)
    a.work_bundles = os.path.join(a.work, "bundled")
    os.makedirs(a.out, exist_ok=True)
    os.makedirs(a.work_bundles, exist_ok=True)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    device = "cuda" if torch.cuda.is_available() else "cpu"  # cpu: smoke tests of the script only
    hw = f"1x {torch.cuda.get_device_name(0) if device == 'cuda' else 'CPU'}, torch {torch.__version__}{a.hw_note}"
    log(f"start: {hw}, python {platform.python_version()}")
    if a.data:
        shutil.copytree(a.data, os.path.join(a.work, "data"), dirs_exist_ok=True)
    else:
        subprocess.run([sys.executable, os.path.join(HERE, "prep_data.py"), "--raw", a.raw, "--out",
                        os.path.join(a.work, "data")], check=True)
    meta = json.load(open(os.path.join(a.work, "data", "split.json")))
    shutil.copy(os.path.join(a.work, "data", "split.json"), a.work)
    import captions as C
    vocab = json.load(open(os.path.join(a.work, "data", "tokenizer.json")))["model"]["vocab"]
    np.save(os.path.join(a.work, "data", "heldout_ids.npy"),
            np.array([C.encode(h["caption"], vocab) for h in meta["heldout"]], np.int64))
    np.save(os.path.join(a.work, "data", "video_heldout_ids.npy"),
            np.array([C.encode(h["caption"], vocab) for h in meta["video_heldout"]], np.int64))
    data = Data(os.path.join(a.work, "data", "emoji64.npz"), device)
    log(f"data on GPU: {tuple(data.images.shape)}, vocab {len(vocab)}")
    init, init_info = None, None
    if a.t2v_init_bundle or a.t2v_resume:  # video only, started from the bundled image model or continued
        try:
            if a.t2v_resume:
                vcfg, init, init_info = resumed_video_model(a)
            else:
                vcfg, init, init_info = bundled_image_initialiser(a, data, meta, len(vocab))
            run_t2v(a, data, meta, len(vocab), hw, init, init_info, cfg=vcfg)
        finally:
            flush_out(a)
        log("done")
        return 0
    if a.only in (None, "t2i"):
        try:
            if a.t2i_init_only:
                init, init_info = run_t2i_initialiser(a, data, meta, len(vocab))
            else:
                init, _ = run_t2i(a, data, meta, len(vocab), hw)
        finally:
            flush_out(a)
    if a.only == "t2v" or (a.only is None and not a.skip_video):
        try:
            run_t2v(a, data, meta, len(vocab), hw, init, init_info)
        finally:
            flush_out(a)
    log("done")
    flush_out(a)


if __name__ == "__main__":
    sys.exit(main() or 0)
