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
