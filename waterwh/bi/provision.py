"""Provision Superset from bi/assets/*.yaml: database, datasets, charts, dashboards, roles, users.

Runs inside Superset's own virtual environment (`waterwh bi setup` starts it there): it needs
Superset's app context, and DuckDB 2.0 to read the published warehouse's columns.

The YAML in bi/assets/ is short on purpose (titles, metrics, charts, filters, in Chinese); this
script expands it into Superset's import format (export version 1.0.0) with UUIDs derived from
names, so re-running it updates the same objects in place and creates nothing twice.

Usage: python bi/provision.py --assets bi/assets --warehouse $WATERWH_HOME/warehouse/waterwh.duckdb
       (passwords for the viewer and analyst users come from the environment, and the district users
       with theirs as JSON in WATERWH_BI_DISTRICT_USERS)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import string
import sys
import uuid
from pathlib import Path
from typing import Any

import yaml

NAMESPACE = uuid.UUID("2f1c4e8a-6b1d-4a52-9d0e-7a3c5b9e1f20")  # waterwh's BI objects
DATABASE_NAME = "waterwh"

# Gamma minus every permission that changes something: leadership reads, never edits.
WRITE_PERMISSIONS = ("can_write", "can_add", "can_edit", "can_delete", "can_save", "can_copy", "can_import",
                     "can_export", "can_share", "can_tag", "can_csv")


DISTRICT_ROLE_PREFIX = "waterwh_district_"  # one role per district user's area, with its row filters
AREA_PLACEHOLDERS = {"area_codes": "area_code", "area_names": "area_name"}
AREA_LEVEL_CODES = ("area_code", "province_code", "prefecture_code", "county_code", "township_code")


def uid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


class AssetError(ValueError):
    """A bi/assets YAML that does not fit the warehouse (unknown column, metric or dataset)."""


def _dump(obj: dict[str, Any]) -> str:
    return yaml.safe_dump(obj, allow_unicode=True, sort_keys=False)


# -- warehouse introspection ---------------------------------------------------------------


def warehouse_columns(path: Path, reader_config: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """schema.table → [(column, type)] of the published warehouse (read-only)."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True, config=reader_config)
    try:
        rows = con.execute(
            "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema IN ('marts', 'audit') ORDER BY table_schema, table_name, ordinal_position"
        ).fetchall()
    finally:
        con.close()
    out: dict[str, list[tuple[str, str]]] = {}
    for schema, table, column, dtype in rows:
        out.setdefault(f"{schema}.{table}", []).append((column, dtype))
    return out


def resolve_areas(path: Path, reader_config: dict[str, Any], wanted: list[str]) -> dict[str, tuple[str, str]]:
    """Each district user's area (a code, name or full name of marts.dim_admin_area) → (code, name).

    Only areas of the administrative-area seed qualify: their codes place every row under them."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True, config=reader_config)
    try:
        out = {}
        for area in wanted:
            found = con.execute(
                "SELECT DISTINCT area_code, area_name FROM marts.dim_admin_area "
                "WHERE is_known AND ? IN (area_code, area_name, full_name) ORDER BY 1", [area]).fetchall()
            if not found:
                raise AssetError(f"地区「{area}」不在行政区划表（marts.dim_admin_area）中：请写区划代码或表中的名称")
            if len(found) > 1:
                choices = "、".join(f"{name}（{code}）" for code, name in found)
                raise AssetError(f"地区「{area}」有重名：{choices}，请改写区划代码")
            out[area] = found[0]
    finally:
        con.close()
    return out


def area_clause(template: str, area_code: str) -> str:
    """A dataset's area_filter for one area: its placeholders become the codes / names of the
    area and every area under it. The code comes from dim_admin_area (digits only)."""
    if not re.fullmatch(r"\d{2,12}", area_code):
        raise AssetError(f"区划代码「{area_code}」不是数字代码")
    where = " OR ".join(f"{c} = '{area_code}'" for c in AREA_LEVEL_CODES)
    subqueries = {key: f"SELECT {column} FROM marts.dim_admin_area WHERE {where}"
                  for key, column in AREA_PLACEHOLDERS.items()}
    return f"({template.format(**subqueries)})"


def check_area_filters(datasets: dict[str, Any]) -> None:
    """Every dataset says which rows a district's user may see, or `none` on purpose."""
    for name, spec in datasets.items():
        template = spec.get("area_filter")
        if template is None:
            raise AssetError(f"dataset {name}: no area_filter (a condition, or `none` to show every row to "
                             "district users): refused so that no district sees another's rows by oversight")
        if template == "none":
            continue
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
        if not fields or not fields <= set(AREA_PLACEHOLDERS):
            raise AssetError(f"dataset {name}: area_filter must use {{area_codes}} or {{area_names}} "
                             f"and nothing else: {template!r}")


