"""`make bundle`: one archive to install waterwh on a server with no network.

dist/waterwh-offline-<version>-py311-<platform>.tar holds waterwh's wheel, the wheels of its two
environments exactly as locked (uv.lock for the core with dbt, Dagster and GX; requirements/superset.lock
for Superset), the locks themselves with their hashes, install.sh, the deploy/ files, docs/operations.md
and SHA256SUMS. Wheels are fetched by pip (uv has no download command); a package published only as
source is built into a wheel here, so the server needs no compiler. The archive is for servers like the
machine that builds it (CPython 3.11, this platform), as the name says.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ["deploy/install.sh", "deploy/waterwh-dagster-daemon.service", "deploy/waterwh-dagster-webserver.service",
           "deploy/waterwh-superset.service", "deploy/waterwh-portal.service", "deploy/waterwh.env",
           "deploy/nginx-waterwh.conf", "deploy/README.md",
           "docs/operations.md", "docs/settings.md", "docs/portal.md"]


def run(argv: list[str], what: str) -> None:
    print(f"→ {what}", flush=True)
    proc = subprocess.run(argv, cwd=ROOT, check=False)
    if proc.returncode != 0:
        sys.exit(f"make bundle: {what} failed (exit {proc.returncode})")


def wheels(pip: list[str], requirements: Path, into: Path, what: str) -> None:
    """Every locked package as a wheel, hashes checked (pip downloads wheels and builds source-only ones).

    A wheel built here from a locked source (its hash checked on download) has a hash the lock cannot
    know: it is added to that requirement, so the server still installs with every hash required."""
    run([*pip, "wheel", "-qq", "--no-deps", "--require-hashes", "-r", str(requirements), "-w", str(into)], what)
    built = {_name(w.name.split("-")[0]): hashlib.sha256(w.read_bytes()).hexdigest() for w in into.glob("*.whl")}
    lines = requirements.read_text(encoding="utf-8").splitlines()
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        starts = line and not line[0].isspace() and not line.startswith("#") and "==" in line
        if starts:
            name = _name(line.split("==")[0].split("[")[0])
            block = lines[i + 1:]
            block = block[:next((k for k, b in enumerate(block) if not b[:1].isspace()), len(block))]
            if name in built and not any(built[name] in b for b in block):
                out.append(f"    --hash=sha256:{built[name]} \\")
                print(f"  {name}: built here from its locked source", flush=True)
    requirements.write_text("\n".join(out) + "\n", encoding="utf-8")


def _name(project: str) -> str:
    return project.strip().lower().replace("-", "_").replace(".", "_")


def sha256sums(folder: Path) -> str:
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(folder).as_posix()}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--uv", default=shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv"))
    parser.add_argument("--python", default="python3.11", help="a Python 3.11 with pip, to fetch the wheels")
    args = parser.parse_args(argv)

    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    name = f"waterwh-offline-{version}-py311-{sys.platform}_{platform.machine()}"
    out = args.out.resolve()
    stage = out / name
    shutil.rmtree(stage, ignore_errors=True)
    (stage / "requirements").mkdir(parents=True)
    pip = [args.python, "-m", "pip"]

    run([args.uv, "build", "--wheel", "--quiet", "-o", str(stage / "wheels")], "building waterwh's wheel")
    run([args.uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--quiet", "--format", "requirements-txt",
         "-o", str(stage / "requirements" / "core.txt")], "the core environment's lock (uv.lock)")
    shutil.copyfile(ROOT / "requirements" / "superset.lock", stage / "requirements" / "superset.txt")
    wheels(pip, stage / "requirements" / "core.txt", stage / "wheels" / "core",
           "fetching the core environment's wheels")
    wheels(pip, stage / "requirements" / "superset.txt", stage / "wheels" / "superset",
           "fetching Superset's environment's wheels")
    for rel in SHIPPED:
        target = stage / ("install.sh" if rel == "deploy/install.sh" else rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / rel, target)
    (stage / "install.sh").chmod(0o755)
    (stage / "SHA256SUMS").write_text(sha256sums(stage), encoding="utf-8")
    count = sum(1 for _ in stage.rglob("*.whl"))

    archive = out / f"{name}.tar"  # wheels are zip files already: gzip would gain little and cost time
    with tarfile.open(archive.with_suffix(".tar.part"), "w") as tar:
        tar.add(stage, arcname=name)
    os.replace(archive.with_suffix(".tar.part"), archive)
    shutil.rmtree(stage)
    print(f"{archive}  ({archive.stat().st_size / 2**20:.0f} MiB, {count} wheels)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
