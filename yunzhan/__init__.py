"""yunzhan (云展): a static site generator for online exhibitions.

The public surface is small: ``build`` runs the pipeline, ``YunzhanError`` carries the problems of a failed
build. Everything else is private to the package's stage modules (see docs/ARCHITECTURE.md).
"""

from yunzhan.errors import Problem, YunzhanError

__all__ = ["Problem", "YunzhanError", "__version__"]
__version__ = "0.1.0"
