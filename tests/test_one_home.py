"""Every fact written once (issue: metrics, enumerations, lineage and units with one home each):
the structure that keeps a second copy from creeping back."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from waterwh.ingest import units

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "waterwh"


def _python(*tops: Path) -> list[Path]:
    return [p for top in tops for p in top.rglob("*.py") if "target" not in p.parts]


def test_the_dbt_form_of_the_units_is_generated_from_the_python_one() -> None:
    assert (PACKAGE / "dbt_project" / "macros" / "units.sql").read_text(encoding="utf-8") == units.dbt_macros(), \
        "run: python -m waterwh.ingest.units > waterwh/dbt_project/macros/units.sql"


def test_money_factors_are_written_only_in_the_units_module() -> None:
    money = re.compile(r"""['"]亿元['"]\s*(:|then)\s*10000""")
    found = [p.relative_to(ROOT).as_posix() for p in [*_python(PACKAGE), *(PACKAGE / "dbt_project").rglob("*.sql")]
             if money.search(p.read_text(encoding="utf-8")) and p.name not in ("units.py", "units.sql")]
    assert not found, f"a money factor outside waterwh/ingest/units.py: {found}"


def test_ingest_does_not_import_the_application() -> None:
    """waterwh.ingest sits below the application: settings reach it as arguments."""
    found = []
    for module in _python(PACKAGE / "ingest"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        guarded = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and id(node) not in guarded and node.module and (
                    (node.module.startswith("waterwh.") and not node.module.startswith("waterwh.ingest"))
                    or node.module == "waterwh"):
                found.append(f"{module.relative_to(ROOT)}: from {node.module}")
    assert not found, found


def test_duckdb_is_opened_only_through_its_door() -> None:
    """waterwh.ingest.db.connect is the one call to duckdb.connect (bi/provision.py runs in Superset's
    environment, without waterwh, and is given the readers' settings instead)."""
    door = {PACKAGE / "ingest" / "db.py", PACKAGE / "bi" / "provision.py"}
    found = [p.relative_to(ROOT).as_posix() for p in _python(PACKAGE, ROOT / "benchmarks")
             if p not in door and "duckdb.connect(" in p.read_text(encoding="utf-8")]
    assert not found, f"open DuckDB through waterwh.warehouse.open_warehouse or waterwh.ingest.db.connect: {found}"
