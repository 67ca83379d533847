# civicbot: `make run` to start the bot with the demo config, `make test` to test it (`make test-fast`: without the slow tests; `make test-scale`: on PostgreSQL + Redis).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SCALE_INSTALLED := $(VENV)/.installed-scale

.PHONY: run test test-fast lint test-scale browser nginx documents wrk serve migrate model demo-data bench-classify bench-photos bench-portal bench-load bench-profile bench-instructions bench-feedback bench-dialogues valgrind clean bench-places bench-scores bench-several bench-moderation vendor bench-map bench-ocr bench-media bench-audit bench-open311 bench-export bench-public bench-api

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,ocr]'
	# Someone else's Open311 client, for tests/test_open311.py's read calls. Without its dependencies: it pins
	# xmltodict below 0.15, which would take the webhook's XML parser back to a version that accepts a DTD.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps 'georeport==0.3.1'
	touch $(INSTALLED)

# The PostgreSQL driver and the Redis client, for test-scale (and for deployments that use them).
$(SCALE_INSTALLED): $(INSTALLED)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,ocr,postgres,redis]'
	touch $(SCALE_INSTALLED)

config.toml:
	cp config.example.toml config.toml
	@echo "created config.toml from config.example.toml (demo settings)"

migrate: $(INSTALLED) config.toml
	$(BIN)/civicbot migrate
	$(BIN)/civicbot load-defaults
	$(BIN)/civicbot staff demo

# The classifier model is built from the corpus (not committed), again whenever the corpus changes.
model: $(INSTALLED) config.toml
	@if [ -f data/corpus/messages.tsv ] && { [ ! -f var/classifier.npz ] || [ data/corpus/messages.tsv -nt var/classifier.npz ]; }; then \
	  $(BIN)/civicbot train; fi

# With the demo config (portal.demo_accounts on), two months of demo tickets for the portal, the scores and the 通报,
# made once: the command says so and does nothing where demo data is already there, and never adds any to a
# database that holds real tickets (it says so too, and `make run` goes on).
demo-data: migrate model
	$(BIN)/civicbot demo-data

run: migrate model demo-data documents vendor
	$(BIN)/civicbot serve

bench-classify: model
	$(BIN)/python bench/classify.py

bench-photos: $(INSTALLED)
	$(BIN)/python bench/photos.py

bench-portal: $(INSTALLED)
	$(BIN)/python bench/portal.py

# The scoreboard, the monthly 通报 (DOCX, PDF) and HQ's scores page with 100,000 tickets; the database is built once
# (about 20 s) and kept in var/bench/.
bench-scores: $(INSTALLED) documents
	$(BIN)/python bench/scores.py

bench-feedback: $(INSTALLED)
	$(BIN)/python bench/feedback_loop.py

# The labelled resident dialogues (tests/dialogues/) replayed through the webhook: how many end as expected.
bench-dialogues: model
	$(BIN)/python bench/dialogues.py

# Text in photos, on generated flyers and signs (bench/flyers.py): numbers' recall and precision, the category
# proposed for a photo alone, time and memory per photo; then faces and plates blurred (about 8 minutes in all).
bench-ocr: $(INSTALLED) browser
	$(BIN)/python bench/ocr.py --count 200
	$(BIN)/python bench/redaction.py --plates 60 --faces 100

# The audit trail: `civicbot audit verify` and `audit anchor` over 100,000 tickets' hash chains (fresh SQLite).
bench-audit: $(INSTALLED)
	$(BIN)/python bench/audit.py

# Open311 GET requests over 100,000 tickets (fresh SQLite): each query's server time, median of 20.
bench-open311: $(INSTALLED)
	$(BIN)/python bench/open311.py

# The departments' API: a full sync by cursor and a poll with nothing new, over 20,000 tickets (fresh SQLite).
bench-api: $(INSTALLED)
	$(BIN)/python bench/api.py

bench-places: $(INSTALLED)
	$(BIN)/python bench/places.py

# The nightly media sweep over 20,000 photos' files (60,300 with 100 orphaned photos), in a throw-away folder.
bench-media: $(INSTALLED)
	$(BIN)/python bench/media_sweep.py

# The map page and its data with 10,000 tickets (HQ and a department), median of 20.
bench-map: $(INSTALLED) vendor
	$(BIN)/python bench/map.py

# The exchange file (`civicbot export`) for 100,000 tickets: time and peak memory, full and incremental.
bench-export: $(INSTALLED)
	$(BIN)/python bench/export.py

# The public 办理公示 page and its map data with 10,000 tickets (the month's figures reckoned, then kept), median of 20.
bench-public: $(INSTALLED)
	$(BIN)/python bench/public.py

# Several problems in one message: single-problem reports of the corpus that would be split (aim: near 0).
bench-several: model
	$(BIN)/python bench/several.py

# Moderation: genuine reports held (aim: 0), spam and abuse caught, floods across reports.
bench-moderation: model
	$(BIN)/python bench/moderation.py

