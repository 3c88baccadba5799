"""The public jobs: each is one validated call that composes the steps and returns a result.

``read`` -> ``unblind`` -> ``compare`` (pair, audit, prepare, test) or ``analyse_ratings`` or
``power``; ``blind`` and ``audit`` make and check blinded datasets. Every job checks all of its
parameters (:mod:`iqmstats.validation`) before any work; the CLI and the report sit on these.
"""

from .comparison import compare
from .datasets import audit, blind, read, unblind
from .planning import power
from .rating import analyse_ratings

__all__ = ["analyse_ratings", "audit", "blind", "compare", "power", "read", "unblind"]
