"""Stability AI's model tables, the same wherever its models are served. Pure: no IO.

Stability's own API, Bedrock and Fireworks AI run the same SDXL and SD3 models, so
they take the same style presets, SDXL's nine sizes and SD3's aspect ratios
(platform.stability.ai/docs/api-reference: StylePreset, DiffuseImageHeight/Width,
aspect_ratio).
"""

from __future__ import annotations

STYLE_PRESETS = (
    "3d-model",
    "analog-film",
    "anime",
    "cinematic",
    "comic-book",
    "digital-art",
    "enhance",
    "fantasy-art",
    "isometric",
    "line-art",
    "low-poly",
    "modeling-compound",
    "neon-punk",
    "origami",
    "photographic",
    "pixel-art",
    "tile-texture",
)
# SDXL 1.0 takes only these.
SDXL_SIZES = (
    "1024x1024",
    "1152x896",
    "896x1152",
    "1216x832",
    "832x1216",
    "1344x768",
    "768x1344",
    "1536x640",
    "640x1536",
)
# SD3 / Core / Ultra: ratio -> the ~1 MP size SD3 renders for it (the size names the ratio).
SD3_RATIOS = {
    "1:1": (1024, 1024),
    "16:9": (1344, 768),
    "9:16": (768, 1344),
    "21:9": (1536, 640),
    "9:21": (640, 1536),
    "3:2": (1216, 832),
    "2:3": (832, 1216),
    "5:4": (1088, 896),
    "4:5": (896, 1088),
}
