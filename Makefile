# The two commands of the README's quick start, and the rest of the developer loop.
#   make demo   install missing packages, build, run the demo
#   make test   install missing packages, build (warnings are errors), run every test
BUILD       ?= build
ASAN_BUILD  ?= build-asan
JOBS        ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build demo test test-host test-asan format package bench clean

all: build

deps:
	packaging/build-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DSPACELET_WERROR=ON $(CMAKE_FLAGS)

build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

demo: deps build
	examples/demo.sh $(BUILD)

# Host tests (unit, then the privileged suite), then the unit tests under ASan/UBSan.
test: deps build test-host test-asan

test-host:
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L unit
	ctest --test-dir $(BUILD) --output-on-failure -LE unit

test-asan:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DSPACELET_WERROR=ON -DSPACELET_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target unit-tests
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -L unit

format:
	git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
