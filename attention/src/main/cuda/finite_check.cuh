// Non-finite check of a tensor ON THE DEVICE (the fidelity guard of the zero-copy path): counts the
// NaN/Inf elements of one contiguous fp32/fp16/bf16 array and finds the first, into one 16-byte slot
// of a small result buffer, so the host reads back a few bytes per denoiser call instead of the
// tensors. Entries check_finite_{f32,f16,bf16} take FiniteCheckParams (params.cuh); ABI.md §6.
//
// Slot layout (two unsigned 64-bit words, zeroed by the host before the checks it covers):
//   [0] how many elements are NaN or ±Inf (atomicAdd),
//   [1] ~key of the first one, key = (index << 2) | kind, kind 0 = NaN, 1 = +Inf, 2 = -Inf
//       (atomicMax of the complement = the smallest key; 0 = none found).
// Integer atomics whose result does not depend on their order: the slot is deterministic.
#pragma once
#include <stdint.h>
#include "params.cuh"
#include "traits.cuh"

namespace ss {

// The bit masks of an IEEE format held in an unsigned integer of its width: exponent all ones means
// NaN (mantissa non-zero) or Inf (mantissa zero).
template <typename Bits> struct FloatBits;
template <> struct FloatBits<uint32_t> {
  static constexpr uint32_t EXP = 0x7f800000u, MANT = 0x007fffffu, SIGN = 0x80000000u;
};
template <> struct FloatBits<uint16_t> {  // fp16; bf16 uses its own masks below
  static constexpr uint16_t EXP = 0x7c00u, MANT = 0x03ffu, SIGN = 0x8000u;
};
struct Bf16Bits {
  static constexpr uint16_t EXP = 0x7f80u, MANT = 0x007fu, SIGN = 0x8000u;
};

// Folds element i (bits b) into this thread's count and smallest key.
template <typename M, typename Bits>
__device__ __forceinline__ void finite_fold(Bits b, unsigned long long i, unsigned long long& count,
                                            unsigned long long& first) {
  if ((b & M::EXP) == M::EXP) {
    const unsigned long long kind = (b & M::MANT) ? 0ull : (b & M::SIGN) ? 2ull : 1ull;
    const unsigned long long key = (i << 2) | kind;
    ++count;
    first = key < first ? key : first;
  }
}

// Grid-stride scan: 16-byte vector loads over the aligned body, element loads for the tail; one
// pair of atomics per warp that found something. Each thread issues its FiniteCheckTraits::VECTORS loads
// of a pass before it folds any of them. Measured on the H100 (run 15, GPU time alone): 3.7 us for a 4 MiB
// output with this or the one-load loop; a 48 MiB one 31 -> 22 us, from the host's larger grid, not the loads.
template <typename M, typename Bits>
__device__ void finite_check(const FiniteCheckParams& p) {
  constexpr int PER_VEC = 16 / sizeof(Bits), U = FiniteCheckTraits::VECTORS;
  const Bits* x = static_cast<const Bits*>(p.x);
  const long long n = p.n;
  const long long stride = (long long)gridDim.x * blockDim.x;
  const long long tid = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  unsigned long long count = 0, first = ~0ull;
  const bool aligned = (reinterpret_cast<uintptr_t>(x) & 15) == 0;
  const long long vectors = aligned ? n / PER_VEC : 0;
  const uint4* xv = reinterpret_cast<const uint4*>(x);
  for (long long v0 = tid; v0 < vectors; v0 += U * stride) {
    uint4 u[U];
#pragma unroll
    for (int k = 0; k < U; ++k) {
      const long long v = v0 + k * stride;
      u[k] = v < vectors ? __ldg(xv + v) : make_uint4(0u, 0u, 0u, 0u);  // zeros are finite: nothing to fold
    }
#pragma unroll
    for (int k = 0; k < U; ++k) {
      const Bits* e = reinterpret_cast<const Bits*>(&u[k]);
#pragma unroll
      for (int j = 0; j < PER_VEC; ++j)
        finite_fold<M>(e[j], (unsigned long long)((v0 + k * stride) * PER_VEC + j), count, first);
    }
  }
  for (long long i = vectors * PER_VEC + tid; i < n; i += stride) {
    finite_fold<M>(x[i], (unsigned long long)i, count, first);
  }
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) {
    count += __shfl_down_sync(0xffffffffu, count, off);
    const unsigned long long other = __shfl_down_sync(0xffffffffu, first, off);
    first = other < first ? other : first;
  }
  if ((threadIdx.x & 31) == 0 && count != 0) {
    atomicAdd(p.result, count);
    atomicMax(p.result + 1, ~first);
  }
}

}  // namespace ss
