"""Every command's arguments, fuzzed: random combinations of valid and hostile values (huge and
negative integers, NUL, very long strings, unicode, ranges, junk files) for each command and
sub-command of ``cli.app``, against a copy of the demo ledger.

Whatever comes in, a command ends with an exit code of 0–4, never with "internal error" or a
traceback, and no invocation allocates more than ``MEMORY_BOUND`` (tracemalloc peak; an address
space limit turns a runaway into a failing test instead of an out-of-memory machine).

Bounded time: a fixed number of examples per command (``DEFLEDGER_FUZZ_EXAMPLES`` raises it
for a longer hunt), no deadline, no example database."""

from __future__ import annotations

import os
import resource
import shutil
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from helpers.cli_commands import ALL_COMMANDS, command_at, serve_returns_at_once
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.app import cli as app

V1_JSONL = Path(__file__).parent / "data" / "budget_line_recorded_v1.jsonl"
MEMORY_BOUND = 300 * 2**20
MAX_ERROR_LINE = 2_000  # values are quoted to 60 characters (an import of 20 bad rows: longer)
ADDRESS_SPACE_HEADROOM = 2 * 2**30
EXAMPLES = int(os.environ.get("DEFLEDGER_FUZZ_EXAMPLES", "15"))
# Commands that run forever or wait for something outside the test: none (``serve`` is fuzzed up
# to its real server, which then returns instead of serving). A command added here must say why
# it cannot be fuzzed.
EXCLUDED: dict[str, str] = {}


COMMANDS = [path for path in ALL_COMMANDS if " ".join(path) not in EXCLUDED]


# -- values -------------------------------------------------------------------------------------

HUGE_INTS = ["0", "-1", "1", "2", "3", "100", str(2**31), str(2**63 - 1), str(2**63),
             "99999999999999999999", "-99999999999999999999", "1e309", "0x10", " 7 ",
             "٣"]  # fmt: skip