# -- bundle --------------------------------------------------------------------------------


def database_yaml(warehouse: Path, reader_config: dict[str, Any]) -> dict[str, Any]:
    return {
        "database_name": DATABASE_NAME,
        # the symlink, never a versioned file: DuckDB follows it anew on every connection
        "sqlalchemy_uri": f"duckdb:///{warehouse}",
        "cache_timeout": None,
        "expose_in_sqllab": True,
        "allow_run_async": False,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "allow_file_upload": False,
        "extra": {
            "engine_params": {
                "connect_args": {
                    "read_only": True,
                    # waterwh's reader settings (waterwh/warehouse.py): no file access beyond the
                    # warehouse (read_csv('/etc/passwd'), COPY … TO), a memory limit and a thread
                    # count per query, the configuration locked so SQL Lab cannot SET them back
                    "config": reader_config,
                }
            },
            "allows_virtual_table_explore": True,
            "disable_data_preview": False,
        },
        "uuid": uid("database", DATABASE_NAME),
        "version": "1.0.0",
    }


def dataset_yaml(name: str, spec: dict[str, Any], columns: list[tuple[str, str]]) -> dict[str, Any]:
    schema, table = spec["table"].split(".")
    known = {c for c, _ in columns}
    labels: dict[str, str] = spec.get("columns", {})
    unknown = sorted(set(labels) - known)
    if unknown:
        raise AssetError(f"dataset {name}: columns {unknown} are not in {spec['table']} of the warehouse")
    temporal = ("DATE", "TIMESTAMP")
    return {
        "table_name": table,
        "schema": schema,
        "catalog": None,  # the catalog is the versioned file's name: leave it out so publishes keep working
        "main_dttm_col": spec.get("time_column"),
        "description": spec.get("description"),
        "default_endpoint": None,
        "offset": 0,
        "cache_timeout": None,
        "sql": None,
        "params": None,
        "template_params": None,
        "filter_select_enabled": True,
        "fetch_values_predicate": None,
        "extra": None,
        "normalize_columns": False,
        "uuid": uid("dataset", name),
        "metrics": [
            {
                "metric_name": m,
                "verbose_name": ms["label"],
                "metric_type": None,
                "expression": ms["sql"],
                "description": ms.get("description"),
                "d3format": ms.get("format"),
                "extra": {},
                "warning_text": None,
            }
            for m, ms in spec.get("metrics", {}).items()
        ],
        "columns": [
            {
                "column_name": c,
                "verbose_name": labels.get(c),
                "is_dttm": dtype.split("(")[0] in temporal,
                "is_active": True,
                "type": dtype,
                "groupby": True,
                "filterable": True,
                "expression": None,
                "description": None,
                "python_date_format": None,
                "extra": {},
            }
            for c, dtype in columns
        ],
        "version": "1.0.0",
        "database_uuid": uid("database", DATABASE_NAME),
    }


def _sql_filters(where: str | list[str] | None) -> list[dict[str, Any]]:
    clauses = [where] if isinstance(where, str) else list(where or [])
    return [{"expressionType": "SQL", "clause": "WHERE", "sqlExpression": c, "subject": None, "operator": None,
             "comparator": None, "isExtra": False, "isNew": False,
             "filterOptionName": f"filter_{uuid.uuid5(NAMESPACE, c).hex[:12]}"} for c in clauses]


