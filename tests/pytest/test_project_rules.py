"""The project's structure rules, checked on dbt's parsed manifest (what dbt-project-evaluator
checks; hub packages are unreachable here, so the rules are written out).

One ``dbt parse`` (no Spark) per module; each test lists every offender in its failure message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from dbt.cli.main import dbtRunner

PROJECT_DIR = Path(__file__).resolve().parents[2]

# Sources no model reads, on purpose, and why. Keep this list short: every entry is a rule
# exception a reviewer has agreed to.
UNMODELLED_SOURCES = {
    "source.lakehouse.bronze.ingestion_log": (
        "the ingestion's own log: watched by `dbt source freshness` (loaded_at_field "
        "finished_at), documented for lineage, not modelled"
    ),
}

QUARANTINE_FOLDER = "quarantine"
QUARANTINE_SUFFIX = "_rejected"
BASE_FOLDER = "base"
BASE_PREFIX = "base_"
PRIMARY_KEY_TESTS = {"unique", "not_null"}
COMBINATION_TEST = "unique_combination_of_columns"

Manifest = dict[str, Any]


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    out = tmp_path_factory.mktemp("rules")
    result = dbtRunner().invoke(
        [
            "parse",
            "--target",
            "prod",
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(out / "target"),
            "--log-path",
            str(out / "logs"),
            "--quiet",
        ]
    )
    assert result.success, f"dbt parse failed: {result.exception}"
    return json.loads((out / "target" / "manifest.json").read_text())


def resources(manifest: Manifest, *types: str) -> Iterator[dict[str, Any]]:
    for node in manifest["nodes"].values():
        if node["resource_type"] in types and node["package_name"] == "lakehouse":
            yield node


def models(manifest: Manifest) -> list[dict[str, Any]]:
    return sorted(resources(manifest, "model"), key=lambda node: node["unique_id"])


def model_path(node: dict[str, Any]) -> PurePosixPath:
    """The model's file path below `models/`."""
    return PurePosixPath(node["original_file_path"]).relative_to("models")


def layer(node: dict[str, Any]) -> str:
    return model_path(node).parts[0] if len(model_path(node).parts) > 1 else ""


def is_quarantine(node: dict[str, Any]) -> bool:
    return QUARANTINE_FOLDER in model_path(node).parts[:-1]


def is_base(node: dict[str, Any]) -> bool:
    return BASE_FOLDER in model_path(node).parts[:-1]


def offenders_message(rule: str, offenders: list[str]) -> str:
    return f"{rule}: {len(offenders)} offender(s)\n  " + "\n  ".join(offenders)


# --- documentation -------------------------------------------------------------------------


def test_every_model_seed_and_snapshot_is_described(manifest: Manifest) -> None:
    offenders = [
        f"{node['resource_type']} {node['name']} ({node['original_file_path']})"
        for node in resources(manifest, "model", "seed", "snapshot")
        if not node["description"].strip()
    ]
    assert not offenders, offenders_message("no description", offenders)


def test_every_source_and_source_table_is_described(manifest: Manifest) -> None:
    offenders = set()
    for source in manifest["sources"].values():
        if not source["source_description"].strip():
            offenders.add(f"source {source['source_name']} ({source['original_file_path']})")
        if not source["description"].strip():
            offenders.add(f"source table {source['source_name']}.{source['name']}")
    assert not offenders, offenders_message("no description", sorted(offenders))


def test_every_documented_column_has_a_description(manifest: Manifest) -> None:
    nodes = [*resources(manifest, "model", "seed", "snapshot"), *manifest["sources"].values()]
    offenders = [
        f"{node['unique_id']}.{column['name']}"
        for node in nodes
        for column in node["columns"].values()
        if not (column.get("description") or "").strip()
    ]
    assert not offenders, offenders_message("column listed without a description", offenders)


# --- tests ---------------------------------------------------------------------------------


def blocking(test: dict[str, Any]) -> bool:
    """A test that fails the build on its first failing row (no warn level, no threshold)."""
    config = test["config"]
    return (
        str(config.get("severity", "error")).lower() == "error"
        and re.sub(r"\s", "", str(config.get("error_if", "!=0"))) == "!=0"
        and not config.get("where")
    )


