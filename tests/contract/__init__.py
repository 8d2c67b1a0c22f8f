"""The API contract suite: what the gateway promises, checked against any base URL."""
