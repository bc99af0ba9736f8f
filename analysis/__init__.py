"""The framing workbook's analysis package: notebooks narrate and call, these modules compute.

Modules are stage nouns (``corpus``, ``actors``, ``quotes``, ``sentiment``, ``rhetoric``, ``charts``,
``report`` ...). The library never prints; it logs through the ``analysis`` logger.
"""
import logging
import sys

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

# jsonschema (imported by nbformat, papermill and altair) imports rfc3987_syntax, which compiles about 35 Earley
# grammars at import: 1.7 s of every `framing` command and of the charts kernel, for the "iri" format check that
# no notebook or Vega-Lite schema uses (python-jsonschema/jsonschema#1428). Without it jsonschema leaves only
# that format unchecked.
sys.modules.setdefault("rfc3987_syntax", None)
