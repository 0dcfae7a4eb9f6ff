# Every target sets up .venv by itself when it is missing or stale, so a fresh clone needs only
# `make lab` (students) or `make test` (CI, developers).
PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
STAMP  := $(VENV)/.installed
# nbgrader shells out to `alembic`, so the venv's bin/ must be on PATH for every target.
export PATH := $(BIN):$(PATH)
# jupyter refuses to start as root without this flag (CI runs as root).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup lab check test test-portable test-lowest lowest-env course release grade feedback browser-test lint doctor clean bench spread

setup: $(STAMP)

# torch==2.13.0 goes in first: with it present, pyproject's torch range installs nothing more
# (letting pip resolve torch on its own would pull a multi-GB CUDA build onto a CPU machine).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# LAB_ARGS passes extra options, e.g. LAB_ARGS="--no-browser --port 8899".
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=. $(ROOT_FLAG) $(LAB_ARGS)

# Two pytest-xdist workers (the machine has 2 cores; torch runs on one thread). Tests that share
# machine-wide state are kept together on one worker (xdist groups, tests/conftest.py).
PYTEST_PARALLEL := -n 2 --dist loadgroup

# The browser suite needs Debian's chromium: installed here when missing (as root), or skipped
# only when AEUTILS_SKIP_BROWSER=1.
test: $(STAMP)
	$(if $(filter 1,$(AEUTILS_SKIP_BROWSER)),,tools/install_browser.sh)
	tools/install_hub.sh
	tools/install_sandbox.sh
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) --durations=25

# The everyday loop, under 5 minutes on 2 cores: lint, then every test but the notebook
# executions and the lectures' numbers (tests/lectures: test_lectures, test_try_this*,
# test_science), the grading batches (tests/instructor, the device check, the Colab cell's release
# check), the browser, the hub and the website. `make test` stays the CI command.
CHECK_SKIP := --ignore=tests/instructor --ignore=tests/browser --ignore=tests/hub --ignore=tests/site \
  --ignore-glob='tests/lectures/test_try_this*.py' --ignore=tests/lectures/test_science.py \
  --ignore=tests/lectures/test_lectures.py --ignore=tests/tools/test_device_check.py --ignore=tests/tools/test_colab_cell.py
check: lint
	AEUTILS_SKIP_BROWSER=1 $(BIN)/python -m pytest $(PYTEST_PARALLEL) --durations=10 $(CHECK_SKIP)

# The number-checking tests once more with other CPU kernels (tests/spread.py: ATen's, MKL's and
# oneDNN's kernels limited to AVX2, and MKL's compatible code path): the "Try this" answers, the
# science checks, every lecture headless and each assignment's solution and release through
# `aeutils grade`. A number that holds only with this machine's kernels fails here, whichever CPU
# the machine has (an AMD CPU's MKL already takes its AVX2 path: the compatible path still differs).
PORTABLE_KERNELS = $(shell $(PYTHON) tests/spread.py portable)
PORTABLE_TESTS := tests/lectures/test_try_this*.py tests/lectures/test_science.py \
  tests/lectures/test_lectures.py::test_lecture_runs_headless_with_figures_and_widgets \
  tests/instructor/test_real_assignments.py::test_solution_full_points_and_release_zero
test-portable: $(STAMP)
	tools/install_sandbox.sh
	env $(PORTABLE_KERNELS) AEUTILS_SKIP_BROWSER=1 AEUTILS_GRADE_MUTANTS=0 \
	  $(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_PARALLEL) --durations=10 $(PORTABLE_TESTS)

# How the numbers spread over seeds 0-4 and both kernel settings (not part of `make test`, about
# half an hour): what a range in a lecture's text must cover (tools/spread.py; SPREAD_ARGS passes
# options, e.g. SPREAD_ARGS="--lectures 02_control").
spread: $(STAMP)
	$(BIN)/python tools/spread.py $(SPREAD_ARGS)

