"""Signing staff in and out."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from ..security import local_path
from . import bp
from .accounts import authenticate, sign_out
from .forms import ActionForm, LoginForm
from .throttle import TooManyAttempts


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = local_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("staff.orders"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            staff = authenticate(form.email.data, form.password.data,
                                 request.remote_addr or "unknown")
        except TooManyAttempts as refused:
            minutes = -(-refused.retry_after // 60)
            form.form_errors.append(ngettext(
                "Too many failed sign-in attempts. Wait %(num)d minute and try again.",
                "Too many failed sign-in attempts. Wait %(num)d minutes and try again.",
                minutes,
            ))
            page = render_template("staff/login.html", form=form, next_url=next_url)
            return page, 429, {"Retry-After": str(refused.retry_after)}
        if staff is not None:
            login_user(staff)
            return redirect(next_url or url_for("staff.orders"))
        form.form_errors.append(_("Wrong email or password."))
    return render_template("staff/login.html", form=form, next_url=next_url)


@bp.post("/logout")
def logout():
    form = ActionForm()
    if form.validate_on_submit():
        # Ending the sessions on the server, not just dropping this cookie, is what makes
        # a copy of the cookie worthless; it ends those of other devices too.
        sign_out(current_user._get_current_object())
        logout_user()
        flash(_("You have signed out on every device."), "success")
    return redirect(url_for("staff.login"))
