"""The sandbox's HTTP face: aiohttp routes for every endpoint of the reference.

Handlers parse the request and call the Gateway; one middleware stamps arrival
(for the rate window), turns refusals into JSON errors, adds the latency knob
and carries out connection drops.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from omninb.sandbox.faults import Fate
from omninb.sandbox.gateway import Gateway, parse_mode
from omninb.sandbox.refusal import Refusal, error_body
from omninb.sandbox.rules import decode_body, records_of

__all__ = ["GATEWAY", "make_app"]

GATEWAY = web.AppKey("gateway", Gateway)
_ARRIVED = web.RequestKey("arrived", float)
_IMPORT = "/omnichannel/api/v1"
_STATUS = "/common-status/v1"


class _Drop(Exception):
    """Close the connection without answering (the drop knobs)."""


def make_app(gateway: Gateway) -> web.Application:
    """The aiohttp application serving ``gateway``.

    Example:
        >>> from omninb.sandbox.config import Credential, Knobs
        >>> app = make_app(Gateway(Knobs(), (Credential("c", "s", ("k",)),), None))
        >>> len(app.router.routes()) >= 5
        True

    Raises:
        Nothing.
    """
    app = web.Application(middlewares=[_gateway_middleware], client_max_size=2 * 1024**2)
    app[GATEWAY] = gateway
    app.router.add_post(f"{_IMPORT}/oauth2/token", _token_handler("import"))
    app.router.add_post(f"{_STATUS}/oauth2/token", _token_handler("status"))
    app.router.add_post(f"{_IMPORT}/{{apiKey}}/{{kind:orders|returns}}", _post_records)
    app.router.add_put(
        f"{_IMPORT}/{{apiKey}}/{{kind:orders|returns}}/users/{{userId}}", _put_record
    )
    app.router.add_get(f"{_STATUS}/{{apiKey}}/job/{{jobId}}/events", _job_events)
    return app


@web.middleware
async def _gateway_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    gateway = request.app[GATEWAY]
    # Stamped before the body is read: the rate window counts arrival, not processing, time.
    request[_ARRIVED] = gateway.clock()
    try:
        response = await _answer_or_refuse(request, handler)
    except _Drop:
        await _pause(gateway)
        if request.transport is not None:
            request.transport.close()
        # aiohttp cannot write this answer to the closed transport and ends the connection quietly.
        return web.Response(status=204)
    await _pause(gateway)
    return response


async def _answer_or_refuse(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except Refusal as refusal:
        return _json(error_body(refusal.status, str(refusal)), refusal.status, refusal.headers)
    except web.HTTPException as exc:  # aiohttp's own 404/405/413: answered as JSON like the rest
        return _json(error_body(exc.status, exc.reason), exc.status, None)


async def _pause(gateway: Gateway) -> None:
    delay = gateway.faults.delay()
    if delay:
        await asyncio.sleep(delay)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        headers=headers,
        content_type="application/json",
    )


def _token_handler(service: str) -> Any:
    async def handler(request: web.Request) -> web.Response:
        params = dict(request.query)
        if request.content_type == "application/x-www-form-urlencoded":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        return _json(request.app[GATEWAY].token(service, params))

    return handler


async def _post_records(request: web.Request) -> web.Response:
    return await _import(request, batch=True)


async def _put_record(request: web.Request) -> web.Response:
    return await _import(request, batch=False)


async def _import(request: web.Request, *, batch: bool) -> web.Response:
    gateway = request.app[GATEWAY]
    api_key, kind = request.match_info["apiKey"], request.match_info["kind"]
    gateway.tokens.check("import", request.headers.get("Authorization"), api_key)
    mode = parse_mode(request.query.get("mode"))
    body = decode_body(await request.read(), request.headers.get("Content-Encoding"))
    records = records_of(body, batch=batch, user_id=request.match_info.get("userId"))
    gateway.admit(api_key, len(records), request[_ARRIVED])
    fate = _befall(gateway, api_key)
    answer = gateway.ingest(api_key, kind, mode, records)
    if fate is Fate.DROP_AFTER:
        raise _Drop
    return _json(answer)


def _befall(gateway: Gateway, api_key: str) -> Fate:
    """Draw this request's fate; the faults that strike before storing are raised here."""
    fate = gateway.faults.fate()
    if fate is Fate.ERROR:
        raise Refusal(
            gateway.faults.error_status(),
            f"Simulated server error (error_rate knob): nothing was stored for apiKey {api_key}. Retry.",
        )
    if fate is Fate.DROP_BEFORE:
        raise _Drop
    return fate


async def _job_events(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    api_key = request.match_info["apiKey"]
    gateway.tokens.check("status", request.headers.get("Authorization"), api_key)
    return _json(gateway.events(api_key, request.match_info["jobId"], request.query))
