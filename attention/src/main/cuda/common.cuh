// Shared types and small helpers: input dtypes, vector loads that widen to fp32, output stores.
#pragma once
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <cuda_fp8.h>
#include <stdint.h>

namespace ss {

constexpr float kLog2e = 1.4426950408889634f;

// out_dtype codes of the ABI (ABI.md): 0 = fp32, 1 = fp16, 2 = bf16.
enum OutDtype : int { kOutF32 = 0, kOutF16 = 1, kOutBf16 = 2 };

// 8 consecutive elements (one 16-byte chunk for 16-bit types) widened to fp32.
__device__ __forceinline__ void load8(const float* p, float (&x)[8]) {
  float4 a = *reinterpret_cast<const float4*>(p);
  float4 b = *reinterpret_cast<const float4*>(p + 4);
  x[0] = a.x; x[1] = a.y; x[2] = a.z; x[3] = a.w; x[4] = b.x; x[5] = b.y; x[6] = b.z; x[7] = b.w;
}
__device__ __forceinline__ void load8(const __half* p, float (&x)[8]) {
  uint4 u = *reinterpret_cast<const uint4*>(p);
  const __half2* h = reinterpret_cast<const __half2*>(&u);
#pragma unroll
  for (int i = 0; i < 4; ++i) { float2 f = __half22float2(h[i]); x[2 * i] = f.x; x[2 * i + 1] = f.y; }
}
__device__ __forceinline__ void load8(const __nv_bfloat16* p, float (&x)[8]) {
  uint4 u = *reinterpret_cast<const uint4*>(p);
  const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&u);
#pragma unroll
  for (int i = 0; i < 4; ++i) { float2 f = __bfloat1622float2(h[i]); x[2 * i] = f.x; x[2 * i + 1] = f.y; }
}

// Rounds a float to the input dtype and back (K mean is kept in the input dtype, as SageAttention).
__device__ __forceinline__ float round_to(float x, const float*) { return x; }
__device__ __forceinline__ float round_to(float x, const __half*) { return __half2float(__float2half_rn(x)); }
__device__ __forceinline__ float round_to(float x, const __nv_bfloat16*) {
  return __bfloat162float(__float2bfloat16_rn(x));
}

// Two adjacent output elements at p (element index even, so 4/8-byte aligned).
__device__ __forceinline__ void store2(void* base, long long idx, float a, float b, int out_dtype) {
  if (out_dtype == kOutF32) {
    *reinterpret_cast<float2*>(static_cast<float*>(base) + idx) = make_float2(a, b);
  } else if (out_dtype == kOutF16) {
    *reinterpret_cast<__half2*>(static_cast<__half*>(base) + idx) = __floats2half2_rn(a, b);
  } else {
    *reinterpret_cast<__nv_bfloat162*>(static_cast<__nv_bfloat16*>(base) + idx) = __floats2bfloat162_rn(a, b);
  }
}

// Packs two floats into one 32-bit register of two 16-bit values (low half = a).
template <typename T> __device__ __forceinline__ uint32_t pack2(float a, float b);
template <> __device__ __forceinline__ uint32_t pack2<__half>(float a, float b) {
  __half2 h = __floats2half2_rn(a, b);
  return *reinterpret_cast<uint32_t*>(&h);
}
template <> __device__ __forceinline__ uint32_t pack2<__nv_bfloat16>(float a, float b) {
  __nv_bfloat162 h = __floats2bfloat162_rn(a, b);
  return *reinterpret_cast<uint32_t*>(&h);
}

// P of one key block (scores s of an m64nNk16 tile: NT fragments of 8 keys) as the 16-bit A operand of the next
// P·V wgmma, one k16 step per pa[kb]: keys 2t, 2t+1 of the step's first and second 8 in its four registers.
template <typename T, int NT, int KB>
__device__ __forceinline__ void pack_p16(const float (&s)[1][NT][4], uint32_t (&pa)[KB][4]) {
  static_assert(KB * 2 == NT, "one k16 step of P per two fragments of scores");
#pragma unroll
  for (int kb = 0; kb < KB; ++kb) {
    pa[kb][0] = pack2<T>(s[0][2 * kb][0], s[0][2 * kb][1]);
    pa[kb][1] = pack2<T>(s[0][2 * kb][2], s[0][2 * kb][3]);
    pa[kb][2] = pack2<T>(s[0][2 * kb + 1][0], s[0][2 * kb + 1][1]);
    pa[kb][3] = pack2<T>(s[0][2 * kb + 1][2], s[0][2 * kb + 1][3]);
  }
}

__host__ __device__ constexpr int cdiv(int a, int b) { return (a + b - 1) / b; }
__host__ __device__ constexpr int ilog2(int x) { return x < 2 ? 0 : 1 + ilog2(x / 2); }

}  // namespace ss
