"""The base of every error rsrepro reports to a user: the CLI prints its message without a traceback."""


class RsreproError(Exception):
    """An error whose message already names the thing, what was expected and what to do."""
