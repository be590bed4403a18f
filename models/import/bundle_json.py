"""model.json for imported bundles (docs/model-bundle.md), without torch: the scheduler mapping, the
component entries and the top-level object, so the part of the importer that SageStudio's BundleLoader
reads can be tested on a machine without torch (models/import/test_bundle_json.py writes the fixtures
that ImportedBundlesTest loads). Also what check_import.py needs to mirror SageStudio's runtime: the text
combination rules (sd3, sdxl) and SageStudio's seeded noise, so a reference run in Python starts from the
latents a `--seed` gives in Java.
"""
import json
import math
import os

import numpy as np


class ImportRefused(Exception):
    """A pipeline the importer cannot turn into a bundle, with the reason."""


# ---------------------------------------------------------------------------------------------
# Scheduler config -> model.json's prediction and scheduler

SCHEDULER_NAMES = {
    "DPMSolverMultistepScheduler": "dpmpp_2m",
    "DDIMScheduler": "ddim",
    "EulerDiscreteScheduler": "euler",
    "EulerAncestralDiscreteScheduler": "euler_ancestral",
    "FlowMatchEulerDiscreteScheduler": "flow_euler",
    # Wan 2.1's released config: UniPC over flow sigmas. SageStudio has no UniPC; the same model samples
    # with flow_euler (a first-order solver on the same sigmas), which the notes say.
    "UniPCMultistepScheduler": "flow_euler",
}
PREDICTIONS = {"epsilon": "epsilon", "v_prediction": "v"}


def scheduler_fields(config):
    """(prediction, scheduler object, notes): notes name what SageStudio's sampler does differently."""
    cls = config.get("_class_name")
    if cls not in SCHEDULER_NAMES:
        raise ImportRefused(f"scheduler {cls} has no SageStudio equivalent ({', '.join(SCHEDULER_NAMES)})")
    name = SCHEDULER_NAMES[cls]
    notes = []
    if cls == "UniPCMultistepScheduler":
        if not config.get("use_flow_sigmas") or config.get("prediction_type") != "flow_prediction":
            raise ImportRefused("UniPCMultistepScheduler is supported only over flow sigmas with flow_prediction"
                                " (Wan 2.1's configuration)")
        notes.append("diffusers samples with UniPC (multistep, order 2); SageStudio samples the same flow sigmas"
                     " with flow_euler")
        return "flow", {"name": name, "numTrainTimesteps": int(config.get("num_train_timesteps", 1000)),
                        "shift": float(config.get("flow_shift", 1.0))}, notes
    if name == "flow_euler":
        if config.get("use_dynamic_shifting"):
            raise ImportRefused("FlowMatchEulerDiscreteScheduler with use_dynamic_shifting (a shift that depends"
                                " on the image size) has no SageStudio equivalent")
        notes.append("diffusers' default flow grid is linspace(1, shift(1/N), S) shifted again; SageStudio's is"
                     " shift(1 - k/S), k = 0..S-1 (the grid diffusers uses when given sigmas=1 - k/S)")
        return "flow", {"name": name, "numTrainTimesteps": int(config.get("num_train_timesteps", 1000)),
                        "shift": float(config.get("shift", 1.0))}, notes
    prediction = config.get("prediction_type", "epsilon")
    if prediction not in PREDICTIONS:
        raise ImportRefused(f"prediction type {prediction} is not supported (epsilon, v_prediction)")
    schedule = config.get("beta_schedule", "linear")
    if schedule not in ("linear", "scaled_linear", "squaredcos_cap_v2"):
        raise ImportRefused(f"beta schedule {schedule} is not supported")
    fields = {"name": name, "numTrainTimesteps": int(config.get("num_train_timesteps", 1000)),
              "betaSchedule": schedule}
    if schedule != "squaredcos_cap_v2":
        fields["betaStart"] = float(config.get("beta_start", 0.0001))
        fields["betaEnd"] = float(config.get("beta_end", 0.02))
    spacing = config.get("timestep_spacing", "linspace")
    if spacing in ("leading", "trailing", "linspace"):
        fields["timestepSpacing"] = spacing
    else:
        notes.append(f"timestep_spacing {spacing} is not a SageStudio field; trailing is used")
    if int(config.get("steps_offset", 0) or 0) != 0:
        notes.append(f"steps_offset {config['steps_offset']} is not carried over (SageStudio uses 0)")
    for flag in ("use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas"):
        if config.get(flag):
            notes.append(f"{flag} is not carried over (SageStudio spaces sigmas by timestep)")
    return PREDICTIONS[prediction], fields, notes


# ---------------------------------------------------------------------------------------------
# Component entries

def tensor_spec(name, dtype, shape):
    return {"name": name, "dtype": dtype, "shape": list(shape)}


def float_tensors(names_and_shapes):
    """{role: tensor} where each graph tensor is named after its role (the importer's exports do that)."""
    return {role: tensor_spec(role, "float32", shape) for role, shape in names_and_shapes}


def text_encoder_entry(file, batch, length, width, with_mask=False, pooled=None, tokenizer=None):
    """A text encoder component: input_ids (+ attention_mask), hidden_states (+ pooled [B, pooled])."""
    inputs = {"input_ids": tensor_spec("input_ids", "int64", [batch, length])}
    if with_mask:
        inputs["attention_mask"] = tensor_spec("attention_mask", "int64", [batch, length])
    outputs = {"hidden_states": tensor_spec("hidden_states", "float32", [batch, length, width])}
    if pooled:
        outputs["pooled"] = tensor_spec("pooled", "float32", [batch, pooled])
    entry = {"file": file}
    if tokenizer is not None:
        entry["tokenizer"] = tokenizer
    entry["inputs"], entry["outputs"] = inputs, outputs
    return entry


