"""Training of the text-to-image and text-to-video models (flow matching, pixel space).

Rectified flow in the convention of docs/model-bundle.md: x_s = (1-s) x0 + s eps, s in [0,1],
the model predicts v = eps - x0; loss = MSE(v_pred, v). s ~ logit-normal(0, 1). Captions are
replaced by the empty caption (all padding) with probability 0.1 for classifier-free guidance.
"""
import copy
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

import video_data
from dit import T2X, Config, n_params


class Data:
    def __init__(self, npz_path, device):
        z = np.load(npz_path)
        self.images = torch.from_numpy(z["images"]).to(device).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)
        self.caps = torch.from_numpy(z["caps"].astype(np.int64)).to(device)
        self.vcaps = torch.from_numpy(z["vcaps"].astype(np.int64)).to(device)
        self.vmotion = torch.from_numpy(z["vmotion"].astype(np.int64)).to(device)
        self.ident = torch.from_numpy(z["ident"].astype(np.int64)).to(device)
        self.style = torch.from_numpy(z["style"].astype(np.int64)).to(device)
        self.n = self.images.shape[0]


def sync(dev):
    if dev.type == "cuda":  # the timings need the queued GPU work done; CPU work is synchronous
        torch.cuda.synchronize(dev)


def lr_at(step, total, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


def train(kind, cfg: Config, data: Data, steps, batch, lr, seed, log, max_seconds=1e9, init=None, warmup=200,
          ema_decay=0.999, cfg_drop=0.1, compile_model=False, fit_to_time=False, shift=1.0, motion_weights=None):
    """fit_to_time: once the speed is known (steps 10-60), shorten the run to the steps that fit in
    max_seconds, so the cosine schedule ends at the time cap instead of being cut off mid-way.
    shift: noise levels s ~ logit-normal are mapped by shift*s/(1+(shift-1)*s) (SD3's resolution
    shift; sampling must use the same shift). A 16-frame clip repeats its content in every frame,
    so noise that hides an image still leaves the clip recognisable: the levels where the content
    is decided lie closer to s = 1, and training must cover them.
    motion_weights (video): one weight per motion class (captions.MOTION_IDS); each clip's caption,
    and so its motion, is drawn among the image's captions in proportion to it (None: uniformly)."""
    dev = data.images.device
    torch.manual_seed(seed)
    g = torch.Generator(device=dev).manual_seed(seed)
    model = T2X(cfg).to(dev)
    if init is not None:  # copy every tensor whose name and shape agree (text encoder, blocks, ...)
        own = model.state_dict()
        src = init if isinstance(init, dict) else init.state_dict()  # a module, or a (e.g. inflated) state dict
        copied = {k: v for k, v in src.items() if k in own and own[k].shape == v.shape}
        own.update(copied)
        model.load_state_dict(own)
        log(f"[{kind}] initialised {len(copied)}/{len(own)} tensors from the image model")
    ema = copy.deepcopy(model).eval().requires_grad_(False)
    fwd = torch.compile(model) if compile_model else model
    log(f"[{kind}] params: text {n_params(model.text)/1e6:.3f}M, denoiser {n_params(model.dit)/1e6:.3f}M; "
        f"steps {steps} batch {batch} lr {lr}")
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if p.ndim < 2 or "table" in n or "tok" in n or "pos" in n else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.99), fused=True)
    ema_p, model_p = list(ema.parameters()), list(model.parameters())
    losses, t0, done, t10 = [], time.time(), 0, None
    planned = steps  # lowered by fit_to_time
    for step in range(steps):
        if step >= planned:
            break
        for grp in opt.param_groups:
            grp["lr"] = lr_at(step, planned, lr, warmup)
        idx = torch.randint(0, data.n, (batch,), generator=g, device=dev)
        if kind == "t2i":
            k = torch.randint(0, data.caps.shape[1], (batch,), generator=g, device=dev)
            ids, x0 = data.caps[idx, k], data.images[idx]
        else:
            if motion_weights is None:
                k = torch.randint(0, data.vcaps.shape[1], (batch,), generator=g, device=dev)
            else:
                k = torch.multinomial(motion_weights[data.vmotion[idx]], 1, generator=g)[:, 0]
            ids = data.vcaps[idx, k]
            with torch.no_grad():
                x0 = video_data.synthesize(data.images[idx], data.vmotion[idx, k], cfg.frames, g)
        drop = torch.rand(batch, generator=g, device=dev) < cfg_drop
        ids = torch.where(drop[:, None], torch.zeros_like(ids), ids)
        s = torch.sigmoid(torch.randn(batch, generator=g, device=dev))
        s = shift * s / (1 + (shift - 1) * s)
        eps = torch.randn(x0.shape, generator=g, device=dev)
        sb = s.view(-1, *([1] * (x0.ndim - 1)))
        x_t = (1 - sb) * x0 + sb * eps
        with torch.autocast(dev.type, dtype=torch.bfloat16):
            out = fwd(x_t, s, ids).float()
        if cfg.pred == "x":  # x-prediction with the velocity loss, sigma clipped at 0.05 (as in JiT)
            out = (x_t - out) / sb.clamp(min=0.05)
        loss = F.mse_loss(out, eps - x0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            torch._foreach_lerp_(ema_p, model_p, 1 - (ema_decay if step > warmup else 0.9))
        if step % 50 == 0 or step == planned - 1:
            losses.append((step, loss.item()))
        if step % 500 == 0 or step == planned - 1:
            log(f"[{kind}] step {step} loss {losses[-1][1]:.4f} lr {opt.param_groups[0]['lr']:.2e} "
                f"{time.time()-t0:.1f}s")
        done = step + 1
        if step == 10:
            sync(dev)
            t10 = time.time()
        if fit_to_time and step == 60:
            sync(dev)
            now = time.time()
            per_step = (now - t10) / 50
            fit = done + int(0.97 * (max_seconds - (now - t0)) / per_step)  # 3% slack for the logging syncs
            planned = max(done + 1, min(steps, fit))
            log(f"[{kind}] {per_step*1000:.1f} ms/step: {planned} steps fit in {max_seconds}s")
        if time.time() - t0 > max_seconds:
            log(f"[{kind}] time cap {max_seconds}s reached at step {done} of {steps}")
            break
    sync(dev)
    secs = time.time() - t0
    final = float(np.mean([l for _, l in losses[-10:]]))
    if t10 is not None and done > 11:
        log(f"[{kind}] throughput after step 10: {(time.time()-t10)/(done-11)*1000:.1f} ms/step, "
            f"{batch*(done-11)/(time.time()-t10):.0f} samples/s")
    log(f"[{kind}] trained {done} steps in {secs:.1f}s, final loss (mean of last 10 logged) {final:.4f}")
    return ema, dict(steps=done, planned_steps=planned, batch=batch, lr=lr, seconds=secs, final_loss=final,
                     losses=losses, seed=seed, ema_decay=ema_decay, caption_dropout=cfg_drop, warmup=warmup,
                     pred=cfg.pred, compiled=compile_model, shift=shift,
                     **({} if motion_weights is None else dict(motion_weights=motion_weights.tolist())))


@torch.no_grad()
def sample(model, ids, shape, steps, guidance, seed, shift=1.0, amp=True, noise=None):
    """Flow Euler with CFG, sigmas s_k = shift-map(1 - k/S) as in docs/model-bundle.md;
    model.dit(...) returns the velocity for either prediction type."""
    dev = ids.device
    g = torch.Generator(device=dev).manual_seed(seed)
    x = torch.randn(shape, generator=g, device=dev) if noise is None else noise.to(dev)
    ctx = model.text(torch.cat([ids, torch.zeros_like(ids)]))
    sig = torch.linspace(1, 0, steps + 1, device=dev)
    sig = shift * sig / (1 + (shift - 1) * sig)
    for k in range(steps):
        s = sig[k].expand(2 * shape[0])
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            v = model.dit(torch.cat([x, x]), s * 1000.0, ctx).float()
        vc, vu = v.chunk(2)
        x = x + (sig[k + 1] - sig[k]) * (vu + guidance * (vc - vu))
    return x.clamp(-1, 1)
