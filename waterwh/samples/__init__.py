"""Deterministic, realistically messy sample ledgers for every ledger type, with an answer key.

    from waterwh.samples import generate
    key_path = generate(Path("/tmp/samples"), scale="small", seed=42)

Scales: "small" (青溪县, 2025), "county" (云溪市's 8 counties, 2025), "province" (16 cities × 8
counties, 2023-2025). Same seed ⇒ byte-identical files. See answer_key.py for the key's layout.
"""

from waterwh.samples.generator import generate, generate_county
from waterwh.samples.geography import area_rows, build_geography

__all__ = ["area_rows", "build_geography", "generate", "generate_county"]