def test_every_model_has_blocking_primary_key_tests(manifest: Manifest) -> None:
    """unique + not_null on one column, or unique_combination_of_columns, at error level."""
    column_tests: dict[tuple[str, str], set[str]] = {}
    combined: set[str] = set()
    for test in resources(manifest, "test"):
        metadata = test.get("test_metadata") or {}
        attached = test.get("attached_node")
        if not attached or not blocking(test):
            continue
        if metadata.get("name") in PRIMARY_KEY_TESTS and test.get("column_name"):
            key = (attached, test["column_name"].lower())
            column_tests.setdefault(key, set()).add(metadata["name"])
        elif metadata.get("name") == COMBINATION_TEST:
            combined.add(attached)
    with_key = combined | {
        model for (model, _column), names in column_tests.items() if names >= PRIMARY_KEY_TESTS
    }
    # A base model is a view of its source's rows plus computed columns: its key is the Bronze
    # row's identity (_source_file, _source_row), which ingestion guarantees (tests/pytest/
    # test_ingestion.py); a test here would scan all of Bronze on every build.
    offenders = [
        f"{node['name']} ({node['original_file_path']})"
        for node in models(manifest)
        if node["unique_id"] not in with_key and not is_base(node)
    ]
    assert not offenders, offenders_message(
        "no blocking primary-key test (unique + not_null on a column, or "
        "unique_combination_of_columns; severity error, no where/error_if)",
        offenders,
    )


# --- DAG -----------------------------------------------------------------------------------


def source_parents(node: dict[str, Any]) -> list[str]:
    return [parent for parent in node["depends_on"]["nodes"] if parent.startswith("source.")]


def test_only_base_models_read_sources(manifest: Manifest) -> None:
    offenders = [
        f"{node['name']} ({node['original_file_path']}) reads {', '.join(source_parents(node))}"
        for node in models(manifest)
        if source_parents(node) and not is_base(node)
    ]
    assert not offenders, offenders_message(
        f"source read outside models/staging/<source system>/{BASE_FOLDER}", offenders
    )


def test_each_base_model_reads_exactly_one_source(manifest: Manifest) -> None:
    offenders = [
        f"{node['name']} reads {len(source_parents(node))} sources: {source_parents(node)}"
        for node in models(manifest)
        if is_base(node) and len(source_parents(node)) != 1
    ]
    assert not offenders, offenders_message("base model not 1:1 with a source", offenders)


def test_no_source_fans_out(manifest: Manifest) -> None:
    """Each source table is read by exactly one model, its base model; staging and quarantine
    both read that (dbt-project-evaluator's "source fanout")."""
    nodes = manifest["nodes"]
    offenders = []
    for source_id in sorted(manifest["sources"]):
        readers = [
            nodes[child]["name"]
            for child in manifest["child_map"].get(source_id, [])
            if child.startswith("model.")
        ]
        if not readers and source_id in UNMODELLED_SOURCES:
            continue
        if len(readers) != 1:
            offenders.append(f"{source_id}: read by {readers or 'no model'}")
    stale = [
        source_id
        for source_id in UNMODELLED_SOURCES
        if source_id not in manifest["sources"] or manifest["child_map"].get(source_id)
    ]
    offenders += [f"{source_id}: listed in UNMODELLED_SOURCES but read" for source_id in stale]
    assert not offenders, offenders_message("source table not read by exactly one model", offenders)


def model_parents(node: dict[str, Any]) -> list[str]:
    return [parent for parent in node["depends_on"]["nodes"] if parent.startswith("model.")]


