"""The `wkp` command line."""

import typer

from backoffice import admin_cli, rules_cli

app = typer.Typer(
    help="wkp: automatic transfer of small pensions (waardeoverdracht klein pensioen).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(rules_cli.app, name="rules")
app.add_typer(admin_cli.app, name="admin")

if __name__ == "__main__":
    app()
