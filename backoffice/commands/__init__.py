"""The `wkp` command groups, one module each: parse the options, call the engine, print."""