def tokenizer_entry(file, max_length, pad_id, lowercase=False):
    """`lowercase` is written only where the pipeline lower-cases prompts (the field is optional, default false)."""
    entry = {"file": file, "maxLength": int(max_length), "padId": int(pad_id)}
    if lowercase:
        entry["lowercase"] = True
    return entry


def denoiser_entry(file, batch, sample_shape, text_length, text_width, pooled=None, time_ids=False):
    """sample/model_output of `sample_shape` (without batch), timestep, encoder_hidden_states, and for
    schemaVersion-2 bundles pooled_text_embeds and SDXL's time_ids."""
    inputs = {"sample": tensor_spec("sample", "float32", [batch, *sample_shape]),
              "timestep": tensor_spec("timestep", "float32", [batch]),
              "encoder_hidden_states": tensor_spec("encoder_hidden_states", "float32", [batch, text_length, text_width])}
    if pooled:
        inputs["pooled_text_embeds"] = tensor_spec("pooled_text_embeds", "float32", [batch, pooled])
    if time_ids:
        inputs["time_ids"] = tensor_spec("time_ids", "float32", [batch, 6])
    return {"file": file, "inputs": inputs,
            "outputs": {"model_output": tensor_spec("model_output", "float32", [batch, *sample_shape])}}


def vae_decoder_entry(file, batch, latent_shape, image_shape, scaling_factor=1.0, shift_factor=0.0,
                      temporal_scale=None):
    entry = {"file": file,
             "inputs": {"latent": tensor_spec("latent", "float32", [batch, *latent_shape])},
             "outputs": {"image": tensor_spec("image", "float32", [batch, *image_shape])},
             "scalingFactor": float(scaling_factor), "shiftFactor": float(shift_factor)}
    if temporal_scale is not None:
        entry["temporalScale"] = int(temporal_scale)
    return entry


def model_json(*, name, display_name, description, kind, components, prediction, scheduler, steps, guidance,
               sample, license_spdx, extensions, tokenizer=None):
    """The top-level object. schemaVersion 2 where the bundle uses what version 1 cannot say (several text
    encoders, a decoder of whole clips), else 1, so older readers keep reading PixArt bundles."""
    decoder = components.get("vaeDecoder", {})
    version = 2 if "textEncoders" in components or "temporalScale" in decoder else 1
    bundle = {"schemaVersion": version, "name": name, "displayName": display_name, "description": description,
              "kind": kind, "components": components}
    if tokenizer is not None:
        bundle["tokenizer"] = tokenizer
    bundle.update({
        "prediction": prediction,
        "scheduler": scheduler,
        "defaults": {"steps": int(steps), "guidanceScale": float(guidance), "negativePrompt": ""},
        "sample": sample,
        "output": {"valueRange": [-1.0, 1.0]},
        "license": {"spdx": license_spdx, "attribution": []},
        "extensions": {"sagestudio": extensions},
    })
    return bundle


def write_model_json(out, bundle):
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(bundle, f, indent=2)
        f.write("\n")


def combine_text(rule, states, pooled, zeros=False):
    """The denoiser's text inputs from several encoders' outputs (each [B, T_i, C_i], pooled [B, P_i] or None),
    by the bundle's rule as docs/model-bundle.md defines it (diffusers' StableDiffusion3Pipeline and
    StableDiffusionXLPipeline): (encoder_hidden_states, pooled_text_embeds). `zeros`: SDXL's all-zero
    negative (zerosForEmptyNegative with an empty negative prompt)."""
    if rule == "sd3":
        clip = np.concatenate(states[:2], axis=-1)
        clip = np.pad(clip, ((0, 0), (0, 0), (0, states[2].shape[-1] - clip.shape[-1])))
        return np.concatenate([clip, states[2]], axis=1), np.concatenate(pooled[:2], axis=-1)
    if rule == "sdxl":
        combined, pool = np.concatenate(states, axis=-1), pooled[1]
        return (np.zeros_like(combined), np.zeros_like(pool)) if zeros else (combined, pool)
    raise ValueError(f"unknown combination rule {rule}")


# ---------------------------------------------------------------------------------------------
# SageStudio's seeded noise (dev.sagestudio.models.noise.SeededNoise), for reference runs

_MASK = (1 << 64) - 1


def seeded_noise(seed, shape):
    """The float32 tensor SeededNoise(seed) fills in row-major order: SplitMix64 bits, uniforms
    ((bits >>> 11) + 1) * 2^-53, Box-Muller pairs with the cosine value first. Java computes the
    transcendental functions with fdlibm and Python with the C library; both are within an ulp in double,
    which the rounding to float hides but for rare ties."""
    state = seed & _MASK
    count = int(np.prod(shape))
    out = np.empty(count, dtype=np.float32)

    def uniform():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & _MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        z ^= z >> 31
        return ((z >> 11) + 1) * 2.0 ** -53

    i = 0
    while i < count:
        r = math.sqrt(-2.0 * math.log(uniform()))
        angle = 2.0 * math.pi * uniform()
        out[i] = r * math.cos(angle)
        if i + 1 < count:
            out[i + 1] = r * math.sin(angle)
        i += 2
    return out.reshape(shape)
