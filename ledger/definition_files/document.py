"""A definition document to and from the data of a definition file (docs/definitions.md).

``write_definition`` gives the file's **normal form**: a fixed comment line; the opening
(``definition``, ``version``, ``based_on``, ``title``, ``description``, ``reason``,
``source``); then ``[stages]``, ``[gdp_basis]``, each ``[[status]]`` in the order recorded,
``[include."CODE"]`` and ``[exclude."CODE"]`` sorted by code, each ``[[target]]`` sorted by
jurisdiction and id, and ``[sources.Sn]``: every source once, numbered S1, S2, … in the order
first cited above. Keys within a table in a fixed order; a value left out when it is empty or
the default it would be read as. ``read_definition`` reads any valid file (sources cited by id
or inline, years as ``2025`` or ``"FY2025"``, shares as numbers or strings, keys in any order)
and validates every value as the event it stands for, naming the line of each problem.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from events import (
    CategoryExcluded,
    CategoryIncluded,
    DefinitionStatusChanged,
    DefinitionVersionOpened,
    EventModel,
    GdpBasisSet,
    Provenance,
    Source,
    StagesSet,
    TargetSet,
)
from events.quoting import named, quoted
from ledger.definition_files.locate import Locator
from ledger.definition_files.toml_writer import dumps
from ledger.errors import InvalidInput, describe_validation_error
from ledger.projections.definition_docs import (
    Basis,
    DefinitionDoc,
    Exclude,
    Include,
    Said,
    Stages,
    StatusStep,
    TargetDoc,
)
from ledger.projections.fold import dec_str

COMMENT = "A defledger definition file: one version of a definition (docs/definitions.md)."
MAX_PROBLEMS = 20
SAID_KEYS = ("reason", "source")
TOP_KEYS = ("definition", "version", "based_on", "title", "description", *SAID_KEYS)
TABLES: dict[str, tuple[str, ...]] = {
    "stages": ("counted", "rule", *SAID_KEYS),
    "gdp_basis": ("basis", "fiscal_year", "vintage", *SAID_KEYS),
    "status": ("status", "effective_from", *SAID_KEYS),
    "include": ("tier", "share", "note", *SAID_KEYS),
    "exclude": ("note", *SAID_KEYS),
    "target": ("jurisdiction", "id", "percent_of_gdp", "by_fiscal_year", "kind", "tier",
               "description", *SAID_KEYS),
    "sources": ("title", "url", "page", "published", "hypothetical"),
}  # fmt: skip
_AT = re.compile(r"(.*?)\s*\(at line (\d+), column (\d+)\)$", re.S)


# -- writing --------------------------------------------------------------------------------


class _Sources:
    """Sources numbered S1, S2, … in the order first cited."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.tables: dict[str, dict[str, Any]] = {}

    def cite(self, source: dict[str, Any]) -> str:
        token = repr(sorted(source.items()))
        if token not in self.ids:
            sid = self.ids[token] = f"S{len(self.ids) + 1}"
            fields = ("title", "url", "page", "published")
            table = {k: source[k] for k in fields if source.get(k) is not None}
            if source.get("hypothetical"):
                table["hypothetical"] = True
            self.tables[sid] = table
        return self.ids[token]


def _said(table: dict[str, Any], said: Said, sources: _Sources) -> dict[str, Any]:
    if said.reason is not None:
        table["reason"] = said.reason
    if said.source:
        table["source"] = sources.cite(said.source)
    return table