def chart_params(chart: dict[str, Any], datasets: dict[str, Any]) -> dict[str, Any]:
    """Superset form data for one chart of the short YAML form."""
    ds = datasets[chart["dataset"]]
    metrics_known = set(ds.get("metrics", {}))
    for m in [chart.get("metric"), *chart.get("metrics", [])]:
        if m is not None and m not in metrics_known:
            raise AssetError(f"chart {chart['title']}: metric {m!r} is not defined for dataset {chart['dataset']}")
    kind = chart["type"]
    base: dict[str, Any] = {"adhoc_filters": _sql_filters(chart.get("where")), "row_limit": chart.get("limit", 1000)}
    if kind == "big_number":
        fmt = ds["metrics"][chart["metric"]].get("format") or "SMART_NUMBER"
        return {**base, "viz_type": "big_number_total", "metric": chart["metric"],
                "subheader": chart.get("subtitle", ""), "header_font_size": 0.4, "subheader_font_size": 0.15,
                "y_axis_format": fmt, "time_format": "smart_date"}
    if kind == "bar":
        return {**base, "viz_type": "echarts_timeseries_bar", "x_axis": chart["x"], "metrics": chart["metrics"],
                "groupby": chart.get("series", []), "orientation": chart.get("orientation", "vertical"),
                "x_axis_sort_asc": True, "show_legend": True, "show_value": True, "rich_tooltip": True,
                "y_axis_format": ds["metrics"][chart["metrics"][0]].get("format") or "SMART_NUMBER",
                "xAxisLabelRotation": 0, "truncateXAxis": True, "color_scheme": "supersetColors",
                "x_axis_time_format": "%Y-%m", **_time_grain(chart)}
    if kind == "line":
        return {**base, "viz_type": "echarts_timeseries_line", "x_axis": chart["x"], "time_grain_sqla": "P1M",
                "metrics": chart["metrics"], "groupby": chart.get("series", []), "show_legend": True,
                "markerEnabled": True, "rich_tooltip": True, "color_scheme": "supersetColors",
                "x_axis_time_format": "%Y-%m",
                "y_axis_format": ds["metrics"][chart["metrics"][0]].get("format") or "SMART_NUMBER"}
    if kind == "pie":
        return {**base, "viz_type": "pie", "groupby": chart["by"], "metric": chart["metric"], "show_labels": True,
                "label_type": "key_value", "number_format": "SMART_NUMBER", "show_legend": True,
                "color_scheme": "supersetColors"}
    if kind == "table":
        if "columns" in chart:  # one row per fact row
            return {**base, "viz_type": "table", "query_mode": "raw", "all_columns": chart["columns"],
                    "order_by_cols": [json.dumps([c, not desc]) for c, desc in _order(chart)],
                    "server_pagination": False, "table_timestamp_format": "%Y-%m-%d", "include_search": True}
        return {**base, "viz_type": "table", "query_mode": "aggregate", "groupby": chart["by"],
                "metrics": chart["metrics"], "server_pagination": False, "include_search": True,
                "order_desc": True, "table_timestamp_format": "%Y-%m-%d"}
    raise AssetError(f"chart {chart['title']}: unknown type {kind!r} (big_number, bar, line, pie, table)")


def _time_grain(chart: dict[str, Any]) -> dict[str, str]:
    return {"time_grain_sqla": chart["time_grain"]} if "time_grain" in chart else {}


def _order(chart: dict[str, Any]) -> list[tuple[str, bool]]:
    out = []
    for item in chart.get("order_by", []):
        col, _, direction = item.partition(" ")
        out.append((col, direction.lower() == "desc"))
    return out


def latest_unless_chosen(column: str, table: str) -> str:
    """A chart condition: the latest period unless the dashboard's filter on `column` chose one.

    Superset's "select first value by default" did not reach the charts on first load (6.1), so
    the default lives in the chart's SQL: Jinja's filter_values() sees what the filter chose."""
    return (f"{{% if filter_values('{column}') %}}1 = 1{{% else %}}"
            f"{column} = (SELECT max({column}) FROM {table}){{% endif %}}")


