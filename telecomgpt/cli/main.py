"""`telecomgpt`: one command line for every capability.

Each capability owns its commands in a light module of its package; they are all attached here, in one
place: Typer sub-apps for index, train and eval, and the `data` group's commands from the two packages that
share it (the corpus pipeline and finetune's dataset builders). Heavy libraries (torch, vLLM, datatrove)
are imported inside the commands, so `telecomgpt --help` stays fast.
"""

from __future__ import annotations

import sys

import typer

# Typer 0.29 vendors click: its parser raises typer._click's exceptions, which the public `click`
# package's classes do not match, so a mistyped option escaped as a traceback.
from typer._click.exceptions import ClickException

from app.cli import index_app
from data_pipeline import cli as pipeline_cli
from eval.cli import eval_app
from finetune.cli import train_app
from finetune.data import cli as datasets_cli
from telecomgpt.cli import chat as chat_cmd
from telecomgpt.cli import env as env_cmd
from telecomgpt.cli import models as models_cmd
from telecomgpt.cli import serve as serve_cmd
from telecomgpt.errors import UserError, raised_by_ctrl_c

app = typer.Typer(
    name="telecomgpt",
    help="TelecomGPT: a telecom LLM you can build, adapt, evaluate and talk to.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts say "[default: X]"; Rich markup would swallow the brackets
)
app.add_typer(models_cmd.app, name="models")
app.command("serve")(serve_cmd.serve)
app.command("chat")(chat_cmd.chat)
app.command("env")(env_cmd.env)


def _register_capabilities() -> None:
    """Sub-commands owned by the other packages (data, index, train, eval)."""
    data_app = typer.Typer(help="Build training corpora and datasets: clean, filter, deduplicate, "
                                "decontaminate.",
                           no_args_is_help=True)
    data_commands = {"run": pipeline_cli.run, "stats": pipeline_cli.stats,
                     "build-sft": datasets_cli.build_sft, "build-dpo": datasets_cli.build_dpo}
    for name, command in data_commands.items():
        data_app.command(name)(command)
    app.add_typer(data_app, name="data")
    app.add_typer(index_app, name="index")
    app.add_typer(train_app, name="train")
    app.add_typer(eval_app, name="eval")


_register_capabilities()


def main() -> None:
    """Entry point: user mistakes become one line on stderr and exit code 2; Ctrl-C exits 130."""
    try:
        app(standalone_mode=False, prog_name="telecomgpt")
    except UserError as exc:
        typer.secho(f"error: {exc.one_line()}", err=True, fg=typer.colors.RED)
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except ClickException as exc:  # a mistyped option or argument: click's message, on one line
        where = getattr(getattr(exc, "ctx", None), "command_path", "telecomgpt")
        typer.secho(f"error: {exc.format_message()} (see '{where} --help')", err=True, fg=typer.colors.RED)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, Exception) as exc:  # Ctrl-C, also when Python wrapped it (raised_by_ctrl_c)
        if not raised_by_ctrl_c(exc):
            raise
        typer.echo("interrupted", err=True)
        sys.exit(130)

if __name__ == "__main__":
    main()
