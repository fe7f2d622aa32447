"""Definition files (docs/definitions.md): the TOML round trip (property-based), the seed
scenario's definitions shipped as files and imported to the same states, and ``import`` /
``definition show`` through the CLI: idempotent, all-or-nothing, line-numbered errors, new
versions with their structural diff, drafts edited, adopted versions refused."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from helpers import ok, one_line_error
from helpers.strategies import event_strategy
from hypothesis import given, settings
from hypothesis import strategies as st

from events import (
    CategoryExcluded,
    CategoryIncluded,
    DefinitionStatusChanged,
    GdpBasisSet,
    Provenance,
    Source,
    StagesSet,
    TargetSet,
)
from ledger.definition_files.document import read_definition, write_definition
from ledger.definition_files.toml_writer import WIDTH
from ledger.demo.seed import scenario_text
from ledger.intake.importers import import_text
from ledger.projections.definition_docs import (
    Basis,
    DefinitionDoc,
    Exclude,
    Include,
    Said,
    Stages,
    StatusStep,
    TargetDoc,
    read_docs,
    version_of,
)
from ledger.projections.fold import fold_all
from ledger.storage.store import EventStore

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "definitions"
SEED_VERSIONS = ("jp-mod-core@1", "jp-defense-related@1", "jp-defense-related@2",
                 "jp-defense-related@3", "nato@1")  # fmt: skip
Cli = Callable[..., Result]


def example(spec: str) -> Path:
    return EXAMPLES / (spec.replace("@", "-v") + ".toml")


# -- the round trip, property-based ----------------------------------------------------------

LETTERS = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
TEXTS = st.text(LETTERS, max_size=300).map(str.strip)
# long texts of the characters a writer must fold or escape
LONG_TEXTS = st.one_of(
    TEXTS, st.text(st.sampled_from(" ab\"\\\t\n日本'#="), max_size=400).map(str.strip)
)
URLS = st.from_regex(r"https?://[a-z]{1,10}\.example/[!-~]{0,40}", fullmatch=True)


@st.composite
def sources(draw: st.DrawFn) -> dict[str, Any]:
    fields = {
        "title": draw(st.text(LETTERS, min_size=1, max_size=120).map(str.strip).filter(bool)),
        "url": draw(st.none() | URLS),
        "page": draw(st.none() | TEXTS),
        "published": draw(st.none() | st.sampled_from(["2025-04-16", "2025", "Nov 2025"])),
        "hypothetical": draw(st.booleans()),
    }
    return Source.model_validate(fields).model_dump(mode="json")


@st.composite
def saids(draw: st.DrawFn) -> Said:
    reason = draw(st.none() | LONG_TEXTS)
    reason = Provenance(actor="a", reason=reason).reason
    return Said(reason, draw(st.none() | sources()))


def _drawn(draw: st.DrawFn, cls: type, **fixed: Any) -> Any:
    event = draw(event_strategy(cls))
    return cls.model_validate({**event.model_dump(mode="json"), **fixed})


@st.composite
def documents(draw: st.DrawFn) -> DefinitionDoc:
    """Any definition version a file can hold, as validated values (what reading gives)."""
    opened = draw(event_strategy(__import__("events").DefinitionVersionOpened))
    ident = {"definition": opened.definition, "version": opened.version}
    doc = DefinitionDoc(
        opened.definition, opened.version, opened.title, based_on=opened.based_on,
        description=draw(LONG_TEXTS), said=draw(saids()),
    )  # fmt: skip
    for _ in range(draw(st.integers(0, 5))):
        inc = _drawn(draw, CategoryIncluded, **ident)
        if inc.category not in doc.excludes:
            doc.includes[inc.category] = Include(inc.share, inc.tier, inc.note, draw(saids()))
    for _ in range(draw(st.integers(0, 3))):
        exc = _drawn(draw, CategoryExcluded, **ident)
        if exc.category not in doc.includes:
            doc.excludes[exc.category] = Exclude(exc.note, draw(saids()))
    if draw(st.booleans()):
        stages = _drawn(draw, StagesSet, **ident)
        doc.stages = Stages(tuple(s.value for s in stages.stages), stages.rule.value, draw(saids()))
    if draw(st.booleans()):
        basis = _drawn(draw, GdpBasisSet, **ident)
        doc.basis = Basis(basis.basis.value, basis.fiscal_year, basis.vintage, draw(saids()))
    for _ in range(draw(st.integers(0, 3))):
        status = _drawn(draw, DefinitionStatusChanged, **ident)
        doc.statuses.append(StatusStep(status.status.value, status.effective_from, draw(saids())))
    for _ in range(draw(st.integers(0, 2))):
        t = _drawn(draw, TargetSet, definition=opened.definition)
        target = TargetDoc(t.jurisdiction, t.target_id, t.percent_of_gdp, t.by_fiscal_year,
                           t.kind.value, t.tier, t.description, draw(saids()))  # fmt: skip
        doc.targets[target.key] = target
    doc.targets = dict(sorted(doc.targets.items()))
    return doc


@pytest.mark.slow  # a long hypothesis run: 100 whole definition files, each written twice
@settings(max_examples=100, deadline=None)
@given(documents())
def test_definition_file__round_trip_is_lossless_and_the_normal_form_a_fixed_point(
    doc: DefinitionDoc,
) -> None:
    text = write_definition(doc)
    read = read_definition(text).doc
    assert read == doc
    assert write_definition(read) == text  # byte for byte


def test_definition_file__long_texts_fold_within_the_width_and_read_back_exactly() -> None:
    words = " ".join(f"word{i}" for i in range(200)) + '  with "quotes", a \\ and 日本語'
    doc = DefinitionDoc("d", 1, "t", description=words, said=Said(words, None))
    text = write_definition(doc)
    assert max(len(line) for line in text.splitlines()) <= WIDTH
    assert len(text.splitlines()) > 20
    assert read_definition(text).doc == doc


def test_definition_file__reads_what_people_write() -> None:
    """Keys in any order, sources inline, years as "FY2025", shares as strings, comments."""
    text = """