def query_context(params: dict[str, Any]) -> dict[str, Any]:
    """What the chart queries, as Superset's explore view saves it with a chart: the data API
    (/api/v1/chart/<id>/data/), CSV export, alerts and reports answer only from it. The dataset id
    is rewritten on import. One query a chart, as each of these viz types' own buildQuery makes it."""
    where = " AND ".join(f"({f['sqlExpression']})" for f in params.get("adhoc_filters", []))
    query: dict[str, Any] = {"filters": [], "extras": {"where": where, "having": ""},
                             "row_limit": params.get("row_limit", 1000), "annotation_layers": [],
                             "custom_params": {}, "custom_form_data": {}}
    viz = params["viz_type"]
    if viz == "big_number_total":
        query |= {"columns": [], "metrics": [params["metric"]], "orderby": []}
    elif viz == "pie":
        query |= {"columns": params["groupby"], "metrics": [params["metric"]], "orderby": [[params["metric"], False]]}
    elif viz.startswith("echarts_timeseries"):
        axis = {"columnType": "BASE_AXIS", "sqlExpression": params["x_axis"], "label": params["x_axis"],
                "expressionType": "SQL", **({"timeGrain": params["time_grain_sqla"]}
                                            if "time_grain_sqla" in params else {})}
        query |= {"columns": [axis, *params["groupby"]], "series_columns": params["groupby"],
                  "metrics": params["metrics"], "orderby": [[params["metrics"][0], False]],
                  "is_timeseries": False}
    elif params.get("query_mode") == "raw":
        query |= {"columns": params["all_columns"], "metrics": None,  # (None, not []: no GROUP BY)
                  "orderby": [json.loads(o) for o in params["order_by_cols"]]}
    else:
        query |= {"columns": params["groupby"], "metrics": params["metrics"],
                  "orderby": [[params["metrics"][0], not params.get("order_desc", True)]]}
    return {"datasource": {"id": 1, "type": "table"}, "force": False, "queries": [query], "form_data": params,
            "result_format": "json", "result_type": "full"}


def chart_yaml(dash_slug: str, chart: dict[str, Any], datasets: dict[str, Any]) -> dict[str, Any]:
    params = chart_params(chart, datasets)
    params["datasource"] = "1__table"  # rewritten to the real dataset id on import
    return {
        "slice_name": chart["title"],
        "description": chart.get("description"),
        "certified_by": None,
        "certification_details": None,
        "viz_type": params["viz_type"],
        "params": params,
        "query_context": json.dumps(query_context(params), ensure_ascii=False),
        "cache_timeout": None,
        "uuid": uid("chart", dash_slug, chart["title"]),
        "version": "1.0.0",
        "dataset_uuid": uid("dataset", chart["dataset"]),
    }


