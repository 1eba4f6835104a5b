"""Recraft's models and their limits.

From https://www.recraft.ai/docs/api-reference/endpoints and .../appendix: ``n`` is 1
to 6 for every model; prompts are at most 1000 characters for V2/V3 and 10000 for
V4; sizes come from the appendix's per-model tables (vector models are documented
with aspect ratios only, so their pixel sizes are left to Recraft); ``style`` and
``style_id`` pick V2/V3 styles and "are not supported for V4 models";
``negative_prompt`` is V2/V3 only, ``text_layout`` and ``controls.artistic_level``
(0 to 5) V3 only. Portkey clamps ``n`` to 2 silently; here up to 10 images (OpenAI's
limit) may be asked for: more than 6 become two calls, made in parallel
(``gateway.outbound.fanout``), for any model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ..capabilities import Capabilities, ModelSpec

V2_V3_SIZES = (
    "1024x1024", "1365x1024", "1024x1365", "1536x1024", "1024x1536", "1820x1024",
    "1024x1820", "1024x2048", "2048x1024", "1434x1024", "1024x1434", "1024x1280",
    "1280x1024", "1024x1707", "1707x1024",
)  # fmt: skip
V4_SIZES = (
    "1024x1024", "1536x768", "768x1536", "1280x832", "832x1280", "1216x896", "896x1216",
    "1152x896", "896x1152", "832x1344", "1280x896", "896x1280", "1344x768", "768x1344",
)  # fmt: skip
V4_PRO_SIZES = (
    "2048x2048", "3072x1536", "1536x3072", "2560x1664", "1664x2560", "2432x1792",
    "1792x2432", "2304x1792", "1792x2304", "1664x2688", "2560x1792", "1792x2560",
    "2688x1536", "1536x2688",
)  # fmt: skip
N_MAX = 6

Extras = Mapping[str, tuple[int, ...] | None]
_V2: Extras = {"negative_prompt": None}
_V3: Extras = {"negative_prompt": None, "text_layout": None, "artistic_level": tuple(range(6))}


def _v2_v3(sizes: tuple[str, ...] | None, extras: Extras) -> ModelSpec:
    return ModelSpec(prompt_max=1000, n_max=10, n_per_call=N_MAX, sizes=sizes, extras=extras)


def _v4(sizes: tuple[str, ...] | None) -> ModelSpec:
    default = {"size": sizes[0]} if sizes else {}
    return ModelSpec(
        prompt_max=10000, n_max=10, n_per_call=N_MAX, sizes=sizes, styles=(), defaults=default
    )


CAPABILITIES = Capabilities(
    # The model Portkey's users know and the one every documented style works with.
    # Recraft's own default moves with each release, so the model is always sent.
    default_model="recraftv3",
    n_per_call=N_MAX,  # "1 to 6 for every model"
    models={
        "recraftv2": _v2_v3(V2_V3_SIZES, _V2),
        "recraftv2_vector": _v2_v3(None, _V2),
        "recraftv3": _v2_v3(V2_V3_SIZES, _V3),
        "recraftv3_vector": _v2_v3(None, _V3),
        "recraftv4": _v4(V4_SIZES),
        "recraftv4_vector": _v4(None),
        "recraftv4_pro": _v4(V4_PRO_SIZES),
        "recraftv4_pro_vector": _v4(None),
        "recraftv4_1": _v4(V4_SIZES),
        "recraftv4_1_vector": _v4(None),
        "recraftv4_1_pro": _v4(V4_PRO_SIZES),
        "recraftv4_1_pro_vector": _v4(None),
        "recraftv4_1_utility": _v4(V4_SIZES),
        "recraftv4_1_utility_vector": _v4(None),
        "recraftv4_1_utility_pro": _v4(V4_PRO_SIZES),
        "recraftv4_1_utility_pro_vector": _v4(None),
    },
    model_only={
        "negative_prompt": "Recraft V2 and V3 models",
        "text_layout": "Recraft V3 models",
        "artistic_level": "Recraft V3 models",
    },
)

# Edits (inpaint, imageToImage): the output keeps the input's framing, so ``size`` is
# ``auto`` only; V2 has no edits ("Works with Recraft V3, V4, and V4.1"); ``style``
# and ``negative_prompt`` are V3's (V4 refuses ``style`` as for generations). Nested
# ``controls`` and ``text_layout`` cannot travel in a form: not in these tables.
_AUTO = {"size": "auto"}
EDIT_CAPABILITIES = Capabilities(
    default_model="recraftv3",
    n_per_call=N_MAX,
    family_defaults={"": _AUTO},  # a model the table does not know sends no size either
    models={
        name: replace(
            spec,
            sizes=("auto",),
            defaults=_AUTO,
            extras={"negative_prompt": None} if name.startswith("recraftv3") else {},
        )
        for name, spec in CAPABILITIES.models.items()
        if not name.startswith("recraftv2")
    },
    model_only={"negative_prompt": "Recraft V3 models"},
)
# Variations (variateImage): ``size`` is required and one of Recraft's sizes (its
# aspect ratios cannot be named through OpenAI's WIDTHxHEIGHT); no prompt, no style.
VARIATION_SIZES = tuple(dict.fromkeys((*V2_V3_SIZES, *V4_SIZES, *V4_PRO_SIZES)))
_VARIATE = ModelSpec(prompt_max=0, n_max=10, n_per_call=N_MAX, sizes=VARIATION_SIZES, styles=())
VARIATION_CAPABILITIES = Capabilities(
    # Not sent unless named: Recraft picks the model that remixes (edits.py).
    default_model="recraftv3",
    n_per_call=N_MAX,
    models={name: _VARIATE for name in EDIT_CAPABILITIES.models},
)
