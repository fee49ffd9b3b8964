"""The docs site in a real browser: `dbt docs serve` on a free loopback port, opened in headless
Chromium (Debian's `chromium`, installed by scripts/setup-test.sh), must draw the lineage graph
with every model, seed, snapshot, source and exposure of the project. Screenshots land in
`test-output/`.

The lineage comes from the manifest alone, so the site is generated without Spark
(`dbt parse` + `dbt docs generate --no-compile --empty-catalog`); the catalog has its own test
(test_docs_catalog.py).

The graph is drawn by cytoscape.js on a canvas, so its node labels are not in the DOM: a small
probe page, served from the same origin as the docs, opens the docs in an iframe, waits for the
graph and writes what cytoscape drew (nodes, their rendered boxes, edges) into its own DOM,
which Chromium's `--dump-dom` prints.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dbt.cli.main import dbtRunner
from png_pixels import colour_counts, pixels

# dbt docs generate reads the warehouse through Spark.
pytestmark = pytest.mark.spark

PROJECT_DIR = Path(__file__).resolve().parents[2]
OUTPUT_DIR = PROJECT_DIR / "test-output"
DBT = Path(sys.executable).parent / "dbt"
OVERVIEW = "index.html#!/overview?g_v=1"
FACT = "model.lakehouse.fct_order_items"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
WINDOW = (1600, 1000)
# Share of a screenshot's pixels off the background colour that a drawn lineage graph exceeds.
DRAWN_SHARE = 0.03

PROBE = """<!doctype html>
<html><body style="margin:0">
<pre id="lineage-probe">waiting for the lineage graph</pre>
<iframe id="docs" src="%(page)s" style="width:%(width)dpx;height:%(height)dpx;border:0"></iframe>
<script>
function findGraph(doc) {
  var all = doc.querySelectorAll('*');
  for (var i = 0; i < all.length; i++) {
    if (all[i]._cyreg && all[i]._cyreg.cy) { return all[i]._cyreg.cy; }
  }
  return null;
}
function report(cy) {
  document.getElementById('lineage-probe').textContent = JSON.stringify({
    width: cy.width(),
    height: cy.height(),
    edges: cy.edges().map(function (edge) {
      return [edge.source().id(), edge.target().id()];
    }),
    nodes: cy.nodes().map(function (node) {
      var box = node.renderedBoundingBox();
      return {id: node.id(), label: node.data('label'), visible: node.visible(),
              x1: box.x1, y1: box.y1, x2: box.x2, y2: box.y2};
    })
  });
}
function probe() {
  try {
    var cy = findGraph(document.getElementById('docs').contentWindow.document);
    if (cy && cy.nodes().length) { setTimeout(function () { report(cy); }, 2000); return; }
  } catch (error) {
    document.getElementById('lineage-probe').textContent = 'error: ' + error;
  }
  setTimeout(probe, 250);
}
probe();
</script>
</body></html>
"""


def chromium() -> str:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "headless Chromium is needed for the docs test: `apt-get install chromium` "
        "(scripts/setup.sh does it when run as root)"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_chromium(args: list[str], profile: Path) -> str:
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",  # root in containers; the page is our own, on loopback
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        "--mute-audio",
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        # Virtual time: the page's timers and network run until the budget is used up.
        "--virtual-time-budget=30000",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def manifest_and_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    root = tmp_path_factory.mktemp("docs-browser")
    common = [
        *("--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)),
        *("--target", "prod"),  # the docs of production's tables
        *("--target-path", str(root / "target"), "--log-path", str(root / "logs"), "--quiet"),
    ]
    parsed = dbtRunner().invoke(["parse", *common])
    assert parsed.success, parsed.exception
    generated = dbtRunner().invoke(["docs", "generate", "--no-compile", "--empty-catalog", *common])
    assert generated.success, generated.exception
    target = root / "target"
    assert (target / "index.html").is_file() and (target / "manifest.json").is_file()
    return json.loads((target / "manifest.json").read_text()), target


@pytest.fixture(scope="module")
def docs_url(manifest_and_site: tuple[dict[str, Any], Path]) -> Iterator[str]:
    """`dbt docs serve` on 127.0.0.1 and a free port, for this module."""
    _manifest, target = manifest_and_site
    port = free_port()
    log = target.parent / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [
                str(DBT),
                *("docs", "serve", "--host", "127.0.0.1", "--port", str(port), "--no-browser"),
                *("--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)),
                *("--target-path", str(target), "--log-path", str(target.parent / "logs")),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, f"dbt docs serve exited:\n{log.read_text()}"
            try:
                with urllib.request.urlopen(url + "index.html", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert time.monotonic() < deadline, f"dbt docs serve did not answer:\n{log.read_text()}"
            time.sleep(1)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.fixture(scope="module")
def drawn_graph(
    manifest_and_site: tuple[dict[str, Any], Path],
    docs_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """What cytoscape drew in the lineage overview, read by the probe page in Chromium."""
    _manifest, target = manifest_and_site
    width, height = WINDOW[0] - 100, WINDOW[1] - 100
    (target / "lineage-probe.html").write_text(
        PROBE % {"page": OVERVIEW, "width": width, "height": height}
    )
    dom = run_chromium(
        ["--dump-dom", docs_url + "lineage-probe.html"], tmp_path_factory.mktemp("chromium")
    )
    found = re.search(r'<pre id="lineage-probe">(.*?)</pre>', dom, re.DOTALL)
    assert found, dom[:2000]
    text = html.unescape(found.group(1))
    assert text.startswith("{"), f"the lineage graph was not drawn: {text}"
    return json.loads(text)


def lineage_nodes(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The nodes the lineage graph must show: models, seeds, snapshots, sources and the
    exposures (the marts' BI consumers) where the lineage ends."""
    nodes = {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed", "snapshot")
        and node["config"].get("enabled", True)
    }
    return {**nodes, **manifest["sources"], **manifest["exposures"]}


