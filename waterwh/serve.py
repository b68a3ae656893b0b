"""`make serve`: the Dagster UI and daemon, Superset and the 台账报送 portal, on localhost.

Each server runs in a process group of its own and is stopped as a group: `dagster dev` leaves
a code-server child behind when only its own pid is signalled (shared/notes/core-stack.md).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from waterwh import home
from waterwh.config import Settings, environment


@dataclass
class Service:
    name: str
    argv: list[str]
    env: dict[str, str]
    health_url: str
    proc: subprocess.Popen[bytes] | None = None


def dagster_service(settings: Settings, port: int) -> Service:
    from waterwh.orchestration.instance import write_instance

    home = write_instance(settings).parent
    env = {**os.environ, "DAGSTER_HOME": str(home), "WATERWH_HOME": str(settings.home)}
    argv = [str(Path(sys.executable).with_name("dagster")), "dev", "-m", "waterwh.orchestration.definitions",
            "-h", "127.0.0.1", "-p", str(port)]
    return Service("dagster", argv, env, f"http://127.0.0.1:{port}/server_info")


def superset_service(settings: Settings, port: int) -> Service:
    from waterwh import bi

    env = {**bi.superset_env(settings), "WATERWH_HOME": str(settings.home)}
    return Service("superset", bi.gunicorn_argv(settings, port), env, f"http://127.0.0.1:{port}/health")


def portal_service(settings: Settings, port: int) -> Service:
    env = {**os.environ, "WATERWH_HOME": str(settings.home)}
    argv = [str(Path(sys.executable).with_name("waterwh")), "portal", "serve", "--port", str(port)]
    return Service("portal", argv, env, f"http://127.0.0.1:{port}/healthz")


def is_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def start(services: list[Service], log_dir: Path) -> None:
    log_dir.mkdir(parents=True, exist_ok=True)
    for s in services:
        log = (log_dir / f"{s.name}.log").open("ab")
        s.proc = subprocess.Popen(s.argv, env=s.env, cwd=log_dir, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)


def stop(services: list[Service], grace: float = 15.0) -> None:
    for s in services:
        if s.proc and s.proc.poll() is None:
            os.killpg(s.proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for s in services:
        if not s.proc:
            continue
        with contextlib.suppress(subprocess.TimeoutExpired):
            s.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        # the group, not just the leader: children such as dagster's code server go too
        with contextlib.suppress(ProcessLookupError):
            os.killpg(s.proc.pid, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    env = environment()
    parser.add_argument("--dagster-port", type=int, default=env.dagster_port)
    parser.add_argument("--bi-port", type=int, default=env.bi_port)
    parser.add_argument("--portal-port", type=int, default=env.portal_port)
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds to wait for every server")
    parser.add_argument("--exec", choices=["superset"], dest="become",
                        help="become this server (a systemd unit's command: deploy/waterwh-superset.service)")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.become == "superset":
        from waterwh import bi

        home.prepare(settings)
        bi.require_installed()
        service = superset_service(settings, args.bi_port)
        os.execve(service.argv[0], service.argv, service.env)  # systemd supervises gunicorn itself
    home.prepare(settings)  # the servers' files (Dagster's runs, logs) under this umask
    services = [dagster_service(settings, args.dagster_port), portal_service(settings, args.portal_port)]
    from waterwh import bi

    if bi.bin_path("gunicorn").exists():
        services.append(superset_service(settings, args.bi_port))
    else:
        print(f"Superset is not built ({bi.BI_VENV}); `make bi` builds it. Starting Dagster only.", flush=True)
    log_dir = settings.home / "logs"
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    start(services, log_dir)
    try:
        waiting = {s.name: s for s in services}
        deadline = time.monotonic() + args.timeout
        while waiting and not stopping:
            for name, s in list(waiting.items()):
                if is_up(s.health_url):
                    print(f"{name}: {s.health_url.rsplit('/', 1)[0]}/  (log: {log_dir / (name + '.log')})", flush=True)
                    del waiting[name]
                elif s.proc and s.proc.poll() is not None:
                    print(f"{name} exited with {s.proc.returncode}; see {log_dir / (name + '.log')}", flush=True)
                    return 1
            if time.monotonic() > deadline:
                print(f"not up after {args.timeout:.0f} s: {', '.join(waiting)}; see {log_dir}", flush=True)
                return 1
            time.sleep(0.5)
        if not stopping:
            print("All servers are up. Ctrl-C stops them.", flush=True)
        while not stopping:
            if any(s.proc and s.proc.poll() is not None for s in services):
                print("a server stopped; stopping the others", flush=True)
                return 1
            time.sleep(1)
        return 0
    finally:
        stop(services)


if __name__ == "__main__":
    sys.exit(main())
