"""Small diffusion transformer (DiT) for pixel-space flow matching, image and video, plus its
jointly trained text encoder. Every attention is F.scaled_dot_product_attention on 4-D
[B, heads, L, head_dim] tensors without mask, so torch.onnx (dynamo, opset 23) emits plain
ONNX `Attention` nodes that our kernels can run.
"""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab: int = 5200
    max_len: int = 32
    d_txt: int = 128
    txt_depth: int = 2
    txt_heads: int = 4
    txt_mlp: int = 2
    d: int = 256
    depth: int = 5
    heads: int = 4
    mlp_ratio: int = 2
    channels: int = 3
    size: int = 64
    patch: int = 4
    frames: int = 1  # 1 = image model with [B,C,H,W] samples; >1 = video [B,C,F,H,W]
    # video only: frames per token (a tubelet of tubelet x patch x patch pixels), and the temporal
    # position embedding: "sincos" (fixed, added to the spatial one) or "learned" (one vector per
    # token time step, zero at init, so that a model inflated from an image model starts out as
    # that image model applied to every frame, see bundle_weights.inflate)
    tubelet: int = 1
    temporal_pos: str = "sincos"
    # what the network itself outputs: "v" = flow velocity eps - x0; "x" = the clean sample x0
    # (x-prediction, Li & He 2025 "Back to Basics: Let Denoising Generative Models Denoise", which
    # argues that large pixel patches make v/eps prediction hard for a narrow transformer). The
    # denoiser's forward() returns the velocity either way, as docs/model-bundle.md asks.
    pred: str = "v"

    def to_dict(self):
        return asdict(self)


