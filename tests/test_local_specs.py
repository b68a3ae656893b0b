"""A bureau teaches waterwh its own header and cell words in $WATERWH_HOME/specs/*.yaml."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tests.workbooks import investment_rows, write_xlsx
from waterwh.cli import app
from waterwh.ingest.files import ingest_paths
from waterwh.ingest.spec import SpecError, extend, load_specs, with_local_specs

runner = CliRunner()
TITLE = "青溪县2025年1-3月重点项目投资台账"
ROW = ["1", "城关镇污水处理厂提标改造", "城关镇", "提标改造", "县重点", 9800, 4200, 200, 1200, 8100, "已竣工", ""]


def _ledger(tmp_path: Path) -> Path:
    rows = investment_rows(TITLE, [ROW])
    rows[1][5] = "批复概算投资总额"  # the bureau's own word for 总投资
    (tmp_path / "landing").mkdir()
    return write_xlsx(tmp_path / "landing" / "台账.xlsx", {"S": rows})


def _local(home: Path, name: str, text: str) -> Path:
    path = home / "specs" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


TEACH = """# 本局的写法
ledger_type: investment
columns:
  total_investment:
    aliases: [批复概算投资总额]
  status:
    values: {已竣工: complete}
"""


def _loaded(path: Path, specs) -> list[tuple]:
    """(total_investment, status) of the rows loaded (none when the sheet was refused)."""
    con = duckdb.connect(":memory:")
    ingest_paths(con, [path], specs=specs)
    return con.execute("SELECT total_investment, status FROM raw.investment_ledger").fetchall()


def test_a_local_word_is_read_and_shown_with_its_file_and_line(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    home = tmp_path / "home"
    assert _loaded(ledger, load_specs()) in ([], [(None, None)])  # not understood without it
    res = runner.invoke(app, ["check", str(ledger)], env={"WATERWH_HOME": str(home)})
    assert 'total_investment:\n    aliases: ["批复概算投资总额"]' in res.output, res.output
    local = _local(home, "本局.yaml", TEACH)
    specs, problems = with_local_specs(load_specs(), home / "specs")
    assert problems == []
    assert _loaded(ledger, specs) == [(9800, "complete")]
    res = runner.invoke(app, ["specs", "investment", "--home", str(home)])
    assert res.exit_code == 0
    assert f"{local}:5" in "".join(res.output.split()).replace("│", ""), res.output
    res = runner.invoke(app, ["check", str(ledger)], env={"WATERWH_HOME": str(home)})
    assert "未识别的表头" not in res.output and "未发现问题" in res.output, res.output
    assert load_specs()[0].columns == load_specs()[0].columns  # the shipped specs are untouched


@pytest.mark.parametrize(("text", "says"), [
    ("ledger_type: investment\ncolumns:\n  total_investment:\n    alaises: [总投资额度]\n",
     ":4：列定义中没有「alaises」这个键（是不是「aliases」？）"),
    ("ledger_type: investment\ncolumns:\n  total_investmnt:\n    aliases: [总投资额度]\n",
     ":3：项目投资台账没有「total_investmnt」这一列（是不是「total_investment」？）"),
    ("ledger_type: investmnet\ncolumns: {}\n", ":1：ledger_type「investmnet」不是已有的台账类型"),
    ("ledger_type: investment\ncolumns:\n  status:\n    values: {已竣工: finished}\n", "「finished」不是"),
    ("ledger_type: investment\ncolumns:\n  total_investment:\n    type: text\n", "没有「type」这个键"),
    ("ledger_type: investment\n  columns: [\n", "不是有效的 YAML"),
])
def test_a_local_file_that_cannot_be_used_is_named_with_its_line(tmp_path: Path, text: str, says: str) -> None:
    path = _local(tmp_path, "错.yaml", text)
    with pytest.raises(SpecError, match=None) as exc:
        extend(load_specs(), path)
    assert says in str(exc.value) and str(path) in str(exc.value), str(exc.value)


def test_a_bad_local_file_is_left_out_and_the_others_still_apply(tmp_path: Path) -> None:
    _local(tmp_path, "a_错.yaml", "ledger_type: investment\ncolumns:\n  total_investment:\n    alaises: [x]\n")
    _local(tmp_path, "b_本局.yaml", TEACH)
    specs, problems = with_local_specs(load_specs(), tmp_path / "specs")
    assert len(problems) == 1 and "a_错.yaml:4" in problems[0] and problems[0].startswith("本地台账定义未采用")
    investment = next(s for s in specs if s.ledger_type == "investment")
    assert "批复概算投资总额" in investment.column("total_investment").aliases


def test_the_shipped_specs_refuse_a_misspelt_key(tmp_path: Path) -> None:
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    text = (Path(__file__).parents[1] / "waterwh" / "ingest" / "specs" / "patrol.yaml").read_text(encoding="utf-8")
    (shipped / "patrol.yaml").write_text(text.replace("not_null:", "not_nul:", 1), encoding="utf-8")
    with pytest.raises(SpecError, match="not_nul"):
        load_specs(shipped)
