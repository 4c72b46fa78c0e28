"""``cge view``: the results browser, in a real headless Chromium (``tests/browser.py``) and without.

The browser tests read the golden library results (37 scenarios on the shipped SAM, so the
USMCA and commodity groups apply) and compare every number the page shows, and every number it
exports, with the netCDF file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import selectors
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from browser import SETTLED, TIMEOUT, Browser, choose, choose_variable, click_heading, require_chromium
from processes import cge, env, wait_for
from typer.testing import CliRunner

from cge.cli import app
from cge.report.browser import make_server, page_html, view_dataset, view_index
from cge.report.browser.data import all_values, variable_values
from cge.report.selection import ReportError
from cge.results_file import FORMAT_ATTR, RESULTS_FORMAT

LIBRARY = Path(__file__).resolve().parent / "golden" / "library.nc"
"""The golden library results, split by shock group (``subtotal``)."""


def _totals(source: Path) -> Path:
    """``source``'s totals (no ``subtotal`` dim) as ``library.nc`` in a directory of this process."""
    path = Path(tempfile.mkdtemp(prefix="cge_view_")) / "library.nc"
    with xr.open_dataset(source, engine="h5netcdf") as ds:
        ds.sel(subtotal="total", drop=True).load().to_netcdf(path, engine="h5netcdf")
    return path


GOLDEN = _totals(LIBRARY)
"""The library's totals: what the browser tests compare numbers with (subtotals: their own test)."""
runner = CliRunner()


@pytest.fixture(scope="module")
def golden() -> xr.Dataset:
    return xr.load_dataset(GOLDEN, engine="h5netcdf")


# ------------------------------------------------------------------------------ the page's data


def gtap_like() -> xr.Dataset:
    """A results file that is not cge's: GTAP set names as dims, GEMPACK variable names."""
    reg, comm = ["usa", "mex", "row"], ["crops", "mnfc"]
    return xr.Dataset(
        {
            "qo": (("COMM", "REG"), np.arange(6.0).reshape(2, 3), {"long_name": "output", "units": "percent"}),
            "EV": (("REG",), [1.5, np.nan, np.inf], {"long_name": "equivalent variation", "units": "US$ million"}),
            "flag": (("REG",), [True, False, True]),
            "label": (("REG",), ["a", "b", "c"]),
        },
        coords={"REG": reg, "COMM": comm},
    )


def test_view_index_describes_any_labelled_netcdf():
    ds = gtap_like()
    index = view_index(view_dataset([ds], ["gtap.nc"]), ["gtap.nc"])
    assert [v["name"] for v in index["variables"]] == ["qo", "EV"]  # numbers only: no booleans, no text
    qo = index["variables"][0]
    assert (qo["long_name"], qo["units"], qo["dims"], qo["shape"]) == ("output", "percent", ["COMM", "REG"], [2, 3])
    assert index["dims"]["REG"]["labels"] == ["usa", "mex", "row"]
    assert not any(index["dims"]["REG"]["group"])  # the groups file names region/commodity, not REG
    assert index["scenario_dim"] is None and index["notes"] == ""  # no cge provenance to cite


def test_variable_values_keep_every_digit_and_mark_missing():
    ds = gtap_like()
    assert variable_values(ds, "EV") == [1.5, None, "Infinity"]
    values = variable_values(ds, "qo")
    assert values == ds["qo"].values.ravel().tolist()
    with pytest.raises(KeyError, match="label"):
        variable_values(ds, "label")


def test_view_dataset_adds_groups_with_their_rules(golden):
    ds = view_dataset([golden], ["library.nc"])
    usmca = ds["ev"].sel(region="USMCA")
    assert np.allclose(usmca, golden["ev"].sel(region=["USA", "MEX", "CAN"]).sum("region"))
    assert bool(ds["region_is_group"].sel(region="USMCA"))
    index = view_index(ds, ["library.nc"])
    assert index["reference"] == "baseline"
    assert "USMCA" in index["dims"]["region"]["descriptions"]
    rules = {v["name"]: v["rule"] for v in index["variables"]}
    assert (rules["real_gdp"], rules["real_gdp_pct"], rules["ev"]) == ("level", "ratio", "none")


def _split(golden: xr.Dataset, tmp_path: Path) -> list[Path]:
    names = [str(s) for s in golden.scenario.values]
    paths = []
    for k, part in enumerate((names[:20], ["baseline", *names[20:]])):
        path = tmp_path / f"part{k}.nc"
        golden.sel(scenario=part).to_netcdf(path, engine="h5netcdf")
        paths.append(path)
    return paths


