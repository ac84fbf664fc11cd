"""The HTTP API (litestar + msgspec). `create_app(settings)` builds it."""

from interfaces.http.app import create_app

__all__ = ["create_app"]
