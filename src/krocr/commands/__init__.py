"""The ``krocr`` commands: one module per command, each with ``configure(parser)`` and
``run(args) -> int``. Argument parsing and printing live only here; the library returns values."""
