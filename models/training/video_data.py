"""Synthesize 16-frame clips from emoji images on the GPU, one described motion per clip.

Geometry: normalized frame coords in [-1, 1], x to the right, y downwards. For every frame the
emoji (white background) is scaled by s, rotated by theta and its centre moved to (tx, ty); the
frame is rendered at 2x resolution with bilinear sampling and average-pooled (anti-aliasing).
"""
import math

import torch
import torch.nn.functional as F

from captions import MOTION_IDS

M = {m: i for i, m in enumerate(MOTION_IDS)}
# expected displacement direction of the emoji (dx, dy, log-scale change) per motion, used by
# the evaluation; None where the motion has no net direction
EXPECTED = {"right": (1, 0, 0), "left": (-1, 0, 0), "up": (0, -1, 0), "down": (0, 1, 0),
            "pan_left": (1, 0, 0), "pan_right": (-1, 0, 0), "zoom_in": (0, 0, 1), "zoom_out": (0, 0, -1)}


def u(n, lo, hi, g, dev):
    return lo + (hi - lo) * torch.rand(n, 1, generator=g, device=dev)


def motion_params(motion, frames, g):
    """motion: long [B] -> (scale, theta, tx, ty), each [B, frames]."""
    B, dev = motion.shape[0], motion.device
    t = torch.linspace(0, 1, frames, device=dev)[None]  # [1, F]
    one = torch.ones(B, frames, device=dev)
    scale, theta = u(B, 0.5, 0.65, g, dev) * one, torch.zeros(B, frames, device=dev)
    tx, ty = u(B, -0.08, 0.08, g, dev) * one, u(B, -0.08, 0.08, g, dev) * one

    def put(sel, **kw):
        nonlocal scale, theta, tx, ty
        s = (motion == M[sel])[:, None]
        if "scale" in kw: scale = torch.where(s, kw["scale"], scale)
        if "theta" in kw: theta = torch.where(s, kw["theta"], theta)
        if "tx" in kw: tx = torch.where(s, kw["tx"], tx)
        if "ty" in kw: ty = torch.where(s, kw["ty"], ty)

    turn = u(B, 0.5, 1.0, g, dev) * 2 * math.pi * t
    s_spin = u(B, 0.7, 0.9, g, dev) * one
    # positive theta turns the emoji clockwise on screen (y points down)
    put("spin_cw", theta=turn, scale=s_spin, tx=0 * one, ty=0 * one)
    put("spin_ccw", theta=-turn, scale=s_spin, tx=0 * one, ty=0 * one)
    amp = u(B, 0.35, 0.5, g, dev)
    ramp = amp * (2 * t - 1)  # -amp -> +amp
    put("right", tx=ramp)
    put("left", tx=-ramp)
    put("up", ty=-ramp)
    put("down", ty=ramp)
    big = u(B, 0.8, 1.0, g, dev) * one
    pan = u(B, 0.25, 0.4, g, dev) * (2 * t - 1)
    put("pan_left", tx=pan, scale=big, ty=0 * one)  # camera pans left: the scene moves right
    put("pan_right", tx=-pan, scale=big, ty=0 * one)
    beats = torch.where(torch.rand(B, 1, generator=g, device=dev) < 0.5, 1.5, 2.0)
    put("pulse", scale=u(B, 0.6, 0.72, g, dev) * (1 + u(B, 0.15, 0.25, g, dev) * torch.sin(2 * math.pi * beats * t)),
        tx=0 * one, ty=0 * one)
    hops = torch.where(torch.rand(B, 1, generator=g, device=dev) < 0.5, 2.0, 3.0)
    put("bounce", scale=u(B, 0.45, 0.55, g, dev) * one,
        ty=0.45 - u(B, 0.55, 0.8, g, dev) * torch.abs(torch.sin(math.pi * hops * t)))
    small, large = u(B, 0.3, 0.4, g, dev), u(B, 0.9, 1.1, g, dev)
    put("zoom_in", scale=small + (large - small) * t, tx=0 * one, ty=0 * one)
    put("zoom_out", scale=large + (small - large) * t, tx=0 * one, ty=0 * one)
    return scale, theta, tx, ty


def render(images, scale, theta, tx, ty, out_size=64):
    """images [B,3,H,W] in [-1,1] with white (=1) background -> clips [B,3,F,H,W]."""
    B, C, H, W = images.shape
    Fr = scale.shape[1]
    c, s = torch.cos(theta), torch.sin(theta)
    inv = 1.0 / scale
    # p_in = R(-theta) (p_out - t) / scale
    a11, a12, a21, a22 = c * inv, s * inv, -s * inv, c * inv
    b1 = -(a11 * tx + a12 * ty)
    b2 = -(a21 * tx + a22 * ty)
    mat = torch.stack([torch.stack([a11, a12, b1], -1), torch.stack([a21, a22, b2], -1)], -2)  # [B,F,2,3]
    grid = F.affine_grid(mat.reshape(B * Fr, 2, 3), (B * Fr, C, 2 * out_size, 2 * out_size), align_corners=False)
    src = (images - 1.0).repeat_interleave(Fr, dim=0)  # background 0 so padding stays white
    frames = F.grid_sample(src, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    frames = F.avg_pool2d(frames, 2) + 1.0
    return frames.reshape(B, Fr, C, out_size, out_size).permute(0, 2, 1, 3, 4).contiguous()


def synthesize(images, motion, frames, g):
    return render(images, *motion_params(motion, frames, g))


def trajectory(clips):
    """clips [B,3,F,H,W] in [-1,1] -> ink centroid x,y (normalized coords) and ink mass per frame."""
    ink = (1.0 - (clips.float().mean(1) + 1) / 2).clamp(min=0)  # [B,F,H,W], white = 0
    H, W = ink.shape[-2:]
    ys = (torch.arange(H, device=ink.device).float() + 0.5) / H * 2 - 1
    xs = (torch.arange(W, device=ink.device).float() + 0.5) / W * 2 - 1
    mass = ink.sum((-1, -2)) + 1e-6
    cx = (ink.sum(-2) * xs).sum(-1) / mass
    cy = (ink.sum(-1) * ys).sum(-1) / mass
    return cx, cy, mass


def estimated_direction(clips):
    """Dominant net motion of a clip: one of right/left/up/down/zoom_in/zoom_out as (dx,dy,dz)."""
    cx, cy, mass = trajectory(clips)
    q = max(1, cx.shape[1] // 4)
    dx = cx[:, -q:].mean(1) - cx[:, :q].mean(1)
    dy = cy[:, -q:].mean(1) - cy[:, :q].mean(1)
    dz = torch.log(mass[:, -q:].mean(1) / mass[:, :q].mean(1))
    # compare translation (in half-frame units) with zoom (log area change / 4, comparable scale)
    mags = torch.stack([dx.abs(), dy.abs(), dz.abs() / 4], 1)
    axis = mags.argmax(1)
    sign = torch.sign(torch.stack([dx, dy, dz], 1).gather(1, axis[:, None]))[:, 0]
    out = torch.zeros(clips.shape[0], 3, device=clips.device)
    out[torch.arange(clips.shape[0]), axis] = sign
    return out, torch.stack([dx, dy, dz], 1)
