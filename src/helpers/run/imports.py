"""Imports a run can skip: optional modules that papermill and nbconvert load through nbformat
and jsonschema but never use, which cost seconds of CPU per process."""

import sys

# Optional format checkers of jsonschema that nbformat never needs (see skip_slow_optional_imports).
SLOW_OPTIONAL_IMPORTS = ("rfc3987_syntax", "isoduration")


def skip_slow_optional_imports() -> None:
    """Keep jsonschema from loading optional format checkers that nbformat never uses.

    nbformat (under papermill and nbconvert) imports jsonschema, whose ``_format`` module tries
    ``rfc3987_syntax`` (an "iri" format checker) and ``isoduration`` (a "duration" checker) when
    they are installed; the first compiles an Earley grammar at import, seconds of CPU per process.
    Notebook schemas use neither format. Marking them absent (``None`` in ``sys.modules``, which
    makes ``import`` raise ImportError, caught by jsonschema) skips that work; a module already
    imported is left as it is."""
    for name in SLOW_OPTIONAL_IMPORTS:
        sys.modules.setdefault(name, None)