def to_data(doc: DefinitionDoc) -> dict[str, Any]:
    """The file's data in normal-form order (see the module docstring)."""
    sources = _Sources()
    data: dict[str, Any] = {"definition": doc.definition, "version": doc.version}
    if doc.based_on is not None:
        data["based_on"] = doc.based_on
    data["title"] = doc.title
    if doc.description:
        data["description"] = doc.description
    _said(data, doc.said, sources)
    if doc.stages is not None:
        stages = {"counted": list(doc.stages.counted), "rule": doc.stages.rule}
        data["stages"] = _said(stages, doc.stages.said, sources)
    if doc.basis is not None:
        basis: dict[str, Any] = {"basis": doc.basis.basis}
        if doc.basis.fiscal_year is not None:
            basis["fiscal_year"] = doc.basis.fiscal_year
        if doc.basis.vintage is not None:
            basis["vintage"] = doc.basis.vintage
        data["gdp_basis"] = _said(basis, doc.basis.said, sources)
    if doc.statuses:
        data["status"] = []
        for step in doc.statuses:
            status: dict[str, Any] = {"status": step.status}
            if step.effective_from is not None:
                status["effective_from"] = step.effective_from
            data["status"].append(_said(status, step.said, sources))
    if doc.includes:
        data["include"] = {}
        for code, inc in sorted(doc.includes.items()):
            table: dict[str, Any] = {"tier": inc.tier, "share": inc.share}
            if inc.note:
                table["note"] = inc.note
            data["include"][code] = _said(table, inc.said, sources)
    if doc.excludes:
        data["exclude"] = {}
        for code, exc in sorted(doc.excludes.items()):
            data["exclude"][code] = _said({"note": exc.note} if exc.note else {}, exc.said, sources)
    if doc.targets:
        data["target"] = []
        for _, t in sorted(doc.targets.items()):
            target: dict[str, Any] = {
                "jurisdiction": t.jurisdiction, "id": t.target_id,
                "percent_of_gdp": t.percent_of_gdp, "by_fiscal_year": t.by_fiscal_year,
                "kind": t.kind,
            }  # fmt: skip
            if t.tier:
                target["tier"] = t.tier
            if t.description:
                target["description"] = t.description
            data["target"].append(_said(target, t.said, sources))
    if sources.tables:
        data["sources"] = sources.tables
    return data


def write_definition(doc: DefinitionDoc) -> str:
    """The definition file of ``doc`` in normal form."""
    return dumps(to_data(doc), COMMENT)


def json_document(doc: DefinitionDoc) -> dict[str, Any]:
    """The same data as JSON (decimals as exact strings)."""

    def plain(item: Any) -> Any:
        if isinstance(item, Decimal):
            return dec_str(item)
        if isinstance(item, dict):
            return {k: plain(v) for k, v in item.items()}
        if isinstance(item, list):
            return [plain(v) for v in item]
        return item

    return plain(to_data(doc))  # type: ignore[no-any-return]


# -- reading --------------------------------------------------------------------------------


@dataclass
class DefinitionFile:
    """A definition file read and validated: its document and the line of each element
    (keys ``("opened",)``, ``("stages",)``, ``("gdp_basis",)``, ``("status", i)``,
    ``("include", CODE)``, ``("exclude", CODE)``, ``("target", JURISDICTION, ID)``)."""

    doc: DefinitionDoc
    lines: dict[tuple[Any, ...], int | None] = field(default_factory=dict)


