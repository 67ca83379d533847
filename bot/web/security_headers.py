"""Security headers on every response: a strict Content-Security-Policy (no inline script or style), no framing,
no MIME sniffing, no referrer to other sites, and no-store wherever a response may carry personal data.

A small after-request hook rather than flask-talisman: talisman redirects to HTTPS itself (here nginx does, and tests
speak plain HTTP to loopback) and knows nothing of which responses must not be stored; what is left is the dict below.
"""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, g, request

from bot.config import MapSettings, Settings

# Static files, the API's OpenAPI document and Open311's services (the public catalogue, nothing personal: the view
# says for how long) may be cached; everything else may name a resident, a place or a ticket.
CACHEABLE_ENDPOINTS = frozenset({"portal.static", "api.openapi", "open311.services_list", "open311.service_definition"})
# The 办理公示 pages show only what bot/cases/publication.py lets out, the same to everyone: their views say how long
# they may be kept (bot/web/public); their errors, which say nothing, are not kept.
PUBLIC_BLUEPRINTS = frozenset({"public"})


def csp_nonce() -> str:
    """This response's nonce for a <style> element the server itself wrote (the scoreboard's charts); a page that
    uses none gets none in its policy."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(img_sources: tuple[str, ...] = (), style_nonce: str = "") -> str:
    """Only this server's own scripts, styles and fonts; images also from data: and blob: (photos shrunk in the
    browser before upload) and from the map's tile hosts and those server.img_sources names."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", *([f"'nonce-{style_nonce}'"] if style_nonce else [])],
        "img-src": ["'self'", "data:", "blob:", *img_sources],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def tile_sources(settings: MapSettings) -> tuple[str, ...]:
    """The hosts the map's tiles come from (map.tile_url, its {s} spelled out), which the policy must let in."""
    parts = urlsplit(settings.tile_url)
    if not parts.scheme or not parts.netloc:
        return ()
    hosts = [parts.netloc.replace("{s}", sub) for sub in settings.tile_subdomains] if "{s}" in parts.netloc \
        else [parts.netloc]
    return tuple(dict.fromkeys(f"{parts.scheme}://{host}" for host in hosts))


def install_security_headers(app: Flask, settings: Settings) -> None:
    """Add the headers to every response of this app."""
    img_sources = settings.server.img_sources + tile_sources(settings.map)
    fixed = {
        "Content-Security-Policy": content_security_policy(img_sources),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(self), geolocation=(self), microphone=()",
    }
    if settings.server.public_url.startswith("https://"):
        fixed["Strict-Transport-Security"] = "max-age=31536000"

    @app.after_request
    def _secure(response: Response) -> Response:
        response.headers.update(fixed)
        if "csp_nonce" in g:
            response.headers["Content-Security-Policy"] = content_security_policy(img_sources, g.csp_nonce)
        chose_itself = request.blueprint in PUBLIC_BLUEPRINTS and response.status_code < 400 \
            and "Cache-Control" in response.headers
        if request.endpoint not in CACHEABLE_ENDPOINTS and not chose_itself:
            response.headers["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
        return response
