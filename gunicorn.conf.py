"""gunicorn settings for the shop (``make serve``), all from the environment."""

import os

_host = os.environ.get("STOREFRONT_HOST", "127.0.0.1")
bind = f"{_host}:{os.environ.get('STOREFRONT_PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads let one worker wait on the gateway (up to the write timeout) while
# serving other buyers.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# Longer than INVOICEBOX_WRITE_TIMEOUT, so a slow gateway call is never cut off mid-write.
timeout = 60
graceful_timeout = 30
keepalive = 5
# The app writes its own structured line per request.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
wsgi_app = "storefront:create_app()"
