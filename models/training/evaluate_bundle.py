"""Score an exported video bundle on the held-out video captions without training anything.

The weights are read back from the bundle's graphs (bundle_weights.py, checked against ONNX
Runtime); the measures are those of the training run (evaluate.py): identity of frame 0 (top-1,
top-5, per motion), motion direction agreement and motion strength (how far a clip moves,
relative to the training clips). --motions keeps only the held-out captions of those motions, so
a CPU can score a slice in minutes.

Usage: python evaluate_bundle.py --bundle ../bundled/sage-emoji-t2v --results results/results_t2v.json \
           --data DATA [--motions right,left,up,down] [--n 200] [--guidance G] [--out FILE.json]
"""
import argparse
import json
import os
import sys
import time

import torch

import bundle_weights as BW
import captions as C
import evaluate as EV
from dit import Config
from pipeline import checked_read_back, heldout_video_targets
from train import Data, sample


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--results", required=True, help="the bundle's results JSON (architecture config, defaults)")
    ap.add_argument("--data", required=True, help="prepared data folder (prep_data.py output)")
    ap.add_argument("--motions", help="comma-separated motion ids to keep (default: all)")
    ap.add_argument("--n", type=int, default=200, help="first N held-out captions (before --motions)")
    ap.add_argument("--guidance", type=float, help="default: the bundle's")
    ap.add_argument("--steps", type=int, help="default: the bundle's")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int)
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    r = json.load(open(a.results))
    cfg = Config(**r["config"])
    guidance = a.guidance if a.guidance is not None else r["defaults"]["guidance"]
    steps = a.steps or r["defaults"]["steps"]
    shift = r["defaults"].get("shift", 1.0)
    model = BW.load_bundled_model(a.bundle, cfg)
    rel = checked_read_back(model, a.bundle)
    model = model.to(dev).eval()

    meta = json.load(open(os.path.join(a.data, "split.json")))
    vocab = json.load(open(os.path.join(a.data, "tokenizer.json")))["model"]["vocab"]
    data = Data(os.path.join(a.data, "emoji64.npz"), dev)
    keep = set(a.motions.split(",")) if a.motions else set(C.MOTION_IDS)
    unknown = keep - set(C.MOTION_IDS)
    if unknown:
        sys.exit(f"unknown motions {sorted(unknown)}; known: {C.MOTION_IDS}")
    held = [h for h in meta["video_heldout"][:a.n] if h["motion"] in keep]
    ids = torch.tensor([C.encode(h["caption"], vocab) for h in held], device=dev)
    tgt_ident, tgt_style, motions, gt = heldout_video_targets(held, data, cfg.frames)

    t0 = time.time()
    gen = torch.cat([sample(model, ids[i:i + a.batch], (len(ids[i:i + a.batch]), 3, cfg.frames, 64, 64), steps,
                            guidance, seed=a.seed + 1 + i, shift=shift, amp=dev.type == "cuda")
                     for i in range(0, len(held), a.batch)])
    secs = time.time() - t0
    m = EV.score_video(gen, gt, motions, EV.features(data.images), data.ident, data.style, tgt_ident, tgt_style)
    out = dict(bundle=os.path.normpath(a.bundle), pytorch_vs_onnx_rel_l2=rel, guidance=guidance, steps=steps,
               shift=shift, motions=sorted(keep), device=str(dev), seconds=round(secs, 1), **m)
    print(json.dumps(out, indent=1))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