# my definition
title = "Mine"   # a comment
version = 2
definition = "mine"
based_on = 1

[[status]]
effective_from = "FY2025"
status = "adopted"
source = { title = "Cabinet decision", url = "https://example.org/x" }

[include."JP.CORE.DBP"]
share = "0.50"
tier = "core"

[include."JP.REL.JCG"]
share = 0.3

[stages]
counted = ["draft", "initial", "supplementary", "settled"]
rule = "latest"
"""
    doc = read_definition(text).doc
    assert (doc.definition, doc.version, doc.based_on, doc.title) == ("mine", 2, 1, "Mine")
    assert str(doc.includes["JP.CORE.DBP"].share) == "0.5"
    assert (doc.includes["JP.REL.JCG"].tier, str(doc.includes["JP.REL.JCG"].share)) == (
        "core",
        "0.3",
    )
    assert doc.statuses[0].effective_from == 2025
    assert doc.statuses[0].said.source == {
        "title": "Cabinet decision", "url": "https://example.org/x", "page": None,
        "published": None, "hypothetical": False,
    }  # fmt: skip
    assert doc.stages == Stages(("draft", "initial", "supplementary", "settled"), "latest", Said())
    normal = write_definition(doc)
    assert normal.startswith("# A defledger definition file") and "[sources.S1]" in normal
    assert read_definition(normal).doc == doc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('definition = "d"\nversion = 1\ntitle = "t"\n[include."A"]\nshare = 1.5\n',
         "line 5: share: share 1.5 must be in (0, 1]"),
        ('definition = "d"\nversion = 1\ntitle = "t"\ncolour = "red"\n',
         "line 4: unknown key colour"),
        ('definition = "d"\nversion = 1\ntitle = "t"\n\n[stages]\ncounted = ["final"]\n',
         "line 6: counted: Input should be 'plan', 'request', 'draft', 'initial', 'supplementary',"
         " 'estimate' or 'settled'"),
        ('definition = "d"\nversion = 1\ntitle = "t"\n\n[[status]]\nstatus = "adopted"\n',
         "line 5: adopting a version requires effective_from"),
        ('definition = "d"\nversion = 1\ntitle = "t"\nsource = "S9"\n',
         "line 4: unknown source 'S9'"),
        ('definition = "d"\nversion = 1\ntitle = "t"\n[include."A"]\n[exclude."A"]\n',
         "line 5: category A is listed twice"),
        ('definition = "d"\nversion = 1\ntitle = \n', "line 3: not a valid TOML file"),
        ('definition = "d"\ntitle = "t"\n', "version: Field required"),
        ('definition = "d"\nversion = 2\nbased_on = 2\ntitle = "t"\n',
         "based_on must name an earlier version"),
    ],
)  # fmt: skip
def test_definition_file__problems_name_their_line(text: str, expected: str) -> None:
    from ledger.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        read_definition(text)
    assert expected in str(caught.value)


# -- the seed scenario's definitions as files ------------------------------------------------


@pytest.fixture(scope="module")
def seed_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "seed.db"
    store = EventStore.open(str(path), create=True)
    import_text(store, scenario_text(), actor="defledger-seed")
    store.close()
    return path


def test_examples__are_the_seed_definitions_shown_as_files(seed_ledger: Path) -> None:
    from ledger.definition_files.importing import definition_file_text

    store = EventStore.open(str(seed_ledger), read_only=True)
    try:
        assert sorted(p.name for p in EXAMPLES.glob("*.toml")) == sorted(
            example(s).name for s in SEED_VERSIONS
        )
        for spec in SEED_VERSIONS:
            shown = definition_file_text(store, spec)
            assert example(spec).read_text(encoding="utf-8") == shown, (
                f"{example(spec)} is stale: run python scripts/gen_docs.py"
            )
    finally:
        store.close()


def _comparable(docs: Any) -> dict[Any, Any]:
    return {key: docs.doc(*key) for key in sorted(docs.versions)}


def _state(version: Any) -> Any:
    """A projected version without the seqs that tie it to one ledger's events."""
    return replace(
        version, opened_seq=0, status_seq=None, stages_seq=None, basis_seq=None, last_seq=0,
        categories={c: replace(i, seq=0) for c, i in version.categories.items()},
    )  # fmt: skip


