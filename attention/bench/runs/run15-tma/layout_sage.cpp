// Prints the offsets of SageTmaParams (sage_tma_ab.cu) for sage_tma_ab.py.
#include <cstddef>
#include <cstdio>
#include "params.cuh"
#include "traits.cuh"
struct SageTmaParams {
  ss::SageParams s;
  ss::TensorMap tq, tk, tv;
};
int main() {
  using namespace ss;
  std::printf("{\"size\": %zu, \"s\": %zu, \"tq\": %zu, \"tk\": %zu, \"tv\": %zu, \"smem\": {\"fp16_64\": %d, \"fp16_128\": %d, "
              "\"fp8_64\": %d, \"fp8_128\": %d}}\n",
              sizeof(SageTmaParams), offsetof(SageTmaParams, s), offsetof(SageTmaParams, tq), offsetof(SageTmaParams, tk),
              offsetof(SageTmaParams, tv), Sm90SageTraits<64, kPvF16F32>::SMEM, Sm90SageTraits<128, kPvF16F32>::SMEM,
              Sm90SageTraits<64, kPvFp8>::SMEM, Sm90SageTraits<128, kPvFp8>::SMEM);
}
