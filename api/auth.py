"""Subscription-key authentication: ``Ocp-Apim-Subscription-Key`` against the two configured keys."""
from __future__ import annotations

import hmac

import azure.functions as func

from mvad_engine.errors import MvadError

KEY_HEADER = "Ocp-Apim-Subscription-Key"
MISSING_KEY = ("Access denied due to missing subscription key. "
               "Make sure to include subscription key when making requests to an API.")
INVALID_KEY = ("Access denied due to invalid subscription key or wrong API endpoint. "
               "Make sure to provide a valid key for an active subscription and use a correct API endpoint.")


def authenticate(req: func.HttpRequest, keys: tuple[str, ...]) -> None:
    """Raise MvadError Unauthorized unless the request carries one of ``keys``."""
    given = req.headers.get(KEY_HEADER)
    if not given:
        raise MvadError("Unauthorized", MISSING_KEY)
    given_bytes = given.encode()
    # compare with every key, in constant time, so timing tells nothing about which key or how much matched
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(given_bytes, key.encode())
    if not matched:
        raise MvadError("Unauthorized", INVALID_KEY)
