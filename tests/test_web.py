"""The web view in-process (Flask's test client), on the shipped Japan scenario plus a few
hostile values: every page and API route answers, pages parse as HTML and carry the as-of
control, the API returns exactly what the CLI prints with ``--format json``, writes get 405,
bad parameters 400 and unknown things 404 (never a traceback), every value is escaped, the
event feed pages through every seq without a gap, nothing is written, and ``defledger site``
writes the same pages as files with relative links and proofs that verify offline."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

pytest.importorskip("flask")
pytest.importorskip("waitress")

from cli.app import cli  # noqa: E402
from cli.web.app import create_app  # noqa: E402
from cli.web.state import WebConfig, WebLedger  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "ledger" / "demo" / "seed" / "japan.jsonl"
D = "jp-defense-related"
SCRIPT = '<script>alert("x")</script>'
FORMULA = '=HYPERLINK("http://evil.example","click")'
URL = 'https://evil.example/?q="><script>alert(3)</script>'  # (javascript: URLs are refused)
HOSTILE = [
    {"type": "BudgetLineRecorded", "jurisdiction": "JP", "fiscal_year": 2025,
     "line_id": "HOSTILE-1", "agency": '<img src=x onerror=alert(1)>', "program": FORMULA,
     "category": "JP.CORE.DBP", "amount": "1000000", "currency": "JPY", "stage": "initial",
     "reason": "<b>not bold</b>",
     "source": {"title": SCRIPT, "url": URL}},
    {"type": "DefinitionVersionOpened", "definition": "hostile", "version": 1,
     "title": f"</title>{SCRIPT}"},
    {"type": "CategoryIncluded", "definition": "hostile", "version": 1,
     "category": "JP.CORE.DBP", "note": SCRIPT, "reason": FORMULA,
     "source": {"title": "a source", "url": URL}},
]  # fmt: skip
PAGES = [
    "/",
    "/jurisdictions/JP",
    "/definitions",
    f"/definitions/{D}",
    "/definitions/hostile",
    "/diff",
    f"/diff?a={D}@2&b={D}@3",
    f"/diff?a={D}@1&b={D}@3&fy=2024&chart=pp",
    f"/number?jurisdiction=JP&fy=2025&definition={D}@2",
    "/events",
    "/events?type=GdpRecorded",
    "/events?after=100&limit=10",
    "/events/1",
    "/claims",
]


class Page(HTMLParser):
    """A page parsed: its tags with attributes, its text, and whether tags balanced."""

    VOID = {"meta", "link", "input", "br", "img", "hr", "col", "source", "wbr"}

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.open: list[str] = []
        self.in_script = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("web")
    db = work / "japan.db"
    hostile = work / "hostile.jsonl"
    hostile.write_text("".join(json.dumps(e) + "\n" for e in HOSTILE), encoding="utf-8")
    for path in (SEED, hostile):
        done = CliRunner().invoke(cli, ["--db", str(db), "import", str(path)])
        assert done.exit_code == 0, done.output
    return db


@pytest.fixture(scope="module")
def checkpoint(ledger: Path) -> Path:
    path = ledger.parent / "ledger.checkpoint"
    done = CliRunner().invoke(cli, ["--db", str(ledger), "checkpoint", "-o", str(path)])
    assert done.exit_code == 0, done.output
    return path


@pytest.fixture(scope="module")
def client(ledger: Path, checkpoint: Path) -> Iterator[Any]:
    web = WebLedger(WebConfig(str(ledger), (str(checkpoint),)))
    yield create_app(web).test_client()
    web.close()


def get(client: Any, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, (url, response.get_data(as_text=True)[:2000])
    return response


def cli_json(ledger: Path, *args: str) -> Any:
    done = CliRunner().invoke(cli, ["--db", str(ledger), *args, "--format", "json"])
    assert done.exit_code in (0, 4), done.output
    return json.loads(done.output)


def head_of(ledger: Path) -> int:
    return int(cli_json(ledger, "log", "-n", "1")["meta"]["head_seq"])


# -- pages --------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
def test_web__every_page_answers_parses_and_has_the_as_of_control(client: Any, url: str) -> None:
    response = get(client, url)
    assert response.mimetype == "text/html"
    page = Page(response.get_data(as_text=True))
    assert page.open == [], f"unclosed tags {page.open}"
    assert page.all("input", name="as_of"), "every page has the as-of control"
    assert page.all("link", rel="stylesheet")
    for tag, attrs in page.tags:  # nothing loads from another host
        loaded = attrs.get("src") if "src" in attrs else None
        if tag == "link" and attrs.get("rel") == "stylesheet":
            loaded = attrs.get("href")
        if loaded is not None:
            assert loaded.startswith("/static/"), (url, loaded)
    for script in page.all("script"):
        assert (script.get("src") or "").startswith("/static/"), "no inline script"
    assert "Traceback" not in page.words


def test_web__overview_draws_one_line_per_version_with_targets_and_the_table(client: Any) -> None:
    page = Page(get(client, "/").get_data(as_text=True))
    series = json.loads(get(client, "/api/v1/series").get_data(as_text=True))
    drawn = {a.get("data-series") for a in page.all("path") if a.get("class") == "line"}
    with_points = {
        f"{r['definition']}@{r['version']}"
        for r in series["series"]
        if r["share_of_gdp_pct"] and r["counts_anything"]
    }
    assert len(drawn) == len(with_points) >= 4
    targets = [a for a in page.all("line") if a.get("class") == "target"]
    assert len(targets) == len({t["percent_of_gdp"] for t in series["meta"]["targets"]}) >= 1
    grid = [a for a in page.all("line") if a.get("class") == "grid"]
    assert grid[0]["y1"] == grid[0]["y2"]  # the zero line is the first tick
    assert "✓ Hash chain verified" in page.words
    assert "Latest checkpoint" in page.words
    totals = [a for a in page.all("a") if a.get("class") == "total"]
    assert len(totals) == len(series["series"])
    assert all((a.get("href") or "").startswith("/number?") for a in totals)


def test_web__as_of_changes_the_numbers_and_follows_every_link(client: Any, ledger: Path) -> None:
    now = Page(get(client, "/").get_data(as_text=True))
    then = Page(get(client, "/?as_of=99").get_data(as_text=True))
    cells = lambda p: [a.get("href") for a in p.all("a") if a.get("class") == "total"]  # noqa: E731
    assert now.words != then.words
    assert "what the ledger knew at seq 99" in then.words
    assert all("as_of=99" in (href or "") for href in cells(then))
    assert then.all("input", name="as_of", value="99")
    old = json.loads(get(client, "/api/v1/series?as_of=99").get_data(as_text=True))
    new = json.loads(get(client, "/api/v1/series").get_data(as_text=True))
    assert old["meta"]["as_of"]["seq"] == 99 and new["meta"]["as_of"]["seq"] == head_of(ledger)
    assert old["series"] != new["series"]


def test_web__a_total_links_to_its_trace_and_the_trace_to_each_event(client: Any) -> None:
    page = Page(get(client, "/").get_data(as_text=True))
    hrefs = [a.get("href") or "" for a in page.all("a") if a.get("class") == "total"]
    href = next(h for h in hrefs if re.search(f"{D}(@|%40)2", h) and "fy=2025" in h)
    trace = Page(get(client, href).get_data(as_text=True))
    events = {a["href"] for a in trace.all("a") if re.fullmatch(r"/events/\d+", a["href"] or "")}
    assert len(events) >= 10
    for url in sorted(events)[:5]:
        assert "Event " in Page(get(client, url).get_data(as_text=True)).words


def test_web__event_page_has_envelope_hashes_and_a_proof_that_verifies_offline(
    client: Any, checkpoint: Path, tmp_path: Path
) -> None:
    page = Page(get(client, "/events/42").get_data(as_text=True))
    shown = json.loads(get(client, "/api/v1/events/42").get_data(as_text=True))
    assert shown["hash"] in page.words and shown["prev_hash"] in page.words
    assert "leaf 41 of the Merkle tree" in page.words
    proof = tmp_path / "42.json"
    proof.write_bytes(get(client, "/api/v1/events/42/proof").get_data())
    script = ROOT / "cli" / "web" / "static" / "verify_proof.py"
    done = subprocess.run([sys.executable, str(script), str(proof), str(checkpoint)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0 and done.stdout.startswith("ok: seq 42"), done
    assert shown["seq"] == 42
    tampered = json.loads(proof.read_text())
    tampered["event"]["payload"]["category"] = "JP.OTHER"
    proof.write_text(json.dumps(tampered))
    done = subprocess.run([sys.executable, str(script), str(proof), str(checkpoint)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode != 0 and "FAILED" in done.stderr


def test_web__without_a_checkpoint_the_event_page_says_so(ledger: Path) -> None:
    web = WebLedger(WebConfig(str(ledger)))
    try:
        client = create_app(web).test_client()
        page = Page(get(client, "/events/3").get_data(as_text=True))
        assert "No checkpoint exists for this view" in page.words
        get(client, "/api/v1/events/3/proof", 404)
        get(client, "/checkpoint", 404)
        assert "No checkpoint" in Page(get(client, "/").get_data(as_text=True)).words
    finally:
        web.close()


# -- the API is the CLI's JSON -------------------------------------------------------------------

SAME = [
    ("/api/v1/totals", ["totals"]),
    ("/api/v1/totals?fy=2022..2025&definition=jp-defense-related&change=1&target=1",
     ["totals", "--fy", "2022..2025", "--definition", "jp-defense-related", "--change",
      "--target"]),
    ("/api/v1/totals?as_of=99&by_category=1", ["totals", "--as-of", "99", "--by-category"]),
    ("/api/v1/trace?fy=2025&definition=jp-defense-related@2",
     ["trace", "--fy", "2025", "--definition", "jp-defense-related@2"]),
    ("/api/v1/definitions", ["definition", "list"]),
    ("/api/v1/definitions?as_of=60", ["definition", "list", "--as-of", "60"]),
    ("/api/v1/definitions/jp-defense-related@2", ["definition", "show", f"{D}@2"]),
    ("/api/v1/claims", ["claims", "check"]),
    ("/api/v1/claims?as_of=125", ["claims", "check", "--as-of", "125"]),
    ("/api/v1/events/42", ["show", "42"]),
    (f"/api/v1/diff?a={D}@2&b={D}@3", ["diff", f"{D}@2", f"{D}@3"]),
    (f"/api/v1/diff?a={D}@1&b=nato@1&fy=2022", ["diff", f"{D}@1", "nato@1", "--fy", "2022"]),
]  # fmt: skip


@pytest.mark.parametrize(("url", "args"), SAME, ids=[u for u, _ in SAME])
def test_web__api_returns_what_the_cli_prints_with_format_json(
    client: Any, ledger: Path, url: str, args: list[str]
) -> None:
    response = get(client, url)
    assert response.mimetype == "application/json"
    assert json.loads(response.get_data(as_text=True)) == cli_json(ledger, *args)


def test_web__api_index_lists_every_route(client: Any) -> None:
    index = json.loads(get(client, "/api/v1/").get_data(as_text=True))
    assert {"totals", "events", "proof", "diff", "claims", "verify"} <= set(index["routes"])
    verify = json.loads(get(client, "/api/v1/verify").get_data(as_text=True))
    assert verify["meta"]["ok"] is True and verify["meta"]["verified_at"]


def test_web__the_feed_pages_through_every_event_without_a_gap(client: Any, ledger: Path) -> None:
    head = head_of(ledger)
    url, seqs, pages, previous = "/api/v1/events?limit=7", [], 0, "0" * 64
    while True:
        page = json.loads(get(client, url).get_data(as_text=True))
        pages += 1
        for event in page["events"]:
            assert event["prev_hash"] == previous  # the feed is self-verifying
            previous = event["hash"]
            seqs.append(event["seq"])
        url = page["meta"]["next"]
        if not page["meta"]["more"]:
            break
    assert seqs == list(range(1, head + 1)) and pages == -(-head // 7)
    at_head = json.loads(get(client, url).get_data(as_text=True))
    assert at_head["events"] == [] and at_head["meta"]["next_after"] == head
    everything = cli_json(ledger, "log")
    first = json.loads(get(client, "/api/v1/events?limit=1000").get_data(as_text=True))
    assert first["events"] == everything["events"]  # log --format json's rows
    typed = json.loads(get(client, "/api/v1/events?type=GdpRecorded").get_data(as_text=True))
    assert {e["type"] for e in typed["events"]} == {"GdpRecorded"}


# -- read-only, bad input, escaping --------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
@pytest.mark.parametrize("url", ["/", "/events", "/api/v1/events", "/api/v1/totals", "/nowhere"])
def test_web__writes_get_405(client: Any, method: str, url: str) -> None:
    response = getattr(client, method)(url, data=b"x")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"


def test_web__nothing_is_written_and_every_page_is_headed_safely(client: Any, ledger: Path) -> None:
    before = head_of(ledger)
    for url in PAGES:
        response = get(client, url)
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert head_of(ledger) == before


BAD = [
    ("/?as_of=nonsense", 400, "is not a seq"),
    ("/?as_of=999999", 400, "beyond the ledger"),
    ("/?unknown=1", 400, "unknown parameter"),
    ("/events?limit=0", 400, "not in 1..1000"),
    ("/events?limit=1001", 400, "not in 1..1000"),
    ("/events?after=-1", 400, "not a whole number"),
    ("/events?after=1&after=2", 400, "give it once"),
    ("/events?type=NoSuchType", 400, "unknown event type"),
    ("/events?since=yesterday", 400, "is not a seq"),
    ("/api/v1/events?limit=5000", 400, "not in 1..1000"),
    ("/events?actor=" + "a" * 400, 400, "longer than"),
    ("/events?actor=a%00b", 400, "NUL"),
    ("/number?fy=2025&definition=nope", 404, "unknown definition"),
    ("/number", 400, "fiscal year"),
    ("/number?fy=FY1800", 400, ""),
    ("/diff?a=jp-defense-related@2", 400, "give both"),
    ("/diff?a=jp-defense-related@2&b=jp-defense-related@99", 404, "unknown definition version"),
    ("/diff?a=x@1&b=y@1&chart=pie", 400, "not one of"),
    ("/definitions/nope", 404, "unknown definition"),
    ("/jurisdictions/DE", 404, "no budget lines"),
    ("/jurisdictions/xyz", 400, "ISO 3166"),
    ("/events/0", 404, "no event at seq 0"),
    ("/events/99999999999999999999999", 404, "no event"),
    ("/api/v1/events/999999", 404, "no event"),
    ("/api/v1/definitions/nope", 404, "unknown definition"),
    ("/api/v1/totals?fy=2999", 400, "outside 1900..2200"),
    ("/api/v1/totals?fy=2100", 400, "no budget lines"),
    ("/api/v1/totals?places=99", 400, "not in 0..20"),
    ("/static/nope.js", 404, "no such static file"),
    ("/static/../app.py", 404, ""),
    ("/static/%2e%2e/app.py", 404, ""),
    ("/static/vendor/../../app.py", 404, ""),
    ("/static//etc/passwd", 404, ""),
    ("/nowhere", 404, ""),
]


@pytest.mark.parametrize(("url", "status", "says"), BAD, ids=[u[:60] for u, _, _ in BAD])
def test_web__bad_parameters_get_a_clear_page_not_a_traceback(
    client: Any, url: str, status: int, says: str
) -> None:
    response = get(client, url, status)
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and 'File "' not in text
    if url.startswith("/api/"):
        body = json.loads(text)
        assert body["error"]["status"] == status and says in body["error"]["message"]
    else:
        page = Page(text)
        assert f"{status} " in page.words and says in page.words


def test_web__static_files_are_only_the_package_s(client: Any) -> None:
    assert get(client, "/static/site.css").mimetype == "text/css"
    assert get(client, "/static/vendor/vega.min.js").mimetype == "text/javascript"
    assert "no such static file" in get(client, "/static/app.py", 404).get_data(as_text=True)


@pytest.mark.parametrize(
    "url", ["/", f"/definitions/{D}", "/definitions/hostile", "/definitions",
            "/number?jurisdiction=JP&fy=2025&definition=jp-defense-related@2", "/events?after=130"],
)  # fmt: skip
def test_web__hostile_values_render_as_text(client: Any, url: str) -> None:
    text = get(client, url).get_data(as_text=True)
    page = Page(text)
    assert not [s for s in page.all("script") if not s.get("src")]
    assert not page.all("img") and not page.all("b")
    assert all(not (a.get("href") or "").lower().startswith("javascript:") for a in page.all("a"))
    assert "<script>alert" not in text and "onerror=alert(1)>" not in text


def test_web__hostile_values_shown_as_written(client: Any) -> None:
    trace = Page(get(client, "/events?after=130").get_data(as_text=True)).words
    assert (
        "<img src=x onerror=alert(1)>"
        in Page(
            get(client, "/number?jurisdiction=JP&fy=2025&definition=jp-defense-related@2").get_data(
                as_text=True
            )
        ).words
    )
    blame = Page(get(client, "/definitions/hostile").get_data(as_text=True)).words
    assert SCRIPT in blame and FORMULA in blame
    page = Page(get(client, "/definitions/hostile").get_data(as_text=True))
    assert URL in [a.get("href") for a in page.all("a")]  # one attribute, escaped
    assert f"</title>{SCRIPT}" in blame
    assert trace


# -- the vendored files, the missing extra, the static site --------------------------------------


def test_web__vendored_javascript_is_what_its_readme_says() -> None:
    vendor = ROOT / "cli" / "web" / "static" / "vendor"
    readme = (vendor / "README.md").read_text(encoding="utf-8")
    for name in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js"):
        digest = hashlib.sha256((vendor / name).read_bytes()).hexdigest()
        assert f"`{name}`" in readme and digest in readme, name
    for name in ("LICENSE-vega.txt", "LICENSE-vega-lite.txt", "LICENSE-vega-embed.txt"):
        assert "Redistribution and use" in (vendor / name).read_text(encoding="utf-8")


def test_web__serve_without_the_extra_says_which_extra(
    ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "waitress", None)
    for command in (["serve"], ["site", "-o", str(ledger.parent / "nosite")]):
        done = CliRunner().invoke(cli, ["--db", str(ledger), *command])
        assert done.exit_code == 1
        assert done.output.strip().splitlines() == [
            "Error: the web view needs the optional extra 'web' (Flask and waitress): pip "
            "install 'defledger[web]' (waitress is not installed)"
        ]


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value and not value.startswith(("http", "data:")):
                self.refs.append(value)


def test_site__the_pages_as_files_with_relative_links_and_proofs(
    ledger: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    done = CliRunner().invoke(cli, ["--db", str(ledger), "site", "-o", str(out)])
    assert done.exit_code == 0, done.output
    head = head_of(ledger)
    for name in ("index.html", "claims.html", "definitions/index.html", f"definitions/{D}.html",
                 "events/index.html", f"events/{head}.html", "checkpoint.txt",
                 f"diff/{D}@2--{D}@3.html", "number/JP/2025/jp-defense-related@2.html",
                 "static/site.css", "static/vendor/vega.min.js", "verify_proof.py"):  # fmt: skip
        assert (out / name).is_file(), name
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > head
    for page in pages:
        parser = Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for ref in parser.refs:
            assert not ref.startswith("/") and "?" not in ref, (page, ref)
            target = (page.parent / ref.split("#")[0]).resolve()
            assert target.is_file(), (page.relative_to(out), ref)
    index = Page((out / "index.html").read_text(encoding="utf-8")).words
    assert "Static copy of the ledger" in index and "✓ Hash chain verified" in index
    for seq in (1, head // 2, head):
        done = subprocess.run(
            [sys.executable, str(out / "verify_proof.py"), str(out / "proofs" / f"{seq}.json"),
             str(out / "checkpoint.txt")], capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done
    again = CliRunner().invoke(cli, ["--db", str(ledger), "site", "-o", str(out)])
    assert again.exit_code == 2 and "not an empty directory" in again.output


def test_site__a_checkpoint_it_cannot_publish_is_refused_and_nothing_written(
    ledger: Path, tmp_path: Path
) -> None:
    """``site --checkpoint``: not a checkpoint is bad input (2); a checkpoint of another
    ledger is an integrity failure (3); either way one ``Error:`` line and no directory."""
    other = tmp_path / "other.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", str(other), "import", str(SEED)]).exit_code == 0
    foreign = tmp_path / "other.txt"
    assert runner.invoke(cli, ["--db", str(other), "checkpoint", "-o", str(foreign)]).exit_code == 0
    junk = tmp_path / "junk.txt"
    junk.write_text("[tool.ruff]\nline-length = 100\n", encoding="utf-8")
    for given, code, said in ((junk, 2, "not a checkpoint"), (foreign, 3, "this ledger is")):
        out = tmp_path / f"site-{code}"
        done = runner.invoke(
            cli, ["--db", str(ledger), "site", "-o", str(out), "--checkpoint", str(given)]
        )
        errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
        assert done.exit_code == code and len(errors) == 1 and said in errors[0], done.output
        assert "Traceback" not in done.output and not out.exists()


def test_web__serve_refuses_a_host_it_cannot_listen_on(ledger: Path) -> None:
    """A --host that is no address (waitress raises ValueError) is bad input, in one line."""
    done = CliRunner().invoke(cli, ["--db", str(ledger), "serve", "--host", "no such host"])
    assert done.exit_code == 2, done.output
    assert done.stderr.strip() == "Error: --host 'no such host' is not an address to listen on"


def test_web__both_backends_serve_the_same_pages_and_feed(
    backend_url: str, backend_cli: Any, tmp_path: Path
) -> None:
    """On SQLite and PostgreSQL alike: the overview, an event with its proof, and the feed,
    whose events are what ``log --format json`` prints."""
    assert backend_cli("import", str(SEED)).exit_code == 0
    checkpoint = tmp_path / "ledger.checkpoint"
    assert backend_cli("checkpoint", "-o", str(checkpoint)).exit_code == 0
    web = WebLedger(WebConfig(backend_url, (str(checkpoint),)))
    try:
        client = create_app(web).test_client()
        page = Page(get(client, "/").get_data(as_text=True))
        assert "✓ Hash chain verified: 133 events" in page.words
        assert "leaf 9 of the Merkle tree" in Page(get(client, "/events/10").get_data(True)).words
        feed = json.loads(get(client, "/api/v1/events?after=120&limit=5").get_data(True))
        logged = json.loads(backend_cli("log", "--format", "json").output)["events"]
        assert feed["events"] == logged[120:125] and feed["meta"]["next_after"] == 125
        get(client, "/api/v1/events/10/proof")
    finally:
        web.close()


def test_web__long_tables_are_cut_with_a_link_to_the_json(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cli.web.pages

    monkeypatch.setattr(cli.web.pages, "MAX_ROWS", 3)
    for url, api in [
        (f"/number?jurisdiction=JP&fy=2025&definition={D}@2", "/api/v1/trace?"),
        ("/claims", "/api/v1/claims"),
        (f"/definitions/{D}", f"/api/v1/definitions/{D}/blame"),
    ]:
        page = Page(get(client, url).get_data(as_text=True))
        assert "The first 3 of" in page.words, url
        assert any((a.get("href") or "").startswith(api) for a in page.all("a")), url
    text = get(client, f"/definitions/{D}").get_data(as_text=True)
    blame = text[text.index('<table class="blame">') :]
    assert blame.count("<tr>") == 1 + 3  # the header and three rows
