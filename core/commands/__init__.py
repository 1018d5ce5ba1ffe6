"""Station commands, declared once (see :mod:`core.commands.base` and
:mod:`core.commands.registry`)."""
