"""Superset configuration for waterwh (Superset 6.1, the DuckDB warehouse read-only).

Loaded through SUPERSET_CONFIG_PATH. `waterwh bi setup` / `make serve` set the environment:
  SUPERSET_SECRET_KEY      generated on first run into $WATERWH_HOME/superset/secret_key (owner-only)
  WATERWH_SUPERSET_HOME    $WATERWH_HOME/superset: logs, and the metadata database when it is SQLite
  WATERWH_BI_METADATA_URL  the metadata database in PostgreSQL (several workers); empty: SQLite (one)
"""

import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]  # no default: a fixed key would be a shared secret

_home = os.path.abspath(os.environ["WATERWH_SUPERSET_HOME"])
os.makedirs(_home, exist_ok=True)
SQLALCHEMY_DATABASE_URI = (os.environ.get("WATERWH_BI_METADATA_URL")
                           or f"sqlite:///{os.path.join(_home, 'superset.db')}?check_same_thread=false")

# duckdb:/// file URIs count as "unsafe" for Superset; the warehouse is one.
PREVENT_UNSAFE_DB_CONNECTIONS = False

# Never serve numbers from before a publish: no data cache at all (DuckDB answers in milliseconds).
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}

# localhost, or behind the bureau's own reverse proxy which terminates HTTPS
TALISMAN_ENABLED = False

# Chinese UI. LANGUAGES must be set too, or the login page crashes ("reading 'flag'").
BABEL_DEFAULT_LOCALE = "zh"
LANGUAGES = {"zh": {"flag": "cn", "name": "简体中文"}, "en": {"flag": "us", "name": "English"}}

# Charts default to the latest report period through Jinja's filter_values() and a subquery for
# the latest period (bi/provision.py). Subqueries in chart filters are otherwise refused; here only
# admins edit charts (viewers are read-only) and analysts have SQL Lab on the same data anyway.
FEATURE_FLAGS = {"ENABLE_TEMPLATE_PROCESSING": True, "ALLOW_ADHOC_SUBQUERY": True}

WTF_CSRF_ENABLED = True
ROW_LIMIT = 50000
# Superset fetches nothing from the internet here; keep it from trying.
PREFERRED_DATABASES: list[str] = ["DuckDB"]

# Every query on the warehouse is interrupted at the timeout: SQLLAB_TIMEOUT alone was not enforced
# for a synchronous DuckDB query (a count over range(1e12) ran 94 s; four at once stalled every
# dashboard). Memory and threads are bounded by the connection's own settings (bi/provision.py).
QUERY_TIMEOUT = int(os.environ.get("WATERWH_BI_QUERY_TIMEOUT", "60"))
SQLLAB_TIMEOUT = QUERY_TIMEOUT
SUPERSET_WEBSERVER_TIMEOUT = QUERY_TIMEOUT


def _interrupt_queries_at_the_timeout() -> None:
    """Wrap the DuckDB driver's execute: SQL Lab runs statements on a raw DB-API cursor, past
    SQLAlchemy's events, so the timer is set where every statement passes (duckdb_engine 0.17)."""
    import threading

    import duckdb_engine

    execute = duckdb_engine.CursorWrapper.execute

    def execute_within_the_timeout(self, statement, parameters=None, context=None):
        connection = self._CursorWrapper__c  # the duckdb connection the statement runs on
        timer = threading.Timer(QUERY_TIMEOUT, connection.interrupt)
        timer.daemon = True
        timer.start()
        try:
            return execute(self, statement, parameters, context)
        finally:
            timer.cancel()

    duckdb_engine.CursorWrapper.execute = execute_within_the_timeout


_interrupt_queries_at_the_timeout()
