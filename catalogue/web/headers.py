"""Security headers on every response: a Content-Security-Policy without inline scripts,
no MIME sniffing, no framing by other sites and a conservative Referrer-Policy."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app


def tile_origin(template: str) -> str | None:
    """The origin a map tile URL template loads from (``{s}`` subdomains as a wildcard)."""
    parts = urlsplit(template.replace("{s}", "*"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(tile_url: str) -> str:
    """The CSP: everything from this site only, map tiles from the configured tile server."""
    images = "'self' data:"
    origin = tile_origin(tile_url) if tile_url else None
    if origin:
        images += f" {origin}"
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {images}",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def _add_headers(response: Response) -> Response:
    """Set the headers a view has not set itself."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(current_app.config.get("TILE_URL", "")))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_add_headers)
