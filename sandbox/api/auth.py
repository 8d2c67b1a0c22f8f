"""Bearer-token authentication and merchant ownership (CONTRACT §1.1, §2.1).

A token identifies an account; the account owns the merchants configured with that token.
Business endpoints need a valid token (401 otherwise) and answer 403 for another account's
merchant or objects. The auth check itself answers an anonymous user when no token is sent.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, g, request

from ..config import Merchant
from ..errors import forbidden, unauthorized
from ..services import services
from .common import one

bp = Blueprint("auth", __name__)

USER_NAMESPACE = uuid.UUID("6f1c1b52-8a7e-4d55-9a39-5c3f2f0b8d11")


def bearer_token() -> str | None:
    """The token of ``Authorization: Bearer <token>``; None without the header."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized()
    return token.strip()


def account_merchants() -> tuple[Merchant, ...]:
    """Merchants of the request's account. 401 when the token is missing or unknown."""
    if "merchants" not in g:
        token = bearer_token()
        merchants = services().config.merchants_for_token(token) if token else ()
        if not merchants:
            raise unauthorized()
        g.merchants = merchants
    return g.merchants


def merchant_ids() -> list[str]:
    return [m.id for m in account_merchants()]


def require_merchant(merchant_id: str) -> Merchant:
    """The account's merchant with this id; 403 if the account does not own it."""
    for merchant in account_merchants():
        if merchant.id == merchant_id:
            return merchant
    raise forbidden()


@bp.get("/security/api/auth/auth")
def check_auth() -> Response:
    token = bearer_token()
    if token is None:
        return one({"userId": None, "profile": None, "accessToken": None})
    account_merchants()
    user_id = str(uuid.uuid5(USER_NAMESPACE, token))
    return one({"userId": user_id, "profile": None, "accessToken": None})
