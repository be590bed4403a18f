// The 16-bit warpgroup MMAs of the full-precision Hopper kernel (flash_fwd_sm90.cuh), next to the
// Sage ones of wgmma.cuh: Q·K^T with both operands in shared memory (K-major, fp16 or bf16, fp32
// accumulation) and P·V with P from registers for bf16 (the fp16 P·V is wgmma.cuh's). Accumulator
// and A-fragment layouts as wgmma.cuh describes them.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <type_traits>
#include "wgmma.cuh"

// The asm operand lists of an m64nN fp32 accumulator d[N/8][4] ("+f", in register order).
#define SS_ACC4(d, i) "+f"(d[i][0]), "+f"(d[i][1]), "+f"(d[i][2]), "+f"(d[i][3])
#define SS_ACC_N64(d) \
  SS_ACC4(d, 0), SS_ACC4(d, 1), SS_ACC4(d, 2), SS_ACC4(d, 3), SS_ACC4(d, 4), SS_ACC4(d, 5), SS_ACC4(d, 6), SS_ACC4(d, 7)
#define SS_ACC_N128(d)                                                                                            \
  SS_ACC_N64(d), SS_ACC4(d, 8), SS_ACC4(d, 9), SS_ACC4(d, 10), SS_ACC4(d, 11), SS_ACC4(d, 12), SS_ACC4(d, 13), \
      SS_ACC4(d, 14), SS_ACC4(d, 15)
#define SS_REGS_N64                                                                                                   \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, " \
  "%24, %25, %26, %27, %28, %29, %30, %31}"
#define SS_REGS_N128                                                                                                  \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, " \
  "%24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, " \
  "%46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}"

namespace ss {

#if SS_HAS_WGMMA
// D(64x128 f32) (+)= A(64x16, smem) · B(128x16, smem)^T, both K-major (no transpose); T = __half or
// __nv_bfloat16. accumulate = 0 overwrites D.
#define SS_WGMMA_SS_N128(TY)                                                                                 \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"                                                 \
               "wgmma.mma_async.sync.aligned.m64n128k16.f32." TY "." TY " " SS_REGS_N128 ", %64, %65, p, 1, 1, 0, 0;\n}\n" \
               : SS_ACC_N128(d)                                                                             \
               : "l"(desc_a), "l"(desc_b), "r"(accumulate))
template <typename T>
__device__ __forceinline__ void wgmma_m64n128k16_ss(float (&d)[16][4], uint64_t desc_a, uint64_t desc_b, int accumulate) {
  if constexpr (std::is_same<T, __half>::value) SS_WGMMA_SS_N128("f16");
  else SS_WGMMA_SS_N128("bf16");
}
#undef SS_WGMMA_SS_N128

// D(64xN f32) += A(64x16 bf16, registers) · B(16xN bf16, smem, N-major: imm-trans-b = 1).
__device__ __forceinline__ void wgmma_m64n128k16_bf16_rs(float (&d)[16][4], const uint32_t (&a)[4], uint64_t desc_b) {
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"
               "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 " SS_REGS_N128 ", {%64, %65, %66, %67}, %68, p, 1, 1, 1;\n}\n"
               : SS_ACC_N128(d)
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "n"(1));
}
__device__ __forceinline__ void wgmma_m64n64k16_bf16_rs(float (&d)[8][4], const uint32_t (&a)[4], uint64_t desc_b) {
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"
               "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 " SS_REGS_N64 ", {%32, %33, %34, %35}, %36, p, 1, 1, 1;\n}\n"
               : SS_ACC_N64(d)
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "n"(1));
}

// D(64xD f32) += P(64x16, registers, T) · V(16xD, smem, N-major): the P·V step of one 16-key slice.
template <typename T, int D>
__device__ __forceinline__ void wgmma_pv_rs(float (&d)[D / 8][4], const uint32_t (&a)[4], uint64_t desc_b) {
  static_assert(D == 64 || D == 128, "head dim 64 or 128");
  if constexpr (std::is_same<T, __half>::value) {
    if constexpr (D == 128) wgmma_m64n128k16_f16_rs(d, a, desc_b);
    else wgmma_m64n64k16_f16_rs(d, a, desc_b);
  } else {
    if constexpr (D == 128) wgmma_m64n128k16_bf16_rs(d, a, desc_b);
    else wgmma_m64n64k16_bf16_rs(d, a, desc_b);
  }
}
#endif

}  // namespace ss

#undef SS_ACC4
#undef SS_ACC_N64
#undef SS_ACC_N128
#undef SS_REGS_N64
#undef SS_REGS_N128
