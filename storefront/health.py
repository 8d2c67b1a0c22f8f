from flask import Blueprint, jsonify
from sqlalchemy import text

from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Liveness and database reachability, for load balancers and the demo runner."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not ready"
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
