// Quantization numerics shared by the preprocessing kernels (and mirrored by the CPU emulator,
// dev.sagestudio.attention.quant.Int8Quantizer / ChannelQuantizedV):
//   amax  = max(max|x| over the group, 1e-7)     (an all-zero group never divides by zero)
//   scale = amax / 127,  q = round_half_away_from_zero(x * (127 / amax)) clamped to [-127, 127]
//   FP8:  scale = amax / 448, q = e4m3_rn_satfinite(x / scale)
#pragma once
#include "common.cuh"

namespace ss {

constexpr float kAmaxFloor = 1e-7f;
constexpr float kFp8Max = 448.f;

__device__ __forceinline__ int quant_i8(float x, float inv) {
  float r = roundf(x * inv);  // roundf: halfway cases away from zero
  return static_cast<int>(fminf(fmaxf(r, -127.f), 127.f));
}

// Packs 4 int8 values (low byte first).
__device__ __forceinline__ uint32_t pack_i8x4(int a, int b, int c, int d) {
  return (uint32_t)(a & 0xff) | ((uint32_t)(b & 0xff) << 8) | ((uint32_t)(c & 0xff) << 16) |
         ((uint32_t)(d & 0xff) << 24);
}

__device__ __forceinline__ uint8_t to_e4m3(float x) {
  return static_cast<uint8_t>(__nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3));
}

// 4 floats -> 4 e4m3 bytes (a in the low byte), round to nearest even, saturating.
__device__ __forceinline__ uint32_t pack_e4m3x4(float a, float b, float c, float d) {
  uint32_t lo = __nv_cvt_float2_to_fp8x2(make_float2(a, b), __NV_SATFINITE, __NV_E4M3);
  uint32_t hi = __nv_cvt_float2_to_fp8x2(make_float2(c, d), __NV_SATFINITE, __NV_E4M3);
  return (lo & 0xffff) | (hi << 16);
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

}  // namespace ss