bench-load: model wrk
	$(BIN)/python bench/load.py

# Where a first delivery's time goes, stage by stage (cProfile, in process).
bench-profile: model
	$(BIN)/python bench/profile_delivery.py

# Instruction counts per request, the same on every run: for changes too small for bench-load on a shared machine.
bench-instructions: model valgrind
	$(BIN)/python bench/instructions.py

valgrind:
	@{ command -v valgrind && command -v gcc && [ -f /usr/include/valgrind/callgrind.h ]; } >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq valgrind gcc libc6-dev >/dev/null; }

wrk:
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

test: $(INSTALLED) browser nginx documents vendor lint
	$(BIN)/python -m pytest -q

# Style, types and a static security check, part of `make test`: ruff over code, tests and benchmarks; mypy, strict on
# bot/cases, bot/conversation and bot/bulletin; bandit over the code, each accepted finding justified on its line
# (pyproject.toml: [tool.bandit]).
lint: $(INSTALLED)
	$(BIN)/ruff check bot handlers models tests bench
	$(BIN)/mypy bot handlers models
	$(BIN)/bandit -q -r bot handlers models -c pyproject.toml

# For developers between changes: the suite without the tests marked slow (see pyproject.toml); `make test` runs all.
test-fast: $(INSTALLED) vendor
	$(BIN)/python -m pytest -q -m "not slow"

# The same suite on a private PostgreSQL and Redis (tests/scale/services.sh installs, starts and always stops them),
# then the load benchmark on them. The tests' status is the target's; a benchmark that breaks fails it too.
test-scale: $(SCALE_INSTALLED) browser nginx documents vendor wrk model
	tests/scale/services.sh sh -c '$(BIN)/python -m pytest -q; tests=$$?; \
	  $(BIN)/python bench/load.py --database-url "$$CIVICBOT_BENCH_DATABASE_URL" \
	    --queue redis --redis-url "$$CIVICBOT_BENCH_REDIS_URL" || [ $$tests -ne 0 ] || tests=1; exit $$tests'

# The map's Leaflet and its cluster and heat plugins, at the versions and checksums package-lock.json pins, fetched
# from the npm registry (`npm ci` checks each tarball's integrity) and copied into the portal's static files, which
# the pages serve themselves: no CDN at run time. Again whenever the lock file changes.
VENDOR := bot/web/portal/static/vendor
VENDORED := $(VENDOR)/.vendored

vendor: $(VENDORED)

$(VENDORED): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; } || \
	  { echo "make vendor: the map's Leaflet comes from the npm registry and needs npm: sudo apt-get install nodejs npm" >&2; exit 1; }
	@npm ci --ignore-scripts --no-audit --no-fund --loglevel=error --fetch-retries=1 --fetch-timeout=30000 || \
	  { echo "make vendor: could not fetch leaflet, leaflet.markercluster and leaflet.heat (pinned in package-lock.json)" \
	    "from the npm registry: is the network up? The map page needs them." >&2; exit 1; }
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/leaflet $(VENDOR)/leaflet.markercluster $(VENDOR)/leaflet.heat
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images \
	  node_modules/leaflet/LICENSE $(VENDOR)/leaflet/
	cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js node_modules/leaflet.markercluster/dist/MarkerCluster.css \
	  node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css node_modules/leaflet.markercluster/MIT-LICENCE.txt \
	  $(VENDOR)/leaflet.markercluster/
	cp node_modules/leaflet.heat/dist/leaflet-heat.js node_modules/leaflet.heat/LICENSE $(VENDOR)/leaflet.heat/
	touch $@

# The portal's browser tests drive Debian's Chromium; Chinese text needs a CJK font.
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      chromium fonts-noto-cjk >/dev/null; \
	  else echo "browser tests need: sudo apt-get install chromium fonts-noto-cjk"; fi; \
	fi

# The trusted-proxy tests (tests/test_security_proxies.py) put Debian's nginx in front of `civicbot serve`.
nginx:
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null; \
	  else echo "the trusted-proxy tests need: sudo apt-get install nginx"; fi; \
	fi

# The 通报 (`civicbot report`, the scoreboard's downloads): LibreOffice makes its PDF, the charts and the PDF need a
# CJK font, and the tests render the PDF with poppler-utils. Debian 12 calls the GUI-less Writer
# libreoffice-writer-nogui; where that name is unknown, libreoffice-writer.
documents:
	@if ! command -v soffice >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1 || \
	    ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq; writer=libreoffice-writer-nogui; \
	    apt-cache show --no-all-versions $$writer 2>/dev/null | grep -q '^Package:' || writer=libreoffice-writer; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      $$writer poppler-utils fonts-noto-cjk >/dev/null; \
	  else echo "the 通报's PDF needs: sudo apt-get install --no-install-recommends" \
	    "libreoffice-writer-nogui poppler-utils fonts-noto-cjk"; fi; \
	fi

clean:
	rm -rf var/ .pytest_cache node_modules $(VENDOR)
