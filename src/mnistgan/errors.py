"""The one exception type users see: a message that fits on one line.

The CLI prints `error: <message>` and exits 1; the API turns it into a 4xx.
Library code raises these for any problem the user can fix (bad input, a
missing or corrupt file), and lets real bugs surface as tracebacks.
"""


class MnistganError(Exception):
    """A problem with the user's input or files, explained in one line."""


class DataError(MnistganError):
    """MNIST could not be found, fetched, verified or parsed."""


class ModelFileError(MnistganError):
    """A checkpoint or model folder is missing, corrupt or mismatched."""


class TrainingDiverged(MnistganError):
    """A loss became NaN or infinite; the last good checkpoint was kept."""


class Interrupted(Exception):
    """Ctrl-C (SIGINT) stopped a long job after it saved its state; the CLI exits 130."""
