"""`python -m tui.cli`: the same as the `finetop` command (used by `finetop serve`)."""

from tui.cli import main

main()
