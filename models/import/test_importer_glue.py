"""The importer's per-pipeline code (sagestudio_import.import_sd3/_sdxl/_wan) on the released SD3.5-medium, SDXL-base
and Wan 2.1 T2V 1.3B configurations, without torch: torch, diffusers and transformers are replaced by stand-ins
that give each part its config.json, and the export is recorded instead of run. What is checked is everything
around the export: the graphs' inputs, outputs and example shapes, and that model.json is the one that
ImportedBundlesTest loads in Java (models/src/test/resources/bundles/imported/, written by test_bundle_json.py).
The exports themselves run only where torch is (models/import/check_import.py). Run from the repository root:
    python3 -m unittest discover -s models/import -p 'test_*.py'
"""
import json
import os
import shutil
import sys
import tempfile
import types
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "src", "test", "resources", "bundles", "imported")


class FakeTensor(np.ndarray):
    """The few tensor methods the importer calls on example inputs."""

    def long(self):
        return self.astype(np.int64).view(FakeTensor)

    def view(self, *shape):
        return self.reshape(shape) if shape and isinstance(shape[0], int) else np.ndarray.view(self, *shape)


def fake(a):
    return np.asarray(a).view(FakeTensor)


def install_stand_ins():
    """torch (tensors as numpy), diffusers/transformers (class names), export_onnx: in sys.modules, before the
    importer is imported. Returns the importer module."""
    torch = types.ModuleType("torch")
    torch.long, torch.float32 = np.int64, np.float32
    torch.full = lambda shape, value, dtype=None: fake(np.full(shape, value, dtype=dtype))
    torch.randint = lambda low, high, shape: fake(np.random.randint(low, high, shape))
    torch.randn = lambda *shape: fake(np.random.randn(*shape).astype(np.float32))
    torch.tensor = lambda value, dtype=None: fake(np.array(value, dtype=dtype))
    nn = types.ModuleType("torch.nn")

    class Module:
        def __init__(self):
            pass

        def register_buffer(self, name, value):
            setattr(self, name, value)

    nn.Module = Module
    torch.nn = nn
    export_onnx = types.ModuleType("export_onnx")
    export_onnx.pad_attention_head_dim_in = export_onnx.store_fp16_in = None
    classes = types.ModuleType("classes")
    for name in ("SD3Transformer2DModel", "UNet2DConditionModel", "AutoencoderKL", "AutoencoderKLWan",
                 "WanTransformer3DModel", "PixArtTransformer2DModel", "CLIPTextModel", "CLIPTextModelWithProjection",
                 "T5EncoderModel", "UMT5EncoderModel"):
        setattr(classes, name, name)

    class Tokenizer:
        def __init__(self, folder):
            spec = read(os.path.join(folder, "tokenizer.json"))
            self.is_fast, self.pad_token_id, self.vocab_size = True, spec["pad"], spec["vocab"]
            self.model_max_length = spec.get("model_max_length", int(1e30))
            self.backend_tokenizer = types.SimpleNamespace(save=lambda path: shutil.copy(
                os.path.join(folder, "tokenizer.json"), path))

    classes.AutoTokenizer = types.SimpleNamespace(from_pretrained=lambda folder, use_fast=True: Tokenizer(folder))
    sys.modules.update({"torch": torch, "torch.nn": nn, "export_onnx": export_onnx, "diffusers": classes,
                        "transformers": classes})
    sys.path.insert(0, HERE)
    import sagestudio_import
    return sagestudio_import


def read(path):
    with open(path) as f:
        return json.load(f)


CLIP_L = {"hidden_size": 768, "projection_dim": 768, "max_position_embeddings": 77, "vocab_size": 49408}
CLIP_G = {"hidden_size": 1280, "projection_dim": 1280, "max_position_embeddings": 77, "vocab_size": 49408}
CLIP_TOKENIZERS = {"tokenizer": {"pad": 49407, "model_max_length": 77, "vocab": 49408},
                   "tokenizer_2": {"pad": 0, "model_max_length": 77, "vocab": 49408}}
SD_VAE = {"block_out_channels": [128, 256, 512, 512], "latent_channels": 4, "scaling_factor": 0.13025}


