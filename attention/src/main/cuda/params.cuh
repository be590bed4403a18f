// Launch parameters: ONE struct per kernel family, passed by value as the entry's only parameter
// (`__grid_constant__ const`, so the kernel reads it in place from the parameter bank). The host
// side packs the bytes: Java in dev.sagestudio.attention.gpu.KernelParams, Python in
// attention/bench/sskernels.py. The layout the compiler gives these structs (offsetof/sizeof) is
// written into the build manifest by abi_manifest.cpp; a JUnit test checks Java's packing against
// it and sskernels.py packs from it. Plain C++ (no CUDA types): the host program includes it.
// Field meanings: ABI.md. Element strides are in elements of the tensor they describe.
#pragma once
#include <stdint.h>

namespace ss {

// A tensor map for the copy engine (tma.cuh): the 128 opaque bytes of the driver's CUtensorMap, encoded on
// the host by cuTensorMapEncodeTiled. 64-byte aligned, as the copy engine reads it.
struct alignas(64) TensorMap {
  unsigned long long opaque[16];
};

// pre_to_f16: one strided input view [B,H,N,D] (the entry's dtype) in = x, out = its fp16 HND copy
// (in_aux, out_scale, mul and rows_per_scale are not read).
struct PreParams {
  const void* in;
  const float* in_aux;
  void* out;
  float* out_scale;
  int B, H, N, D;
  long long sb, sh, sn;
  float mul;
  int rows_per_scale;
};

// The Sage preprocessing in two launches, pre_sage_stats_* then pre_sage_quant_* (ABI.md §1): Q, K,
// V views of the entry's dtype in; INT8 Q/K with scales, the K mean and, when vt8 is set, FP8 V^T
// with its per-channel scales out. km null: no smoothing (K quantized as it is); vt8 null: V is left
// alone (vs ignored). partials: workspace that carries the per-split statistics between the launches.
struct SagePrepParams {
  const void* q;
  const void* k;
  const void* v;
  int8_t* q8;
  float* qs;
  int8_t* k8;
  float* ks;
  float* km;
  uint8_t* vt8;
  float* vs;
  void* partials;
  int B, Hq, Hkv, Nq, Nk, D;
  long long q_sb, q_sh, q_sn, k_sb, k_sh, k_sn, v_sb, v_sh, v_sn;
  float mul;
  int rows_per_scale, splits;
};

// flash_fwd_*: fp16/bf16 Q, K, V with any strides; O in out_dtype. tq, tk, tv: the same Q, K, V views as
// tensor maps for the copy engine, which the sm90 entries load them through (ABI.md §2 gives the maps);
// the mma.sync entries do not read them (zeros).
struct FlashParams {
  const void* q;
  const void* k;
  const void* v;
  void* o;
  int B, Hq, Hkv, Nq, Nk;
  long long q_sb, q_sh, q_sn, k_sb, k_sh, k_sn, v_sb, v_sh, v_sn, o_sb, o_sh, o_sn;
  float softmax_scale;
  int causal, out_dtype;
  TensorMap tq, tk, tv;
};

// sage_int8_*: INT8 Q/K with their scales (softmax scale folded into Q), V as fp16 (strided) or as
// the fp8 vt8 layout with per-channel scales vs; O in out_dtype. tq, tk, tv: q8, k8 and V (vt8 or the
// fp16 view) as tensor maps for the copy engine, which the sm90 entries load them through (ABI.md §3);
// the mma.sync entries do not read them (zeros).
struct SageParams {
  const int8_t* q8;
  const float* qs;
  const int8_t* k8;
  const float* ks;
  const void* v;
  const float* vs;
  void* o;
  int B, Hq, Hkv, Nq, Nk;
  long long v_sb, v_sh, v_sn, o_sb, o_sh, o_sn;
  int causal, out_dtype;
  TensorMap tq, tk, tv;
};

// check_finite_*: counts NaN/Inf in x[0..n) (contiguous, the entry's dtype) into the 16-byte slot
// at result (finite_check.cuh says what the two words hold).
struct FiniteCheckParams {
  const void* x;
  unsigned long long* result;
  long long n;
};

}  // namespace ss
