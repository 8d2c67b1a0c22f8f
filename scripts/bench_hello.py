"""The benchmark's ceiling: a bare Flask app answering "hello".

``make bench`` serves it with exactly the gunicorn settings the shop gets, so the
ratio between the two shows what the shop itself costs on top of its stack.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