def test_staging_and_its_quarantine_read_one_base_model_and_seeds(manifest: Manifest) -> None:
    """`stg_<system>__<entity>` and `stg_<system>__<entity>_rejected` read the entity's base
    model (and seeds), nothing else: the reject reason is computed once, in the base model."""
    nodes = manifest["nodes"]
    offenders = []
    for node in models(manifest):
        if layer(node) != "staging" or is_base(node):
            continue
        entity = node["name"].removeprefix("stg_").removesuffix(QUARANTINE_SUFFIX)
        expected = [f"{BASE_PREFIX}{entity}"]
        parents = [nodes[parent]["name"] for parent in model_parents(node)]
        others = [
            parent
            for parent in node["depends_on"]["nodes"]
            if not parent.startswith(("model.", "seed."))
        ]
        if parents != expected or others:
            offenders.append(f"{node['name']} reads {parents + others}, expected {expected}")
    assert not offenders, offenders_message("staging model not on its base model", offenders)


def test_base_models_depend_only_on_their_source_and_seeds(manifest: Manifest) -> None:
    offenders = [
        f"{node['name']} depends on {parent}"
        for node in models(manifest)
        if is_base(node)
        for parent in node["depends_on"]["nodes"]
        if not parent.startswith(("source.", "seed."))
    ]
    assert not offenders, offenders_message("base model reads another model", offenders)


def test_no_model_reads_a_later_layer(manifest: Manifest) -> None:
    order = {"staging": 0, "intermediate": 1, "marts": 2}
    nodes = manifest["nodes"]
    offenders = [
        f"{node['name']} ({layer(node)}) reads {nodes[parent]['name']} ({layer(nodes[parent])})"
        for node in models(manifest)
        for parent in node["depends_on"]["nodes"]
        if parent.startswith("model.")
        and order.get(layer(nodes[parent]), 0) > order.get(layer(node), 0)
    ]
    assert not offenders, offenders_message("model reads a downstream layer", offenders)


# --- hard-coded relations ------------------------------------------------------------------

_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_STRINGS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_TOKENS = re.compile(r"`[^`]*`|[A-Za-z_][A-Za-z0-9_]*|\.|\(|\)|[^\sA-Za-z0-9_`.()]+")


def hard_coded_relations(sql: str) -> list[str]:
    """Relation names written as `schema.table` (or `delta.\\`path\\``) after FROM or JOIN in
    raw model SQL: everything outside Jinja, comments and string literals. `ref()`,
    `source()` and `this` render inside Jinja, so they never count. A FROM inside a function
    call (`extract(hour from t.ts)`, `trim(both ' ' from x.y)`) is not a clause: only a FROM
    at the parenthesis depth of a SELECT is."""
    text = _JINJA.sub(" __jinja__ ", sql)
    text = _COMMENTS.sub(" ", text)
    text = _STRINGS.sub(" '' ", text)
    tokens = _TOKENS.findall(text)
    found = []
    selects = [False]  # per parenthesis depth: has a SELECT been seen at this depth?
    for index, token in enumerate(tokens):
        word = token.lower()
        if token == "(":
            selects.append(False)
        elif token == ")":
            if len(selects) > 1:
                selects.pop()
        elif word == "select":
            selects[-1] = True
        elif word == "join" or (word == "from" and selects[-1]):
            parts, position = [], index + 1
            while position < len(tokens) and (not parts or tokens[position] == "."):
                if parts:
                    position += 1
                if position < len(tokens) and re.match(r"[`A-Za-z_]", tokens[position]):
                    parts.append(tokens[position])
                position += 1
            if len(parts) > 1:
                found.append(".".join(parts))
    return found


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("select * from {{ ref('stg_x') }} as stg_x", []),
        ("select * from silver.stg_x", ["silver.stg_x"]),
        (
            "select a.x from {{ ref('a') }} as a\nleft outer join gold.dim_b as b on a.k = b.k",
            ["gold.dim_b"],
        ),
        ("select 1 from (select * from bronze.orders) as o", ["bronze.orders"]),
        ("select * from delta.`/data/bronze/orders`", ["delta.`/data/bronze/orders`"]),
        ("select extract(hour from t.ts) as h, trim(both ' ' from t.c) from {{ this }} as t", []),
        (
            "-- from silver.x\nselect 'from gold.y' as s {# from a.b #} from {{ source('b', 'c') }}",
            [],
        ),
        ("{% if is_incremental() %} where x > (select max(y) from {{ this }}) {% endif %}", []),
    ],
)
def test_hard_coded_relation_scanner(sql: str, expected: list[str]) -> None:
    assert hard_coded_relations(sql) == expected


