"""Writes each `run:` script of a composite action (action.yml) to its own file for shellcheck,
which cannot read YAML. Usage: extract-action-scripts.py ACTION_YML OUT_DIR (prints the files)."""

import pathlib
import sys

import yaml

action = yaml.safe_load(pathlib.Path(sys.argv[1]).read_text())
out = pathlib.Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
for number, step in enumerate(action["runs"]["steps"]):
    if "run" in step:
        if "${{" in step["run"]:
            sys.exit(f"{sys.argv[1]}: step {number} expands ${{{{ }}}} in its script; pass it through env")
        path = out / f"step-{number}.sh"
        path.write_text("#!/usr/bin/env bash\n" + step["run"])
        print(path)
