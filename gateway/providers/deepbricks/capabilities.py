"""Deepbricks' image models: it resells OpenAI's, so the limits are OpenAI's own.

Portkey's deepbricks config is OpenAI's (same parameters, default model dall-e-2);
Deepbricks publishes no image limits of its own.
"""

from __future__ import annotations

from ..openai.capabilities import CAPABILITIES

__all__ = ["CAPABILITIES"]