def test_several_files_are_stacked_and_mixed_references_refused(golden, tmp_path):
    first, second = _split(golden, tmp_path)
    parts = [xr.load_dataset(p) for p in (first, second)]
    ds = view_dataset(parts, ["part0.nc", "part1.nc"])
    assert [str(s) for s in ds.scenario.values] == [str(s) for s in golden.scenario.values]
    parts[1].attrs["reference_scenario"] = "tariff25"
    with pytest.raises(ReportError, match=r"part0.nc is measured against 'benchmark' and part1.nc against 'tariff25'"):
        view_dataset(parts, ["part0.nc", "part1.nc"])


def test_sweep_summaries_get_group_subtotals(golden):
    from cge.sweep.statistics import summarize

    base = golden[["ev", "real_gdp", "real_gdp_pct"]].sel(scenario=["baseline", "tariff25"])
    draws = xr.concat([base * f for f in (0.9, 1.0, 1.2)], dim="draw").assign_coords(draw=[0, 1, 2])
    weight = xr.DataArray([0.25, 0.5, 0.25], dims="draw", coords={"draw": [0, 1, 2]})
    sweep = draws.assign(summarize(draws, weight, "quadrature")).assign(weight=weight)
    sweep.attrs.update(golden.attrs, method="quadrature")
    ds = view_dataset([sweep], ["sweep.nc"])
    members = ds["ev_mean"].sel(region=["USA", "MEX", "CAN"]).sum("region")
    assert np.allclose(ds["ev_mean"].sel(region="USMCA"), members)  # recomputed from the draws' subtotals
    assert "draw" in view_index(ds, ["sweep.nc"])["dims"]


# ------------------------------------------------------------------------------ page and server


def test_page_policy_allows_only_its_own_script_and_style(golden):
    ds = view_dataset([golden], ["library.nc"])
    index = view_index(ds, ["library.nc"])
    for page, connect in ((page_html(index), "'self'"), (page_html(index, all_values(ds)), "'none'")):
        policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)[1].replace("&#x27;", "'")
        script = re.search(r"<script>(.*?)</script>", page, re.S)[1]
        style = re.search(r"<style>(.*?)</style>", page, re.S)[1]
        for text, directive in ((script, "script-src"), (style, "style-src")):
            digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
            assert f"{directive} 'sha256-{digest}'" in policy
        assert "default-src 'none'" in policy and f"connect-src {connect}" in policy
        assert not re.search(r"(src|href)=\"(?!data:)", page)  # nothing loaded from anywhere


def test_page_data_cannot_close_its_script_element():
    ds = gtap_like().assign_coords(REG=["</script><script>alert(1)</script>", "<!--", "&amp;"])
    index = view_index(ds, ["<b>file</b>.nc"])
    page = page_html(index, all_values(ds))
    assert page.count("</script>") == 2  # the data element's and the script's own
    assert "<title>cge view: &lt;b&gt;file&lt;/b&gt;.nc</title>" in page
    data = re.search(r'<script id="cge-data" type="application/json">(.*?)</script>', page, re.S)[1]
    assert json.loads(data)["index"]["dims"]["REG"]["labels"][0] == "</script><script>alert(1)</script>"


def _get(url: str, host: str | None = None) -> tuple[int, bytes, dict]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def test_server_answers_page_and_data_on_localhost_only(golden):
    import threading

    ds = view_dataset([golden], ["library.nc"])
    server = make_server(ds, view_index(ds, ["library.nc"]))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert server.server_address[0] == "127.0.0.1"
        status, body, headers = _get(server.url)
        assert status == 200 and b'id="cge-data"' in body and headers["X-Content-Type-Options"] == "nosniff"
        status, body, _ = _get(server.url + "data/real_gdp_pct.json")
        assert status == 200 and json.loads(body) == ds["real_gdp_pct"].values.ravel().tolist()
        assert _get(server.url + "data/nothing.json")[0] == 404
        assert _get(server.url + "../etc/passwd")[0] == 404
        assert _get(server.url, host=f"evil.example:{server.server_port}")[0] == 403
    finally:
        server.shutdown()
        server.server_close()


def test_cli_view_errors_are_one_line_and_write_nothing(tmp_path):
    out = tmp_path / "page.html"
    cases = [
        (["view", str(tmp_path / "missing.nc"), "--html", str(out)], "results file not found"),
        (["view", str(GOLDEN), "--html", str(GOLDEN)], "library.nc"),
        (["view", str(GOLDEN), "--html", str(out), "--port", "8080"], "--port has no use with --html"),
    ]
    for args, text in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and text in lines[0]
        assert not out.exists()
    assert GOLDEN.stat().st_size > 0


