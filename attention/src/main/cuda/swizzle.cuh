// XOR swizzle of 16-byte chunks in a shared-memory tile of ROW_BYTES-byte rows, so that the 8 row
// addresses of one ldmatrix 8x8 matrix (same chunk column, 8 consecutive rows) hit 8 distinct
// 16-byte bank groups, and cp.async writes of a full row stay conflict-free.
#pragma once

namespace ss {

template <int ROW_BYTES>
__device__ __forceinline__ int swz(int row, int chunk) {
  static_assert(ROW_BYTES == 64 || ROW_BYTES % 128 == 0, "row must be 64 bytes or a multiple of 128");
  if constexpr (ROW_BYTES >= 128) {
    return row * ROW_BYTES + ((chunk ^ (row & 7)) << 4);
  } else {
    // Two 64-byte rows share one 128-byte line: rows (2i, 2i+1) fill both halves, and the xor
    // with (row/2) & 3 spreads 8 consecutive rows over the 8 chunk slots.
    return row * ROW_BYTES + ((chunk ^ ((row >> 1) & 3)) << 4);
  }
}

}  // namespace ss
