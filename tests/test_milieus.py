"""Milieu sets: shipped data, affinities, user files and their errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from urbsim.common.errors import InputError
from urbsim.inputs import milieus


def test_shipped_sets():
    assert milieus.available() == ["vhw11", "vhw13"]
    m11, m13 = milieus.load("vhw11"), milieus.load("vhw13")
    assert len(m11) == 11 and len(m13) == 13
    assert m11.share.sum() == pytest.approx(1.0) and m13.share.sum() == pytest.approx(1.0)
    assert m11.share[m11.index("TRA")] == pytest.approx(0.15 / 0.99)
    assert {"BSTA", "BHAR", "TVER", "TBEW"} <= set(m13.codes) and "BÜM" not in m13.codes
    assert m11.turnout[m11.index("PRE")] == pytest.approx(0.589)
    assert m11.channel_fit.shape == (11, 5)


def test_affinity_is_graded_by_sinus_distance():
    m = milieus.load()
    a = m.affinity()
    assert np.allclose(np.diag(a), 1) and np.allclose(a, a.T)
    ket = m.index("KET")
    assert a[ket, m.index("LIB")] > a[ket, m.index("PRE")] > 0  # closer on the map, closer
    assert (a[ket] < 1).sum() == 10


def _write(tmp_path, text):
    p = tmp_path / "m.toml"
    p.write_text(text, encoding="utf-8")
    return p


ROW = """
[[milieu]]
code = "{code}"
name = "x"
share = {share}
values = 1
status = 1
turnout = 0.5
homophily = 1
tolerance = 0.3
diversity_pref = 0
status_pref = 0
amenity_pref = 0
rent_sensitivity = 1
mobility = 0.1
segment_pref = [0, 0, 0, 0]
channels = [0]
"""


def test_user_defined_set(tmp_path):
    p = _write(tmp_path, 'channels = ["print"]\n' + ROW.format(code="A", share=0.6)
               + ROW.format(code="B", share=0.4))
    m = milieus.load(p)
    assert m.codes == ("A", "B") and m.share.tolist() == [0.6, 0.4]


@pytest.mark.parametrize(("text", "key"), [
    ('channels = ["print"]\n' + ROW.format(code="A", share=0.5), "milieu.share"),
    ('channels = ["print"]\n' + ROW.format(code="A", share=0.5) + ROW.format(code="A", share=0.5),
     "milieu.code"),
    ('channels = ["print"]\n' + ROW.format(code="A", share=1.0).replace("mobility = 0.1",
                                                                       "mobility = 2"),
     "milieu[0].mobility"),
    ('channels = ["print"]\n' + ROW.format(code="A", share=1.0).replace("[0, 0, 0, 0]", "[0]"),
     "milieu[0].segment_pref"),
    ('channels = ["print"]\n' + ROW.format(code="A", share=1.0) + "colour = 1\n",
     "milieu[0].colour"),
    ("channels = [", "TOML syntax error"),
    ("", "milieu"),
])
def test_bad_milieu_files(tmp_path, text, key):
    p = _write(tmp_path, text)
    with pytest.raises(InputError) as e:
        milieus.load(p)
    assert str(p) in str(e.value) and key in str(e.value) and "\n" not in str(e.value)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(InputError, match="no such milieu set"):
        milieus.load(tmp_path / "nope.toml")
    b = tmp_path / "b.toml"
    b.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(InputError, match="UTF-8"):
        milieus.load(b)


def test_shipped_sets_are_parsed_once_and_user_files_every_time(tmp_path):
    from urbsim.inputs import milieus

    assert milieus.load("vhw11") is milieus.load("vhw11")
    text = (Path(milieus.__file__).parent / "data" / "milieus" / "vhw11.toml").read_text()
    f = tmp_path / "mine.toml"
    f.write_text(text, encoding="utf-8")
    first = milieus.load(f)
    assert milieus.load(f) is not first
