"""Query strings read the way PHP reads them into ``$_GET`` (CONTRACT §1.6).

The gateway is a PHP application, so a list endpoint sees what PHP's query parser makes of the
bytes a client sent, and the sandbox must make the same of them:

* ``status=created&status=canceled``: a plain key given twice keeps its **last** value.
* ``status[]=a&status[]=b`` and ``status[0]=a&status[1]=b`` (``http_build_query``'s form) are
  arrays with integer keys; ``amount[_gt]=1`` is an array with the key ``_gt``.
* A later key overwrites an earlier one: ``status=a&status[]=b`` is ``[b]``, while
  ``status[]=a&status=b`` is ``"b"``.
* Keys that read as decimal integers (``0``, ``-1``, not ``01``) become integers; ``[]``
  appends after the largest integer key.
* In the name before the first ``[``, spaces and dots become ``_``; a first ``[`` without its
  ``]`` becomes ``_`` too (``c[d=1`` is ``c_d``); anything after the last ``]`` is dropped; a
  parameter without a name is ignored. At most 1000 parameters and 64 levels, as PHP's
  ``max_input_vars`` and ``max_input_nesting_level`` default to.

The result maps names to a string or to a dict (PHP's ordered array) of the same.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl

log = logging.getLogger(__name__)

MAX_VARS = 1000
MAX_DEPTH = 64
INTEGER_KEY = re.compile(r"0|-?[1-9][0-9]*")
LONG_MAX = 2**63 - 1

PhpValue = str | dict  # dict[str | int, PhpValue]


def parse(raw: bytes | str) -> dict[str, PhpValue]:
    """PHP's ``parse_str`` of a raw query string (percent-encoded, ``+`` for space)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return from_pairs(parse_qsl(text, keep_blank_values=True))


def from_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, PhpValue]:
    """Assign decoded ``(name, value)`` pairs in order, as PHP registers request variables."""
    result: dict[str, PhpValue] = {}
    seen_plain: set[str] = set()
    for number, (name, value) in enumerate(pairs):
        if number >= MAX_VARS:
            log.warning("query has more than %d parameters; the rest are ignored", MAX_VARS)
            break
        base, path = split_name(name)
        if not base or len(path) > MAX_DEPTH:
            continue
        if not path:
            if base in seen_plain:
                log.info("query parameter %r given more than once: PHP keeps the last value",
                         base)
            seen_plain.add(base)
        _assign(result, base, path, value)
    return result


def split_name(name: str) -> tuple[str, list[str | None]]:
    """``status[0][x]`` → ``("status", ["0", "x"])``; ``None`` stands for ``[]``."""
    name = name.lstrip(" ")
    bracket = name.find("[")
    head = name if bracket < 0 else name[:bracket]
    base = head.replace(" ", "_").replace(".", "_")
    if bracket < 0:
        return base, []
    path: list[str | None] = []
    start = bracket
    while True:
        close = name.find("]", start + 1)
        if close < 0:
            if not path:  # not an index after all: the name is plain, "[" read as "_"
                return f"{base}_{name[bracket + 1:]}", []
            return base, path  # an unfinished inner index is dropped
        index = name[start + 1:close]
        path.append(index if index else None)
        if close + 1 < len(name) and name[close + 1] == "[":
            start = close + 1
        else:
            return base, path


def _key(index: str) -> str | int:
    if INTEGER_KEY.fullmatch(index) and abs(int(index)) <= LONG_MAX:
        return int(index)
    return index


def _next_index(array: dict) -> int:
    integers = [key for key in array if isinstance(key, int)]
    return max(integers) + 1 if integers else 0


def _assign(target: dict, key: str | int, path: list[str | None], value: str) -> None:
    for index in path:
        child = target.get(key)
        if not isinstance(child, dict):  # a scalar (or nothing) there becomes an array
            child = target[key] = {}
        target = child
        key = _next_index(target) if index is None else _key(index)
    target[key] = value