def dashboard_yaml(dash: dict[str, Any], charts: list[tuple[int, dict[str, Any]]], datasets: dict[str, Any],
                   columns: dict[str, list[tuple[str, str]]]) -> dict[str, Any]:
    slug = dash["slug"]
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"type": "HEADER", "id": "HEADER_ID", "meta": {"text": dash["title"]}},
    }
    by_title = {c["title"]: (n, c) for n, c in charts}
    for r, row in enumerate(dash["rows"], start=1):
        row_id = f"ROW-{r}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {"type": "ROW", "id": row_id, "children": [], "parents": ["ROOT_ID", "GRID_ID"],
                            "meta": {"background": "BACKGROUND_TRANSPARENT"}}
        for chart in row:
            n, c = by_title[chart["title"]]
            node = f"CHART-{n}"
            position[row_id]["children"].append(node)
            position[node] = {"type": "CHART", "id": node, "children": [], "parents": ["ROOT_ID", "GRID_ID", row_id],
                              "meta": {"chartId": n, "uuid": uid("chart", slug, c["title"]), "sliceName": c["title"],
                                       "width": c.get("width", 4), "height": c.get("height", 50)}}
    filters = []
    for f in dash.get("filters", []):
        targets = []
        for ds_name in f["datasets"]:
            have = {c for c, _ in columns[datasets[ds_name]["table"]]}
            if f["column"] not in have:
                raise AssetError(f"dashboard {slug}: filter {f['name']} on {ds_name}.{f['column']}, no such column")
            targets.append({"column": {"name": f["column"]}, "datasetUuid": uid("dataset", ds_name)})
        # Options come from the first dataset; the filter applies (by column name) to the charts of every
        # listed dataset, all of which have the column. Other charts stay out of its scope.
        in_scope = {n for n, c in charts if c["dataset"] in f["datasets"] and f["name"] not in c.get("ignore", [])}
        filters.append({
            "id": f"NATIVE_FILTER-{uuid.uuid5(NAMESPACE, slug + f['name']).hex[:10]}",
            "name": f["name"],
            "filterType": "filter_select",
            "targets": targets[:1],
            "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
            "controlValues": {
                "enableEmptyFilter": False,
                "defaultToFirstItem": False,
                "multiSelect": not f.get("single", False),
                "searchAllOptions": False,
                "inverseSelection": False,
                "sortAscending": not f.get("default_latest", False),
            },
            "cascadeParentIds": [],
            "scope": {"rootPath": ["ROOT_ID"], "excluded": sorted(n for n, _ in charts if n not in in_scope)},
            "type": "NATIVE_FILTER",
            "description": f.get("description", ""),
            "chartsInScope": sorted(in_scope),
            "tabsInScope": [],
        })
    return {
        "dashboard_title": dash["title"],
        "description": dash.get("description"),
        "css": "",
        "slug": slug,
        "certified_by": None,
        "certification_details": None,
        "published": True,
        "uuid": uid("dashboard", slug),
        "position": position,
        "metadata": {
            "color_scheme": "",
            "refresh_frequency": 0,
            "expanded_slices": {},
            "label_colors": {},
            "shared_label_colors": [],
            "color_scheme_domain": [],
            "timed_refresh_immune_slices": [],
            "cross_filters_enabled": False,
            "native_filter_configuration": filters,
            "chart_configuration": {},
            "global_chart_configuration": {"scope": {"rootPath": ["ROOT_ID"], "excluded": []}, "chartsInScope": []},
        },
        "version": "1.0.0",
    }


