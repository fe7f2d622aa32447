"""``claims check`` as one self-contained HTML page (inline CSS, no script, no external URL but
the publications' own links): first what must not be read as a confirmation (the claims that
are consistent by construction, in words), then every claim with its source, quote and verdict
under each definition version measured. Every text is escaped."""

from __future__ import annotations

import html
from typing import Any

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:78rem;
color:#111827;line-height:1.4;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem;width:100%}
th,td{border:1px solid #e5e7eb;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f4f6}.read-first{border:2px solid #b45309;background:#fffbeb;padding:.5rem 1rem}
.verdict{font-weight:600;white-space:nowrap}.quote{font-style:italic}.note{color:#4b5563}
ul{margin:0;padding-left:1.1rem}
"""
VERDICT_CLASS = {
    "holds": "#166534",
    "does-not-hold": "#991b1b",
    "consistent-by-construction": "#b45309",
    "depends-on-definition": "#1d4ed8",
    "undetermined": "#4b5563",
}


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _verdict(code: str, text: str) -> str:
    colour = VERDICT_CLASS.get(code, "#111827")
    return f'<span class="verdict" style="color:{colour}">{_e(text)}</span>'


def _source(c: dict[str, Any]) -> str:
    title = _e(c["publication"])
    link = f'<a href="{_e(c["url"])}">{title}</a>' if c["url"] else title
    return f"{_e(c['claimant'])}<br>{link}<br>{_e(c['published'])}"


def _quote(c: dict[str, Any]) -> str:
    text = f'<span class="quote" lang="{_e(c["language"])}">“{_e(c["quote"])}”</span>'
    if c["translation"]:
        text += f"<br>{_e(c['translation'])}"
    return text


def _outcomes(c: dict[str, Any]) -> str:
    items = []
    for o in c["outcomes"]:
        text = f"{_e(o['definition'])}: {_verdict(o['verdict'], o['verdict'].replace('-', ' '))}"
        if o["value"] is not None:
            text += f" — ledger {_e(o['value'])}, as published {_e(o['value_as_published'])}"
        if o["verdict"] == "does-not-hold" and o["gap"]:
            text += f", gap {_e(o['gap'])}"
        if o["missing"]:
            text += f' <span class="note">({_e(o["missing"])})</span>'
        if o["derived_from_claim"]:
            seqs = ", ".join(str(s) for s in o["derived_from_claim"])
            text += (
                f' <span class="note">(rests on seq {_e(seqs)}, an assumption derived from this '
                "claim's publication)</span>"
            )
        items.append(f"<li>{text}</li>")
    return "<ul>" + "".join(items) + "</ul>"


def render_claims_html(document: dict[str, Any]) -> str:
    """The page for a ``claims check`` document (``{"meta": …, "claims": […]}``)."""
    meta, claims = document["meta"], document["claims"]
    as_of = meta["as_of"]
    circular = [c for c in claims if c["verdict"] == "consistent-by-construction"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Published claims, checked (seq {_e(as_of['seq'])})</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Published claims, checked against the ledger</h1>",
        f"<p>As of seq {_e(as_of['seq'])} (hash {_e(as_of['hash'][:16])}…): "
        f"{_e(meta['counts'])}. {_e(meta['rounding'])}</p>",
    ]
    if circular:
        listed = "".join(
            f"<li>{_e(c['about'])} “{_e(c['claimed'])}” ({_e(c['publication'])}, "
            f"{_e(c['published'])})</li>"
            for c in circular
        )
        parts.append(
            '<section class="read-first"><h2>Read first: consistent by construction, not '
            "confirmed</h2><p>The ledger reproduces these published figures only because a "
            "figure behind its value is an assumption derived from the very same publication; "
            f"they confirm nothing.</p><ul>{listed}</ul></section>"
        )
    parts.append(
        "<h2>Claims</h2><table><thead><tr><th>claim</th><th>who, where, when</th>"
        "<th>quote</th><th>claimed</th><th>verdict</th><th>under each definition</th>"
        "</tr></thead><tbody>"
    )
    for c in claims:
        parts.append(
            f'<tr id="{_e(c["claim_id"])}"><td>{_e(c["claim_id"])}<br>'
            f'<span class="note">{_e(c["status"])}</span></td>'
            f"<td>{_source(c)}</td><td>{_quote(c)}</td>"
            f"<td>{_e(c['about'])}<br>{_e(c['claimed'])}</td>"
            f"<td>{_verdict(c['verdict'], c['verdict_text'])}</td><td>{_outcomes(c)}</td></tr>"
        )
    parts.append("</tbody></table></body></html>")
    return "\n".join(parts) + "\n"