def test_cli_view_names_a_port_in_use():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["view", str(GOLDEN), "--port", str(port), "--no-browser"])
    assert result.exit_code == 1
    assert result.output.strip() == f"error: cannot serve on 127.0.0.1:{port}: Address already in use"


# ------------------------------------------------------------------------------ in the browser

TABLE = """(() => {
  const clean = (t) => t.replace(/ [\\u25B2\\u25BC]$/, "");
  const heads = [...document.querySelectorAll("#grid thead th")].map((th) => clean(th.textContent));
  const rows = [...document.querySelectorAll("#grid tbody tr")].map((tr) => ({
    label: tr.querySelector("th").textContent,
    group: tr.querySelector("th").classList.contains("group"),
    texts: [...tr.querySelectorAll("td")].map((td) => td.textContent),
    values: [...tr.querySelectorAll("td")].map((td) => td.dataset.value),
  }));
  return {caption: document.getElementById("caption").textContent, columns: heads.slice(1), rows,
          message: document.getElementById("message").textContent};
})()"""


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    downloads = tmp_path_factory.mktemp("downloads")
    with Browser(require_chromium()) as browser:
        browser.allow_downloads(downloads)
        browser.downloads = downloads
        yield browser


@pytest.fixture(scope="module")
def served():
    """``cge view library.nc --no-browser`` in its own process; the address it prints."""
    proc = cge("view", GOLDEN, "--no-browser", env=env())
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            ready = sel.select(TIMEOUT)
        line = proc.stdout.readline() if ready else ""
        match = re.fullmatch(r"cge view: \d+ variables at (http://127\.0\.0\.1:\d+/) \(Ctrl-C to stop\)\n", line)
        assert match, f"no address line: {line!r} {proc.poll()}"
        yield match[1]
    finally:
        proc.terminate()
        proc.communicate(timeout=TIMEOUT)


def shown(page) -> dict:
    return page.evaluate(TABLE)


def assert_cell(text: str, value: str, expected: float, decimals: int = 3) -> None:
    assert float(value) == expected  # the page holds the file's number, every digit
    assert abs(float(text.replace(",", "")) - expected) <= 0.5 * 10**-decimals + 1e-12


def pivot(page, url: str, variable: str, rows: str, columns: str) -> None:
    """Open the page at ``url`` and show ``variable`` with ``rows`` x ``columns``."""
    page.open(url)
    choose_variable(page, variable)
    choose(page, "#row-dim", rows)
    choose(page, "#col-dim", columns)


@pytest.fixture
def page(chromium):
    tab = chromium.new_page()
    yield tab
    tab.close()


def test_browser_shows_the_numbers_of_the_file(page, served, golden):
    pivot(page, served, "output_pct", "commodity", "region")
    choose(page, "#fixed-dims select[data-dim=scenario]", "tariff25")
    table = shown(page)
    assert table["caption"].startswith("output_pct [percent]; scenario = tariff25")
    regions = [str(r) for r in golden.region.values]
    assert table["columns"] == [*regions, "USMCA", "world"]
    members = [row for row in table["rows"] if not row["group"]]
    assert [row["label"] for row in members] == [str(c) for c in golden.commodity.values]
    for row in members:
        for j, region in enumerate(regions):
            expected = float(golden["output_pct"].sel(scenario="tariff25", region=region, commodity=row["label"]))
            assert_cell(row["texts"][j], row["values"][j], expected)
    assert [row["label"] for row in table["rows"] if row["group"]] == ["goods", "services", "agri-food"]
    # a % change summed over regions needs the output levels, which this file lacks: empty, and said so
    assert all(row["values"][len(regions)] == "" for row in table["rows"])
    assert "not defined" in table["message"]
    # a sum over regions (EV) is shown for the USMCA group
    choose_variable(page, "ev")
    table = shown(page)
    assert table["columns"][-2:] == ["USMCA", "world"]
    row = next(r for r in table["rows"] if r["label"] == "tariff25")
    usmca = float(golden["ev"].sel(scenario="tariff25", region=["USA", "MEX", "CAN"]).sum())
    assert float(row["values"][-2]) == pytest.approx(usmca, rel=1e-12)


