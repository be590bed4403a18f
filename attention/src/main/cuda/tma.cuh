// The copy engine (TMA, sm_90): tiles copied from global to shared memory by cp.async.bulk.tensor,
// described by a tensor map the host encodes with cuTensorMapEncodeTiled (the driver call; params.cuh's
// TensorMap holds its 128 opaque bytes). One thread issues a whole box; the copy engine writes it in the
// map's swizzle, fills what lies past the tensor's extents with zeros, and signals completion as
// transaction bytes on an mbarrier, which the issuing thread armed with the bytes to expect.
//
// The swizzle modes the kernels use are the byte layouts of swizzle.cuh: SWIZZLE_128B with 128-byte box
// rows is swz<128>, SWIZZLE_64B with 64-byte rows is swz<64>, when the box lands on a 1024-byte boundary.
// A box past the tensor's end still counts its full size in transaction bytes.
#pragma once
#include <stdint.h>
#include "copy.cuh"
#include "params.cuh"

namespace ss {

// Arrives on bar (one of its count arrivals) and raises the transaction bytes its current phase waits for by
// `bytes`: the phase completes once the arrivals are in and that many bytes have landed.
__device__ __forceinline__ void mbar_arrive_expect_tx(uint32_t bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
}

// The map's address in the kernel's parameter space (a __grid_constant__ struct member: no copy).
__device__ __forceinline__ uint64_t tmap_addr(const TensorMap& map) { return reinterpret_cast<uint64_t>(&map); }

// Fetches the map into the copy engine's descriptor cache ahead of the first copy.
__device__ __forceinline__ void tma_prefetch_map(const TensorMap& map) {
  asm volatile("prefetch.tensormap [%0];\n" ::"l"(tmap_addr(map)) : "memory");
}

// One box whose first element is at coordinates (c0 innermost, c1, c2[, c3]) of the map's tensor into
// shared memory at dst; completion counts on bar.
__device__ __forceinline__ void tma_load_3d(uint32_t dst, const TensorMap& map, uint32_t bar, int c0, int c1, int c2) {
  asm volatile(
      "cp.async.bulk.tensor.3d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4, %5}], [%2];\n" ::"r"(dst),
      "l"(tmap_addr(map)), "r"(bar), "r"(c0), "r"(c1), "r"(c2)
      : "memory");
}
__device__ __forceinline__ void tma_load_4d(uint32_t dst, const TensorMap& map, uint32_t bar, int c0, int c1, int c2,
                                            int c3) {
  asm volatile(
      "cp.async.bulk.tensor.4d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4, %5, %6}], [%2];\n" ::"r"(dst),
      "l"(tmap_addr(map)), "r"(bar), "r"(c0), "r"(c1), "r"(c2), "r"(c3)
      : "memory");
}

}  // namespace ss
