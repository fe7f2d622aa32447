"""A diff report as Markdown: headings, the summary in bold, pipe tables (numbers right-aligned),
from the report's blocks (``ledger.reports.blocks``)."""

from __future__ import annotations

from ledger.reports.blocks import Block, report_blocks
from ledger.reports.model import DiffReport


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: DiffReport) -> str:
    """The ``markdown`` format: headings, the summary in bold, pipe tables."""
    return render_markdown_blocks(report_blocks(report))


def render_markdown_blocks(blocks: list[Block]) -> str:
    """Any report's blocks as Markdown."""
    out: list[str] = []
    for block in blocks:
        if block.kind == "heading":
            out += ["#" * block.level + " " + block.text, ""]
        elif block.kind == "summary":
            out += [f"**{block.text}**", ""]
        elif block.kind == "text" and block.text:
            out += [block.text, ""]
        elif block.kind == "table":
            align = ["---:" if i in block.right else "---" for i in range(len(block.columns))]
            out.append("| " + " | ".join(_md_cell(c) or " " for c in block.columns) + " |")
            out.append("|" + "|".join(align) + "|")
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
