// The ONE place where entry points are defined and dispatched on dtype and head dim. Every
// extern "C" __global__ here is documented in ABI.md (names, parameter order, launch rules).
#include <type_traits>
#include "common.cuh"
#include "preprocess.cuh"
#include "flash_fwd_sm80.cuh"
#include "sage_int8_sm80.cuh"
#include "sage_int8_sm90.cuh"

using ss::View;

// ---------------------------------------------------------------- preprocessing
#define SS_VIEW_PARAMS int B, int H, int N, int D, long long sb, long long sh, long long sn
#define SS_VIEW View{B, H, N, D, sb, sh, sn}

#define SS_PRE_ENTRIES(SUF, T)                                                                             \
  extern "C" __global__ void __launch_bounds__(256) pre_to_f16_##SUF(const T* src, __half* dst, SS_VIEW_PARAMS) { \
    ss::to_f16<T>(src, dst, SS_VIEW);                                                                      \
  }                                                                                                        \
  extern "C" __global__ void __launch_bounds__(256) pre_k_mean_##SUF(const T* k, float* km, SS_VIEW_PARAMS) { \
    __shared__ float red[2048];                                                                            \
    if (D == 128) ss::channel_reduce<T, false, 128>(k, km, SS_VIEW, red);                                  \
    else ss::channel_reduce<T, false, 64>(k, km, SS_VIEW, red);                                            \
  }                                                                                                        \
  extern "C" __global__ void __launch_bounds__(256) pre_v_fp8_scale_##SUF(const T* v, float* vs, SS_VIEW_PARAMS) { \
    __shared__ float red[2048];                                                                            \
    if (D == 128) ss::channel_reduce<T, true, 128>(v, vs, SS_VIEW, red);                                   \
    else ss::channel_reduce<T, true, 64>(v, vs, SS_VIEW, red);                                             \
  }                                                                                                        \
  extern "C" __global__ void __launch_bounds__(128)                                                        \
      pre_quant_q_int8_##SUF(const T* q, int8_t* q8, float* qs, SS_VIEW_PARAMS, float mul, int rows_per_scale) { \
    const int n_pad = ss::cdiv(N, 128) * 128;                                                              \
    if (D == 128) ss::quant_int8_block<T, 128, 128>(q, nullptr, q8, qs, SS_VIEW, mul, rows_per_scale == 32, n_pad); \
    else ss::quant_int8_block<T, 64, 128>(q, nullptr, q8, qs, SS_VIEW, mul, rows_per_scale == 32, n_pad);  \
  }                                                                                                        \
  extern "C" __global__ void __launch_bounds__(128)                                                        \
      pre_quant_k_int8_##SUF(const T* k, const float* km, int8_t* k8, float* ks, SS_VIEW_PARAMS) {         \
    const int n_pad = ss::cdiv(N, 64) * 64;                                                                \
    if (D == 128) ss::quant_int8_block<T, 128, 64>(k, km, k8, ks, SS_VIEW, 1.f, false, n_pad);             \
    else ss::quant_int8_block<T, 64, 64>(k, km, k8, ks, SS_VIEW, 1.f, false, n_pad);                       \
  }                                                                                                        \
  extern "C" __global__ void __launch_bounds__(256)                                                        \
      pre_quant_v_fp8_##SUF(const T* v, const float* vs, uint8_t* vt8, SS_VIEW_PARAMS) {                   \
    const int n_pad = ss::cdiv(N, 64) * 64;                                                                \
    if (D == 128) ss::quant_v_fp8<T, 128>(v, vs, vt8, SS_VIEW, n_pad);                                     \
    else ss::quant_v_fp8<T, 64>(v, vs, vt8, SS_VIEW, n_pad);                                               \
  }

SS_PRE_ENTRIES(f32, float)
SS_PRE_ENTRIES(f16, __half)
SS_PRE_ENTRIES(bf16, __nv_bfloat16)

// ---------------------------------------------------------------- flash-fp16
#define SS_FLASH_ENTRY(SUF, T, HD)                                                                          \
  extern "C" __global__ void __launch_bounds__(128) flash_fwd_##SUF##_d##HD(                               \
      const T* q, const T* k, const T* v, void* o, int B, int Hq, int Hkv, int Nq, int Nk, long long q_sb,  \
      long long q_sh, long long q_sn, long long k_sb, long long k_sh, long long k_sn, long long v_sb,       \
      long long v_sh, long long v_sn, long long o_sb, long long o_sh, long long o_sn, float softmax_scale,  \
      int causal, int out_dtype) {                                                                          \
    extern __shared__ __align__(128) char smem[];                                                           \
    const ss::AttnArgs a{B, Hq, Hkv, Nq, Nk};                                                               \
    if (causal)                                                                                             \
      ss::flash_fwd_body<T, HD, true>(q, k, v, o, a, q_sb, q_sh, q_sn, k_sb, k_sh, k_sn, v_sb, v_sh, v_sn,  \
                                      o_sb, o_sh, o_sn, softmax_scale, out_dtype, smem);                    \
    else                                                                                                    \
      ss::flash_fwd_body<T, HD, false>(q, k, v, o, a, q_sb, q_sh, q_sn, k_sb, k_sh, k_sn, v_sb, v_sh, v_sn, \
                                       o_sb, o_sh, o_sn, softmax_scale, out_dtype, smem);                   \
  }