def test_browser_compares_scenarios(page, served, golden):
    pivot(page, served, "real_gdp_pct", "scenario", "region")
    choose(page, "#mode", "difference from")
    choose(page, "#reference", "termination")
    x, ref = golden["real_gdp_pct"], golden["real_gdp_pct"].sel(scenario="termination")
    table = shown(page)
    assert "difference from 'termination' [percentage points]" in table["caption"]
    for row in table["rows"]:
        for j, region in enumerate(golden.region.values):
            expected = float(x.sel(scenario=row["label"], region=region) - ref.sel(region=region))
            assert float(row["values"][j]) == pytest.approx(expected, abs=1e-12)
    choose(page, "#mode", "% change from")
    table = shown(page)
    for row in table["rows"]:
        for j, region in enumerate(golden.region.values):
            a, r = float(x.sel(scenario=row["label"], region=region)), float(ref.sel(region=region))
            assert_cell(row["texts"][j], row["values"][j] or "nan", 100 * ((1 + a / 100) / (1 + r / 100) - 1))
    choose_variable(page, "real_gdp")  # a level: 100 (x / r - 1)
    table = shown(page)
    level, base = golden["real_gdp"], golden["real_gdp"].sel(scenario="termination")
    row = next(r for r in table["rows"] if r["label"] == "tariff25")
    expected = 100 * (level.sel(scenario="tariff25") / base - 1)
    assert np.allclose([float(v) for v in row["values"][:5]], expected.values, rtol=1e-12, atol=1e-12)
    choose_variable(page, "ev")  # a change: no % change of it, and the page says so
    table = shown(page)
    assert "% change is not defined for ev" in table["message"]
    row = next(r for r in table["rows"] if r["label"] == "tariff25")
    assert float(row["values"][0]) == float(golden["ev"].sel(scenario="tariff25", region="USA"))


def test_browser_sorts_by_a_column(page, served, golden):
    pivot(page, served, "real_gdp_pct", "scenario", "region")
    click_heading(page, "MEX")
    table = shown(page)
    values = [float(row["values"][1]) for row in table["rows"]]
    assert values == sorted(values, reverse=True)
    assert {row["label"] for row in table["rows"]} == {str(s) for s in golden.scenario.values}
    click_heading(page, "MEX")
    assert [float(row["values"][1]) for row in shown(page)["rows"]] == sorted(values)


def _download(chromium, page, name: str) -> pd.DataFrame:
    target = chromium.downloads / name
    target.unlink(missing_ok=True)
    page.evaluate("document.getElementById('export').click()")
    page.wait_for(SETTLED)
    wait_for(lambda: target.exists() and target.stat().st_size > 0, TIMEOUT, f"the download {target}")
    return pd.read_csv(target, index_col=0)


def test_browser_exports_the_view_as_csv(page, chromium, served, golden):
    pivot(page, served, "agrifood_exports", "exporter", "importer")
    choose(page, "#fixed-dims select[data-dim=scenario]", "tariff25_retaliation")
    frame = _download(chromium, page, "agrifood_exports.csv")
    assert frame.index.name == "exporter"
    regions = [str(r) for r in golden.region.values]
    assert list(frame.columns) == [*regions, "USMCA", "world"]
    assert list(frame.index) == [*regions, "USMCA", "world"]
    expected = golden["agrifood_exports"].sel(scenario="tariff25_retaliation").transpose("exporter", "importer")
    assert np.array_equal(frame.iloc[:-2, :-2].to_numpy(), expected.values)  # every digit
    usmca = expected.sel(exporter=["USA", "MEX", "CAN"]).sum("exporter")
    assert np.allclose(frame.loc["USMCA"].iloc[:-2], usmca.values, rtol=1e-12)


def test_served_page_requests_nothing_but_its_server(page, served):
    page.open(served)
    for name in ("real_gdp_pct", "agrifood_exports", "ev_decomposition"):
        choose_variable(page, name)
    requests = page.requests()
    assert any("/data/agrifood_exports.json" in url for url in requests)
    assert all(url.startswith(served) for url in requests), requests


def test_html_file_is_self_contained(page, chromium, golden, tmp_path):
    first, second = _split(golden, tmp_path)
    out = tmp_path / "view.html"
    result = runner.invoke(app, ["view", str(first), str(second), "--html", str(out)])
    assert result.exit_code == 0, result.output
    pivot(page, out.as_uri(), "terms_of_trade_pct", "region", "scenario")
    table = shown(page)
    assert table["columns"] == [str(s) for s in golden.scenario.values]  # both files, one baseline
    usa = next(row for row in table["rows"] if row["label"] == "USA")
    for j, scenario in enumerate(golden.scenario.values):
        expected = float(golden["terms_of_trade_pct"].sel(scenario=scenario, region="USA"))
        assert_cell(usa["texts"][j], usa["values"][j], expected)
    _download(chromium, page, "terms_of_trade_pct.csv")
    assert page.requests() == [out.as_uri()]  # the file itself; the CSV comes from memory


