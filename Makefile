# Caffe2 Studio: the two commands a newcomer needs are `make run` and `make test`.
# Both go through `make setup`, which is idempotent: it installs missing Debian
# packages, creates .venv with Python 3.11, installs the pinned CPU torch first
# (a bare `torch` requirement would pull GBs of CUDA wheels) and then the project.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.setup-stamp
ARGS ?=
PYTEST_ARGS ?=
DEFAULT_MODEL := $(HOME)/.cache/caffe2-studio/models/efficientnet-lite0

# Debian packages: Graphviz (layout), Qt's runtime libraries, Xvfb and fonts for
# real windows and screenshots, Chromium for the Netron browser test.
DEB_PKGS := graphviz xvfb xauth fonts-dejavu-core chromium desktop-file-utils \
  libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 \
  libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 \
  libxrender1 libxi6

.PHONY: setup system-deps run test imports lint bench clean default-model dist bundle screenshots gpu-check

setup: system-deps $(STAMP)

system-deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[dev]"
	@touch $(STAMP)

default-model: setup
	@test -f $(DEFAULT_MODEL)/predict_net.pb || $(VENV)/bin/c2core zoo build efficientnet-lite0 -o $(DEFAULT_MODEL)

run: setup default-model
	C2STUDIO_DEFAULT_MODEL=$(DEFAULT_MODEL) $(VENV)/bin/c2studio $(ARGS)

# Layer contracts (import-linter, pyproject [tool.importlinter]) and ruff
# (pyproject [tool.ruff]) gate the tests: `make test` runs `make lint` first.
imports: setup
	$(VENV)/bin/lint-imports

lint: imports
	$(VENV)/bin/ruff check c2core app tests bench

# The default model is built once (cached); tests reuse it instead of
# building their own copy.
test: setup lint default-model
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest $(PYTEST_ARGS)

# Real TensorRT on a machine with an NVIDIA GPU: installs the [tensorrt] extra (tensorrt +
# cuda-python), builds FP32/FP16/INT8 plans of the default model, checks parity, benchmarks,
# and writes gpu-check-report/tensorrt-check.{json,txt}. Exit 77 (skipped) where there is no GPU.
gpu-check: setup default-model
	$(PY) -m pip install -q -e ".[tensorrt]"
	C2STUDIO_DEFAULT_MODEL=$(DEFAULT_MODEL) $(PY) tests/gpu/run_tensorrt_check.py --out gpu-check-report $(ARGS)

# Refresh the screenshots in docs/ (real windows under Xvfb).
screenshots: setup default-model
	C2STUDIO_SCREENSHOT_DIR=docs/screenshots QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -q tests/app/test_app_screenshots.py

bench: setup
	$(PY) -m bench

dist: setup
	$(PY) -m build --outdir dist .
	$(VENV)/bin/twine check dist/*

clean:
	rm -rf build dist *.egg-info .pytest_cache

bundle: setup
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller packaging/pyinstaller/c2studio.spec