class _Reader:
    def __init__(self, text: str) -> None:
        self.where = Locator(text)
        self.problems: list[tuple[int | None, str]] = []
        self.sources: dict[str, dict[str, Any]] = {}

    def problem(self, path: tuple[Any, ...], message: str) -> None:
        self.problems.append((self.where.line(*path), message))

    def event(
        self, path: tuple[Any, ...], model: type[EventModel], fields: dict[str, Any]
    ) -> Any | None:
        """``model`` validated from ``fields``; None (and a problem per field, at its line)."""
        try:
            return model.model_validate({k: v for k, v in fields.items() if v is not None})
        except ValidationError as exc:
            for item in exc.errors(include_url=False, include_input=False):
                loc = [str(p) for p in item["loc"] if not str(p).startswith("function-")]
                key = _FILE_KEYS.get(loc[0], loc[0]) if loc else ""
                message = item["msg"].removeprefix("Value error, ")
                self.problem((*path, key) if key else path, f"{key}: {message}" if key else message)
            return None

    def keys(self, path: tuple[Any, ...], table: Any, allowed: tuple[str, ...], what: str) -> bool:
        if not isinstance(table, dict):
            self.problem(path, f"{what} must be a table")
            return False
        for name in table:
            if name not in allowed:
                self.problem(
                    (*path, name),
                    f"unknown key {named(name)} in {what} (keys: {', '.join(allowed)})",
                )
        return True

    def said(self, path: tuple[Any, ...], table: dict[str, Any]) -> Said:
        reason, source = table.get("reason"), table.get("source")
        if isinstance(source, str):
            if source not in self.sources:
                known = ", ".join(self.sources) or "none in [sources]"
                self.problem((*path, "source"), f"unknown source {quoted(source)} ({known})")
                return Said()
            source = self.sources[source]
        elif source is not None:
            source = self.source((*path, "source"), source)
        try:
            prov = Provenance.model_validate({"actor": "-", "reason": reason})
        except ValidationError as exc:
            self.problem((*path, "reason"), describe_validation_error(exc))
            return Said()
        return Said(prov.reason, source)

    def source(self, path: tuple[Any, ...], table: Any) -> dict[str, Any] | None:
        if not self.keys(path, table, TABLES["sources"], "a source"):
            return None
        try:
            return Source.model_validate(table).model_dump(mode="json")
        except ValidationError as exc:
            self.problem(path, describe_validation_error(exc))
            return None


# the file's key for an event field, where they differ ("": the table itself, e.g. its code)
_FILE_KEYS = {"stages": "counted", "target_id": "id", "category": ""}


def _toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _AT.fullmatch(message)
        if found:
            raise InvalidInput(
                f"not a valid TOML file (column {found.group(3)}): {found.group(1)}",
                line=int(found.group(2)),
            ) from None
        raise InvalidInput(f"not a valid TOML file: {message}") from None


def read_definition(text: str) -> DefinitionFile:
    """Read and validate a definition file; ``InvalidInput`` listing every problem found (up to
    ``MAX_PROBLEMS``), each with its line."""
    data = _toml(text)
    reader = _Reader(text)
    for name in data:
        if name not in TOP_KEYS and name not in TABLES:
            reader.problem((name,), f"unknown key {named(name)} (see docs/definitions.md)")
    sources = data.get("sources", {})
    if not isinstance(sources, dict):
        reader.problem(("sources",), "[sources] must be tables: [sources.S1], …")
        sources = {}
    for sid, table in sources.items():
        found = reader.source(("sources", sid), table)
        if found is not None:
            reader.sources[sid] = found
    opened = reader.event(
        (),
        DefinitionVersionOpened,
        {k: data.get(k) for k in ("definition", "version", "based_on", "title", "description")},
    )
    if opened is None:
        raise InvalidInput(_summary(reader.problems))
    result = DefinitionFile(
        DefinitionDoc(
            opened.definition,
            opened.version,
            opened.title,
            based_on=opened.based_on,
            description=opened.description,
            said=reader.said((), data),
        ),
        {("opened",): reader.where.line("definition")},
    )
    _parts(reader, data, result)
    if reader.problems:
        raise InvalidInput(_summary(reader.problems))
    return result


