"""The allocator thresholds: megabyte buffers made and dropped page after page must stop costing
page faults (measured in a fresh interpreter, so this test's own heap does not count)."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")

PAGES = """
import resource, sys
from jhe_tui.allocator import keep_freed_memory
taken = keep_freed_memory() if sys.argv[1] == "keep" else None
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for page in range(300):  # what an export does per page: a body, its text, a joined chunk
    body = bytes(1_100_000)
    text = body.decode()
    chunk = text + "\\n"
    del body, text, chunk
print(taken, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> tuple[str, int]:
    out = subprocess.run([sys.executable, "-c", PAGES, mode], capture_output=True, text=True, check=True).stdout
    taken, faults = out.split()
    return taken, int(faults)


def test_freed_page_buffers_are_reused_instead_of_faulted_in_again():
    taken, kept = _faults("keep")
    _, default = _faults("default")
    if taken != "True":
        pytest.skip("this C library has no mallopt thresholds (not glibc)")
    assert default > 300 * 100  # each page's buffers mapped afresh: hundreds of faults a page
    assert kept < default / 10
