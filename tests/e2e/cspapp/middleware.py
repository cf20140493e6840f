"""The page's Content-Security-Policy, picked by ``?csp=``: none, nonce, self or trusted."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.utils.decorators import sync_and_async_middleware

POLICIES = {
    "none": None,
    "nonce": "script-src 'nonce-{nonce}' 'strict-dynamic'; object-src 'none'; base-uri 'none'",
    "self": "script-src 'self'; object-src 'none'",
    "trusted": (
        "script-src 'nonce-{nonce}' 'strict-dynamic'; object-src 'none'; base-uri 'none'; "
        "require-trusted-types-for 'script'; trusted-types dj-layouts"
    ),
}


def _before(request: Any) -> str | None:
    policy = POLICIES[request.GET.get("csp", "none")]
    if policy is not None and "{nonce}" in policy:
        request.csp_nonce = secrets.token_urlsafe(16)
        policy = policy.format(nonce=request.csp_nonce)
    return policy


def _after(response: Any, policy: str | None) -> Any:
    if policy is not None:
        response["Content-Security-Policy"] = policy
    return response


@sync_and_async_middleware
def csp(get_response: Callable[..., Any]) -> Callable[..., Any]:
    if iscoroutinefunction(get_response):

        async def amiddleware(request: Any) -> Any:
            policy = _before(request)
            return _after(await get_response(request), policy)

        return amiddleware

    def middleware(request: Any) -> Any:
        policy = _before(request)
        return _after(get_response(request), policy)

    return middleware
