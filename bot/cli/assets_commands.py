"""`triagebot assets`: verify the pinned offline assets and convert the GGUF once."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.settings import Settings
from models.assets import prepare_assets


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "assets", help="verify pinned assets, convert the LM once (no-op when ready)"
    )
    parser.add_argument("--json", action="store_true", help="print what was found as JSON")
    parser.set_defaults(handler=handle_assets)


def handle_assets(args: argparse.Namespace, settings: Settings) -> int:
    found = prepare_assets(settings.models.cache_dir, progress=lambda line: print(line, flush=True))
    if args.json:
        print(json.dumps(found, indent=2))
    else:
        print(f"all {len(found)} assets ready")
    return 0
