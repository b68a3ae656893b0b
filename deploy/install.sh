#!/bin/sh
# Install waterwh from this offline bundle into PREFIX, with no network (docs/operations.md).
#
#   sh install.sh /opt/waterwh            a new installation
#   sh install.sh --upgrade /opt/waterwh  replace the environments of an earlier one (stop its services first)
#
# PREFIX gets .venv (waterwh with dbt, Dagster and Great Expectations), .venv-superset (Superset, its own
# pins) and bin/ (waterwh, dagster, dagster-daemon, dagster-webserver, dbt). Data stays in $WATERWH_HOME,
# which this script never touches. Needs Python 3.11 with its venv module (Debian 12: python3.11-venv).
set -eu

say() { printf '%s\n' "$*"; }
fail() { say "安装失败：$*" >&2; exit 1; }

upgrade=no
if [ "${1:-}" = "--upgrade" ]; then upgrade=yes; shift; fi
[ $# -eq 1 ] || { say "用法：sh install.sh [--upgrade] PREFIX   （例如 /opt/waterwh）" >&2; exit 2; }
case "$1" in /*) PREFIX=$1 ;; *) PREFIX=$(pwd)/$1 ;; esac
HERE=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
PYTHON=${PYTHON:-python3.11}

command -v "$PYTHON" >/dev/null 2>&1 || fail "找不到 $PYTHON（需要 Python 3.11；可用 PYTHON=/路径/python3.11 指定）"
"$PYTHON" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null \
  || fail "$PYTHON 不是带 venv 模块的 Python 3.11（Debian 12：apt install python3.11-venv）"
(cd "$HERE" && sha256sum --quiet --strict -c SHA256SUMS) || fail "安装包已损坏：SHA256SUMS 校验不符（请重新拷贝）"
if [ -e "$PREFIX/.venv" ] && [ "$upgrade" = no ]; then
  fail "$PREFIX 已有安装；升级请先停止服务，再执行 sh install.sh --upgrade $PREFIX"
fi

# Nothing may reach out: only the wheels in this bundle, checked against the lock's hashes.
export PIP_NO_INDEX=1 PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_CONSTRAINT

environment() {  # environment NAME REQUIREMENTS WHEELS [EXTRA_WHEEL]
  target="$PREFIX/$1"
  say "→ $target"
  rm -rf "$target"
  "$PYTHON" -m venv "$target"
  "$target/bin/python" -m pip install --quiet --no-deps --require-hashes --find-links "$3" -r "$2" \
    || fail "安装 $1 时出错（见上方 pip 的输出）"
  if [ $# -eq 4 ]; then
    "$target/bin/python" -m pip install --quiet --no-deps "$4" || fail "安装 $4 时出错"
  fi
}

mkdir -p "$PREFIX/bin"
environment .venv "$HERE/requirements/core.txt" "$HERE/wheels/core" "$(ls "$HERE"/wheels/waterwh-*.whl)"
environment .venv-superset "$HERE/requirements/superset.txt" "$HERE/wheels/superset"
for cmd in waterwh dagster dagster-daemon dagster-webserver dbt; do
  ln -sfn "../.venv/bin/$cmd" "$PREFIX/bin/$cmd"
done
"$PREFIX/bin/waterwh" --version >/dev/null || fail "$PREFIX/bin/waterwh 无法运行"
say "已安装 waterwh $("$PREFIX/bin/waterwh" --version) 到 $PREFIX"
say "下一步：设置 WATERWH_HOME（见 deploy/waterwh.env），然后运行 $PREFIX/bin/waterwh doctor"
