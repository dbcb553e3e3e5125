import pytest

from tests.stats.cv_helpers import make_regression_data


@pytest.fixture
def regression_data():
    return make_regression_data()
