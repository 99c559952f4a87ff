"""The `wkp` command line."""

import os

import typer

from backoffice import errors
from backoffice.commands import admin, audit, case, cluster, rules, simulate, stack, wave

app = typer.Typer(
    help="wkp: automatic transfer of small pensions (waardeoverdracht klein pensioen).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(rules.app, name="rules")
app.add_typer(admin.app, name="admin")
app.add_typer(wave.app, name="wave")
app.add_typer(case.app, name="case")
app.add_typer(audit.app, name="audit")
app.add_typer(cluster.app, name="cluster")
app.command()(stack.up)
app.command()(stack.down)
app.command()(stack.worker)
app.command()(stack.demo)
app.command()(simulate.simulate)


@app.command("codec-server")
def codec_server() -> None:
    """Serve the payload codec for the Temporal UI and CLI (decodes only with a valid token;
    WKP_CODEC_TOKENS, WKP_CODEC_PORT, WKP_CODEC_CORS_ORIGINS)."""
    from codec.server import main

    main()


@app.command("inbound")
def inbound() -> None:
    """Serve the inbound door where other providers deliver the transfers they pay us (Besluit
    17e.4/17e.5): WKP_INBOUND_TOKENS (a token per sending provider), WKP_INBOUND_HOST, WKP_INBOUND_PORT."""
    from inbound.server import main

    main()


def main() -> None:
    """The `wkp` entry point: the commands behind one error boundary (backoffice.errors.run).

    Everything wkp writes — WKP_HOME (0700), the administration's SQLite file and the dev
    server's, reject files, audit exports, reports (0600) — holds personal data or points to it:
    it is for the owner only, and so are the processes `wkp up` starts (they inherit the mask)."""
    os.umask(0o077)
    errors.run(app)


if __name__ == "__main__":
    main()
