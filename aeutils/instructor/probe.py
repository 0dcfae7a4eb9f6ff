"""Integrity probe evaluated inside a student's kernel after the last cell (see sandbox.py).

It is best effort: it runs in an interpreter the student's code controlled, so a clean report
proves little, but any finding (or a probe that cannot run) sends the submission to review.
"""

from __future__ import annotations

import json

_OURS = ("IPython.", "ipykernel.", "matplotlib", "ipywidgets", "comm", "traitlets", "tqdm")


def _foreign(fn: object) -> bool:
    mod = getattr(fn, "__module__", None) or type(fn).__module__ or ""
    return not any(mod == p.rstrip(".") or mod.startswith(p) for p in _OURS)


def report() -> str:
    """Return a JSON list of findings (empty when nothing suspicious was seen)."""
    import builtins
    import importlib.util
    import sys

    found: list[str] = []
    try:
        from IPython.core.getipython import get_ipython

        ip = get_ipython()
    except ImportError:
        ip = None
    if ip is not None:
        if ip.input_transformers_post:
            found.append("an IPython input transformer was added")
        if any(_foreign(t) for t in ip.input_transformers_cleanup):
            found.append("IPython's input cleanup transformers were changed")
        if ip.ast_transformers:
            found.append("an IPython AST transformer was added")
        for event, callbacks in ip.events.callbacks.items():
            if any(_foreign(cb) for cb in callbacks):
                found.append(f"a callback was registered on IPython's {event} event")
    if sys.gettrace() is not None or sys.getprofile() is not None:
        found.append("a trace/profile hook is installed")
    for name in ("__import__", "isinstance", "type", "float", "abs", "len", "getattr", "print",
                 "exec", "eval", "compile", "open", "AssertionError"):
        obj = getattr(builtins, name, None)
        if type(obj).__name__ not in ("builtin_function_or_method", "type"):
            found.append(f"builtins.{name} was replaced")
        elif getattr(obj, "__module__", "builtins") not in ("builtins", "io", "_io"):
            found.append(f"builtins.{name} was replaced")
    mod = sys.modules.get("aeutils.grading")
    if mod is not None:
        spec = importlib.util.find_spec("aeutils.grading")
        fresh = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(fresh)  # type: ignore[union-attr]
        if getattr(mod, "__file__", None) != fresh.__file__:
            found.append("aeutils.grading was replaced by another module")
        for name in dir(fresh):
            ref = getattr(fresh, name)
            if not callable(ref) or getattr(ref, "__module__", "") != "aeutils.grading":
                continue
            cur = getattr(mod, name, None)
            code_ref = getattr(ref, "__code__", None)
            code_cur = getattr(cur, "__code__", None)
            if code_ref is not None and (
                code_cur is None
                or code_cur.co_code != code_ref.co_code
                or code_cur.co_consts != code_ref.co_consts
            ):
                found.append(f"aeutils.grading.{name} was replaced or modified")
    return json.dumps(found)
