"""The ``musicassist`` command: one module per subcommand, registered in main."""
