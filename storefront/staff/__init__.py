"""The staff area: sign-in, orders, refunds. Every page needs a signed-in staff member."""

from flask import Blueprint

from ..extensions import db, login_manager
from ..models import StaffUser

bp = Blueprint("staff", __name__, url_prefix="/staff")

login_manager.login_view = "staff.login"
login_manager.login_message = "Please sign in to see that page."


@login_manager.user_loader
def load_staff(user_id: str) -> StaffUser | None:
    if not user_id.isdigit():
        return None
    return db.session.get(StaffUser, int(user_id))
