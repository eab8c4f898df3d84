import pytest
from celery.contrib.testing.worker import start_worker


@pytest.fixture
def tmp_csv(tmp_path):
    """Write text to a CSV file and return its path."""

    def write(text: str, name: str = "data.csv"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def reach_worker():
    """A real Celery worker (solo pool) on the test Redis, with an empty queue before and after."""
    from choicemap.celery import app

    app.control.purge()
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30):
        yield
    app.control.purge()
