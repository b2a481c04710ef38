"""The one HTML policy: https, mailto and tel links only."""
from __future__ import annotations

import pytest

from haven.security.sanitise import clean


@pytest.mark.parametrize("html, expected", [
    ('<a href="http://example.org/help">help</a>', "help"),
    ('<a href="javascript:alert(1)">x</a>', "x"),
    ('<a href="ftp://example.org">files</a>', "files"),
    ("<p>see example.org today</p>", '<p>see <a href="https://example.org" rel="noreferrer">example.org</a> today</p>'),
    ("<p>http://example.org/a</p>", '<p><a href="https://example.org/a" rel="noreferrer">http://example.org/a</a></p>'),
])
def test_only_https_mailto_and_tel_links_survive(html, expected):
    assert clean(html) == expected


def test_https_mailto_and_tel_links_are_kept_and_marked():
    assert clean('<a href="https://example.org">site</a>') == '<a href="https://example.org" rel="noreferrer">site</a>'
    assert clean('<a href="mailto:help@example.org">mail</a>') == '<a href="mailto:help@example.org">mail</a>'
    assert clean('<a href="tel:08082000247">call</a>') == '<a href="tel:08082000247" dir="ltr" class="phone">call</a>'


def test_threads_cleaning_at_once_each_get_their_own_page():
    """gunicorn's threads render pages at once: a cleaner shared between them mixed up their
    parses (an IndexError, a 500 for the resident, found by the fault drills)."""
    import threading

    pages = [f"<p>Page {n}: call <a href='tel:0800{n:06d}'>us</a>, see example.org</p>" * 40 for n in range(8)]
    expected = [clean(page) for page in pages]
    results: dict[int, list] = {n: [] for n in range(8)}

    def work(n):
        for _ in range(30):
            try:
                results[n].append(clean(pages[n]))
            except Exception as error:  # noqa: BLE001 - the failure itself is what is counted
                results[n].append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(result == [expected[n]] * 30 for n, result in results.items())