SHORT_HOSTILE = [
    "", " ", "\x00", "a\x00b", "-1", "0", "-0",
    "99999999999999999999", "1e309", "NaN", "Infinity", "ＥＤＵ", "Е", "\u2028\u2029", "\ufeff",
    "😀" * 300, '=HYPERLINK("x")', "../" * 30, "*", "%", "_", "'; DROP TABLE events; --",
    "FY1900..FY2200", "FY2200..FY1900", "FY0000", "FY1900..", "..", "...", "@", "a@", "a@0",
    "a@999999", "#", "#0", "#99999999999999999999", "2025-13-45",
    "0001-01-01", "9999-12-31T23:59:59.999999+14:00", "-9999-01-01", "2025-01-01T00:00:00",
    "00000000-0000-0000-0000-000000000000",
    '{"seq": 99999999999999999999, "hash": "' + "0" * 64 + '"}', "\\u0000", "\t\n\r",
]  # fmt: skip
# Long values are built when drawn: as literals they would make every strategy's repr (which
# hypothesis prints) hundreds of kilobytes long.
LONG_HOSTILE = st.sampled_from(  # (prefix, character, count, closing character)
    [("", "x", 100_000, ""), ("", "9", 100_000, ""), ("", "9", 5000, ""), ("", "{", 5000, ""),
     ("", "[", 100_000, "]"), ("a@", "9", 5000, ""), ("#", "9", 5000, "")]
).map(lambda s: s[0] + s[1] * s[2] + s[3] * s[2])  # fmt: skip
HOSTILE = st.one_of(st.sampled_from(SHORT_HOSTILE), LONG_HOSTILE)
# Values that are valid for the demo ledger (most of them: a plausible call should mostly
# reach the command's logic, not its argument checks); hostile values are drawn apart.
HINTS: dict[str, list[str]] = {
    "fy": ["FY2025", "2024", "FY2022..FY2025", "FY1900..FY2200", "FY2023"],
    "years": ["FY2025", "2024", "FY2022..FY2025", "FY1900..FY2200", "FY2023"],
    "year": ["FY2025", "FY2024", "2023", "FY2022"],
    "definition": ["jp-defense-related", "jp-defense-related@1", "jp-defense-related@2",
                   "jp-defense-related@3", "nato", "nato@1", "jp-mod-core"],
    "definitions": ["jp-defense-related", "jp-defense-related@2", "nato@1", "jp-mod-core@1"],
    "as_of": ["119", "#100", "90", "2999-01-01", "1"],
    "jurisdiction": ["JP", "jp"],
    "tier": ["core", "related", "all"],
    "gdp_basis": ["same-year", "FY2022", "FY2022@2022-12-estimate",
                  "same-year@esri-2022-annual-report"],
    "basis": ["same-year", "fixed-year"],
    "stages": ["initial", "initial,supplementary", "settled"],
    "status": ["draft", "proposed", "adopted", "withdrawn", "superseded"],
    "category": ["JP.CORE.DBP", "JP.REL.JCG", "JP.CAND.SPACE", "NEW.CAT"],
    "code": ["NEW.CAT", "JP.CORE.NEW"],
    "parent": ["JP.CORE"],
    "amount": ["1", "0.5", "123456789", "1e30"],
    "rate": ["150.25", "1e-30"],
    "share": ["1", "0.5"],
    "percent_of_gdp": ["2", "2.5"],
    "includes": ["JP.CORE.DBP=0.5:core", "JP.CAND.SPACE", "JP.REL.JCG=1:related"],
    "excludes": ["JP.CORE.DBP", "JP.REL.JCG"],
    "stream": ["line/JP/FY2025/*", "definition/nato/v1", "*"],
    "types": ["BudgetLineRecorded", "GdpRecorded"],
    "version": ["1", "2", "3", "4"],
    "based_on": ["1", "2"],
    "specs": ["jp-defense-related@1", "jp-defense-related@2", "nato@1"],
    "spec": ["jp-defense-related@1", "jp-defense-related@2", "nato@1"],
    "role": ["defledger_app", "auditor"],
    "schema": ["public"],
    "currency": ["JPY", "USD"],
    "fiscal_year": ["2025", "FY2024"],
    "by_fiscal_year": ["2027"],
    "effective_from": ["2025"],
    "line_id": ["MOD-DBP", "NEW-LINE"],
    "stage": ["initial", "supplementary"],
    "kind": ["floor", "cap"],
    "vintage": ["2022-12-estimate", "2025-07"],
    "base": ["USD"],
    "quote": ["JPY"],
    "rate_type": ["average"],
    "target_id": ["t1"],
    "since": ["2025-01-01", "2000-01-01T00:00:00Z"],
    "until": ["2999-12-31", "2025-06-30T12:00:00+09:00"],
    "actor": ["defledger-seed", "fuzzer"],
    "reason": ["fuzzing", "supplementary budget"],
    "name": ["fuzz2"],
    "database": ["ledger"],
    "title": ["A title"],
    "description": ["A description"],
    "note": ["why"],
    "source_title": ["MoD budget overview"],
    "source_url": ["https://www.mod.go.jp/"],
    "source_page": ["p. 3"],
    "idempotency_key": ["fuzz-1"],
    "claim_id": ["jp-fy2025-2pct-nikkei", "seed-fy2025-total", "nope"],
    "claims_": ["jp-fy2024-share-japantimes", "us-ask-3p5pct", "seed-fy2025-related"],
    "claim_ids": ["jp-fy2025-total-mof", "seed-fy2025-defense"],
    "by": ["jp-fy2025-2pct-nikkei", "us-ask-3p5pct"],
    "reviewer": ["fact desk"],
    "review_url": ["https://facts.example/{id}", "https://facts.example/"],
}  # fmt: skip
WRITTEN = {"output", "prefix", "directory", "target_url", "db"}  # params naming a file we write
OUTPUT_NAMES = ["out.json", "out.jsonl", "out.csv", "out.md", "out.html", "out.txt", "out",
                "dir", "sub/missing/out.json", "x" * 300, "a\x00b", "", "-", "."]  # fmt: skip


PATH_HINTS = {  # parameter name -> the asset files it is meant to read
    "checkpoint_file": ["kept.checkpoint"],
    "pubkey_file": ["fuzz.pub"],
    "key_file": ["fuzz.key"],
    "proof": ["7.proof.json"],
    "directory": ["bundle"],
    "file": ["log.jsonl", "lines.csv", "v1.jsonl"],
    "root": ["."],
    "digest_value": ["digest.json", '{"seq": 3, "hash": "' + "0" * 64 + '"}'],
}
SAFE_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x2FFF), min_size=1, max_size=20
)


