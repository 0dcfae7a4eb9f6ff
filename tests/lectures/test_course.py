"""`aeutils course` (what `make course` runs) on small fixture notebooks, so the real lectures are
executed only once, by tests/lectures/test_lectures.py."""

import nbformat

from aeutils import course


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nbformat.write(nb, path)


def test_course_runs_each_lecture_in_order_and_writes_notebook_and_html(tmp_path, capsys):
    lectures, out = tmp_path / "lectures", tmp_path / "build"
    lectures.mkdir()
    _notebook(lectures / "01_second.ipynb", "print('second')")
    _notebook(lectures / "00_first.ipynb", "from aeutils import viz\nimport torch",
              "viz.image_grid(torch.rand(4, 1, 8, 8))")
    _notebook(lectures / "notes.ipynb", "raise RuntimeError('not a lecture')")
    assert course.main(["--out", str(out), "--lectures", str(lectures)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("[1/2] 00_first.ipynb: ok in ") and lines[1].startswith("[2/2] 01_second")
    assert "2 of 2 lectures ran" in lines[2]
    executed = nbformat.read(out / "00_first.ipynb", as_version=4)
    assert "image/png" in executed.cells[1].outputs[0]["data"]  # a figure shows without pyplot
    assert "<img" in (out / "00_first.html").read_text()


def test_course_reports_a_failing_lecture_and_goes_on(tmp_path, capsys):
    lectures = tmp_path / "lectures"
    lectures.mkdir()
    _notebook(lectures / "00_broken.ipynb", "raise ValueError('injected')")
    _notebook(lectures / "01_fine.ipynb", "1 + 1")
    assert course.main(["--out", str(tmp_path / "b"), "--lectures", str(lectures)]) == 1
    out = capsys.readouterr().out
    assert "00_broken.ipynb: FAILED" in out and "01_fine.ipynb: ok" in out
    assert "1 of 2 lectures ran" in out


def test_course_with_no_matching_lecture_fails(tmp_path, capsys):
    assert course.main(["--lectures", str(tmp_path), "99_nothing"]) == 1
    assert "no lecture notebooks matched" in capsys.readouterr().err