def test_examples__imported_give_the_seed_definition_states(
    seed_ledger: Path, cli: Cli, store: EventStore, db_path: Path
) -> None:
    categories = "".join(
        line + "\n" for line in scenario_text().splitlines() if '"CategoryDefined"' in line
    )
    ok(cli("import", "-", input=categories))
    for spec in SEED_VERSIONS:  # in the order the seed opened them
        ok(cli("import", str(example(spec))))
    seed = EventStore.open(str(seed_ledger), read_only=True)
    try:
        seed_docs, seed_events = read_docs(seed), list(seed.read())
    finally:
        seed.close()
    mine_docs, mine_events = read_docs(store), list(store.read())
    assert _comparable(mine_docs) == _comparable(seed_docs)  # every element, reason, source
    seed_state, mine_state = fold_all(seed_events), fold_all(mine_events)
    assert {k: _state(v) for k, v in mine_state.definitions.items()} == {
        k: _state(v) for k, v in seed_state.definitions.items()
    }
    owned = {k: replace(t, seq=0) for k, t in seed_state.targets.items() if t.definition}
    assert {k: replace(t, seq=0) for k, t in mine_state.targets.items()} == owned
    for key, doc in mine_docs.versions.items():  # the document fold agrees with the projection
        assert _state(version_of(doc)) == replace(
            _state(mine_state.definitions[key]), title=doc.title
        )
    # importing them again adds nothing and changes no byte
    before, count = hashlib.sha256(db_path.read_bytes()).hexdigest(), store.count()
    for spec in SEED_VERSIONS:
        result = ok(cli("import", str(example(spec))))
        assert "definition: added 0 events" in result.stderr
    assert store.count() == count
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before


# -- import and show through the CLI ---------------------------------------------------------

