"""Checks of deploy/ beyond schemas; see __main__.py for the subcommands."""