# The lowest versions pyproject.toml allows, in their own .venv-lowest: the library tests (not the
# slow grading/browser/hub ones, nor the "Try this" answers, which check notebook text against
# numbers, not library versions) and lecture 03 headless (the one that depends most on
# scikit-learn), in one parallel run.
LOWEST       := .venv-lowest
LOWEST_STAMP := $(LOWEST)/.installed
$(LOWEST_STAMP): pyproject.toml tools/lowest_constraints.py
	test -x $(LOWEST)/bin/python || $(PYTHON) -m venv $(LOWEST)
	$(LOWEST)/bin/python -m pip install --quiet --upgrade pip
	$(LOWEST)/bin/python -m pip install --quiet torch==2.13.0
	$(LOWEST)/bin/python tools/lowest_constraints.py > $(LOWEST)/constraints.txt
	$(LOWEST)/bin/python -m pip install --quiet -e ".[dev]" -c $(LOWEST)/constraints.txt
	touch $(LOWEST_STAMP)

lowest-env: $(LOWEST_STAMP)

test-lowest: $(LOWEST_STAMP)
	$(LOWEST)/bin/python -m pip check
	PATH=$(abspath $(LOWEST))/bin:$$PATH $(LOWEST)/bin/python -m pytest -p no:cacheprovider \
	  $(PYTEST_PARALLEL) --durations=10 -m "not grading and not browser and not hub and not answers" \
	  -k "not test_lecture_runs_headless or 03_sparse" \
	  --deselect tests/tools/test_packaging.py::test_make_lab_starts_jupyterlab

course: $(STAMP)
	$(BIN)/python -m aeutils course --out build

doctor: $(STAMP)
	$(BIN)/aeutils doctor

# Course recipes vs a textbook PyTorch loop, course CPU time, grading overhead (not part of `make
# test`; several minutes). BENCH_ARGS=--skip-course leaves out executing every notebook.
bench: $(STAMP)
	$(BIN)/python tools/bench.py $(BENCH_ARGS)

# Instructors: ASSIGNMENT=<id> releases one (default: all); SUBMISSIONS=<folder> to grade
# (JOBS=N at a time, or SCHEDULER=tcp://HOST:8786 on a Dask cluster: docs/cluster.md).
release: $(STAMP)
	$(BIN)/aeutils release $(ASSIGNMENT)

grade: $(STAMP)
	$(BIN)/aeutils grade $(SUBMISSIONS) $(if $(JOBS),--jobs $(JOBS),) $(if $(SCHEDULER),--scheduler $(SCHEDULER),)

feedback: $(STAMP)
	$(BIN)/aeutils feedback $(ASSIGNMENT)

browser-test: $(STAMP)
	tools/install_browser.sh
	$(BIN)/python -m pytest tests/browser -m browser

lint: $(STAMP)
	$(BIN)/ruff check aeutils tests lectures assignments solutions

clean:
	rm -rf build .pytest_cache

# --- the website, Colab and the release (issue 21) ---
.PHONY: site site-test test-colab colab-env dist

# The site tools (the `site` extra) go into .venv on the first `make site`.
SITE_STAMP := $(VENV)/.site-installed
$(SITE_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,site]"
	touch $(SITE_STAMP)

# The course website in build/site/ (book/build.py): the executed lectures that the test suite
# left in build/lectures/ are reused, any other lecture is executed once.
site: $(SITE_STAMP)
	$(BIN)/python book/build.py

# Opens the built site in headless Chromium (tests/site/); CI runs it after `make site`.
site-test: $(STAMP)
	$(if $(filter 1,$(AEUTILS_SKIP_BROWSER)),,tools/install_browser.sh)
	AEUTILS_SITE_REQUIRED=1 $(BIN)/python -m pytest -p no:cacheprovider tests/site -m site

# The wheel and sdist on Colab's published versions, outside the repository
# (tools/colab_stack_check.sh; build/colab/).
test-colab: $(STAMP)
	tools/colab_stack_check.sh

# Only the stand-in for Colab's versions that test-colab installs the wheel into (build/colab/venv).
colab-env:
	tools/colab_env.sh

# A release's wheel and sdist in build/dist/ (docs/releasing.md).
dist: $(STAMP)
	rm -rf build/dist
	$(BIN)/python -m build --outdir build/dist .
