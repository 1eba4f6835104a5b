"""OpenAI's published image prices, per model, size and quality. Pure: no IO.

Prices are per output image as OpenAI's price page lists them ("Image generation"
table). The gpt-image models also bill the prompt's text tokens, which are small
and not counted here. ``quality: auto`` (gpt-image's default) and ``size: auto`` let
OpenAI choose: they are priced at the dearest choice (``..pricing``), and the answer,
which says the ``size`` and ``quality`` it made, settles the cost. The page itself was
read through stored copies that quote its table
(burncloud.com/aiapi-detail/gpt-image-1.html for gpt-image-1,
llmreference.com/model/gpt-image-1-mini/openai-api for gpt-image-1-mini,
runware.ai/docs/models/openai-gpt-image-1-5 for gpt-image-1.5, and
github.com/kevinhermawan/Canvas model-info.json for DALL·E); they agree with it.

Edits and variations use the same table. dall-e-2 has one per-image price per size
for every image endpoint it serves (generations, edits, variations: its model page,
https://developers.openai.com/api/docs/models/dall-e-2, read 2026-12-06, lists
$0.016, $0.018 and $0.02 and names no other). A GPT image edit is priced as the
output image it makes, as for a generation; the input images, which OpenAI bills as
image input tokens (reported in the answer's ``usage``), are not counted, so an
edit's cost here is a lower bound.
"""

from __future__ import annotations

from ..pricing import ANY, Price, PriceTable, table_price, usd

_PAGE = "https://developers.openai.com/api/docs/pricing#image-generation (read 2026-11-26)"
_SQUARE, _PORTRAIT, _LANDSCAPE = "1024x1024", "1024x1536", "1536x1024"


def _p(dollars: str) -> Price:
    return Price(usd(dollars), _PAGE)


def _gpt_image(low: tuple[str, str], medium: tuple[str, str], high: tuple[str, str]) -> dict:
    """(square, portrait-or-landscape) prices per quality; both oblong sizes cost the same."""
    table: dict[tuple[str, str], Price] = {}
    for quality, (square, oblong) in (("low", low), ("medium", medium), ("high", high)):
        table[(_SQUARE, quality)] = _p(square)
        table[(_PORTRAIT, quality)] = _p(oblong)
        table[(_LANDSCAPE, quality)] = _p(oblong)
    return table


PRICES: PriceTable = {
    "dall-e-2": {
        ("256x256", ANY): _p("0.016"),
        ("512x512", ANY): _p("0.018"),
        ("1024x1024", ANY): _p("0.020"),
    },
    "dall-e-3": {
        ("1024x1024", "standard"): _p("0.040"),
        ("1024x1792", "standard"): _p("0.080"),
        ("1792x1024", "standard"): _p("0.080"),
        ("1024x1024", "hd"): _p("0.080"),
        ("1024x1792", "hd"): _p("0.120"),
        ("1792x1024", "hd"): _p("0.120"),
    },
    "gpt-image-1": _gpt_image(("0.011", "0.016"), ("0.042", "0.063"), ("0.167", "0.25")),
    "gpt-image-1-mini": _gpt_image(("0.005", "0.006"), ("0.011", "0.015"), ("0.036", "0.052")),
    "gpt-image-1.5": _gpt_image(("0.009", "0.013"), ("0.034", "0.05"), ("0.133", "0.2")),
}
price = table_price(PRICES)
# The output images of an edit or variation; input-image tokens are not counted.
edit_price = variation_price = price
