"""Every fact written once (issue: metrics, enumerations, lineage and units with one home each):
the structure that keeps a second copy from creeping back."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

from waterwh import dbt_files
from waterwh.ingest import enums
from waterwh.ingest.spec import LINEAGE_COLUMNS, load_specs

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "waterwh"


def _python(*tops: Path) -> list[Path]:
    return [p for top in tops for p in top.rglob("*.py") if "target" not in p.parts]


def test_the_dbt_files_ingest_defines_are_generated_from_it() -> None:
    """Units, lineage columns and the raw tables' columns: written in ingest, restated for dbt by code."""
    assert not dbt_files.stale(), "run: python -m waterwh.dbt_files"


def test_every_raw_column_is_declared_in_the_dbt_sources() -> None:
    doc = yaml.safe_load((PACKAGE / "dbt_project" / "models" / "staging" / "ledgers" / "_ledgers__sources.yml")
                         .read_text(encoding="utf-8"))
    declared = {t["name"]: [c["name"] for c in t["columns"]] for t in doc["sources"][0]["tables"]}
    for spec in load_specs():
        assert declared[spec.table] == [n for n, _ in spec.raw_columns()]
        assert declared[spec.table][:len(LINEAGE_COLUMNS)] == [c.name for c in LINEAGE_COLUMNS]


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


def test_the_enumerations_doc_is_generated_from_their_home() -> None:
    assert (ROOT / "docs" / "enumerations.md").read_text(encoding="utf-8") == enums.enumerations_md(), \
        "run: python -m waterwh.ingest.enums > docs/enumerations.md"


def test_every_enum_column_maps_to_codes_of_its_enumeration_and_gx_and_dbt_read_them() -> None:
    from waterwh.quality import suites

    for spec in load_specs():
        for c in spec.columns:
            if c.type == "enum":
                assert {v for v in c.values.values() if v is not None} <= set(enums.codes(c.enum or ""))
    raw_sets = {e.configuration.kwargs["column"]: e.configuration.kwargs["value_set"]
                for suite in suites.raw_suites() if suite.name in ("raw_investment", "raw_patrol")
                for e in suite.expectations if e.expectation_type == "expect_column_values_to_be_in_set"}
    assert raw_sets["status"] == enums.codes("status")
    assert raw_sets["handling_status"] == enums.codes("handling_status")
    in_enum = sum(p.read_text(encoding="utf-8").count("- in_enum:")
                  for p in (PACKAGE / "dbt_project" / "models").rglob("*.yml"))
    assert in_enum >= 19


def test_a_spec_word_mapped_to_a_code_its_enumeration_lacks_is_refused(tmp_path: Path) -> None:
    from waterwh.ingest.spec import SpecError
    from waterwh.ingest.spec import load_specs as load

    shipped = PACKAGE / "ingest" / "specs"
    for f in shipped.glob("*.yaml"):
        (tmp_path / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    patrol = tmp_path / "patrol.yaml"
    patrol.write_text(patrol.read_text(encoding="utf-8").replace(": closed", ": shut", 1), encoding="utf-8")
    try:
        load(tmp_path)
    except SpecError as exc:
        assert "「shut」不是" in str(exc) and "closed" in str(exc)
    else:
        raise AssertionError("a code outside the enumeration was accepted")
