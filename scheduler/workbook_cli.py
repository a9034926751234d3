"""`tot template` and `tot convert`: instances as Excel workbooks.

Reading a workbook warns (`WorkbookWarning`) of the sheets it did not read; every command
shows such a warning as one line on stderr (`scheduler.cli.show_warning`) and goes on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from scheduler.cli import (
    ForceOption,
    LangOption,
    _fail,
    _guard,
    _language,
    app,
    checked_lang,
    refuse_to_replace,
)
from scheduler.i18n import resolve, texts
from scheduler.loader import WRITABLE_SUFFIXES, load_instance, save_instance
from scheduler.workbook import write_template

__all__ = ["app"]


@app.command("template")
def template_command(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="The workbook to write (.xlsx).")],
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Language of the instructions, and of the reports of the workbook: en or id "
            "(default: en).",
        ),
    ] = None,
    force: ForceOption = False,
) -> None:
    """Write an Excel workbook to fill in: headers, instructions and example rows."""
    language = resolve(checked_lang(lang), None)
    _ = texts(language, "workbook").gettext
    if path.suffix.lower() != ".xlsx":
        _fail(f"{path}: a template is an Excel workbook; name it .xlsx")
    refuse_to_replace(path, force, language)
    _guard(lambda: write_template(path, language))
    Console(highlight=False, soft_wrap=True).print(
        _("Template written to {path}: fill it in, then run tot solve {path}").format(path=path)
    )


@app.command("convert")
def convert_command(
    source: Annotated[
        Path,
        typer.Argument(metavar="SOURCE", help="Instance to read (.yaml, .yml, .json, .xlsx)."),
    ],
    target: Annotated[
        Path,
        typer.Argument(metavar="TARGET", help="Instance to write (.xlsx, .yaml, .yml, .json)."),
    ],
    lang: LangOption = None,
    force: ForceOption = False,
) -> None:
    """Convert an instance between YAML/JSON and an Excel workbook, by the file extensions."""
    if target.suffix.lower() not in WRITABLE_SUFFIXES:
        known = ", ".join(WRITABLE_SUFFIXES)
        _fail(f"{target}: cannot write an instance as '{target.suffix}' (expected one of {known})")
    instance = _guard(lambda: load_instance(source))
    language = _language(lang, instance)
    _ = texts(language, "workbook").gettext
    refuse_to_replace(target, force, language, inputs=[source])
    _guard(lambda: save_instance(target, instance, language))
    Console(highlight=False, soft_wrap=True).print(
        _("Converted {source} to {target}").format(source=source, target=target)
    )
