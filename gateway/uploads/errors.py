"""The refusals of an upload, each in OpenAI's error shape with the field in ``param``.

Every one is raised before any provider is called, so none of them can have cost
anything: ``x-should-retry: false`` (the same upload would be refused again).
"""

from __future__ import annotations

from ..errors import GatewayError, InvalidRequest


class UploadTooLarge(GatewayError):
    """413: the body, one file or one text field is over the gateway's byte limit."""

    status = 413
    type = "invalid_request_error"
    code = "upload_too_large"
    should_retry = False


class TooManyParts(UploadTooLarge):
    code = "too_many_parts"


class InvalidMultipart(InvalidRequest):
    """400: the body is not a well-formed ``multipart/form-data`` message."""

    code = "invalid_multipart"


class UploadTruncated(InvalidRequest):
    """400: the body ended before the closing boundary (the client stopped sending)."""

    code = "upload_truncated"


class MissingField(InvalidRequest):
    code = "missing_field"


class DuplicateField(InvalidRequest):
    code = "duplicate_field"


class UnexpectedFile(InvalidRequest):
    """A file part where the form takes text, or in a field the form does not know."""

    code = "unexpected_file"


class ImageTooLarge(InvalidRequest):
    """The header declares more pixels than the gateway decodes (an image bomb)."""

    code = "image_too_large"


class UnsupportedImage(InvalidRequest):
    """A valid image the model does not take: format, byte size, shape, alpha, count."""

    code = "unsupported_image"


class UnsupportedModel(InvalidRequest):
    """A known model that does not serve this route (variations: dall-e-2 only)."""

    code = "unsupported_model"
