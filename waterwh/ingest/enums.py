"""The enumerations, from their one home `specs/_enums.yaml`: code → Chinese label, in order.

The ledger specs map a clerk's words to these codes (a spec naming a code the enumeration lacks is
refused at load, see spec.py); the seed enum_labels and docs/enumerations.md are generated from here,
the GX value sets and dbt's in_enum tests read it.
"""

from __future__ import annotations

import csv
import functools
import io
import sys
from pathlib import Path

import yaml

ENUMS_FILE = Path(__file__).resolve().parent / "specs" / "_enums.yaml"


@functools.cache
def _listed(path: Path = ENUMS_FILE) -> dict[str, list[str] | dict[str, str]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def enum_codes() -> dict[str, list[str]]:
    """{enumeration: [code, …]} as listed (what a spec's words may map to; no labels needed)."""
    return {name: [str(c) for c in entries] for name, entries in _listed().items()}


@functools.cache
def enumerations() -> dict[str, tuple[tuple[str, str], ...]]:
    """{enumeration: ((code, label_zh), …)} in listed order; ledger_type's labels are its specs' name_zh."""
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    for name, entries in _listed().items():
        if isinstance(entries, list):  # codes only: labelled by the specs (ledger_type)
            from waterwh.ingest.spec import load_specs

            names = {s.ledger_type: s.name_zh for s in load_specs()}
            out[name] = tuple((str(code), names[code]) for code in entries)
        else:
            out[name] = tuple((str(code), str(label)) for code, label in entries.items())
    return out


def codes(name: str) -> list[str]:
    return enum_codes()[name]


def enum_labels_csv() -> str:
    """dbt_project/seeds/enum_labels.csv."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["enum_name", "code", "label_zh", "sort_order"])
    for name, entries in enumerations().items():
        writer.writerows([name, code, label, n] for n, (code, label) in enumerate(entries, start=1))
    return out.getvalue()


def enumerations_md() -> str:
    """docs/enumerations.md: each enumeration's codes, labels and the words ledgers write for them."""
    from waterwh.ingest.spec import load_specs

    words: dict[tuple[str, str], list[str]] = {}
    used_by: dict[str, list[str]] = {}
    for spec in load_specs():
        for c in spec.columns:
            if c.type == "enum" and c.enum:
                used_by.setdefault(c.enum, []).append(f"{spec.ledger_type}.{c.name}")
                for word, code in c.values.items():
                    if code is not None:
                        words.setdefault((c.enum, str(code)), []).append(word)
    lines = ["# Enumerations", "",
             "Generated from `waterwh/ingest/specs/_enums.yaml` and the ledger specs "
             "(`python -m waterwh.ingest.enums > docs/enumerations.md`); a test keeps the two equal. Codes are "
             "stored in English; dims and dashboards show the Chinese label; a ledger may write any of the words.",
             ""]
    for name, entries in enumerations().items():
        where = f"（{', '.join(used_by[name])}）" if name in used_by else ""
        lines += [f"## {name}{where}", "", "| code | 中文 | words in a ledger |", "|---|---|---|"]
        lines += [f"| `{code}` | {label} | {'、'.join(words.get((name, code), []))} |" for code, label in entries]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(enumerations_md())
