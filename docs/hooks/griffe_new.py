"""A Griffe extension: a class built by ``__new__`` shows ``__new__``'s signature.

mkdocstrings' ``merge_init_into_class`` reads only ``__init__``; ``CronExpr``
is constructed by ``__new__`` (it returns cached instances), so without this
its reference shows no constructor signature.
"""

from __future__ import annotations

from typing import Any

import griffe


class NewAsInit(griffe.Extension):
    """Give a class with ``__new__`` and no ``__init__`` an ``__init__`` of the same parameters."""

    def on_class_members(self, *, cls: griffe.Class, **kwargs: Any) -> None:
        new = cls.members.get("__new__")
        if new is None or "__init__" in cls.members or not isinstance(new, griffe.Function):
            return
        params = list(new.parameters)[1:]  # drop cls
        self_param = griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword)
        init = griffe.Function(
            "__init__",
            lineno=new.lineno,
            endlineno=new.endlineno,
            parent=cls,
            parameters=griffe.Parameters(self_param, *params),
            returns="None",
        )
        cls.set_member("__init__", init)


class ExpandAliases(griffe.Extension):
    """Show a private type alias (``Seconds = Union[float, int, timedelta]``) as what it means.

    A reader cannot look the alias up: it is not exported. Only module-level
    ``Union[...]``/``Optional[...]`` assignments are expanded, written with ``|``.
    """

    def on_function_instance(self, *, func: griffe.Function, **kwargs: Any) -> None:
        module = func.module
        for param in func.parameters:
            name = param.annotation if isinstance(param.annotation, str) else None
            if isinstance(param.annotation, griffe.ExprName):
                name = param.annotation.name
            if not name or name not in module.members:
                continue
            alias = module.members[name]
            if alias.is_alias or not isinstance(alias, griffe.Attribute) or alias.value is None:
                continue
            text = str(alias.value)
            for prefix in ("Union[", "typing.Union[", "Optional["):
                if text.startswith(prefix) and text.endswith("]"):
                    parts = [p.strip() for p in text[len(prefix) : -1].split(",")]
                    if prefix == "Optional[":
                        parts.append("None")
                    param.annotation = " | ".join(parts)
