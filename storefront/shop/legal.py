"""The public offer (terms of sale) and the privacy policy.

Legal texts are whole documents, so each language has a template of its own
(``shop/legal/<page>_<language>.html``) rather than a catalog entry per sentence. The seller's
details in them come from the ``STOREFRONT_SELLER_*`` settings, as in the footer.
"""

from __future__ import annotations

from flask import render_template

from ..i18n import current_language
from . import bp
from .forms import PRIVACY_POLICY_VERSION


@bp.get("/terms")
def terms():
    return render_template(f"shop/legal/terms_{current_language()}.html")


@bp.get("/privacy")
def privacy():
    return render_template(f"shop/legal/privacy_{current_language()}.html",
                           version=PRIVACY_POLICY_VERSION)