def _parts(reader: _Reader, data: dict[str, Any], result: DefinitionFile) -> None:
    doc = result.doc
    ident = {"definition": doc.definition, "version": doc.version}

    table = data.get("stages")
    if table is not None and reader.keys(("stages",), table, TABLES["stages"], "[stages]"):
        fields = {**ident, "stages": table.get("counted"), "rule": table.get("rule")}
        stages = reader.event(("stages",), StagesSet, fields)
        if stages is not None:
            result.lines[("stages",)] = reader.where.line("stages")
            doc.stages = Stages(
                tuple(s.value for s in stages.stages),
                stages.rule.value,
                reader.said(("stages",), table),
            )
    table = data.get("gdp_basis")
    if table is not None and reader.keys(("gdp_basis",), table, TABLES["gdp_basis"], "[gdp_basis]"):
        fields = {**ident, **{k: table.get(k) for k in ("basis", "fiscal_year", "vintage")}}
        basis = reader.event(("gdp_basis",), GdpBasisSet, fields)
        if basis is not None:
            result.lines[("gdp_basis",)] = reader.where.line("gdp_basis")
            doc.basis = Basis(
                basis.basis.value,
                basis.fiscal_year,
                basis.vintage,
                reader.said(("gdp_basis",), table),
            )
    for index, table in enumerate(_array(reader, data, "status")):
        path = ("status", index)
        if not reader.keys(path, table, TABLES["status"], "[[status]]"):
            continue
        fields = {**ident, **{k: table.get(k) for k in ("status", "effective_from")}}
        event = reader.event(path, DefinitionStatusChanged, fields)
        if event is not None:
            result.lines[path] = reader.where.line(*path)
            doc.statuses.append(
                StatusStep(event.status.value, event.effective_from, reader.said(path, table))
            )
    for kind in ("include", "exclude"):
        tables = data.get(kind, {})
        if not isinstance(tables, dict):
            reader.problem((kind,), f"[{kind}] must be tables, one per category code")
            continue
        for raw, table in tables.items():
            path = (kind, raw)
            if not reader.keys(path, table, TABLES[kind], f"[{kind}.{named(raw)}]"):
                continue
            model = CategoryIncluded if kind == "include" else CategoryExcluded
            fields = {**ident, "category": raw, **{k: table.get(k) for k in TABLES[kind][:-2]}}
            event = reader.event(path, model, fields)
            if event is None:
                continue
            code = event.category
            if code in doc.includes or code in doc.excludes:
                reader.problem(path, f"category {code} is listed twice (include and exclude, "
                               "or two spellings of one code)")  # fmt: skip
                continue
            result.lines[(kind, code)] = reader.where.line(*path)
            said = reader.said(path, table)
            if isinstance(event, CategoryIncluded):
                doc.includes[code] = Include(event.share, event.tier, event.note, said)
            else:
                doc.excludes[code] = Exclude(event.note, said)
    for index, table in enumerate(_array(reader, data, "target")):
        path = ("target", index)
        if not reader.keys(path, table, TABLES["target"], "[[target]]"):
            continue
        fields = {k: table.get(k) for k in TABLES["target"][:-2]}
        fields["target_id"] = fields.pop("id")
        event = reader.event(path, TargetSet, {**fields, "definition": doc.definition})
        if event is None:
            continue
        target = TargetDoc(
            event.jurisdiction, event.target_id, event.percent_of_gdp, event.by_fiscal_year,
            event.kind.value, event.tier, event.description, reader.said(path, table),
        )  # fmt: skip
        if target.key in doc.targets:
            reader.problem(path, f"target {target.jurisdiction}/{target.target_id} is listed twice")
            continue
        result.lines[("target", *target.key)] = reader.where.line(*path)
        doc.targets[target.key] = target


def _array(reader: _Reader, data: dict[str, Any], name: str) -> list[Any]:
    found = data.get(name, [])
    if not isinstance(found, list):
        reader.problem((name,), f"{name} must be an array of tables: write [[{name}]]")
        return []
    return found


def _summary(problems: list[tuple[int | None, str]]) -> str:
    ordered = sorted(problems, key=lambda p: p[0] or 0)
    shown = [f"line {line}: {m}" if line else m for line, m in ordered[:MAX_PROBLEMS]]
    more = f" (first {MAX_PROBLEMS} shown)" if len(problems) > MAX_PROBLEMS else ""
    noun = "problem" if len(problems) == 1 else "problems"
    return f"nothing imported: {len(problems)} {noun} in the definition file{more}: " + "; ".join(
        shown
    )