DRAFT = """\
definition = "d"
version = 1
title = "Draft"
reason = "first cut"

[stages]
counted = ["draft", "initial", "supplementary", "settled"]
rule = "latest"

[include.A]
tier = "core"
share = 1
reason = "core spending"

[include.B]
tier = "related"
share = 0.5
"""


@pytest.fixture
def ledger(cli: Cli) -> Cli:
    for code in ("A", "B", "C"):
        ok(cli("record", "category", "--code", code, "--name", code))
    return cli


def _write(tmp_path: Path, text: str, name: str = "d.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_definition__records_the_events_record_makes_and_reads_back(
    ledger: Cli, store: EventStore, tmp_path: Path
) -> None:
    result = ok(ledger("import", _write(tmp_path, DRAFT), "--actor", "analyst"))
    assert "d@1 (new version):" in result.stderr
    assert "+ A ×1 core" in result.stderr and "~ stage rule sum → latest" in result.stderr
    types = [(e.type, e.actor, e.reason) for e in store.read(start=4)]
    assert types == [
        ("DefinitionVersionOpened", "analyst", "first cut"),
        ("StagesSet", "analyst", None),
        ("CategoryIncluded", "analyst", "core spending"),
        ("CategoryIncluded", "analyst", None),
    ]
    stages = ["draft", "initial", "supplementary", "settled"]
    assert store.get(5).payload == {"definition": "d", "version": 1, "rule": "latest",
                                    "stages": stages}  # fmt: skip
    shown = ok(ledger("definition", "show", "d@1", "--format", "toml")).stdout
    again = ok(ledger("import", _write(tmp_path, shown, "normal.toml")))
    assert "definition: added 0 events" in again.stderr and store.count() == 7
    assert ok(ledger("definition", "show", "d", "--format", "toml")).stdout == shown
    as_json = json.loads(ok(ledger("definition", "show", "d@1", "--format", "json")).stdout)
    assert as_json["definition"]["include"]["B"] == {"tier": "related", "share": "0.5"}
    listed = ok(ledger("definition", "list", "--format", "csv")).stdout
    assert "d,1,draft,,,draft;initial" not in listed and ",latest," in listed


def test_import_definition__a_draft_is_edited_by_events_an_adopted_version_is_not(
    ledger: Cli, store: EventStore, tmp_path: Path
) -> None:
    ok(ledger("import", _write(tmp_path, DRAFT)))
    edited = (
        DRAFT.replace("share = 0.5", "share = 0.25")
        .replace("[include.B]", '[exclude.A]\nnote = "not ours"\n\n[include.B]')
        .replace('[include.A]\ntier = "core"\nshare = 1\nreason = "core spending"\n', "")
    )
    edited += '\n[[status]]\nstatus = "adopted"\neffective_from = 2025\n'
    result = ok(ledger("import", _write(tmp_path, edited), "--reason", "review"))
    assert "d@1 (recorded version):" in result.stderr
    assert "− A (was ×1 core)" in result.stderr and "~ B share 0.5 → 0.25" in result.stderr
    added = [(e.type, e.payload.get("category"), e.reason) for e in store.read(start=8)]
    assert added == [
        ("CategoryIncluded", "B", "review"),
        ("CategoryExcluded", "A", "review"),
        ("DefinitionStatusChanged", None, "review"),
    ]
    count = store.count()
    changed = edited.replace("share = 0.25", "share = 0.75")
    message = one_line_error(ledger("import", _write(tmp_path, changed)), 2)
    assert message == (
        "Error: d@1 is adopted and cannot change; the file differs from it: ~ B share 0.25 → "
        "0.75. To record the file as a new version, set version = 2 and based_on = 1 in it"
    )
    assert store.count() == count  # nothing written
    # a status after the recorded ones is added at any status
    superseded = edited + '\n[[status]]\nstatus = "superseded"\n'
    ok(ledger("import", _write(tmp_path, superseded)))
    assert store.get(store.count()).payload["status"] == "superseded"
    rewritten = edited.replace('status = "adopted"', 'status = "proposed"')
    rewritten = rewritten.replace("effective_from = 2025\n", "")
    message = one_line_error(ledger("import", _write(tmp_path, rewritten)), 2)
    assert "statuses are only ever added" in message
    retitled = one_line_error(ledger("import", _write(tmp_path, superseded.replace(
        'title = "Draft"', 'title = "Other"'))), 2)  # fmt: skip
    assert "opening cannot change" in retitled


