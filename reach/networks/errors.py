"""The one error the network builders raise for bad input (pure Python, no Django)."""

from __future__ import annotations


class NetworkInputError(Exception):
    """Bad network input; each problem names the file and the fault. Nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