SS_FLASH_ENTRY(f16, __half, 64)
SS_FLASH_ENTRY(f16, __half, 128)
SS_FLASH_ENTRY(bf16, __nv_bfloat16, 64)
SS_FLASH_ENTRY(bf16, __nv_bfloat16, 128)

// ---------------------------------------------------------------- SageAttention
#define SS_SAGE_ENTRY(NAME, PV, HD)                                                                         \
  extern "C" __global__ void __launch_bounds__(128) NAME##_d##HD(                                          \
      const int8_t* q8, const float* qs, const int8_t* k8, const float* ks, const void* v, const float* vs, \
      void* o, int B, int Hq, int Hkv, int Nq, int Nk, long long v_sb, long long v_sh, long long v_sn,      \
      long long o_sb, long long o_sh, long long o_sn, int causal, int out_dtype) {                          \
    extern __shared__ __align__(128) char smem[];                                                           \
    const ss::SageArgs a{B, Hq, Hkv, Nq, Nk};                                                               \
    if (causal)                                                                                             \
      ss::sage_fwd_body<HD, true, PV>(q8, qs, k8, ks, v, vs, o, a, v_sb, v_sh, v_sn, o_sb, o_sh, o_sn,      \
                                      out_dtype, smem);                                                     \
    else                                                                                                    \
      ss::sage_fwd_body<HD, false, PV>(q8, qs, k8, ks, v, vs, o, a, v_sb, v_sh, v_sn, o_sb, o_sh, o_sn,     \
                                       out_dtype, smem);                                                    \
  }

SS_SAGE_ENTRY(sage_int8_fp16, ss::kPvF16F32, 64)
SS_SAGE_ENTRY(sage_int8_fp16, ss::kPvF16F32, 128)
SS_SAGE_ENTRY(sage_int8_fp16acc, ss::kPvF16F16, 64)
SS_SAGE_ENTRY(sage_int8_fp16acc, ss::kPvF16F16, 128)

// FP8 PV needs the e4m3 mma of sm_89+; on older targets the entry exists and traps.
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 890
SS_SAGE_ENTRY(sage_int8_fp8, ss::kPvFp8, 64)
SS_SAGE_ENTRY(sage_int8_fp8, ss::kPvFp8, 128)
#else
#define SS_SAGE_TRAP(HD)                                                                                    \
  extern "C" __global__ void __launch_bounds__(128) sage_int8_fp8_d##HD(                                   \
      const int8_t*, const float*, const int8_t*, const float*, const void*, const float*, void*, int, int,  \
      int, int, int, long long, long long, long long, long long, long long, long long, int, int) {          \
    __trap();                                                                                               \
  }
SS_SAGE_TRAP(64)
SS_SAGE_TRAP(128)
#endif

// Hopper wgmma path of sage-int8-fp16 (same parameters as sage_int8_fp16_dD; block 256). Only the
// sm_90a SASS has it; every other target (sm_80/86/89 SASS, compute_90 PTX) gets an entry that
// traps, so the Java side launches it on compute capability 9.0 only (manifest min_cc 90).
#define SS_SAGE_SM90_ENTRY(HD)                                                                              \
  extern "C" __global__ void __launch_bounds__(256 + 128 * SS_SM90_PRODUCER, 1) sage_int8_fp16_sm90_d##HD(                          \
      const int8_t* q8, const float* qs, const int8_t* k8, const float* ks, const void* v, const float* vs, \
      void* o, int B, int Hq, int Hkv, int Nq, int Nk, long long v_sb, long long v_sh, long long v_sn,      \
      long long o_sb, long long o_sh, long long o_sn, int causal, int out_dtype) {                          \
    extern __shared__ __align__(128) char smem[];                                                           \
    const ss::SageArgs a{B, Hq, Hkv, Nq, Nk};                                                               \
    const __half* v16 = static_cast<const __half*>(v);                                                      \
    if (causal)                                                                                             \
      ss::sage_fwd_sm90_body<HD, true>(q8, qs, k8, ks, v16, o, a, v_sb, v_sh, v_sn, o_sb, o_sh, o_sn,       \
                                       out_dtype, smem);                                                    \
    else                                                                                                    \
      ss::sage_fwd_sm90_body<HD, false>(q8, qs, k8, ks, v16, o, a, v_sb, v_sh, v_sn, o_sb, o_sh, o_sn,      \
                                        out_dtype, smem);                                                   \
  }

SS_SAGE_SM90_ENTRY(64)
SS_SAGE_SM90_ENTRY(128)