def load_assets(assets: Path, metrics: dict[str, dict[str, str]] | None = None,
                ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The datasets and dashboards; a dataset metric written `{metric: NAME}` is the headline metric of
    that name (waterwh/metrics.yaml, handed over by `waterwh bi setup` as label, sql and format)."""
    datasets = yaml.safe_load((assets / "datasets.yaml").read_text(encoding="utf-8"))["datasets"]
    for name, spec in datasets.items():
        for m, ms in spec.get("metrics", {}).items():
            if "metric" in ms:
                if ms["metric"] not in (metrics or {}):
                    raise AssetError(f"dataset {name}: metric {m} names {ms['metric']}, which is not in "
                                     "waterwh/metrics.yaml")
                spec["metrics"][m] = {**metrics[ms["metric"]], **{k: v for k, v in ms.items() if k != "metric"}}
    dashboards = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((assets / "dashboards").glob("*.yaml"))]
    return datasets, dashboards


def build_bundle(assets: Path, warehouse: Path, reader_config: dict[str, Any],
                 metrics: dict[str, dict[str, str]] | None = None) -> dict[str, str]:
    """The import bundle as {path inside the bundle: YAML text}."""
    datasets, dashboards = load_assets(assets, metrics)
    check_area_filters(datasets)
    columns = warehouse_columns(warehouse, reader_config)
    files = {"metadata.yaml": _dump({"version": "1.0.0", "type": "assets",
                                     "timestamp": "2026-01-01T00:00:00+00:00"}),
             f"databases/{DATABASE_NAME}.yaml": _dump(database_yaml(warehouse, reader_config))}
    for name, spec in datasets.items():
        if spec["table"] not in columns:
            raise AssetError(f"dataset {name}: table {spec['table']} is not in the warehouse {warehouse}")
        files[f"datasets/{DATABASE_NAME}/{name}.yaml"] = _dump(dataset_yaml(name, spec, columns[spec["table"]]))
    for dash in dashboards:
        charts = [c for row in dash["rows"] for c in row]
        titles = [c["title"] for c in charts]
        if len(set(titles)) != len(titles):
            raise AssetError(f"dashboard {dash['slug']}: chart titles must be unique")
        numbered = list(enumerate(charts, start=1))
        for n, c in numbered:
            if c["dataset"] not in datasets:
                raise AssetError(f"chart {c['title']}: unknown dataset {c['dataset']}")
            for f in dash.get("filters", []):
                if f.get("default_latest") and c["dataset"] in f["datasets"] and f["name"] not in c.get("ignore", []):
                    where = c.get("where")
                    clauses = [where] if isinstance(where, str) else list(where or [])
                    c["where"] = [*clauses, latest_unless_chosen(f["column"], datasets[c["dataset"]]["table"])]
            files[f"charts/{dash['slug']}_{n:02d}.yaml"] = _dump(chart_yaml(dash["slug"], c, datasets))
        files[f"dashboards/{dash['slug']}.yaml"] = _dump(dashboard_yaml(dash, numbered, datasets, columns))
    return files


# -- inside Superset -------------------------------------------------------------------------


def import_bundle(files: dict[str, str]) -> None:
    from superset.commands.importers.v1.assets import ImportAssetsCommand

    ImportAssetsCommand(files).run()  # overwrites everything it names, in one transaction


def _ensure_user(name: str, roles: list[Any], first: str, last: str, password: str) -> Any:
    from superset import security_manager as sm

    user = sm.find_user(username=name)
    if user is None:
        return sm.add_user(name, first, last, f"{name}@waterwh.local", roles, password=password)
    user.roles = roles
    user.first_name, user.last_name, user.active = first, last, True
    sm.reset_password(user.id, password)
    return user


def ensure_admin(password: str) -> Any:
    """The admin user, who owns the imported objects (the importer reads flask.g.user)."""
    from flask import g
    from superset import db
    from superset import security_manager as sm

    admin = _ensure_user("admin", [sm.find_role("Admin")], "系统", "管理员", password)
    db.session.commit()
    g.user = admin
    return admin


def ensure_roles_and_users(passwords: dict[str, str]) -> dict[str, Any]:
    from superset import db
    from superset import security_manager as sm
    from superset.models.core import Database

    database = db.session.query(Database).filter_by(database_name=DATABASE_NAME).one()
    gamma, sql_lab = sm.find_role("Gamma"), sm.find_role("sql_lab")

    def role(name: str, permissions: list[Any]) -> Any:
        r = sm.find_role(name) or sm.add_role(name)
        r.permissions = list(dict.fromkeys(permissions))
        return r

    marts = [sm.add_permission_view_menu("schema_access", f"[{DATABASE_NAME}].[{s}]") for s in ("marts", "audit")]
    read_only = [p for p in gamma.permissions if not p.permission.name.startswith(WRITE_PERMISSIONS)]
    viewer_role = role("waterwh_viewer", read_only + marts)
    analyst_role = role("waterwh_analyst", [*marts, sm.add_permission_view_menu("database_access", database.perm)])
    # dashboards only: no SQL Lab, cannot save or edit anything
    _ensure_user("viewer", [viewer_role], "领导", "查看", passwords["viewer"])
    # SQL Lab on the read-only warehouse
    _ensure_user("analyst", [gamma, sql_lab, analyst_role], "数据", "分析", passwords["analyst"])
    db.session.commit()
    return {"roles": ["waterwh_viewer", "waterwh_analyst"], "users": ["admin", "viewer", "analyst"]}


def ensure_district_users(districts: list[dict[str, str]], areas: dict[str, tuple[str, str]],
                          datasets: dict[str, Any]) -> dict[str, Any]:
    """A role per district user's area: the viewer's read-only rights on the provisioned datasets
    only (no schema-wide access), and on each of them a row-level security filter from its
    area_filter. Users, roles and filters of districts no longer listed are removed or disabled."""
    from superset import db
    from superset import security_manager as sm
    from superset.connectors.sqla.models import RowLevelSecurityFilter, SqlaTable
    from superset.utils.core import RowLevelSecurityFilterType

    tables = {name: db.session.query(SqlaTable).filter_by(uuid=uuid.UUID(uid("dataset", name))).one()
              for name in datasets}
    gamma = sm.find_role("Gamma")
    read_only = [p for p in gamma.permissions if not p.permission.name.startswith(WRITE_PERMISSIONS)]
    access = [sm.add_permission_view_menu("datasource_access", t.perm) for t in tables.values()]
    wanted_roles: set[str] = set()
    for district in districts:
        code, area_name = areas[district["area"]]
        role_name = f"{DISTRICT_ROLE_PREFIX}{code}"
        wanted_roles.add(role_name)
        role = sm.find_role(role_name) or sm.add_role(role_name)
        role.permissions = list(dict.fromkeys(read_only + access))
        for name, spec in datasets.items():
            filter_name = f"{role_name}:{name}"
            rls = db.session.query(RowLevelSecurityFilter).filter_by(name=filter_name).one_or_none()
            if spec["area_filter"] == "none":
                if rls is not None:
                    db.session.delete(rls)
                continue
            rls = rls or RowLevelSecurityFilter(name=filter_name)
            rls.description = f"{area_name}的用户只看到{area_name}及其下辖地区的数据（waterwh 自动生成）"
            rls.filter_type = RowLevelSecurityFilterType.REGULAR.value
            rls.clause = area_clause(spec["area_filter"], code)
            rls.tables, rls.roles = [tables[name]], [role]
            db.session.add(rls)
        _ensure_user(district["user"], [role], district.get("name") or area_name, "", district["password"])
    stale_roles = [r for r in sm.get_all_roles()
                   if r.name.startswith(DISTRICT_ROLE_PREFIX) and r.name not in wanted_roles]
    listed = {d["user"] for d in districts}
    for user in db.session.query(sm.user_model).all():
        if user.username not in listed and any(r.name.startswith(DISTRICT_ROLE_PREFIX) for r in user.roles):
            user.active, user.roles = False, []  # kept for the audit trail, can no longer log in
    for role in stale_roles:
        for rls in db.session.query(RowLevelSecurityFilter).filter(
                RowLevelSecurityFilter.name.startswith(f"{role.name}:")).all():
            db.session.delete(rls)
        db.session.delete(role)
    db.session.commit()
    return {"district_users": sorted(listed), "district_roles": sorted(wanted_roles)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=Path, required=True)
    parser.add_argument("--warehouse", type=Path, required=True, help="the published waterwh.duckdb (symlink)")
    parser.add_argument("--bundle-only", type=Path, help="write the import bundle as files here and stop")
    parser.add_argument("--reader-config", type=json.loads, required=True,
                        help="DuckDB settings of every reader's connection, as JSON (waterwh.warehouse.reader_config)")
    parser.add_argument("--metrics", type=json.loads, default={},
                        help="the headline metrics as JSON {name: {label, sql, format}} (waterwh/metrics.yaml)")
    args = parser.parse_args(argv)
    if not args.warehouse.exists():
        print(f"no published warehouse at {args.warehouse}: run `waterwh run` (or `make demo`) first", file=sys.stderr)
        return 2
    # unset: district users are left as they are (`waterwh bi setup` always sets it, "[]" for none)
    given = os.environ.get("WATERWH_BI_DISTRICT_USERS")
    districts = json.loads(given) if given is not None else []
    try:
        files = build_bundle(args.assets, args.warehouse, args.reader_config, args.metrics)
        areas = resolve_areas(args.warehouse, args.reader_config, sorted({d["area"] for d in districts}))
    except AssetError as exc:
        print(f"bi/assets: {exc}", file=sys.stderr)
        return 2
    if args.bundle_only:
        for name, text in files.items():
            p = args.bundle_only / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
        return 0
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        ensure_admin(os.environ["WATERWH_BI_ADMIN_PASSWORD"])
        import_bundle(files)
        passwords = {u: os.environ[f"WATERWH_BI_{u.upper()}_PASSWORD"] for u in ("admin", "viewer", "analyst")}
        done = ensure_roles_and_users(passwords)
        if given is not None:
            done |= ensure_district_users(districts, areas, load_assets(args.assets, args.metrics)[0])
    counts = {k: sum(1 for f in files if f.startswith(k)) for k in ("datasets/", "charts/", "dashboards/")}
    print(json.dumps({"imported": counts, **done}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