def test_lineage_graph_shows_every_model_seed_snapshot_source_and_exposure(
    manifest_and_site: tuple[dict[str, Any], Path], drawn_graph: dict[str, Any]
) -> None:
    manifest, _target = manifest_and_site
    expected = lineage_nodes(manifest)
    assert "exposure.lakehouse.sales_overview_dashboard" in expected
    drawn = {node["id"]: node for node in drawn_graph["nodes"]}
    missing = sorted(set(expected) - set(drawn))
    assert not missing, f"not in the lineage graph: {missing}"

    offscreen = [
        unique_id
        for unique_id in expected
        if not drawn[unique_id]["visible"]
        or drawn[unique_id]["x2"] <= drawn[unique_id]["x1"]
        or drawn[unique_id]["x1"] < 0
        or drawn[unique_id]["y1"] < 0
        or drawn[unique_id]["x2"] > drawn_graph["width"]
        or drawn[unique_id]["y2"] > drawn_graph["height"]
    ]
    assert not offscreen, f"not drawn inside the graph's {drawn_graph['width']}px view: {offscreen}"
    labels = {unique_id: drawn[unique_id]["label"] for unique_id in expected}
    unlabelled = [
        unique_id
        for unique_id, node in expected.items()
        if node["name"] not in (labels[unique_id] or "")
    ]
    assert not unlabelled, unlabelled


def test_lineage_graph_draws_every_dependency(
    manifest_and_site: tuple[dict[str, Any], Path], drawn_graph: dict[str, Any]
) -> None:
    manifest, _target = manifest_and_site
    expected = lineage_nodes(manifest)
    dependencies = {
        (parent, child)
        for child, node in expected.items()
        for parent in node.get("depends_on", {}).get("nodes", [])
        if parent in expected
    }
    drawn = {tuple(edge) for edge in drawn_graph["edges"]}
    missing = sorted(dependencies - drawn)
    assert dependencies and not missing, f"dependencies not drawn: {missing}"


@pytest.mark.parametrize(
    ("page", "screenshot"),
    [
        (OVERVIEW, "docs-lineage-overview.png"),
        (
            f"index.html#!/model/{FACT}?g_v=1&g_i=%2Bfct_order_items%2B",
            "docs-lineage-fct_order_items.png",
        ),
    ],
)
def test_screenshot_of_the_lineage(
    docs_url: str, page: str, screenshot: str, tmp_path: Path
) -> None:
    OUTPUT_DIR.mkdir(exist_ok=True)
    path = OUTPUT_DIR / screenshot
    path.unlink(missing_ok=True)
    run_chromium([f"--screenshot={path}", docs_url + page], tmp_path / "chromium")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == WINDOW
    # What the page drew: a blank or error page is one background colour and a little text;
    # the lineage graph covers a good share of the window with coloured nodes and edges.
    _, _, rows = pixels(path)
    colours = colour_counts(rows)
    background, covered = colours.most_common(1)[0]
    drawn = 1 - covered / (width * height)
    assert drawn > DRAWN_SHARE, f"{path}: {drawn:.1%} drawn on the background {background.hex()}"
    node_colours = [c for c, n in colours.items() if n > 200 and max(c) - min(c) > 60]
    assert len(node_colours) >= 2, f"{path}: no coloured nodes ({len(colours)} colours)"
