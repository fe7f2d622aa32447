"""Links between pages. On the server a link is a URL with its parameters (and the page's
``as_of``, so time travel follows every link). In the static site (``defledger site``) it is the
relative path of the file that page was written to, or None when the site holds no such page
(the template then prints the text without a link)."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from typing import Any

from flask import url_for

Key = tuple[str, tuple[tuple[str, str], ...]]


def page_key(endpoint: str, params: Mapping[str, Any]) -> Key:
    """A page's identity: its endpoint and its parameters, without empty ones, sorted."""
    pairs = []
    for name, value in params.items():
        if value is None or value == "" or value == ():
            continue
        values = value if isinstance(value, list | tuple) else [value]
        pairs += [(name, str(v)) for v in values]
    return endpoint, tuple(sorted(pairs))


class Links:
    """Builds the links of one page: ``url(endpoint, **params)`` and ``static(name)``."""

    def __init__(
        self,
        as_of: str | None = None,
        site: Mapping[Key, str] | None = None,
        here: str | None = None,
    ) -> None:
        self.as_of = as_of
        self.site = site
        self.here = here

    @property
    def static_site(self) -> bool:
        return self.site is not None

    def _relative(self, path: str) -> str:
        start = posixpath.dirname(self.here or "index.html") or "."
        return posixpath.relpath(path, start)

    def url(self, endpoint: str, **params: Any) -> str | None:
        if self.site is not None:
            path = self.site.get(page_key(endpoint, params))
            return None if path is None else self._relative(path)
        values = {k: v for k, v in params.items() if v is not None and v != ""}
        if self.as_of and endpoint != "static":
            values["as_of"] = self.as_of
        return url_for(endpoint, **values)

    def static(self, name: str) -> str:
        if self.site is not None:
            return self._relative(f"static/{name}")
        return url_for("static", name=name)

    def helpers(self) -> dict[str, Callable[..., Any]]:
        return {"url": self.url, "static": self.static}
