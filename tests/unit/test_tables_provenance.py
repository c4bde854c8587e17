import json

import numpy as np
import pandas as pd

from attachstats.output.provenance import collect_provenance, sha256, write_json
from attachstats.data.csvio import read_csv, write_csv
from attachstats.output.numbers import format_value
from attachstats.output.tables import to_html, to_markdown


def test_apa_number_style():
    assert format_value(0.0004, "p") == "< .001"
    assert format_value(0.0234, "p") == ".023"
    assert format_value(0.912345, "alpha") == ".91"
    assert format_value(-0.25, "std") == "\u2212.25"   # the minus sign U+2212
    assert format_value(12.3456, "b") == "12.35"
    assert format_value(-0.001, "b") == "\u22120.001"   # a small non-zero estimate gets a decimal more, not "0.00"
    assert format_value(-0.0001, "std") == ".00"
    assert format_value(0.0514, "rmsea") == ".051"
    assert format_value(3.0, "n") == "3"
    assert format_value(float("nan"), "b") == ""
    assert format_value(197931.94, "chi2") == "197,931.94"


def test_csv_roundtrip_is_stable_and_keeps_text(tmp_path):
    df = pd.DataFrame({"model": ["a", "NA"], "b": [1 / 3, np.nan], "n": [10, 20]})
    p1, p2 = tmp_path / "1.csv", tmp_path / "2.csv"
    write_csv(df, p1)
    write_csv(read_csv(p1), p2)
    assert p1.read_bytes() == p2.read_bytes()
    assert p1.read_text() == "model,b,n\na,0.3333333333333333,10\nNA,,20\n"     # full precision
    assert read_csv(p1)["model"].tolist() == ["a", "NA"]


def test_markdown_and_html():
    df = pd.DataFrame({"term": ["x<y"], "p": [0.5]})
    md = to_markdown(df, "regressions")
    assert md.splitlines()[2].startswith("*Outcome models") and "| x<y | .500 |" in md
    assert "x&lt;y" in to_html(df, "regressions")
    assert "(no rows)" in to_markdown(df.iloc[:0], "regressions")


def test_provenance_hashes_and_is_stable(tmp_path):
    f = tmp_path / "d.csv"
    f.write_bytes(b"abc")
    prov = collect_provenance({"name": "s"}, {"data": str(f)}, seed=7)
    assert prov["inputs"]["data"]["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert prov["seed"] == 7 and "numpy" in prov["packages"] and prov["python"]
    write_json(prov, tmp_path / "p1.json")
    write_json(collect_provenance({"name": "s"}, {"data": str(f)}, seed=7), tmp_path / "p2.json")
    assert (tmp_path / "p1.json").read_bytes() == (tmp_path / "p2.json").read_bytes()
    assert json.loads((tmp_path / "p1.json").read_text())["config"] == {"name": "s"}
    assert sha256(f) == prov["inputs"]["data"]["sha256"]


def test_csv_keeps_full_precision_and_reads_back_the_same_table(tmp_path):
    import numpy as np

    rng = np.random.default_rng(4)
    df = pd.DataFrame({"aic": [4748373.123456789, 1e-300, -0.1 - 0.2], "x": rng.normal(size=3) * 1e6,
                       "n": [1, 2, 3], "label": ["a", "NA", ""]})
    write_csv(df, tmp_path / "t.csv")
    back = read_csv(tmp_path / "t.csv")
    np.testing.assert_array_equal(back["aic"].to_numpy(), df["aic"].to_numpy())     # bit for bit
    np.testing.assert_array_equal(back["x"].to_numpy(), df["x"].to_numpy())
    assert "4748373.123456789" in (tmp_path / "t.csv").read_text()
    assert back["label"].tolist()[:2] == ["a", "NA"]