def plausible(param: click.Parameter, files: dict[str, Path]) -> st.SearchStrategy[str]:
    """A value the parameter is meant to take (most of them valid for the demo ledger)."""
    name, kind = param.name or "", param.type
    if isinstance(kind, click.Choice):
        return st.sampled_from([str(c) for c in kind.choices])
    if isinstance(kind, click.types.IntParamType):
        low = getattr(kind, "min", None) or 0
        high = getattr(kind, "max", None) or low + 130
        return st.integers(low, min(high, low + 130)).map(str)
    if name in PATH_HINTS:
        return st.sampled_from([str(files[n]) if n in files else n for n in PATH_HINTS[name]])
    if isinstance(kind, click.Path) and kind.exists:
        return st.sampled_from([str(p) for p in files.values()])
    if name in WRITTEN:
        return st.sampled_from(OUTPUT_NAMES[:8])
    return st.sampled_from(HINTS[name]) if name in HINTS else SAFE_TEXT


def hostile(param: click.Parameter, files: dict[str, Path]) -> st.SearchStrategy[str]:
    """A value meant to break it: huge, negative, NUL, long, unicode, junk files."""
    name, kind = param.name or "", param.type
    if isinstance(kind, click.types.IntParamType):
        numbers = st.integers(min_value=-(2**70), max_value=2**70).map(str)
        return st.one_of(st.sampled_from(HUGE_INTS), numbers, HOSTILE)
    if isinstance(kind, click.Path) and kind.exists:
        junk = [str(p) for p in files.values()] + ["missing.file", "-", "", "/dev/zero", "."]
        return st.sampled_from(junk)
    if name in WRITTEN:
        return st.sampled_from(OUTPUT_NAMES)
    return st.one_of(HOSTILE, st.text(max_size=30))


def arguments(
    path: tuple[str, ...], command: click.Command, files: dict[str, Path]
) -> st.SearchStrategy[list[str]]:
    """Random arguments for ``command``: each option present or not (required ones usually),
    repeated when ``multiple``; arguments given or not. Values are plausible, except for the
    parameters chosen to be hostile: none (half the examples), one, or any."""
    params = [p for p in command.params if not (isinstance(p, click.Option) and p.is_flag)]

    @st.composite
    def build(draw: st.DrawFn) -> list[str]:
        mode = draw(st.sampled_from(["calm", "calm", "one", "chaos"]))
        target = draw(st.sampled_from(params)) if params and mode == "one" else None

        def value(param: click.Parameter) -> str:
            bad = param is target or (mode == "chaos" and draw(st.booleans()))
            return draw(hostile(param, files) if bad else plausible(param, files))

        args = list(path)
        for param in command.params:
            if isinstance(param, click.Option):
                name = param.opts[-1]
                if param.is_flag:
                    if draw(st.booleans()):
                        args.append(name)
                    continue
                chance = 1.0 if param is target else 0.9 if param.required else 0.4
                if draw(st.floats(0, 1)) >= chance:
                    continue
                times = draw(st.integers(1, 3)) if param.multiple else 1
                for _ in range(times):
                    args += [name, value(param)]
            elif isinstance(param, click.Argument):
                if mode == "chaos" and draw(st.floats(0, 1)) < 0.1:
                    continue
                count = draw(st.integers(1, 3)) if param.nargs == -1 else param.nargs
                args += [value(param) for _ in range(count)]
        if mode == "chaos" and draw(st.floats(0, 1)) < 0.2:
            args.append(draw(HOSTILE))
        return args

    return build()


