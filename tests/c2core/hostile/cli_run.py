"""Run the CLI in-process and read its one error line: the contract every hostile case checks
(exit code, a last line `error: <file>: <reason>`, no traceback)."""

from c2core.cli.main import main


def cli(argv, capsys):
    """(exit code, stdout, stderr) of `c2core ARGV` run in this process."""
    rc = main([str(a) for a in argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def error_line(err: str) -> str:
    """The last line of stderr, which must be the one error line (and no traceback anywhere)."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines and lines[-1].startswith("error: "), err
    assert "Traceback" not in err
    return lines[-1]