def released_folders():
    """The configs of the released pipeline folders that the importer reads (abridged to those fields)."""
    sys.path.insert(0, HERE)
    import test_bundle_json as fixtures
    return {
        "sd35-medium": ({"_class_name": "StableDiffusion3Pipeline"}, {
            "transformer": {"sample_size": 128, "patch_size": 2, "in_channels": 16, "num_layers": 24,
                            "attention_head_dim": 64, "num_attention_heads": 24},
            "vae": dict(SD_VAE, latent_channels=16, scaling_factor=1.5305, shift_factor=0.0609),
            "text_encoder": CLIP_L, "text_encoder_2": CLIP_G, "text_encoder_3": {"d_model": 4096, "vocab_size": 32128},
            **CLIP_TOKENIZERS, "tokenizer_3": {"pad": 0, "model_max_length": 512, "vocab": 32100},
            "scheduler": fixtures.SD3_SCHEDULER}),
        "sdxl-base": ({"_class_name": "StableDiffusionXLPipeline", "force_zeros_for_empty_prompt": True}, {
            "unet": {"sample_size": 128, "in_channels": 4, "block_out_channels": [320, 640, 1280],
                     "addition_embed_type": "text_time"},
            "vae": SD_VAE, "text_encoder": CLIP_L, "text_encoder_2": CLIP_G, **CLIP_TOKENIZERS,
            "scheduler": fixtures.SDXL_SCHEDULER}),
        "wan21-t2v-1.3b": ({"_class_name": "WanPipeline", "boundary_ratio": None}, {
            "transformer": {"patch_size": [1, 2, 2], "in_channels": 16, "num_layers": 30, "num_attention_heads": 12,
                            "attention_head_dim": 128},
            "vae": {"z_dim": 16, "scale_factor_temporal": 4, "scale_factor_spatial": 8,
                    "temperal_downsample": [False, True, True], "latents_mean": [0.0] * 16, "latents_std": [1.0] * 16},
            "text_encoder": {"d_model": 4096, "vocab_size": 256384}, "tokenizer": {"pad": 0, "vocab": 256300},
            "scheduler": fixtures.WAN_SCHEDULER}),
    }


class ImporterGlueTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.saved_modules = dict(sys.modules)
        cls.imp = install_stand_ins()
        cls.exports = []

        def load_part(_cls, folder, sub):
            return types.SimpleNamespace(config=types.SimpleNamespace(**read(os.path.join(folder, sub, "config.json"))))

        def export_component(module, args, input_names, output_names, path, dynamic_batch=True, pad_attention=False):
            cls.exports.append({"file": os.path.basename(path), "wrapper": type(module).__name__,
                                "inputs": dict(zip(input_names, (list(a.shape) for a in args))),
                                "outputs": output_names, "padAttention": pad_attention})
            # as on the H100 (import-check.md): the VAE decoders export with batch 1 only
            return {"batch": "batch 1" if "vae" in path else "dynamic batch", "paddedAttention": 0}

        cls.imp.load_part, cls.imp.export_component = load_part, export_component
        cls.work = tempfile.mkdtemp()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)
        sys.modules.clear()
        sys.modules.update(cls.saved_modules)

    def run_importer(self, fixture, folders=None, args=()):
        index, parts = folders or released_folders()[fixture]
        folder = os.path.join(self.work, fixture)
        for sub, config in parts.items():
            os.makedirs(os.path.join(folder, sub))
            name = {"scheduler": "scheduler_config.json"}.get(sub, "tokenizer.json" if sub.startswith("tokenizer")
                                                              else "config.json")
            with open(os.path.join(folder, sub, name), "w") as f:
                json.dump(config, f)
        with open(os.path.join(folder, "model_index.json"), "w") as f:
            json.dump(index, f)
        self.exports.clear()
        out = os.path.join(self.work, fixture + "-bundle")
        self.assertEqual(0, self.imp.main([folder, out, *args]))
        return read(os.path.join(out, "model.json")), {e["file"]: e for e in self.exports}, out

    def assert_model_json_is_the_fixture(self, fixture, written):
        want = read(os.path.join(FIXTURES, fixture, "model.json"))
        for key in ("schemaVersion", "kind", "components", "tokenizer", "prediction", "scheduler", "defaults",
                    "sample", "output"):
            self.assertEqual(want.get(key), written.get(key), f"{fixture}: {key}")

    def test_sd35_medium(self):
        written, exports, out = self.run_importer("sd35-medium")
        self.assert_model_json_is_the_fixture("sd35-medium", written)
        self.assertEqual({"input_ids": [2, 77]}, exports["text_encoder.onnx"]["inputs"])
        self.assertEqual(["hidden_states", "pooled"], exports["text_encoder_2.onnx"]["outputs"])
        self.assertEqual({"input_ids": [2, 256]}, exports["text_encoder_3.onnx"]["inputs"])  # T5 without mask
        self.assertEqual({"sample": [2, 16, 128, 128], "timestep": [2], "encoder_hidden_states": [2, 77 + 256, 4096],
                          "pooled_text_embeds": [2, 768 + 1280]}, exports["denoiser.onnx"]["inputs"])
        self.assertTrue(exports["denoiser.onnx"]["padAttention"])
        for sub in ("tokenizer", "tokenizer_2", "tokenizer_3"):
            self.assertTrue(os.path.isfile(os.path.join(out, sub, "tokenizer.json")))

    def test_sdxl_base(self):
        written, exports, _ = self.run_importer("sdxl-base")
        self.assert_model_json_is_the_fixture("sdxl-base", written)
        self.assertEqual(["hidden_states"], exports["text_encoder.onnx"]["outputs"])  # CLIP-L's pooled is unused
        self.assertEqual({"sample": [2, 4, 128, 128], "timestep": [2], "encoder_hidden_states": [2, 77, 2048],
                          "pooled_text_embeds": [2, 1280], "time_ids": [2, 6]}, exports["denoiser.onnx"]["inputs"])

    def test_wan21_t2v_1_3b(self):
        written, exports, _ = self.run_importer("wan21-t2v-1.3b")
        self.assert_model_json_is_the_fixture("wan21-t2v-1.3b", written)
        self.assertEqual("WanVaeDecoderExport", exports["vae_decoder.onnx"]["wrapper"])
        self.assertEqual({"latent": [1, 16, 21, 60, 104]}, exports["vae_decoder.onnx"]["inputs"])
        self.assertEqual({"input_ids": [2, 512], "attention_mask": [2, 512]}, exports["text_encoder.onnx"]["inputs"])

    def test_pixart_sigma_writes_what_the_h100_run_imported_and_lower_cases_prompts(self):
        # The small PixArt-Sigma of check_import.py, whose bundle the importer wrote on the H100 machine in the run of
        # 2026-12-06e (committed under bundles/imported-random/ with that run's diffusers reference, which
        # ImportedPipelinesMatchDiffusersTest reproduces in Java). Since then PixArt bundles also say lowercase.
        index = {"_class_name": "PixArtSigmaPipeline"}
        parts = {"transformer": {"sample_size": 8, "patch_size": 2, "in_channels": 4, "out_channels": 8, "num_layers": 2,
                                 "attention_head_dim": 72, "num_attention_heads": 2},
                 "vae": {"block_out_channels": [32, 32, 32, 32], "latent_channels": 4, "scaling_factor": 0.18215},
                 "text_encoder": {"d_model": 32, "vocab_size": 64}, "tokenizer": {"pad": 0, "vocab": 63},
                 "scheduler": {"_class_name": "DPMSolverMultistepScheduler"}}
        written, exports, _ = self.run_importer("pixart-sigma-random", (index, parts),
                                                ["--max-length", "16", "--name", "pixart-sigma-random"])
        before = read(os.path.join(FIXTURES, "..", "imported-random", "pixart-sigma-random", "model.json"))
        self.assertNotIn("lowercase", before["tokenizer"])
        self.assertTrue(written["tokenizer"]["lowercase"])  # the PixArt pipelines lower-case prompts; T5's is cased
        before["tokenizer"]["lowercase"] = True
        for key in ("schemaVersion", "name", "description", "kind", "components", "tokenizer", "prediction",
                    "scheduler", "defaults", "sample", "output", "license"):
            self.assertEqual(before[key], written[key], key)
        self.assertEqual({"sample": [2, 4, 8, 8], "timestep": [2], "encoder_hidden_states": [2, 16, 32]},
                         exports["denoiser.onnx"]["inputs"])

    def test_the_checks_agreement_takes_zeros_only_for_zeros(self):
        # SDXL's empty negative prompt is all zeros in the pipeline and in the bundle: no cosine to compare
        import check_import
        self.assertTrue(check_import.agreement("zeros", np.zeros((2, 3)), np.zeros((2, 3)))["pass"])
        self.assertFalse(check_import.agreement("ones for zeros", np.ones((2, 3)), np.zeros((2, 3)))["pass"])
        self.assertFalse(check_import.agreement("zeros for ones", np.zeros((2, 3)), np.ones((2, 3)))["pass"])
        self.assertTrue(check_import.agreement("same", np.arange(6.0), np.arange(6.0))["pass"])
        self.assertFalse(check_import.agreement("opposite", np.arange(6.0), -np.arange(6.0))["pass"])

    def test_a_two_stage_wan_2_2_folder_is_refused_before_anything_is_exported(self):
        index, parts = released_folders()["wan21-t2v-1.3b"]
        folder = os.path.join(self.work, "wan22")
        os.makedirs(os.path.join(folder, "transformer_2"))
        with open(os.path.join(folder, "model_index.json"), "w") as f:
            json.dump(dict(index, boundary_ratio=0.875), f)
        self.exports.clear()
        self.assertEqual(2, self.imp.main([folder, os.path.join(self.work, "wan22-bundle")]))
        self.assertEqual([], self.exports)


if __name__ == "__main__":
    unittest.main()
