class NetworkInputError(Exception):
    """Bad input to a network build; every problem names the file and the fault."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
