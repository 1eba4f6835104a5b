"""The only code that talks to providers.

``upstream`` runs one routing attempt (capabilities, transform, signing, HTTP, answer),
``fanout`` makes its parallel calls, ``transport`` sends them (``requests``, one session
per thread), ``signing`` adds SigV4 or a Google token just before sending, ``preflight``
and ``custom_hosts`` check and pin every host before the first call, ``delivery`` turns
an answer into the format asked for (fetching a provider's image URL when needed) and
``image_store`` hosts the images the gateway serves by signed URL.
"""
