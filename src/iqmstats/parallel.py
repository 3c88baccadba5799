"""Threads and processes: small-matrix linear algebra on one BLAS thread, work spread over processes.

Linear algebra on small matrices inside loops (permutations, bootstraps, power simulations,
WTS/MATS) is fastest on one BLAS thread: several threads per process fight for the cores, and
with any other busy process on the machine (measured: 100 QRs of 580 x 58 matrices took 0.09 s on
one thread and 65 s on two while another process kept a core busy). Work items that pay for a
process start are spread over worker processes of one BLAS thread each.
"""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def one_blas_thread():
    """Run the block with BLAS limited to one thread (restored afterwards)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _limit_worker() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


class _Serial:
    """The map of a process pool, in this process."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map(self, function, items):
        return map(function, items)


def pool(workers: int):
    """A process pool of ``workers`` processes of one BLAS thread each (in this process when 1)."""
    if workers <= 1:
        return _Serial()
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, initializer=_limit_worker)