def test_import_definition__next_version_shows_the_structural_diff_first(
    ledger: Cli, store: EventStore, tmp_path: Path
) -> None:
    ok(ledger("import", _write(tmp_path, DRAFT + '\n[[status]]\nstatus = "adopted"\n'
                                             "effective_from = 2025\n")))  # fmt: skip
    v2 = (
        DRAFT.replace("version = 1", "version = 2\nbased_on = 1")
        .replace("[include.B]", '[include.C]\ntier = "related"\nshare = 1\n\n[include.B]')
        .replace('rule = "latest"', 'rule = "sum"')
    )
    count = store.count()
    preview = ok(ledger("import", _write(tmp_path, v2), "--dry-run"))
    assert store.count() == count
    rows = [json.loads(line) for line in preview.stdout.splitlines()]
    assert [(r["type"], r["stream"], r["stream_version"]) for r in rows] == [
        ("DefinitionVersionOpened", "definition/d/v2", 1),
        ("StagesSet", "definition/d/v2", 2),
        ("CategoryIncluded", "definition/d/v2", 3),
    ]
    assert preview.stderr.splitlines()[:3] == [
        "d@2 (new version, based on @1):", "  ~ stage rule latest → sum", "  + C ×1 related"
    ]  # fmt: skip
    assert "definition: would add 3 events" in preview.stderr
    result = ok(ledger("import", _write(tmp_path, v2)))
    assert result.stderr.index("+ C ×1 related") < result.stderr.index("definition: added 3")
    assert store.count() == count + 3
    diff = json.loads(
        ok(ledger("diff", "d@1", "d@2", "-j", "JP", "--fy", "2025", "--format", "json")).stdout
    )
    assert [c["kind"] for c in diff["sections"][0]["changes"]] == ["stage-rule", "category-added"]


def test_import_definition__all_or_nothing_with_every_problem_on_its_line(
    ledger: Cli, store: EventStore, tmp_path: Path
) -> None:
    count = store.count()
    bad = DRAFT + '\n[include.NOPE]\ntier = "core"\n\n[[status]]\nstatus = "superseded"\n'
    message = one_line_error(ledger("import", _write(tmp_path, bad)), 2)
    assert message == (
        "Error: nothing imported: 2 problems in the definition file: line 19: category NOPE is "
        "not defined (define it first, or fix the code); line 22: d@1 cannot move from draft "
        "to superseded"
    )
    assert store.count() == count
    missing_base = DRAFT.replace("version = 1", "version = 3\nbased_on = 2")
    message = one_line_error(ledger("import", _write(tmp_path, missing_base)), 2)
    assert message == "Error: line 1: d@2 (based_on) does not exist"


def test_import_definition__targets_belong_to_the_definition(
    ledger: Cli, store: EventStore, tmp_path: Path
) -> None:
    target = ('\n[[target]]\njurisdiction = "JP"\nid = "two"\npercent_of_gdp = 2\n'
              'by_fiscal_year = 2027\nkind = "floor"\nreason = "goal"\n')  # fmt: skip
    ok(ledger("import", _write(tmp_path, DRAFT + target)))
    [stored] = [e for e in store.read() if e.type == "TargetSet"]
    assert stored.payload["definition"] == "d" and stored.payload["percent_of_gdp"] == "2"
    moved = target.replace("by_fiscal_year = 2027", "by_fiscal_year = 2025")
    ok(ledger("import", _write(tmp_path, DRAFT + moved)))  # a target is restated at any status
    assert [e.payload["by_fiscal_year"] for e in store.read() if e.type == "TargetSet"] == [
        2027, 2025
    ]  # fmt: skip
    shown = ok(ledger("definition", "show", "d@1", "--as-of", str(stored.seq))).stdout
    assert "target JP/two: 2% of GDP by FY2027 (floor)" in shown


