"""Where the CLI prints: rich for tables and progress, stderr for log lines."""

from rich.console import Console

# Wide enough for the project's tables when output is piped (rich assumes 80).
console = Console(width=None if Console().is_terminal else 120)
err_console = Console(stderr=True, soft_wrap=True)


def log(message: str) -> None:
    err_console.print(message, markup=False, highlight=False)
