"""The one exception type for errors a user can act on (printed as one line, exit code 2)."""


class TallyError(Exception):
    """An error the user can act on: bad input, a missing file, a failed check."""
