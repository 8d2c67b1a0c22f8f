"""The shop's two languages: which one a request gets, and the switch between them.

Flask-Babel does the translating (gettext catalogs in ``storefront/translations/``). The
language of a request is, in this order:

1. the buyer's explicit choice, made with the switch in the header and kept in the
   :data:`COOKIE` cookie (a preference, not a session: it makes no session and no
   signature, so the cached first-visit catalog stays cookie-free);
2. the best match of the browser's ``Accept-Language`` among :data:`LANGUAGES`;
3. Russian, the language of an Invoicebox shop's buyers.

Every HTML page depends on that choice, so HTML responses say ``Vary: Accept-Language,
Cookie``: a shared cache must not hand a Russian page to an English browser.

Templates translate with ``_()`` and ``ngettext()`` bound to the translations of the
render (:func:`_template_gettext`), looked up once per ``render_template`` rather than
once per string.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    has_request_context,
    redirect,
    request,
    url_for,
)
from flask_babel import Babel, get_locale, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from .security import local_path

LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"
COOKIE = "lang"
# What the switch shows for each language, in that language.
LANGUAGE_NAMES = {"ru": "Русский", "en": "English"}
COOKIE_MAX_AGE = 365 * 24 * 3600

bp = Blueprint("i18n", __name__)
babel = Babel()


def select_language() -> str:
    """The language of the current request (see the module docstring); Russian outside a
    request (a command, the reconcile runner)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def current_language() -> str:
    """``"ru"`` or ``"en"``: the active locale's language (Russian outside a request)."""
    locale = get_locale()
    language = locale.language if locale is not None else DEFAULT_LANGUAGE
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def _select_timezone() -> str:
    return current_app.config.get("STOREFRONT_TIMEZONE", "Europe/Moscow")


@bp.get("/language/<code>")
def switch(code: str):
    """Keep ``code`` as the visitor's language and go back to the page they were on.

    A plain link, so that it works on every page (the cached catalog included) without a
    form or a token: all it changes is a preference the visitor can change back.
    """
    if code not in LANGUAGES:
        abort(404)
    response = redirect(local_path(request.args.get("next")) or url_for("shop.catalog"), 303)
    response.set_cookie(
        COOKIE, code, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True,
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
    return response


def _vary(response):
    if response.mimetype == "text/html" or response.is_json:
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response


def switch_links() -> list[tuple[str, str, str, bool]]:
    """``(code, name, url, is_current)`` for the header's language switch."""
    here = request.full_path.rstrip("?") if request.query_string else request.path
    active = current_language()
    return [(code, LANGUAGE_NAMES[code], url_for("i18n.switch", code=code, next=here),
             code == active) for code in LANGUAGES]


def _template_gettext() -> dict[str, object]:
    """``_``, ``gettext`` and ``ngettext`` for one render, bound to its translations.

    Flask-Babel installs template callables that find the translations again for every
    string, through four lookups of its request state; a product page translates about
    twenty-five strings. The language cannot change while a template renders, so it is
    looked up once, when Flask asks its context processors for the render's variables:
    inside ``force_locale`` (the mails, ``storefront/mail/render.py``) that is the forced
    language. The callables do what Jinja's "newstyle" ones do: the translation is
    escaped-safe in an autoescaped template and always formatted with the keywords.
    Macros imported without context do not see these variables and fall back to
    Flask-Babel's own callables, which give the same words.
    """
    translations = get_translations()

    @pass_context
    def gettext(context: Context, string: str, **variables: object) -> str:
        text = translations.ugettext(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, num: int,
                 **variables: object) -> str:
        variables.setdefault("num", num)
        text = translations.ungettext(singular, plural, num)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext}


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_language, timezone_selector=_select_timezone)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.register_blueprint(bp)
    app.after_request(_vary)
    app.add_template_global(current_language, "current_language")
    app.add_template_global(switch_links, "language_links")
    app.context_processor(_template_gettext)
