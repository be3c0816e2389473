"""The one exception root of ssesim: definition and input errors, shown to users as one line."""


class SsesimError(ValueError):
    """Root of every ssesim error a user can cause (bad scenario, sweep file, arguments, trace)."""


class InputError(SsesimError):
    """Bad user input: a file, a key or an argument. The message is one line naming all three."""

    def __init__(self, where: str, key: str | None, problem: str):
        self.where, self.key, self.problem = where, key, problem
        text = f"{where}: {key}: {problem}" if key else f"{where}: {problem}"
        super().__init__(text)
