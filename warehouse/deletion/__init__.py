"""Deletion requests: purge a partner's record pseudonyms from every hub layer (counts audited).

Public API: :func:`delete_pseudonyms`, :func:`read_pseudonym_file`, :class:`DeletionReport`,
:class:`DeletionError`. See ``purge.py`` for what is purged and how.
"""

from warehouse.deletion.purge import (
    DeletionError,
    DeletionReport,
    delete_pseudonyms,
    read_pseudonym_file,
)

__all__ = ["DeletionError", "DeletionReport", "delete_pseudonyms", "read_pseudonym_file"]
