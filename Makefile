# kindling: `make run` starts the platform with an example function; `make test` runs every test.
# Both install the Debian packages they need (apt-get) when missing, then build with CMake+Ninja.

BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc)
LISTEN     ?= 127.0.0.1:9000
DATA_DIR   ?= ./.kindling

# Debian bookworm packages. Boost is 1.81 only (never mix with 1.74).
DEBS := cmake ninja-build g++ ccache pkg-config zip curl \
        libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev \
        libsqlite3-dev libarchive-dev libssl-dev libseccomp-dev libcap-dev \
        libspdlog-dev libfmt-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev \
        python3 python3-pytest python3-boto3 awscli wrk

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build run test unit e2e bench clean

all: build

deps:
	@missing=""; \
	for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/build.ninja:
	cmake -G Ninja -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD) -j $(JOBS)

run: build
	LISTEN=$(LISTEN) DATA_DIR=$(DATA_DIR) BUILD=$(BUILD) scripts/run.sh

# Unit tests (GoogleTest, beside the code) then end-to-end tests against a real `kindling serve`.
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	KINDLING_BIN=$(abspath $(BUILD))/kindling /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e

unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

e2e: build
	KINDLING_BIN=$(abspath $(BUILD))/kindling /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e

bench: build
	BUILD=$(BUILD) bench/run.sh

clean:
	rm -rf $(BUILD)
