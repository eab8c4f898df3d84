import pytest


@pytest.fixture
def tmp_csv(tmp_path):
    """Write text to a CSV file and return its path."""

    def write(text: str, name: str = "data.csv"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
