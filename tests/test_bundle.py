"""One package, installed offline: `make bundle`, then install.sh and the nightly job with no network.

The archive is unpacked outside the checkout and installed inside a network namespace without any
network (`unshare -n`, as root); the installed waterwh finds its dbt project, specs and BI assets through
the package, publishes generated samples, provisions Superset from its own environment, and is
upgraded in place without touching the data.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import tarfile
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
APART = ("waterwh.samples", "waterwh.spark_parity")  # sample generation and the Spark check


def _no_network_available() -> str | None:
    try:
        proc = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True, check=False)
    except OSError as exc:
        return str(exc)
    return None if proc.returncode == 0 else proc.stderr.strip() or "unshare -n failed"


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment of a server's shell: none of this checkout's virtualenv or settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("WATERWH_", "VIRTUAL_ENV", "PYTHONPATH", "DAGSTER_", "UV_"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if "/.venv" not in p)
    return {**env, **extra}


def _offline(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run(["unshare", "-n", *argv], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert proc.returncode == 0, f"{' '.join(argv)} exited {proc.returncode}:\n{(proc.stdout + proc.stderr)[-4000:]}"
    return proc


@pytest.mark.e2e
@pytest.mark.xdist_group("bundle")
def test_the_offline_bundle_installs_and_publishes_with_no_network(tmp_path: Path) -> None:
    why = _no_network_available()
    if why:
        pytest.skip(f"needs root for a network namespace (unshare -n): {why}")
    built = subprocess.run(["make", "-s", "bundle"], cwd=ROOT, env=_clean_env(), capture_output=True, text=True,
                           timeout=1200, check=False)
    assert built.returncode == 0, (built.stdout + built.stderr)[-4000:]
    archives = sorted((ROOT / "dist").glob(f"waterwh-offline-{VERSION}-*.tar"))
    assert len(archives) == 1, archives

    with tarfile.open(archives[0]) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    (bundle,) = (tmp_path / "unpacked").iterdir()
    wheels = {p.name.split("-")[0].lower() for p in bundle.rglob("*.whl")}
    assert {"waterwh", "dbt_core", "dbt_duckdb", "dagster", "great_expectations", "apache_superset", "duckdb"} <= wheels
    prefix = tmp_path / "opt" / "waterwh"
    server = tmp_path / "server"  # a directory with nothing of the checkout in it
    server.mkdir()
    env = _clean_env(WATERWH_HOME=str(tmp_path / "home"))

    _offline(["sh", str(bundle / "install.sh"), str(prefix)], cwd=server, env=env)
    waterwh = prefix / "bin" / "waterwh"
    assert _offline([str(waterwh), "--version"], cwd=server, env=env).stdout.strip() == VERSION
    where = _offline([str(prefix / ".venv" / "bin" / "python"), "-c",
                      "import json, waterwh; from waterwh.config import Settings; s = Settings.from_env(); "
                      "print(json.dumps([waterwh.__file__, str(s.dbt_project_dir), str(s.specs_dir)]))"],
                     cwd=server, env=env)
    for path in json.loads(where.stdout):
        assert Path(path).is_relative_to(prefix), f"{path} is not the installed package's"
    # a second install without --upgrade is refused, naming what to do
    again = subprocess.run(["unshare", "-n", "sh", str(bundle / "install.sh"), str(prefix)], cwd=server, env=env,
                           capture_output=True, text=True, check=False)
    assert again.returncode != 0 and "--upgrade" in again.stderr

    home = tmp_path / "home"
    _offline([str(waterwh), "samples", "--out", str(home / "samples"), "--scale", "small", "--seed", "11"],
             cwd=server, env=env)
    landing = home / "landing"
    landing.mkdir()
    for ledger in (home / "samples").rglob("*"):
        if ledger.is_file() and ledger.name != "answer_key.json":
            target = landing / ledger.relative_to(home / "samples")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(ledger.read_bytes())
    run = _offline([str(waterwh), "run"], cwd=server, env=env)
    assert "outcome: published" in run.stdout
    published = _offline([str(prefix / ".venv" / "bin" / "python"), "-c",
                          "import duckdb, json, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
                          "print(json.dumps([float(v) for v in con.execute(\"SELECT project_count, ytd_completed_wan "
                          "FROM marts.rpt_investment_summary WHERE grouping = 'all' "
                          "ORDER BY report_period_end DESC LIMIT 1\").fetchone()]))",
                          str(home / "warehouse" / "waterwh.duckdb")], cwd=server, env=env)
    key = json.loads((home / "samples" / "answer_key.json").read_text(encoding="utf-8"))["investment"]["by_period"]
    latest = key[max(key)]["all"]
    assert json.loads(published.stdout) == pytest.approx([latest["project_count"], latest["ytd_completed_wan"]],
                                                          abs=0.01)

    bi = _offline([str(waterwh), "bi", "setup"], cwd=server, env=env)
    assert '"dashboards/": 6' in bi.stdout

    # an upgrade (docs/operations.md) replaces both environments and leaves the data as it was
    current = (home / "warehouse" / "waterwh.duckdb").resolve()
    _offline(["sh", str(bundle / "install.sh"), "--upgrade", str(prefix)], cwd=server, env=env)
    assert _offline([str(waterwh), "--version"], cwd=server, env=env).stdout.strip() == VERSION
    assert (home / "warehouse" / "waterwh.duckdb").resolve() == current
    assert current.name in _offline([str(waterwh), "status"], cwd=server, env=env).stdout


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return found


def test_the_core_does_not_import_sample_generation_or_the_spark_check() -> None:
    """Samples and the Spark parity check are apart: only the command line reaches them (its own commands)."""
    package = ROOT / "waterwh"
    offenders = []
    for module in package.rglob("*.py"):
        rel = module.relative_to(package).as_posix()
        if rel.startswith("samples/") or rel in ("spark_parity.py", "cli.py") or rel.startswith("bi/provision"):
            continue
        bad = sorted(i for i in _imports(module) if i.startswith(APART))
        if bad:
            offenders.append(f"{rel}: {bad}")
    assert not offenders, offenders


def test_nothing_outside_the_package_is_imported_or_read_from_the_checkout() -> None:
    top = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    top -= {"waterwh", "tests", "benchmarks"}
    assert not top, f"packages outside waterwh/ (besides tests and benchmarks): {top}"
    climbing = [m.relative_to(ROOT).as_posix() for m in (ROOT / "waterwh").rglob("*.py")
                if ".parent.parent" in (t := m.read_text(encoding="utf-8")) or "parents[" in t]
    assert not climbing, f"these reach above the package: {climbing}"
