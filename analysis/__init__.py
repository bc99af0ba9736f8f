"""The framing workbook's analysis package: notebooks narrate and call, these modules compute.

Modules are stage nouns (``corpus``, ``actors``, ``quotes``, ``sentiment``, ``rhetoric``, ``charts``,
``report`` ...). The library never prints; it logs through the ``analysis`` logger.
"""
import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
