import pytest
from axe_playwright_python.sync_playwright import Axe

_axe = Axe()


@pytest.fixture
def assert_accessible():
    """Run axe-core on the page as it is now; fail with its report on any violation."""

    def check(page) -> None:
        results = _axe.run(page)
        assert results.violations_count == 0, results.generate_report()

    return check


@pytest.fixture(params=["light", "dark"])
def color_scheme(request):
    return request.param


@pytest.fixture
def htmx_settled():
    """Wait until htmx has finished its last swap (its htmx-added, -settling, -swapping and -request classes
    are gone): before that, the new content's forms are not wired yet, and a key pressed then submits natively."""

    def wait(page) -> None:
        page.wait_for_function(
            "() => !document.querySelector('.htmx-added, .htmx-settling, .htmx-swapping, .htmx-request')"
        )

    return wait
