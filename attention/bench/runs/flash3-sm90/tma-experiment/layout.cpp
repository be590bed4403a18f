#include <cstdio>
#include <cstddef>
#include <cuda.h>
#include "params.cuh"
#include "traits.cuh"
struct FlashTmaParams { ss::FlashParams f; CUtensorMap tq, tk, tv; };
int main() {
  std::printf("{\"size\": %zu, \"f\": %zu, \"tq\": %zu, \"tk\": %zu, \"tv\": %zu, \"smem64\": %d, \"smem128\": %d}\n",
              sizeof(FlashTmaParams), offsetof(FlashTmaParams, f), offsetof(FlashTmaParams, tq), offsetof(FlashTmaParams, tk),
              offsetof(FlashTmaParams, tv), ss::Sm90FlashTraits<64>::SMEM, ss::Sm90FlashTraits<128>::SMEM);
}