# -- the ledger and the files the commands read -------------------------------------------------


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    """A demo ledger and files of every kind a command reads: good ones made by the commands
    themselves (key, checkpoint, proof, bundle, log) and hostile ones."""
    from ledger.demo.run import build
    from ledger.storage.store import EventStore

    base = tmp_path_factory.mktemp("fuzz-assets")
    ledger = base / "demo.db"
    with EventStore.open(str(ledger), create=True) as store:
        build(store)
    runner = CliRunner()

    def make(*args: str) -> None:
        result = runner.invoke(app, ["--db", str(ledger), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output

    make("keygen", "fuzz", "-o", str(base / "fuzz"))
    make("checkpoint", "--sign", str(base / "fuzz.key"), "-o", str(base / "kept.checkpoint"))
    make(
        "prove",
        "7",
        "--checkpoint",
        str(base / "kept.checkpoint"),
        "-o",
        str(base / "7.proof.json"),
    )
    make("export", "-o", str(base / "bundle"), "--root", str(base))
    make("log", "--format", "jsonl", "-o", str(base / "log.jsonl"))
    make("digest", "-o", str(base / "digest.json"))
    junk = {
        "empty.txt": b"",
        "binary.bin": bytes(range(256)) * 64,
        "deep.jsonl": b"[" * 100_000 + b"]" * 100_000 + b"\n",
        "deep-object.jsonl": b'{"type":"GdpRecorded","x":' + b"[" * 5000 + b"]" * 5000 + b"}\n",
        "bigint.jsonl": b'{"type":"BudgetLineRecorded","schema_version":1,"amount_yen":'
        + b"9" * 4000
        + b"}\n",
        "v1-missing.jsonl": b'{"type":"BudgetLineRecorded","schema_version":1,"line_id":"X"}\n',
        "v1.jsonl": V1_JSONL.read_bytes(),
        "lines.csv": b"fiscal_year,line_id,agency,category,amount,stage\n"
        b"2025,NEW-1,MoD,JP.CORE.DBP," + b"9" * 100_000 + b",initial\n",
        "wide.csv": b"code,name\n" + b"x" * 200_000 + b",y\n",
        "nul.csv": b"code,name\nA\x00,b\n",
    }
    for name, data in junk.items():
        (base / name).write_bytes(data)
    files = {
        name: base / name
        for name in [
            "fuzz.key", "fuzz.pub", "kept.checkpoint", "7.proof.json", "bundle", "log.jsonl",
            "digest.json", *junk,
        ]
    }  # fmt: skip
    return ledger, files


@contextmanager
def address_space_limit(headroom: int) -> Iterator[None]:
    """Cap this process's address space at its current size plus ``headroom`` (Linux): a
    runaway allocation fails with MemoryError instead of taking the machine."""
    try:
        with open("/proc/self/statm") as handle:
            size = int(handle.read().split()[0]) * resource.getpagesize()
    except OSError:  # not Linux: tracemalloc alone
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = size + headroom
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.mark.slow
@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_fuzz__every_command_ends_cleanly_within_bounds(
    path: tuple[str, ...],
    assets: tuple[Path, dict[str, Path]],
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ledger, files = assets
    command = command_at(path)
    work = tmp_path_factory.mktemp("fuzz-run")
    monkeypatch.chdir(work)  # relative outputs land here, never in the source tree
    if path == ("serve",):
        serve_returns_at_once(monkeypatch)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(args=arguments(path, command, files))
    def run(args: list[str]) -> None:
        for child in work.iterdir():  # each example starts from an empty directory …
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        db = work / "ledger.db"  # … and a fresh copy of the demo ledger
        shutil.copyfile(ledger, db)
        runner = CliRunner()
        tracemalloc.start()
        try:
            with address_space_limit(ADDRESS_SPACE_HEADROOM):
                result = runner.invoke(app, ["--db", str(db), *args], input="")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        shown = repr(args)[:300]
        assert result.exit_code in range(5), (shown, result.exit_code, result.output[-500:])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"{shown}: uncaught {result.exception!r}") from result.exception
        assert "internal error" not in result.output, (shown, result.output[-500:])
        assert "Traceback" not in result.output, (shown, result.output[-500:])
        assert peak < MEMORY_BOUND, (shown, f"{peak / 2**20:.0f} MiB")
        if result.exit_code not in (0, 4):
            errors = [ln for ln in result.stderr.splitlines() if ln.startswith("Error:")]
            assert len(errors) == 1, (shown, result.stderr[-500:])
            assert len(errors[0]) <= MAX_ERROR_LINE, (shown, len(errors[0]))

    run()
