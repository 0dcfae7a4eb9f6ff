"""Integrity probe evaluated inside a student's kernel after the last cell (see sandbox.py).

It is best effort: it runs in an interpreter the student's code controlled, so a clean report
proves little, but any finding (or a probe that cannot run) sends the submission to review.
"""

from __future__ import annotations

import json

_OURS = ("IPython.", "ipykernel.", "matplotlib", "ipywidgets", "comm", "traitlets", "tqdm")
#: the grading package (what test cells call) and its modules
GRADING_MODULES = ("aeutils.grading", "aeutils.grading.checks", "aeutils.grading.trials",
                   "aeutils.grading.sync", "aeutils.grading.errors")


def _foreign(fn: object) -> bool:
    mod = getattr(fn, "__module__", None) or type(fn).__module__ or ""
    return not any(mod == p.rstrip(".") or mod.startswith(p) for p in _OURS)


def _changed_helpers(mod: object, name: str, pkg: object) -> list[str]:
    """Findings on one module of the grading package as the kernel has it (``mod``, None when not
    imported), against a fresh copy from its file: a module from elsewhere, and each function it
    defines replaced or modified, there or where the package (``pkg``) offers it."""
    import importlib.util

    if mod is None:
        return []
    spec = importlib.util.find_spec(name)
    fresh = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(fresh)  # type: ignore[union-attr]
    found = []
    if getattr(mod, "__file__", None) != fresh.__file__:
        found.append(f"{name} was replaced by another module")
    for attr in dir(fresh):
        ref = getattr(fresh, attr)
        if not callable(ref) or getattr(ref, "__module__", "") != name:
            continue
        code_ref = getattr(ref, "__code__", None)
        places = [mod, pkg] if attr in getattr(pkg, "__all__", ()) else [mod]
        for where in places:
            code_cur = getattr(getattr(where, attr, None), "__code__", None)
            if code_ref is not None and (code_cur is None or code_cur.co_code != code_ref.co_code
                                         or code_cur.co_consts != code_ref.co_consts):
                found.append(f"aeutils.grading.{attr} was replaced or modified")
                break
    return found


def report() -> str:
    """Return a JSON list of findings (empty when nothing suspicious was seen)."""
    import builtins
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
    pkg = sys.modules.get("aeutils.grading")
    if pkg is not None:
        for sub in GRADING_MODULES:
            found += _changed_helpers(sys.modules.get(sub), sub, pkg)
    return json.dumps(found)
