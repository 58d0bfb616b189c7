# Every target creates .venv and installs what it needs on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test lint bench bench-orders bench-inventory bench-sourcing bench-store bench-webhooks bench-recommendations clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

dev: $(STAMP)
	$(BIN)/oms dev

# One pytest worker per core (TEST_WORKERS=0 runs in one process); a test file stays on one
# worker, so a file's shared fixtures are made once.
TEST_WORKERS ?= auto

test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: bench-orders bench-inventory bench-sourcing bench-store bench-webhooks bench-recommendations

bench-orders: $(STAMP)
	$(BIN)/python bench/orders.py --orders 200

# Needs a PostgreSQL server (OMS_BENCH_DATABASE_URL, default the local one): it makes a
# scratch database there and drops it afterwards.
bench-inventory: $(STAMP)
	$(BIN)/python bench/inventory.py

# The sourcing planner alone, pure Python: decision times and locations used per order.
bench-sourcing: $(STAMP)
	$(BIN)/python bench/sourcing.py

# Store work: building a pick wave from 2,000 open fulfilments (SQLite; --database-url for
# PostgreSQL).
bench-store: $(STAMP)
	$(BIN)/python bench/store.py

# Webhooks out: outbox events delivered, signed, to a local receiver through the relay
# workflow (SQLite; --database-url for PostgreSQL).
bench-webhooks: $(STAMP)
	$(BIN)/python bench/webhooks.py

# Recommendations: learnt affinity on 100,000 orders with planted pairs, product and cart
# recommendations over HTTP on 10,000 SKUs and 500 locations (SQLite; --database-url for
# PostgreSQL).
bench-recommendations: $(STAMP)
	$(BIN)/python bench/recommendations.py

clean:
	rm -rf $(VENV) .oms .pytest_cache .mypy_cache .ruff_cache
