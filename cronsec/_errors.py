"""The one error type: what is wrong, in which field, and where (with a caret)."""

from __future__ import annotations

_WHOLE = 200  # an expression up to this long is shown whole
_WINDOW = 60  # characters of context shown either side of the token in a longer one


def _printable(text: str) -> str:
    """Show control and other unprintable characters as '?' so the caret lines up."""
    return "".join(c if c.isprintable() else "?" for c in text)


class CronError(ValueError):
    """An invalid cron expression.

    ``field`` names the field (``None`` for errors about the whole expression),
    ``token`` is the offending text and ``position`` its index in ``text``.
    The message ends with the expression and a caret line under the token.
    """

    def __init__(
        self,
        message: str,
        *,
        text: str,
        field: str | None,
        token: str,
        position: int,
    ) -> None:
        self.reason = message
        self.text = text
        self.field = field
        self.token = token
        self.position = position
        super().__init__(self._render())

    def _render(self) -> str:
        head = f"{self.field}: {self.reason}" if self.field else self.reason
        start, end = 0, len(self.text)
        if end > _WHOLE:
            start = max(0, self.position - _WINDOW)
            end = min(end, self.position + max(len(self.token), 1) + _WINDOW)
        shown = _printable(self.text[start:end])
        prefix = "..." if start else ""
        suffix = "..." if end < len(self.text) else ""
        width = max(1, min(len(self.token), end - self.position))
        caret = " " * (len(prefix) + self.position - start) + "^" * width
        return f"{head}\n  {prefix}{shown}{suffix}\n  {caret}"

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (self.reason, self.text, self.field, self.token, self.position))


def _rebuild(message: str, text: str, field: str | None, token: str, position: int) -> CronError:
    return CronError(message, text=text, field=field, token=token, position=position)
