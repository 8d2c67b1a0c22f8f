"""The gateway's REST API, served under every configured prefix (``/v3``, ``/l3``)."""
