# The two commands of the README. Both install what is missing, configure and build.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: run test deps configure build bench nightly clean

run: build
	$(BUILD_DIR)/bin/simbus suite smoke

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

deps:
	tools/install-deps.sh

configure: deps
	@if [ ! -f $(BUILD_DIR)/build.ninja ]; then \
	  cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS); \
	fi

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

bench: build
	$(BUILD_DIR)/bin/simbus-bench

nightly: build
	$(BUILD_DIR)/bin/simbus suite nightly --jobs $(JOBS)

clean:
	rm -rf $(BUILD_DIR)
