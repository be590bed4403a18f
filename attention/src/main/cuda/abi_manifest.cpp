// Host program built and run by build.sh next to the fatbin: prints the manifest's "structs"
// (the layout the compiler gives each launch-parameter struct of params.cuh) and "entries" (every
// kernel with its parameter struct, block size, dynamic shared memory and minimum compute
// capability, from traits.cuh). The only table of those numbers outside traits.cuh; Java
// (KernelModule, KernelParams) and attention/bench/sskernels.py read it.
#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>
#include "params.cuh"
#include "traits.cuh"

namespace {

struct Field {
  const char* name;
  const char* type;  // ptr, i32, i64, f32, tmap (a TensorMap: 128 bytes, 64-byte aligned)
  size_t offset, size;
};

#define SS_FIELD(S, F, TYPE) Field{#F, TYPE, offsetof(ss::S, F), sizeof(ss::S::F)}

void print_struct(const char* name, size_t size, size_t align, const std::vector<Field>& fields, bool last) {
  std::printf("    \"%s\": {\"size\": %zu, \"align\": %zu, \"fields\": [\n", name, size, align);
  for (size_t i = 0; i < fields.size(); ++i) {
    const Field& f = fields[i];
    std::printf("      {\"name\": \"%s\", \"type\": \"%s\", \"offset\": %zu, \"size\": %zu}%s\n", f.name, f.type, f.offset,
                f.size, i + 1 < fields.size() ? "," : "");
  }
  std::printf("    ]}%s\n", last ? "" : ",");
}

struct Entry {
  std::string name;
  const char* params;
  int block, smem, min_cc;
  int softmax_keys = 0;  // keys per online-softmax step of an attention kernel (the P rounding the CPU emulator mirrors)
  int tile_rows = 0;     // query rows per CTA tile of a Hopper entry (the work count and the rows of the Q box)
};

std::vector<Entry> entries() {
  using namespace ss;
  std::vector<Entry> e;
  for (const char* dt : {"f32", "f16", "bf16"}) {
    const std::string s(dt);
    e.push_back({"pre_to_f16_" + s, "PreParams", PreTraits::THREADS, 0, 80});
    e.push_back({"pre_sage_stats_" + s, "SagePrepParams", PreTraits::QUANT_THREADS, 0, 80});
    e.push_back({"pre_sage_quant_" + s, "SagePrepParams", PreTraits::QUANT_THREADS, 0, 80});
  }
  for (const char* dt : {"f16", "bf16"}) {
    e.push_back({std::string("flash_fwd_") + dt + "_d64", "FlashParams", FlashTraits<64>::THREADS, FlashTraits<64>::SMEM, 80});
    e.push_back({std::string("flash_fwd_") + dt + "_d128", "FlashParams", FlashTraits<128>::THREADS, FlashTraits<128>::SMEM, 80});
    e.push_back({std::string("flash_fwd_") + dt + "_sm90_d64", "FlashParams", Sm90FlashTraits<64>::BLOCK, Sm90FlashTraits<64>::SMEM, 90, 0, Sm90FlashTraits<64>::BM});
    e.push_back({std::string("flash_fwd_") + dt + "_sm90_d128", "FlashParams", Sm90FlashTraits<128>::BLOCK, Sm90FlashTraits<128>::SMEM, 90, 0, Sm90FlashTraits<128>::BM});
  }
  e.push_back({"sage_int8_fp16_d64", "SageParams", SageTraits<64, kPvF16F32>::THREADS, SageTraits<64, kPvF16F32>::SMEM, 80, SageTraits<64, kPvF16F32>::KS});
  e.push_back({"sage_int8_fp16_d128", "SageParams", SageTraits<128, kPvF16F32>::THREADS, SageTraits<128, kPvF16F32>::SMEM, 80, SageTraits<128, kPvF16F32>::KS});
  e.push_back({"sage_int8_fp16acc_d64", "SageParams", SageTraits<64, kPvF16F16>::THREADS, SageTraits<64, kPvF16F16>::SMEM, 80, SageTraits<64, kPvF16F16>::KS});
  e.push_back({"sage_int8_fp16acc_d128", "SageParams", SageTraits<128, kPvF16F16>::THREADS, SageTraits<128, kPvF16F16>::SMEM, 80, SageTraits<128, kPvF16F16>::KS});
  e.push_back({"sage_int8_fp8_d64", "SageParams", SageTraits<64, kPvFp8>::THREADS, SageTraits<64, kPvFp8>::SMEM, 89, SageTraits<64, kPvFp8>::KS});
  e.push_back({"sage_int8_fp8_d128", "SageParams", SageTraits<128, kPvFp8>::THREADS, SageTraits<128, kPvFp8>::SMEM, 89, SageTraits<128, kPvFp8>::KS});
  e.push_back({"sage_int8_fp16_sm90_d64", "SageParams", Sm90SageTraits<64, kPvF16F32>::BLOCK, Sm90SageTraits<64, kPvF16F32>::SMEM, 90, Sm90SageTraits<64, kPvF16F32>::SOFTMAX_KEYS, Sm90SageTraits<64, kPvF16F32>::BM});
  e.push_back({"sage_int8_fp16_sm90_d128", "SageParams", Sm90SageTraits<128, kPvF16F32>::BLOCK, Sm90SageTraits<128, kPvF16F32>::SMEM, 90, Sm90SageTraits<128, kPvF16F32>::SOFTMAX_KEYS, Sm90SageTraits<128, kPvF16F32>::BM});
  e.push_back({"sage_int8_fp8_sm90_d64", "SageParams", Sm90SageTraits<64, kPvFp8>::BLOCK, Sm90SageTraits<64, kPvFp8>::SMEM, 90, Sm90SageTraits<64, kPvFp8>::SOFTMAX_KEYS, Sm90SageTraits<64, kPvFp8>::BM});
  e.push_back({"sage_int8_fp8_sm90_d128", "SageParams", Sm90SageTraits<128, kPvFp8>::BLOCK, Sm90SageTraits<128, kPvFp8>::SMEM, 90, Sm90SageTraits<128, kPvFp8>::SOFTMAX_KEYS, Sm90SageTraits<128, kPvFp8>::BM});
  for (const char* dt : {"f32", "f16", "bf16"}) {
    e.push_back({std::string("check_finite_") + dt, "FiniteCheckParams", FiniteCheckTraits::THREADS, 0, 80});
  }
  return e;
}

}  // namespace

