"""Hatchling build hook: Huddle's files besides its code, into the wheel and sdist.

``component/shipped.py`` lists them (Prosody templates, system files,
``huddle.example.toml``, the web pages and the dist files of Converse.js and uPlot)
with their place in the checkout and in the package. Here each file goes:

- into the wheel, at ``component/_data/<target>``, where the installed code finds it;
- into the sdist, only the Converse.js and uPlot files that ``npm ci`` put in
  ``prosody-config/web/node_modules`` (git ignores that folder; the rest of the sdist's
  files are chosen in pyproject.toml), at the same place: a wheel built from the
  sdist is then the wheel built from the checkout.

An editable install reads the checkout itself: nothing to copy, no npm needed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def _load_shipped(root: Path) -> ModuleType:
    # By path: importing the ``component`` package would need its dependencies,
    # which the build environment does not have.
    spec = importlib.util.spec_from_file_location(
        "_huddle_shipped", root / "component" / "shipped.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class ShippedFilesHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "huddle-shipped-files"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name == "wheel" and version == "editable":
            return
        root = Path(self.root)
        shipped = _load_shipped(root)
        try:
            files = list(shipped.checkout_files(root))
        except shipped.ShippedFileMissing as missing:
            raise RuntimeError(
                f"{missing} is missing. The web pages need Converse.js and uPlot: run "
                "`npm ci --ignore-scripts` in prosody-config/web (scripts/setup.sh does) "
                "before building"
            ) from None
        data = f"{shipped.PACKAGE}/{shipped.PACKAGE_DATA}"
        for source, target in files:
            if self.target_name == "wheel":
                build_data["force_include"][str(root / source)] = f"{data}/{target}"
            elif source.startswith(f"{shipped.NODE_MODULES}/"):
                build_data["force_include"][str(root / source)] = source