def test_hostile_labels_are_shown_as_text(page, chromium, tmp_path):
    hostile = '<img src=x onerror="window.pwned=1">'
    script = "</script><script>window.pwned=2</script>"
    ds = xr.Dataset(
        {
            "x": (
                ("scenario", "region"),
                [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
                {"long_name": "<b>bold</b>", "units": "<i>u</i>"},
            )
        },
        coords={"scenario": ["baseline", hostile], "region": ["A", script, "=1+1"]},
        attrs={FORMAT_ATTR: RESULTS_FORMAT},
    )
    source = tmp_path / "r.nc"
    ds.to_netcdf(source, engine="h5netcdf")
    out = tmp_path / "hostile.html"
    assert runner.invoke(app, ["view", str(source), "--html", str(out)]).exit_code == 0
    page.open(out.as_uri())
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.evaluate("document.querySelectorAll('img, b, i, #grid script').length") == 0
    table = shown(page)
    assert [row["label"] for row in table["rows"]] == ["A", script, "=1+1", "world"]  # world: all regions
    assert table["columns"] == ["baseline", hostile]
    assert page.evaluate("document.querySelector('.var-long').textContent") == "<b>bold</b>"
    frame = _download(chromium, page, "x.csv")  # quoted where needed; no label read as a formula
    assert list(frame.index) == ["A", script, "'=1+1", "world"] and list(frame.columns) == ["baseline", hostile]
    assert frame.to_numpy()[:3].tolist() == [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]
    assert frame.loc["world"].isna().all()  # 'x' has no aggregate rule: no subtotal, an empty cell


def test_browser_tests_fail_under_ci_without_chromium(monkeypatch):
    import browser

    def cannot() -> str:
        raise RuntimeError("no apt-get here")

    monkeypatch.setattr(browser, "chromium_path", lambda: None)
    monkeypatch.setattr(browser, "install_chromium", cannot)
    monkeypatch.setenv("CGE_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="the browser tests need Chromium: no apt-get here"):
        browser.require_chromium()
    monkeypatch.delenv("CGE_REQUIRE_BROWSER")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no Chromium: no apt-get here"):
        browser.require_chromium()


def test_gtap_results_with_subtotals_in_the_browser(page, tmp_path):
    """GEMPACK names on GTAP sets and a ``subtotal`` dim (results decomposed by shock group)."""
    subtotals = ["tariffs", "retaliation", "total"]
    qgdp = np.array([[[-0.2, -0.1, -0.3], [0.4, -0.6, -0.2]], [[-0.5, 0.1, -0.4], [0.0, 0.2, 0.2]]])
    ds = xr.Dataset(
        {
            "qgdp": (
                ("scenario", "REG", "subtotal"),
                qgdp,
                {"long_name": "real GDP", "units": "percent", "gtap": "qgdp"},
            )
        },
        coords={"scenario": ["usmca_end", "tariff25"], "REG": ["usa", "mex"], "subtotal": subtotals},
        attrs={FORMAT_ATTR: RESULTS_FORMAT},
    )
    source = tmp_path / "gtap.nc"
    ds.to_netcdf(source, engine="h5netcdf")
    out = tmp_path / "gtap.html"
    assert runner.invoke(app, ["view", str(source), "--html", str(out)]).exit_code == 0
    page.open(out.as_uri())
    table = shown(page)
    assert table["columns"] == subtotals  # a subtotal dim goes to the columns
    assert [row["label"] for row in table["rows"]] == ["usa", "mex"]  # no groups on REG
    assert table["caption"] == "qgdp [percent]; scenario = tariff25"  # the first scenario is the reference
    assert [float(v) for v in table["rows"][1]["values"]] == qgdp[1, 1].tolist()
    choose(page, "#mode", "difference from")
    mex = [float(v) for v in shown(page)["rows"][1]["values"]]
    assert mex == pytest.approx((qgdp[1, 1] - qgdp[0, 1]).tolist(), abs=1e-15)


def test_a_gtap_run_opens_in_the_viewer(tmp_path):
    """What ``cge gtap run`` writes (GEMPACK names on GTAP sets) is a results file the viewer reads."""
    database = tmp_path / "db"
    assert (
        runner.invoke(app, ["gtap", "synthetic", str(database), "--regions", "2", "--commodities", "3"]).exit_code == 0
    )
    result = runner.invoke(app, ["gtap", "run", str(database), "--shock", "tm=5", "--out", str(tmp_path / "r.nc")])
    assert result.exit_code == 0, result.output
    out = tmp_path / "r.html"
    shown_ = runner.invoke(app, ["view", str(tmp_path / "r.nc"), "--html", str(out)])
    assert shown_.exit_code == 0, shown_.output
    assert "qgdp" in out.read_text(encoding="utf-8")
