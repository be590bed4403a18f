"""Quality evaluation: prompt adherence via nearest training image, motion agreement, grids.

Feature space (fixed, no learning): the image is cropped to the square around its "ink"
(pixels with darkness > 0.08 where darkness = 1 - mean RGB in [0,1]; white background = 0),
resampled to 64x64, average-pooled to 16x16 and flattened (768 values in [0,1]); distance L2.
The crop makes the feature insensitive to position and size, which the video motions change.
"""
import numpy as np
import torch
import torch.nn.functional as F

import video_data


@torch.no_grad()
def features(x, chunk=1024):
    out = []
    for i in range(0, x.shape[0], chunk):
        xb = x[i:i + chunk].float()
        N, _, H, W = xb.shape
        m = (1 - (xb.mean(1) + 1) / 2) > 0.08
        rows, cols = m.any(2), m.any(1)
        ar = torch.arange(H, device=xb.device)
        y0 = torch.where(rows, ar, H).min(1).values
        y1 = torch.where(rows, ar, -1).max(1).values
        x0 = torch.where(cols, ar, W).min(1).values
        x1 = torch.where(cols, ar, -1).max(1).values
        empty = (y1 < y0) | (x1 < x0)
        y0, x0 = torch.where(empty, 0, y0), torch.where(empty, 0, x0)
        y1, x1 = torch.where(empty, H - 1, y1), torch.where(empty, W - 1, x1)
        l, r = x0.float() / W * 2 - 1, (x1.float() + 1) / W * 2 - 1
        t, b = y0.float() / H * 2 - 1, (y1.float() + 1) / H * 2 - 1
        half = torch.maximum(r - l, b - t) / 2
        z = torch.zeros_like(half)
        theta = torch.stack([torch.stack([half, z, (l + r) / 2], -1), torch.stack([z, half, (t + b) / 2], -1)], -2)
        grid = F.affine_grid(theta, (N, 3, 64, 64), align_corners=False)
        crop = F.grid_sample(xb - 1, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + 1
        out.append(F.avg_pool2d((crop + 1) / 2, 4).flatten(1))
    return torch.cat(out)


@torch.no_grad()
def adherence(gen_feats, train_feats, train_ident, train_style, target_ident, target_style):
    d = torch.cdist(gen_feats, train_feats)
    nn5 = d.topk(5, largest=False).indices
    hit = train_ident[nn5] == target_ident[:, None]
    counts = torch.bincount(train_ident, minlength=int(train_ident.max()) + 1).float()
    p = counts[target_ident] / train_ident.shape[0]
    return dict(top1=hit[:, 0].float().mean().item(), top5=hit.any(1).float().mean().item(),
                style_top1=(train_style[nn5[:, 0]] == target_style).float().mean().item(),
                chance_top1=p.mean().item(), chance_top5=(1 - (1 - p) ** 5).mean().item(),
                n=int(gen_feats.shape[0])), nn5


def top1_by_group(hits, groups):
    """hits: bool [N] (nearest image shows the prompted emoji), groups: N labels -> rate per label."""
    per = {}
    for hit, grp in zip(hits.tolist(), groups):
        per.setdefault(grp, []).append(hit)
    return {k: float(np.mean(v)) for k, v in sorted(per.items())}


@torch.no_grad()
def motion_agreement(clips, motions):
    """motions: list of motion ids. Returns agreement over the directional classes."""
    est, raw = video_data.estimated_direction(clips)
    ok, per = [], {}
    for i, m in enumerate(motions):
        if m in video_data.EXPECTED:
            exp = torch.tensor(video_data.EXPECTED[m], device=est.device, dtype=est.dtype)
            good = bool((est[i] == exp).all())
            ok.append(good)
            per.setdefault(m, []).append(good)
    return dict(direction_agreement=float(np.mean(ok)) if ok else None, n_directional=len(ok),
                per_motion={k: float(np.mean(v)) for k, v in sorted(per.items())})


@torch.no_grad()
def motion_strength(clips, reference_clips, motions):
    """How far the directional clips move compared with the training motions: the displacement
    along the caption's axis (centroid shift, or log ink-mass change for zooms, signed so that the
    captioned direction is positive), generated / ground truth, per motion class (ratio of the
    class means) and over all directional prompts (median of the per-class ratios). 1 = moves as
    far as the training clips; a clip can move the right way (direction agreement) yet barely."""
    def along(clips):
        _, raw = video_data.estimated_direction(clips)  # [B, 3]: dx, dy, log-mass change
        out = []
        for i, m in enumerate(motions):
            if m in video_data.EXPECTED:
                exp = torch.tensor(video_data.EXPECTED[m], dtype=raw.dtype, device=raw.device)
                out.append((m, float((raw[i] * exp).sum())))
        return out
    gen, ref = along(clips), along(reference_clips)
    per = {}
    for (m, g), (_, r) in zip(gen, ref):
        per.setdefault(m, ([], []))
        per[m][0].append(g)
        per[m][1].append(r)
    ratio = {m: float(np.mean(g) / np.mean(r)) for m, (g, r) in sorted(per.items())}
    return dict(median_ratio=float(np.median(list(ratio.values()))) if ratio else None, per_motion=ratio)


def score_video(clips, reference_clips, motions, train_feats, train_ident, train_style, target_ident, target_style):
    """Every video measure for generated clips of held-out captions: identity of frame 0 (overall
    and per motion), motion direction agreement and motion strength against reference_clips (the
    same captions rendered from the real images)."""
    m, nn5 = adherence(features(clips[:, :, 0]), train_feats, train_ident, train_style, target_ident, target_style)
    m["top1_by_motion"] = top1_by_group(train_ident[nn5[:, 0]] == target_ident, motions)
    m["motion"] = motion_agreement(clips, motions)
    m["motion_strength"] = motion_strength(clips, reference_clips, motions)
    return m


def to_uint8(x):
    return ((x.float().clamp(-1, 1) + 1) * 127.5).round().byte().cpu().numpy()


def save_grid(images, cols, path):
    """images [N,3,64,64] in [-1,1] -> PNG grid."""
    from PIL import Image
    a = to_uint8(images).transpose(0, 2, 3, 1)
    n = a.shape[0]
    rows = (n + cols - 1) // cols
    canvas = np.full((rows * 64, cols * 64, 3), 255, np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        canvas[r * 64:(r + 1) * 64, c * 64:(c + 1) * 64] = a[i]
    # 256-colour palette keeps the committed PNGs small; emoji have few distinct colours
    Image.fromarray(canvas).quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def save_gif(clips, cols, path, fps=8):
    """clips [N,3,F,64,64] -> animated GIF with the clips tiled."""
    from PIL import Image
    a = to_uint8(clips).transpose(0, 2, 3, 4, 1)  # N,F,H,W,3
    n, Fr = a.shape[:2]
    rows = (n + cols - 1) // cols
    frames = []
    for f in range(Fr):
        canvas = np.full((rows * 64, cols * 64, 3), 255, np.uint8)
        for i in range(n):
            r, c = divmod(i, cols)
            canvas[r * 64:(r + 1) * 64, c * 64:(c + 1) * 64] = a[i, f]
        frames.append(Image.fromarray(canvas).quantize(colors=255, method=Image.Quantize.MEDIANCUT))
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=int(1000 / fps), loop=0, optimize=True)