def test_no_hard_coded_relations(manifest: Manifest) -> None:
    offenders = [
        f"{node['original_file_path']}: {relation}"
        for node in sorted(
            resources(manifest, "model", "snapshot", "test", "analysis"),
            key=lambda node: node["unique_id"],
        )
        if not (node["resource_type"] == "test" and node.get("test_metadata"))
        for relation in hard_coded_relations(node["raw_code"])
    ]
    assert not offenders, offenders_message(
        "hard-coded relation (use ref() or source())", offenders
    )


# --- sources -------------------------------------------------------------------------------


def test_every_source_table_has_freshness(manifest: Manifest) -> None:
    offenders = []
    for source in sorted(manifest["sources"].values(), key=lambda item: item["unique_id"]):
        freshness = source.get("freshness") or {}
        thresholds = [
            freshness.get(key) or {} for key in ("warn_after", "error_after") if freshness
        ]
        has_threshold = any(item.get("count") and item.get("period") for item in thresholds)
        loaded_at = source.get("loaded_at_field") or source.get("loaded_at_query")
        if not (has_threshold and loaded_at):
            offenders.append(
                f"{source['source_name']}.{source['name']}: loaded_at_field={loaded_at!r}, "
                f"freshness={freshness!r}"
            )
    assert not offenders, offenders_message("source table without freshness", offenders)


def test_source_freshness_settings_sit_under_config(manifest: Manifest) -> None:
    """dbt >= 1.10 reads `loaded_at_field` and `freshness` under `config:`; the top-level
    spelling is deprecated."""
    offenders = []
    for path in sorted((PROJECT_DIR / "models").rglob("*.yml")):
        for source in (yaml.safe_load(path.read_text()) or {}).get("sources", []):
            for entry in [source, *source.get("tables", [])]:
                misplaced = {"loaded_at_field", "freshness"} & set(entry)
                if misplaced:
                    offenders.append(f"{path.name}: {entry['name']} {sorted(misplaced)}")
    assert not offenders, offenders_message("freshness settings outside config:", offenders)


# --- naming --------------------------------------------------------------------------------


def naming_problem(node: dict[str, Any]) -> str | None:
    name, parts = node["name"], model_path(node).parts
    folders = parts[:-1]
    if not folders or folders[0] not in ("staging", "intermediate", "marts"):
        return "lives outside models/staging, models/intermediate and models/marts"
    if folders[0] == "staging":
        if len(folders) < 2:
            return "staging models live in models/staging/<source system>/"
        if is_base(node):
            prefix = f"{BASE_PREFIX}{folders[1]}__"
            return None if name.startswith(prefix) else f"base models are named {prefix}<entity>"
        if name.startswith(BASE_PREFIX):
            return f"base models live in models/staging/{folders[1]}/{BASE_FOLDER}/"
        prefix = f"stg_{folders[1]}__"
        if not name.startswith(prefix):
            return f"staging model in models/staging/{folders[1]}/ must be named {prefix}<entity>"
        if is_quarantine(node) != name.endswith(QUARANTINE_SUFFIX):
            return (
                f"quarantine models (and only they) end in {QUARANTINE_SUFFIX} and live in "
                f"models/staging/{folders[1]}/{QUARANTINE_FOLDER}/"
            )
        return None
    if name.startswith("stg_"):
        return "stg_ models belong in models/staging/"
    if folders[0] == "intermediate":
        return None if name.startswith("int_") else "intermediate models are named int_<...>"
    if name.startswith("int_"):
        return "int_ models belong in models/intermediate/"
    if len(folders) > 1 and folders[1] == "core":
        return None if name.startswith(("dim_", "fct_")) else "core marts are named dim_/fct_"
    if name.startswith(("dim_", "fct_")):
        return "dim_/fct_ models belong in models/marts/core/"
    if len(folders) < 2:
        return "marts live in models/marts/core/ or models/marts/<area>/"
    return None


