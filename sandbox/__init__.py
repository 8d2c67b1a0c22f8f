"""A local stand-in for the Invoicebox payment gateway, API v3: REST API, hosted payment page
and signed notifications. Run it with ``python -m sandbox``; see :mod:`sandbox.__main__`."""

from .app import create_app

__all__ = ["create_app"]
__version__ = "1.0"
