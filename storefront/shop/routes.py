from flask import render_template

from . import bp


@bp.get("/")
def catalog():
    return render_template("base.html")
