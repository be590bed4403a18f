"""Build the training set from the npm packages (see README.md for how to fetch them).

Output (one .npz + tokenizer.json + split.json):
  images    uint8 [N, 64, 64, 3]  RGB, alpha composited over white (255), both styles
  entry     int32 [N]             index into the entry list (emoji + skin tone)
  ident     int32 [N]             index of the base emoji (identity used by the evaluation)
  style     int8  [N]             0 twemoji, 1 noto
  caps      int16 [N, K, 32]      K training captions per image, tokenized (word level)
  vcaps     int16 [N, KV, 32]     KV video captions per image (subject + motion phrase)
  vmotion   int8  [N, KV]         motion class of each video caption (captions.MOTION_IDS)
Held-out: 200 images (distinct base emoji, no skin tone) get one caption string each that
is guaranteed to appear in no training caption; the same for video (+ motion).
Usage: python prep_data.py --raw RAW_DIR --out OUT_DIR [--seed 0] [--no-images]
RAW_DIR holds twitter/ google/ emojilib/ as unpacked by the README's commands.
"""
import argparse
import json
import os
import random

import numpy as np

import captions as C

K, KV, N_HELDOUT = 32, 24, 200


def load_image(path):
    from PIL import Image
    im = Image.open(path).convert("RGBA")
    if im.size != (64, 64):
        raise ValueError(f"{path}: expected 64x64, got {im.size}")
    white = Image.new("RGBA", im.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(white, im).convert("RGB"), dtype=np.uint8)


def video_caption(entry, style, motion_phrase, rng):
    subjects = C.subject_options(entry)
    subject = subjects[0] if rng.random() < 0.6 else rng.choice(subjects)
    if rng.random() < 0.3:
        subject = "a " + subject
    parts = [subject + " " + motion_phrase]
    if entry["tone"]:
        parts.append(entry["tone"])
    if entry["keywords"] and rng.random() < 0.3:
        parts.append(rng.choice(entry["keywords"]))
    if rng.random() < 0.85:
        parts.append(C.STYLES[style])
    return ", ".join(parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-images", action="store_true", help="captions/tokenizer only (no Pillow)")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    entries = C.load_entries(os.path.join(a.raw, "twitter/package/emoji.json"),
                             os.path.join(a.raw, "emojilib/package/dist/emoji-en-US.json"))
    bases = sorted({e["base"] for e in entries}, key=[e["base"] for e in entries].index)
    base_idx = {b: i for i, b in enumerate(bases)}
    items = [(ei, style) for style in C.STYLES for ei in range(len(entries))]
    styles = list(C.STYLES)

    # held-out: 200 distinct base emoji, their tone-less image in a random style
    plain = [i for i, (ei, s) in enumerate(items) if entries[ei]["tone"] is None and s == "twitter"]
    chosen_bases = rng.sample(plain, N_HELDOUT)
    heldout, vheldout = [], []
    for i in chosen_bases:
        ei, _ = items[i]
        style = rng.choice(styles)
        idx = items.index((ei, style))
        heldout.append({"index": idx, "caption": C.heldout_caption(entries[ei], style, rng),
                        "name": entries[ei]["name"], "ident": base_idx[entries[ei]["base"]]})
        mid = rng.randrange(len(C.MOTIONS))
        phrase = C.MOTIONS[mid][1][0]
        vheldout.append({"index": idx, "caption": f"{entries[ei]['cldr']} {phrase}, {C.STYLES[style]}",
                         "name": entries[ei]["name"], "ident": base_idx[entries[ei]["base"]],
                         "motion": C.MOTION_IDS[mid]})
    banned = {h["caption"] for h in heldout} | {h["caption"] for h in vheldout}

    caps, vcaps, vmotion = [], [], []
    for ei, style in items:
        e = entries[ei]
        row = []
        while len(row) < K:
            c = C.sample_caption(e, style, rng)
            if c not in banned:
                row.append(c)
        caps.append(row)
        vrow, mrow = [], []
        while len(vrow) < KV:
            mid = rng.randrange(len(C.MOTIONS))
            c = video_caption(e, style, rng.choice(C.MOTIONS[mid][1]), rng)
            if c not in banned:
                vrow.append(c)
                mrow.append(mid)
        vcaps.append(vrow)
        vmotion.append(mrow)

    vocab = C.build_vocab([c for r in caps for c in r] + [c for r in vcaps for c in r])
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(C.tokenizer_json(vocab), f, ensure_ascii=False, indent=1)
    tok = lambda rows: np.array([[C.encode(c, vocab) for c in r] for r in rows], dtype=np.int16)
    arrays = dict(
        entry=np.array([ei for ei, _ in items], np.int32),
        ident=np.array([base_idx[entries[ei]["base"]] for ei, _ in items], np.int32),
        style=np.array([styles.index(s) for _, s in items], np.int8),
        caps=tok(caps), vcaps=tok(vcaps), vmotion=np.array(vmotion, np.int8),
    )
    if not a.no_images:
        arrays["images"] = np.stack([load_image(os.path.join(a.raw, s, "package/img", s, "64", entries[ei]["image"]))
                                     for ei, s in items])
    np.savez_compressed(os.path.join(a.out, "emoji64.npz"), **arrays)
    unk = sum(w not in vocab for h in heldout + vheldout for w in C.split_words(h["caption"]))
    meta = {"n_images": len(items), "n_entries": len(entries), "n_identities": len(bases), "vocab": len(vocab),
            "styles": styles, "motions": C.MOTION_IDS, "names": [entries[ei]["name"] for ei, _ in items],
            "identity_names": [next(e["name"] for e in entries if e["base"] == b) for b in bases],
            "heldout": heldout, "video_heldout": vheldout, "heldout_unknown_words": unk,
            "example_captions": caps[0][:4] + vcaps[0][:4], "seed": a.seed}
    with open(os.path.join(a.out, "split.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False)
    print(f"prep: {len(items)} images, {len(entries)} entries, {len(bases)} identities, vocab {len(vocab)}, "
          f"held-out {len(heldout)} (+{len(vheldout)} video), unknown words in held-out {unk}")


if __name__ == "__main__":
    main()
