"""Let the C allocator keep freed megabytes for the next page instead of returning them at once.

An export and the embedded backend handle pages of up to 1,000 observations, about a megabyte
each, as several megabyte-sized buffers per page (the body, its text, the file chunk). glibc
hands a freed block larger than its mmap threshold straight back to the kernel, and trims the
heap whenever its free top grows past the trim threshold; the next page's buffers are then
mapped afresh and faulted in 4 KiB at a time. Exporting a study of 426,833 observations took
over 100,000 page faults that way, about a quarter of the exporting process's CPU and of the
server's. With both thresholds raised those blocks are reused; peak RSS does not change, since a
process holds that many pages at once anyway.

Only glibc has these knobs; elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt(3) parameters
MMAP_THRESHOLD = 16 << 20  # blocks up to this size come from the heap, so they can be reused
TRIM_THRESHOLD = 64 << 20  # free memory at the heap's top kept for reuse, up to this much


def keep_freed_memory() -> bool:
    """Raise both thresholds in this process; True when the C library took them."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # musl has the function but takes nothing (returns 0).
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
