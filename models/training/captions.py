"""Caption material, caption sampling, the word-level tokenizer and its HuggingFace tokenizer.json.

Pure Python (no numpy / torch) so it runs anywhere; prep_data.py and the trainers import it.
"""
import json
import random
import re
import unicodedata

PAD, UNK = "[PAD]", "[UNK]"
MAX_LEN = 32
STYLES = {"twitter": "twemoji style", "google": "noto style"}
SKIN_TONES = {
    "1F3FB": "light skin tone",
    "1F3FC": "medium-light skin tone",
    "1F3FD": "medium skin tone",
    "1F3FE": "medium-dark skin tone",
    "1F3FF": "dark skin tone",
}

# Motion classes of the video model: (id, phrases). The clip synthesis in video_data.py
# implements each id; the phrases are what captions say about it.
MOTIONS = [
    ("spin_cw", ["spinning clockwise", "rotating clockwise", "spinning", "turning clockwise"]),
    ("spin_ccw", ["spinning counterclockwise", "rotating counterclockwise", "turning counterclockwise"]),
    ("right", ["moving to the right", "flying to the right", "sliding right", "moving right"]),
    ("left", ["moving to the left", "flying to the left", "sliding left", "moving left"]),
    ("up", ["moving up", "flying up", "rising", "floating up"]),
    ("down", ["moving down", "falling down", "sinking", "dropping down"]),
    ("pulse", ["pulsing", "beating", "throbbing", "pulsating"]),
    ("bounce", ["bouncing", "jumping", "hopping", "bouncing up and down"]),
    ("zoom_in", ["zooming in", "growing", "getting bigger", "coming closer"]),
    ("zoom_out", ["zooming out", "shrinking", "getting smaller", "moving away"]),
    ("pan_left", ["camera panning left", "pan left", "the camera pans to the left"]),
    ("pan_right", ["camera panning right", "pan right", "the camera pans to the right"]),
]
MOTION_IDS = [m[0] for m in MOTIONS]

_WORD = re.compile(r"\w+|[^\w\s]+")  # the HuggingFace `Whitespace` pre-tokenizer's pattern


def clean(text):
    text = unicodedata.normalize("NFKC", text).replace("_", " ").replace("“", "").replace("”", "")
    return re.sub(r"\s+", " ", text).strip().lower()


def split_words(text):
    """Exactly what tokenizer.json does: Lowercase normalizer, then Whitespace pre-tokenizer."""
    return _WORD.findall(text.lower())


def emoji_char(unified):
    return "".join(chr(int(x, 16)) for x in unified.split("-"))


def load_entries(emoji_json_path, emojilib_path):
    """One entry per image: base emoji + optional skin tone; both styles share entries."""
    data = json.load(open(emoji_json_path, encoding="utf-8"))
    lib = json.load(open(emojilib_path, encoding="utf-8"))
    entries = []
    for e in sorted(data, key=lambda e: e["sort_order"]):
        kw = lib.get(emoji_char(e["unified"]))
        if kw is None and e.get("non_qualified"):
            kw = lib.get(emoji_char(e["non_qualified"]))
        kw = [clean(k) for k in (kw or [])]
        kw = [k for k in kw if k]
        base = {
            "base": e["unified"],
            "name": clean(e["name"]),
            "cldr": kw[0] if kw else clean(e["name"]),
            "short_names": [clean(s.replace("-", " ")) for s in e["short_names"]],
            "keywords": kw[1:],
            "category": clean(e["category"]),
            "subcategory": clean(e["subcategory"].replace("-", " ")),
        }
        variants = [(e["image"], e["unified"], None)]
        for tone_key, v in sorted((e.get("skin_variations") or {}).items()):
            tones = [SKIN_TONES[t] for t in tone_key.split("-") if t in SKIN_TONES]
            variants.append((v["image"], v["unified"], ", ".join(dict.fromkeys(tones))))
        for image, unified, tone in variants:
            entries.append(dict(base, image=image, unified=unified, tone=tone))
    return entries


def subject_options(entry):
    opts = [entry["cldr"], entry["name"]] + entry["short_names"]
    return list(dict.fromkeys(o for o in opts if o))


def sample_caption(entry, style, rng):
    """A random training caption: subject, optional skin tone, keywords, category, style."""
    subjects = subject_options(entry)
    r = rng.random()
    subject = subjects[0] if r < 0.45 else entry["name"] if r < 0.7 else rng.choice(subjects)
    if rng.random() < 0.15:
        subject = "a " + subject
    parts = [subject]
    if entry["tone"]:
        parts.append(entry["tone"])
    extras = []
    if entry["keywords"]:
        extras += rng.sample(entry["keywords"], min(len(entry["keywords"]), rng.choice([0, 0, 1, 2, 3])))
    if rng.random() < 0.25:
        extras.append(entry["category"])
    if rng.random() < 0.15:
        extras.append(entry["subcategory"])
    rng.shuffle(extras)
    parts += extras
    if rng.random() < 0.85:
        parts.append(STYLES[style])
    return ", ".join(parts)


def heldout_caption(entry, style, rng):
    """Held-out prompt: CLDR name + one keyword + style, in a form checked absent from training."""
    parts = [entry["cldr"]]
    if entry["tone"]:
        parts.append(entry["tone"])
    if entry["keywords"]:
        parts.append(rng.choice(entry["keywords"]))
    parts.append(STYLES[style])
    return ", ".join(parts)


def build_vocab(texts, min_count=1):
    counts = {}
    for t in texts:
        for w in split_words(t):
            counts[w] = counts.get(w, 0) + 1
    words = sorted(w for w, c in counts.items() if c >= min_count)
    return {PAD: 0, UNK: 1, **{w: i + 2 for i, w in enumerate(words)}}


def encode(text, vocab, max_len=MAX_LEN):
    ids = [vocab.get(w, 1) for w in split_words(text)][:max_len]
    return ids + [0] * (max_len - len(ids))


def tokenizer_json(vocab, max_len=MAX_LEN):
    """HuggingFace tokenizers JSON: WordLevel + Lowercase + Whitespace, fixed padding to max_len."""
    return {
        "version": "1.0",
        "truncation": {"direction": "Right", "max_length": max_len, "strategy": "LongestFirst", "stride": 0},
        "padding": {"strategy": {"Fixed": max_len}, "direction": "Right", "pad_to_multiple_of": None,
                    "pad_id": 0, "pad_type_id": 0, "pad_token": PAD},
        "added_tokens": [
            {"id": 0, "content": PAD, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True},
            {"id": 1, "content": UNK, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True},
        ],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": None,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": UNK},
    }
