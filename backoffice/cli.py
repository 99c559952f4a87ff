"""The `wkp` command line."""

import typer

from backoffice import rules_cli

app = typer.Typer(
    help="wkp: automatic transfer of small pensions (waardeoverdracht klein pensioen).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(rules_cli.app, name="rules")

if __name__ == "__main__":
    app()
