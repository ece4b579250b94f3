"""Anora Q&A: answers questions about the film *Anora* from a corpus of articles, with citations.

>>> from rag import load_pipeline                                   # doctest: +SKIP
>>> pipe = load_pipeline()                                          # doctest: +SKIP
>>> ans = pipe.ask("Who shot the film?")                            # doctest: +SKIP
>>> ans.text, ans.abstained, ans.citations, ans.generator, ans.timings_ms  # doctest: +SKIP

Heavy imports (FAISS, bm25s; torch only for an embedder the NumPy encoder cannot run)
happen only when a pipeline is loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rag.schema import Answer, Chunk, Citation, Hit
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.pipeline import Pipeline

__all__ = ["Answer", "Chunk", "Citation", "Hit", "Pipeline", "Settings", "load_pipeline"]
__version__ = "0.1.0"


def load_pipeline(settings: Settings | None = None, **overrides: Any) -> Pipeline:
    """Load (building it if needed) the index and return a ready ``Pipeline``."""
    from rag.pipeline import load_pipeline as _load

    return _load(settings, **overrides)
