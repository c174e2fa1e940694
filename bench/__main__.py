"""Dispatch `python -m bench NAME [options]` to bench/<name>.py's ``main(argv) -> dict``."""

from __future__ import annotations

import importlib
import json
import sys

# Bench names that are not valid module names.
ALIASES = {"import": "import_"}
NAMES = ("dashboard", "export", "finetune", "import", "load", "queue", "redaction", "triage")


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(f"usage: python -m bench NAME [options]   (NAME: {', '.join(NAMES)})")
        return 2
    name = sys.argv[1]
    try:
        module = importlib.import_module(f"bench.{ALIASES.get(name, name)}")
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("bench."):
            print(f"unknown bench {name!r}; known: {', '.join(NAMES)}", file=sys.stderr)
            return 2
        raise
    result = module.main(sys.argv[2:])
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