def test_definition_show__unknown_names_and_versions(ledger: Cli, tmp_path: Path) -> None:
    ok(ledger("import", _write(tmp_path, DRAFT)))
    assert "unknown definition 'x'" in one_line_error(ledger("definition", "show", "x"), 2)
    message = one_line_error(ledger("definition", "show", "d@4"), 2)
    assert message == "Error: unknown definition version d@4 (versions: d@1)"
    out = tmp_path / "out.toml"
    ok(ledger("definition", "show", "d@1", "-o", str(out)))
    assert out.read_text(encoding="utf-8").startswith("# A defledger definition file")


# -- docs/definitions.md shows real files and real output ------------------------------------

DOC = ROOT / "docs" / "definitions.md"
BAD = """definition = "x"
version = 1
title = "t"

[include."JP.NOPE"]
share = 2
tier = "core"
bogus = 1

[[status]]
status = "adopted"
"""


def test_definitions_md__examples_are_real(seed_ledger: Path, tmp_path: Path, runner: Any) -> None:
    import re
    import shutil

    from cli.app import cli as app

    text = DOC.read_text(encoding="utf-8")
    written, normal = re.findall(r"```toml\n(.*?)```", text, re.S)
    texts = re.findall(r"```text\n(.*?)```", text, re.S)
    assert write_definition(read_definition(written).doc) == normal
    db = tmp_path / "seed.db"
    shutil.copy(seed_ledger, db)

    def run(*args: str) -> Result:
        return runner.invoke(app, ["--db", str(db), *args], catch_exceptions=False)

    nato = example("nato@1").read_text(encoding="utf-8")
    nato2 = nato.replace("version = 1\n", "version = 2\nbased_on = 1\n", 1)
    nato2 = nato2.replace("share = 0.5\n", "share = 0.4\n")
    nato2 = re.sub(r"\[\[status\]\]\n.*?\n\n", '[[status]]\nstatus = "proposed"\n\n', nato2,
                   count=1, flags=re.S)  # fmt: skip
    assert ok(run("import", _write(tmp_path, nato2, "nato-v2.toml"))).stderr == texts[0]
    ok(run("import", _write(tmp_path, written, "mine.toml")))
    assert ok(run("definition", "show", "jp-nss-latest@1", "--format", "toml")).stdout == normal
    assert one_line_error(run("import", _write(tmp_path, BAD, "bad.toml")), 2) + "\n" == texts[1]


def test_definition_files__both_backends(
    backend_cli: Cli, backend_store: EventStore, tmp_path: Path
) -> None:
    """Import, re-import, dry runs and the latest-stage rule on SQLite and PostgreSQL."""
    for code in ("A", "B", "C"):
        ok(backend_cli("record", "category", "--code", code, "--name", code))
    count = backend_store.count()
    ok(backend_cli("record", "category", "--code", "D", "--name", "D", "--dry-run"))
    ok(backend_cli("import", _write(tmp_path, DRAFT), "--dry-run"))
    assert backend_store.count() == count
    ok(backend_cli("import", _write(tmp_path, DRAFT)))
    assert backend_store.count() == count + 4
    shown = ok(backend_cli("definition", "show", "d@1", "--format", "toml")).stdout
    again = ok(backend_cli("import", _write(tmp_path, shown, "normal.toml")))
    assert "nothing to record" in again.stderr and backend_store.count() == count + 4
    for line_id, stage, amount in [("D1", "draft", "100"), ("I1", "initial", "200"),
                                   ("S1", "supplementary", "30")]:  # fmt: skip
        ok(backend_cli("record", "line", "--fy", "2025", "--line-id", line_id,
                       "--agency", "MoD", "--category", "A", "--amount", amount,
                       "--stage", stage))  # fmt: skip
    rows = json.loads(ok(backend_cli("totals", "--fy", "2025", "--definition", "d@1",
                                     "--tier", "core", "--format", "json")).stdout)  # fmt: skip
    assert rows["totals"][0]["total"] == "230"
