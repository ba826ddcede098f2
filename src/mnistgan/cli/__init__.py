"""The `mnistgan` command: thin wrappers that parse, call the library, and print.

Every user-fixable problem ends as one line on stderr (`error: ...`) and exit
status 1 (2 for bad command-line usage), never a traceback.
"""

from __future__ import annotations

import errno
import sys

import typer

# typer >= 0.25 ships its own copy of click; its usage errors derive from this base.
UsageProblem = typer.BadParameter.__mro__[2]  # ClickException

from mnistgan.errors import Interrupted, MnistganError

# Permissions, read-only or full disks: the user's to fix, so an error line rather than a traceback.
USER_FIXABLE_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT}

app = typer.Typer(
    name="mnistgan",
    help="Train, evaluate and serve GANs that draw handwritten digits (MNIST).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# Importing the command modules registers their commands on `app`.
from mnistgan.cli import data as _data  # noqa: E402,F401
from mnistgan.cli import evaluate as _evaluate  # noqa: E402,F401
from mnistgan.cli import export as _export  # noqa: E402,F401
from mnistgan.cli import generate as _generate  # noqa: E402,F401
from mnistgan.cli import importing as _importing  # noqa: E402,F401
from mnistgan.cli import models as _models  # noqa: E402,F401
from mnistgan.cli import pictures as _pictures  # noqa: E402,F401
from mnistgan.cli import run as _run  # noqa: E402,F401
from mnistgan.cli import serve as _serve  # noqa: E402,F401
from mnistgan.cli import space as _space  # noqa: E402,F401
from mnistgan.cli import train as _train  # noqa: E402,F401
from mnistgan.cli import tune as _tune  # noqa: E402,F401
from mnistgan.cli import zoo as _zoo  # noqa: E402,F401


def main(argv: list[str] | None = None) -> None:
    try:
        app(args=argv, standalone_mode=False)
    except UsageProblem as e:  # bad usage: unknown option, invalid value
        if type(e).__name__ == "NoArgsIsHelpError":  # plain `mnistgan` or `mnistgan data`
            print(e.ctx.get_help())
            sys.exit(0)
        print(f"error: {e.format_message()}", file=sys.stderr)
        sys.exit(e.exit_code)
    except MnistganError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    except OSError as e:  # the safety net for files the commands do not check themselves: still one line
        if e.errno not in USER_FIXABLE_ERRNOS:
            raise
        print(f"error: {e.filename or 'a file'}: {e.strerror}", file=sys.stderr)
        sys.exit(1)
    except Interrupted:  # the job already said what it saved and how to resume
        sys.exit(130)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
