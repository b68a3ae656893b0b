"""What to write so that waterwh understands a header it did not: the best guess and the YAML line.

A header no alias matched is compared with every alias of the sheet's ledger type; the closest
column is offered with its similarity (0–1) and the lines a bureau adds to its local specs
(`$WATERWH_HOME/specs/*.yaml`, see ingest/spec.py `extend`) so that the next run reads it.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass

from waterwh.ingest.spec import LedgerSpec, normalise_header

MIN_SIMILARITY = 0.5  # below it, no guess is offered: the header is probably not this ledger's at all


@dataclass(frozen=True)
class Suggestion:
    header: str
    column: str | None  # the closest column of the spec, None when nothing comes close
    alias: str | None  # the alias it came closest to
    similarity: float

    def yaml(self, spec: LedgerSpec) -> str:
        """The local-spec lines that teach this header (as the column guessed)."""
        return (f"ledger_type: {spec.ledger_type}\ncolumns:\n  {self.column}:\n"
                f"    aliases: [{json.dumps(normalise_header(self.header), ensure_ascii=False)}]\n")


def suggest(spec: LedgerSpec, header: str, taken: set[str] = frozenset()) -> Suggestion:
    """The spec's column (not among `taken`, the ones already read) whose aliases are closest to
    `header`, by the share of characters they have in common in order."""
    h = normalise_header(header)
    best = Suggestion(header, None, None, 0.0)
    for column in spec.columns:
        if column.derived or column.name in taken:
            continue
        for alias in column.aliases:
            if alias.startswith("re:"):
                continue
            ratio = difflib.SequenceMatcher(None, h, normalise_header(alias)).ratio()
            if ratio > best.similarity:
                best = Suggestion(header, column.name, alias, round(ratio, 2))
    return best if best.similarity >= MIN_SIMILARITY else Suggestion(header, None, None, best.similarity)
