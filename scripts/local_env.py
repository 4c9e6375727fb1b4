"""Write the local development `.env` on first run (`make run` calls this).

DEBUG on, and a SECRET_KEY and ALADDIN_ENCRYPTION_KEY generated for this clone
and kept from then on: the encryption key must not change once secrets are
stored. An existing file keeps its values; only missing keys are added.
Plain Python on purpose: it runs before the project's settings can load.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

HEADER = (
    "# Local development settings, written by `make run`. Never commit this file.\n"
    "# Variables set in the environment win over these.\n"
)


def wanted() -> dict[str, str]:
    return {
        "DEBUG": "true",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALADDIN_ENCRYPTION_KEY": secrets.token_urlsafe(32),
    }


def ensure_env_file(path: Path) -> list[str]:
    """Add the missing keys to `path`; returns the names it added."""
    text = path.read_text() if path.exists() else HEADER
    present = {
        line.split("=", 1)[0].strip().removeprefix("export ").strip()
        for line in text.splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    missing = {key: value for key, value in wanted().items() if key not in present}
    if missing:
        if text and not text.endswith("\n"):
            text += "\n"
        text += "".join(f"{key}={value}\n" for key, value in missing.items())
        path.write_text(text)
        path.chmod(0o600)
    return list(missing)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / ".env"
    added = ensure_env_file(path)
    if added:
        print(f"Wrote {', '.join(added)} to {path.name} (local settings; not committed).")


if __name__ == "__main__":
    main()
