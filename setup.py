"""The build of the compiled install (README: A compiled build): with ``SSESIM_COMPILE=1``, the
modules below are compiled by mypyc (native classes); without it this file changes nothing and the
install is the pure-Python one. The pure install needs no compiler and stays the default."""

import os
import shutil
import sys

from setuptools import setup

# model/ and simulations/explore/ (and the simulator, which drives the same model), less what is
# cold or cannot be compiled (README: A compiled build says why each is left interpreted).
INTERPRETED = {
    "model/chart.py", "model/diagram.py", "model/flowgraph.py", "model/mermaid.py",  # diagrams
    "model/lifecycle.py",  # reads the python-statemachine chart once, at import
    "model/errors.py", "model/plugins.py",  # exceptions plug-ins catch and subclass; plug-in loading
    "model/config.py", "model/outcome.py",  # frozen dataclasses and a result pickled between processes
    "model/reference.py",  # the plain reference checker, which tests patch
    "model/compiled.py",  # tells whether the others are compiled
    "model/forwarding.py",  # observers that hook attribute lookup (Tee, Monotonic)
}


def _modules() -> list[str]:
    out = []
    for folder in ("model", "model/checkers", "simulations/explore", "simulations/engine"):
        for name in sorted(os.listdir(folder)):
            path = f"{folder}/{name}"
            if name.endswith(".py") and path not in INTERPRETED:
                out.append(path)
    return out


def _ext_modules() -> list:
    if os.environ.get("SSESIM_COMPILE") != "1":
        return []
    if not (shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")):
        print("SSESIM_COMPILE=1 but no C compiler found: building the pure-Python install",
              file=sys.stderr)
        return []
    from mypyc.build import mypycify

    return mypycify(["--ignore-missing-imports", "--follow-imports=silent",
                     "--disable-error-code=annotation-unchecked", *_modules()],
                    opt_level=os.environ.get("MYPYC_OPT_LEVEL", "3"))


setup(ext_modules=_ext_modules())