int main() {
  std::printf("  \"structs\": {\n");
  print_struct("PreParams", sizeof(ss::PreParams), alignof(ss::PreParams),
               {SS_FIELD(PreParams, in, "ptr"), SS_FIELD(PreParams, in_aux, "ptr"), SS_FIELD(PreParams, out, "ptr"),
                SS_FIELD(PreParams, out_scale, "ptr"), SS_FIELD(PreParams, B, "i32"), SS_FIELD(PreParams, H, "i32"),
                SS_FIELD(PreParams, N, "i32"), SS_FIELD(PreParams, D, "i32"), SS_FIELD(PreParams, sb, "i64"),
                SS_FIELD(PreParams, sh, "i64"), SS_FIELD(PreParams, sn, "i64"), SS_FIELD(PreParams, mul, "f32"),
                SS_FIELD(PreParams, rows_per_scale, "i32")},
               false);
  print_struct("SagePrepParams", sizeof(ss::SagePrepParams), alignof(ss::SagePrepParams),
               {SS_FIELD(SagePrepParams, q, "ptr"), SS_FIELD(SagePrepParams, k, "ptr"), SS_FIELD(SagePrepParams, v, "ptr"),
                SS_FIELD(SagePrepParams, q8, "ptr"), SS_FIELD(SagePrepParams, qs, "ptr"),
                SS_FIELD(SagePrepParams, k8, "ptr"), SS_FIELD(SagePrepParams, ks, "ptr"),
                SS_FIELD(SagePrepParams, km, "ptr"), SS_FIELD(SagePrepParams, vt8, "ptr"),
                SS_FIELD(SagePrepParams, vs, "ptr"), SS_FIELD(SagePrepParams, partials, "ptr"),
                SS_FIELD(SagePrepParams, B, "i32"), SS_FIELD(SagePrepParams, Hq, "i32"),
                SS_FIELD(SagePrepParams, Hkv, "i32"), SS_FIELD(SagePrepParams, Nq, "i32"),
                SS_FIELD(SagePrepParams, Nk, "i32"), SS_FIELD(SagePrepParams, D, "i32"),
                SS_FIELD(SagePrepParams, q_sb, "i64"), SS_FIELD(SagePrepParams, q_sh, "i64"),
                SS_FIELD(SagePrepParams, q_sn, "i64"), SS_FIELD(SagePrepParams, k_sb, "i64"),
                SS_FIELD(SagePrepParams, k_sh, "i64"), SS_FIELD(SagePrepParams, k_sn, "i64"),
                SS_FIELD(SagePrepParams, v_sb, "i64"), SS_FIELD(SagePrepParams, v_sh, "i64"),
                SS_FIELD(SagePrepParams, v_sn, "i64"), SS_FIELD(SagePrepParams, mul, "f32"),
                SS_FIELD(SagePrepParams, rows_per_scale, "i32"), SS_FIELD(SagePrepParams, splits, "i32")},
               false);
  print_struct("FlashParams", sizeof(ss::FlashParams), alignof(ss::FlashParams),
               {SS_FIELD(FlashParams, q, "ptr"), SS_FIELD(FlashParams, k, "ptr"), SS_FIELD(FlashParams, v, "ptr"),
                SS_FIELD(FlashParams, o, "ptr"), SS_FIELD(FlashParams, B, "i32"), SS_FIELD(FlashParams, Hq, "i32"),
                SS_FIELD(FlashParams, Hkv, "i32"), SS_FIELD(FlashParams, Nq, "i32"), SS_FIELD(FlashParams, Nk, "i32"),
                SS_FIELD(FlashParams, q_sb, "i64"), SS_FIELD(FlashParams, q_sh, "i64"), SS_FIELD(FlashParams, q_sn, "i64"),
                SS_FIELD(FlashParams, k_sb, "i64"), SS_FIELD(FlashParams, k_sh, "i64"), SS_FIELD(FlashParams, k_sn, "i64"),
                SS_FIELD(FlashParams, v_sb, "i64"), SS_FIELD(FlashParams, v_sh, "i64"), SS_FIELD(FlashParams, v_sn, "i64"),
                SS_FIELD(FlashParams, o_sb, "i64"), SS_FIELD(FlashParams, o_sh, "i64"), SS_FIELD(FlashParams, o_sn, "i64"),
                SS_FIELD(FlashParams, softmax_scale, "f32"), SS_FIELD(FlashParams, causal, "i32"),
                SS_FIELD(FlashParams, out_dtype, "i32"), SS_FIELD(FlashParams, tq, "tmap"),
                SS_FIELD(FlashParams, tk, "tmap"), SS_FIELD(FlashParams, tv, "tmap")},
               false);
  print_struct("SageParams", sizeof(ss::SageParams), alignof(ss::SageParams),
               {SS_FIELD(SageParams, q8, "ptr"), SS_FIELD(SageParams, qs, "ptr"), SS_FIELD(SageParams, k8, "ptr"),
                SS_FIELD(SageParams, ks, "ptr"), SS_FIELD(SageParams, v, "ptr"), SS_FIELD(SageParams, vs, "ptr"),
                SS_FIELD(SageParams, o, "ptr"), SS_FIELD(SageParams, B, "i32"), SS_FIELD(SageParams, Hq, "i32"),
                SS_FIELD(SageParams, Hkv, "i32"), SS_FIELD(SageParams, Nq, "i32"), SS_FIELD(SageParams, Nk, "i32"),
                SS_FIELD(SageParams, v_sb, "i64"), SS_FIELD(SageParams, v_sh, "i64"), SS_FIELD(SageParams, v_sn, "i64"),
                SS_FIELD(SageParams, o_sb, "i64"), SS_FIELD(SageParams, o_sh, "i64"), SS_FIELD(SageParams, o_sn, "i64"),
                SS_FIELD(SageParams, causal, "i32"), SS_FIELD(SageParams, out_dtype, "i32"),
                SS_FIELD(SageParams, tq, "tmap"), SS_FIELD(SageParams, tk, "tmap"), SS_FIELD(SageParams, tv, "tmap")},
               false);
  print_struct("FiniteCheckParams", sizeof(ss::FiniteCheckParams), alignof(ss::FiniteCheckParams),
               {SS_FIELD(FiniteCheckParams, x, "ptr"), SS_FIELD(FiniteCheckParams, result, "ptr"),
                SS_FIELD(FiniteCheckParams, n, "i64")},
               true);
  std::printf("  },\n  \"entries\": [\n");
  const std::vector<Entry> all = entries();
  for (size_t i = 0; i < all.size(); ++i) {
    const Entry& x = all[i];
    std::printf("    {\"name\": \"%s\", \"params\": \"%s\", \"block\": %d, \"dynamic_smem\": %d, \"min_cc\": %d%s%s}%s\n",
                x.name.c_str(), x.params, x.block, x.smem, x.min_cc,
                x.softmax_keys ? (", \"softmax_keys\": " + std::to_string(x.softmax_keys)).c_str() : "",
                x.tile_rows ? (", \"tile_rows\": " + std::to_string(x.tile_rows)).c_str() : "",
                i + 1 < all.size() ? "," : "");
  }
  std::printf("  ]\n");
  return 0;
}