def test_model_names_match_their_folders(manifest: Manifest) -> None:
    offenders = [
        f"{node['name']} ({node['original_file_path']}): {problem}"
        for node in models(manifest)
        if (problem := naming_problem(node))
    ]
    assert not offenders, offenders_message("name does not match folder", offenders)


def test_every_mart_has_an_enforced_contract_set_once_for_the_folder(manifest: Manifest) -> None:
    marts = [node for node in models(manifest) if layer(node) == "marts"]
    assert marts
    unenforced = [node["name"] for node in marts if not node["config"]["contract"]["enforced"]]
    assert not unenforced, offenders_message("marts with an enforced contract", unenforced)
    # Set in dbt_project.yml for the folder, not repeated per model in the YAML files.
    repeated = [
        str(path.relative_to(PROJECT_DIR))
        for path in sorted((PROJECT_DIR / "models").rglob("*.yml"))
        if "contract:" in path.read_text()
    ]
    assert not repeated, offenders_message("contracts configured only in dbt_project.yml", repeated)


def declared_arguments(macro: dict[str, Any]) -> list[str]:
    """The argument names of a macro's or generic test's own signature."""
    if macro["name"].startswith("materialization_"):
        return []
    found = re.search(r"\{%-?\s*(?:macro|test)\s+\w+\((.*?)\)\s*-?%\}", macro["macro_sql"], re.S)
    assert found, macro["name"]
    return [arg.split("=")[0].strip() for arg in found.group(1).split(",") if arg.strip()]


def undocumented(macro: dict[str, Any]) -> str | None:
    described = [arg["name"] for arg in macro["arguments"] if arg["description"]]
    if macro["description"] and described == declared_arguments(macro):
        return None
    return f"{macro['name']}: arguments {declared_arguments(macro)}, described {described}"


def project_macros(manifest: Manifest) -> list[dict[str, Any]]:
    found = [macro for macro in manifest["macros"].values() if macro["package_name"] == "lakehouse"]
    return sorted(found, key=lambda macro: macro["name"])


def test_generic_tests_live_in_tests_generic_and_are_documented(manifest: Manifest) -> None:
    generic = [macro for macro in project_macros(manifest) if macro["name"].startswith("test_")]
    assert generic
    offenders = [
        f"{macro['name']}: in {macro['original_file_path']}"
        for macro in generic
        if not macro["original_file_path"].startswith("tests/generic/")
    ]
    offenders += [problem for macro in generic if (problem := undocumented(macro))]
    assert not offenders, offenders_message("documented generic tests in tests/generic", offenders)


def test_every_macro_is_documented_with_its_arguments(manifest: Manifest) -> None:
    offenders = [problem for macro in project_macros(manifest) if (problem := undocumented(macro))]
    assert not offenders, offenders_message("documented macros", offenders)


# Macros dbt itself calls: adapter dispatch and schema overrides, materializations, generic tests,
# the on-run-start hook; and operations run with `dbt run-operation`.
ENTRY_POINTS = ("generate_schema_name", "register_bronze_sources", "drop_environment_schemas")


def test_no_helper_macro_is_used_only_once(manifest: Manifest) -> None:
    """A helper with a single use is inlined where it is used (a named CTE column or a comment
    says what it does); a macro earns its name by being shared."""
    sql = "\n".join(
        path.read_text()
        for folder in ("models", "macros", "tests", "materializations", "analyses", "snapshots")
        for path in sorted((PROJECT_DIR / folder).rglob("*.sql"))
    )
    sql += (PROJECT_DIR / "dbt_project.yml").read_text()
    offenders = []
    for macro in project_macros(manifest):
        name = macro["name"]
        if name in ENTRY_POINTS or name.startswith(("test_", "materialization_", "spark__")):
            continue
        uses = len(re.findall(rf"\b{name}\(", sql)) - 1  # minus its own definition
        if uses < 2:
            offenders.append(f"{name}: used {uses} time(s)")
    assert not offenders, offenders_message("helper macros used more than once", offenders)