def rms(x, w, eps=1e-6):
    # written out (not F.rms_norm) so the export uses basic ops the runtime's ORT surely has
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def sincos(pos, dim):
    """pos [...] float -> [..., dim] fixed sinusoidal embedding."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=pos.device) / half)
    a = pos[..., None].float() * freqs
    return torch.cat([torch.cos(a), torch.sin(a)], dim=-1)


def pos_embed(frames, grid, dim):
    """[1, frames*grid*grid, dim]: 2-D sin-cos over the grid, plus 1-D sin-cos over the frames."""
    ys, xs = torch.meshgrid(torch.arange(grid), torch.arange(grid), indexing="ij")
    spatial = torch.cat([sincos(ys.flatten(), dim // 2), sincos(xs.flatten(), dim // 2)], -1)  # [g*g, d]
    if frames == 1:
        return spatial[None]
    temporal = sincos(torch.arange(frames), dim)  # [F, d]
    return (temporal[:, None, :] + spatial[None]).reshape(1, frames * grid * grid, dim)


class Attention(nn.Module):
    def __init__(self, d, heads, d_kv=None, cross=False):
        super().__init__()
        self.h, self.dh, self.cross = heads, d // heads, cross
        if cross:
            self.q = nn.Linear(d, d)
            self.kv = nn.Linear(d_kv, 2 * d)
        else:
            self.qkv = nn.Linear(d, 3 * d)
        self.q_norm = nn.Parameter(torch.ones(self.dh))
        self.k_norm = nn.Parameter(torch.ones(self.dh))
        self.proj = nn.Linear(d, d)

    def forward(self, x, ctx=None):
        B, L, D = x.shape
        if self.cross:
            q = self.q(x).reshape(B, L, self.h, self.dh).transpose(1, 2)
            kv = self.kv(ctx).reshape(B, ctx.shape[1], 2, self.h, self.dh).permute(2, 0, 3, 1, 4)
            k, v = kv[0], kv[1]
        else:
            qkv = self.qkv(x).reshape(B, L, 3, self.h, self.dh).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
        q, k = rms(q, self.q_norm), rms(k, self.k_norm)
        o = F.scaled_dot_product_attention(q, k, v)
        return self.proj(o.transpose(1, 2).reshape(B, L, D))


class TextEncoder(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.tok = nn.Embedding(c.vocab, c.d_txt)
        self.pos = nn.Parameter(torch.randn(1, c.max_len, c.d_txt) * 0.02)
        self.layers = nn.ModuleList()
        for _ in range(c.txt_depth):
            self.layers.append(nn.ModuleDict(dict(
                n1=nn.LayerNorm(c.d_txt), attn=Attention(c.d_txt, c.txt_heads), n2=nn.LayerNorm(c.d_txt),
                mlp=nn.Sequential(nn.Linear(c.d_txt, c.txt_mlp * c.d_txt), nn.GELU(approximate="tanh"),
                                  nn.Linear(c.txt_mlp * c.d_txt, c.d_txt)))))
        self.norm = nn.LayerNorm(c.d_txt)
        nn.init.normal_(self.tok.weight, std=0.02)

    def forward(self, ids):
        x = self.tok(ids) + self.pos
        for l in self.layers:
            x = x + l["attn"](l["n1"](x))
            x = x + l["mlp"](l["n2"](x))
        return self.norm(x)


class Block(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        d = c.d
        self.n1 = nn.LayerNorm(d, elementwise_affine=False, eps=1e-6)
        self.attn = Attention(d, c.heads)
        self.nc = nn.LayerNorm(d, eps=1e-6)
        self.cross = Attention(d, c.heads, d_kv=c.d_txt, cross=True)
        self.n2 = nn.LayerNorm(d, elementwise_affine=False, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(d, c.mlp_ratio * d), nn.GELU(approximate="tanh"),
                                 nn.Linear(c.mlp_ratio * d, d))
        # adaLN-single (PixArt-alpha): a shared modulation from the conditioning vector plus a
        # learned per-block offset; zero-initialised gates make every block start as identity.
        self.table = nn.Parameter(torch.zeros(6, d))

    def forward(self, x, mod, ctx):
        m = mod + self.table  # [B, 6, d]
        sh1, sc1, g1 = m[:, 0:1], m[:, 1:2], m[:, 2:3]
        sh2, sc2, g2 = m[:, 3:4], m[:, 4:5], m[:, 5:6]
        x = x + g1 * self.attn(self.n1(x) * (1 + sc1) + sh1)
        x = x + self.cross(self.nc(x), ctx)
        x = x + g2 * self.mlp(self.n2(x) * (1 + sc2) + sh2)
        return x


class DiT(nn.Module):
    """Denoiser. forward(sample, timestep, ctx): timestep is sigma*1000 (docs/model-bundle.md)."""

    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        d, p = c.d, c.patch
        self.grid = c.size // p
        self.t_tokens = c.frames // c.tubelet  # token time steps (1 for an image)
        if c.frames % c.tubelet:
            raise ValueError(f"frames {c.frames} is not a multiple of the tubelet {c.tubelet}")
        self.patch_dim = c.channels * c.tubelet * p * p
        self.x_in = nn.Linear(self.patch_dim, d)
        if c.frames > 1 and c.temporal_pos == "learned":  # spatial table [1, 1, g*g, d] + t_pos [1, T, 1, d]
            self.register_buffer("pos", pos_embed(1, self.grid, d)[:, None], persistent=False)
            self.t_pos = nn.Parameter(torch.zeros(1, self.t_tokens, 1, d))
        else:
            self.register_buffer("pos", pos_embed(self.t_tokens, self.grid, d), persistent=False)
        self.t_mlp = nn.Sequential(nn.Linear(256, d), nn.SiLU(), nn.Linear(d, d))
        self.pool = nn.Linear(c.d_txt, d)
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(d, 6 * d))
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.depth))
        self.final_ada = nn.Sequential(nn.SiLU(), nn.Linear(d, 2 * d))
        self.final_norm = nn.LayerNorm(d, elementwise_affine=False, eps=1e-6)
        self.out = nn.Linear(d, self.patch_dim)
        self.apply(self._init)
        for m in (self.ada[1], self.final_ada[1], self.out):
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)

    def patchify(self, x):
        """Tokens ordered (time step, row, column); features (channel, frame in tubelet, y, x)."""
        c, p, g, t = self.c, self.c.patch, self.grid, self.c.tubelet
        B = x.shape[0]
        if c.frames == 1:  # [B,C,H,W]
            x = x.reshape(B, c.channels, g, p, g, p).permute(0, 2, 4, 1, 3, 5)
        else:  # [B,C,F,H,W]
            x = x.reshape(B, c.channels, self.t_tokens, t, g, p, g, p).permute(0, 2, 4, 6, 1, 3, 5, 7)
        return x.reshape(B, -1, self.patch_dim)

    def unpatchify(self, x):
        c, p, g, t = self.c, self.c.patch, self.grid, self.c.tubelet
        B = x.shape[0]
        if c.frames == 1:
            x = x.reshape(B, g, g, c.channels, p, p).permute(0, 3, 1, 4, 2, 5)
            return x.reshape(B, c.channels, c.size, c.size)
        x = x.reshape(B, self.t_tokens, g, g, c.channels, t, p, p).permute(0, 4, 1, 5, 2, 6, 3, 7)
        return x.reshape(B, c.channels, c.frames, c.size, c.size)

    def forward(self, sample, timestep, ctx):
        """Flow velocity eps - x0 (the bundle's model_output); timestep = sigma * 1000."""
        out = self.raw(sample, timestep, ctx)
        if self.c.pred == "v":
            return out
        sigma = (timestep / 1000.0).clamp(min=1e-3).reshape(-1, *([1] * (sample.dim() - 1)))
        return (sample - out) / sigma  # x_s = (1-s) x0 + s eps  =>  eps - x0 = (x_s - x0) / s

    def raw(self, sample, timestep, ctx):
        x = self.x_in(self.patchify(sample))
        if hasattr(self, "t_pos"):  # spatial table + learned temporal embedding, broadcast (a smaller graph)
            x = (x.reshape(-1, self.t_tokens, self.grid * self.grid, self.c.d) + self.pos + self.t_pos).flatten(1, 2)
        else:
            x = x + self.pos
        cond = self.t_mlp(sincos(timestep, 256)) + self.pool(ctx.mean(dim=1))
        mod = self.ada(cond).reshape(-1, 6, self.c.d)
        for b in self.blocks:
            x = b(x, mod, ctx)
        sh, sc = self.final_ada(cond)[:, None].chunk(2, dim=-1)
        x = self.out(self.final_norm(x) * (1 + sc) + sh)
        return self.unpatchify(x)


class T2X(nn.Module):
    """Text encoder + denoiser, trained jointly."""

    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.text = TextEncoder(c)
        self.dit = DiT(c)

    def forward(self, x_t, sigma, ids):
        """The network's raw output (v or x0 per config.pred) for training."""
        return self.dit.raw(x_t, sigma * 1000.0, self.text(ids))


def n_params(m):
    return sum(p.numel() for p in m.parameters())
