"""`lakehouse generate`: options, defaults, validation errors (exit code 2 with a message)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from generator.rates import RATE_SPECS
from lakehouse.commands import generate as command


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lakehouse")
    command.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["generate", *argv])


def run(*argv: str) -> int:
    args = parse(*argv)
    return args.handler(args)


SMALL = (
    "--days",
    "2",
    "--orders-per-day",
    "50",
    "--customers",
    "100",
    "--products",
    "40",
    "--workers",
    "1",
)


def test_help_documents_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse("--help")
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in (
        "--landing", "--days", "--orders-per-day", "--seed", "--start-date", "--dimension-exports",
        "--customers", "--products", "--append", "--overwrite", "--orphan-rate", "--malformed-rate",
        "--unrepairable-rate", "--rate", "--list-rates", "--workers", "--quiet",
    ):  # fmt: skip
        assert option in text, option
    assert text.count("default") >= 15


def test_list_rates(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--list-rates") == 0
    out = capsys.readouterr().out
    assert "order_items.quantity_word" in out and "products.weight_unit" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--days", "0"), "--days 0: use at least 1"),
        (("--orders-per-day", "0"), "--orders-per-day 0"),
        (("--start-date", "2025-02-30"), "--start-date '2025-02-30' is not a date"),
        (("--start-date", "yesterday"), "use YYYY-MM-DD"),
        (("--orphan-rate", "1.5"), "--orphan-rate 1.5 is outside [0, 1]"),
        (("--rate", "order_items.quantity_word=2"), "outside [0, 1]"),
        (("--rate", "order_items.quantity_word=-0.1"), "outside [0, 1]"),
        (("--rate", "nope.nothing=0.1"), "matches no rate"),
        (("--rate", "quantity_word"), "expected NAME=VALUE"),
        (
            ("--rate", "order_items.bad_dt=0.9", "--rate", "order_items.bad_quantity=0.9"),
            "add up to",
        ),
        (("--days", "2", "--dimension-exports", "3"), "more than --days"),
        (("--dimension-exports", "0"), "only allowed with --append"),
        (("--workers", "0"), "--workers 0"),
        (("--append", "--overwrite"), "contradict"),
        (("--append",), "run without --append first"),
    ],
)
def test_invalid_arguments_exit_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    assert run("--landing", str(tmp_path / "landing"), "--quiet", *argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "landing" / "_manifest.json").exists()


def test_run_writes_the_landing_zone_and_reports_progress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    landing = tmp_path / "landing"
    assert run("--landing", str(landing), *SMALL, "--seed", "3", "--start-date", "2025-03-01") == 0
    err = capsys.readouterr().err
    assert "order_items_2025-03-02.csv" in err and "lines/s" in err
    manifest = json.loads((landing / "_manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["seed"] == 3
    assert manifest["parameters"]["start_date"] == "2025-03-01"
    # Refuses to mix into existing data; --quiet prints nothing.
    assert run("--landing", str(landing), *SMALL, "--quiet") == 2
    assert "use --append" in capsys.readouterr().err
    assert run("--landing", str(landing), "--append", "--days", "1", "--quiet") == 0
    assert capsys.readouterr().err == ""


def test_landing_defaults_to_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEHOUSE_LANDING", str(tmp_path / "from-env"))
    assert run(*SMALL, "--quiet") == 0
    assert (tmp_path / "from-env" / "_manifest.json").is_file()


def test_docs_document_every_rate_and_option() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "generator.md").read_text(
        encoding="utf-8"
    )
    missing = [spec.name for spec in RATE_SPECS if f"`{spec.name}`" not in text]
    assert not missing, f"docs/generator.md lacks rates {missing}"
    for option in (
        "--landing",
        "--days",
        "--orders-per-day",
        "--append",
        "--overwrite",
        "--workers",
    ):
        assert f"`{option}" in text, option


def test_module_entry_point(tmp_path: Path) -> None:
    from generator.__main__ import main

    assert main(["--landing", str(tmp_path), *SMALL, "--quiet"]) == 0
    assert main(["--landing", str(tmp_path), "--days", "0", "--quiet"]) == 2
