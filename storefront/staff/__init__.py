"""The staff area: sign-in, orders, refunds, shipments. Every page needs a signed-in staff
member."""

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..extensions import login_manager
from .accounts import load_session_staff
from .formatting import (
    checked_by,
    event_title,
    request_status_word,
    shipment_word,
    status_word,
    template_helpers,
)

bp = Blueprint("staff", __name__, url_prefix="/staff")

login_manager.login_view = "staff.login"
login_manager.login_message = _l("Please sign in to see that page.")

# The only staff pages open to anyone.
PUBLIC_ENDPOINTS = frozenset({"staff.login"})


# Flask-Login hands the loader what ``StaffUser.get_id`` put in the session (or in a
# remember cookie): ended sessions load no one.
login_manager.user_loader(load_session_staff)


@bp.before_request
def require_staff():
    """Guard the whole blueprint, so a new page cannot be left open by mistake."""
    if request.endpoint not in PUBLIC_ENDPOINTS and not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.after_request
def never_cache(response):
    # Order pages show personal data and amounts: no shared or back-button caches.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


bp.context_processor(template_helpers)
# Globals, so that the staff macros imported without context can use them too.
bp.add_app_template_global(status_word)
bp.add_app_template_global(event_title)
bp.add_app_template_global(checked_by)
bp.add_app_template_global(request_status_word)
bp.add_app_template_global(shipment_word)

from . import actions, auth, mail, products, refund_requests, routes, shipping  # noqa: E402,F401,I001  (attach the views)

bp.add_app_template_global(refund_requests.open_requests_count)  # noqa: E402
