# The two commands of the README's quick start, and the rest of the developer loop.
#   make demo   install missing packages, build, run the demo
#   make test   install missing packages, build (warnings are errors), run every test
BUILD       ?= build
ASAN_BUILD  ?= build-asan
JOBS        ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build demo test test-host test-asan test-vm test-vm-systemd test-vm-all format package bench clean

all: build

deps:
	packaging/build-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DSPACELET_WERROR=ON $(CMAKE_FLAGS)

build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

demo: deps build
	examples/demo.sh $(BUILD)

# Host tests (unit, then the privileged suite), the privileged suite again on a pure cgroup v2
# kernel under qemu (test-vm, initramfs mode), then the unit tests under ASan/UBSan. The systemd
# mode (test-vm-systemd) runs on its own: it boots a whole Debian under TCG for ~10 minutes.
test: deps build test-host test-vm test-asan

test-host:
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L unit --output-junit test-reports/host-unit.xml
	ctest --test-dir $(BUILD) --output-on-failure -LE 'unit|vm|systemd' --output-junit test-reports/host-privileged.xml

# The VM harness (docs/testing.md), each ending with the report of what ran and what was
# skipped on the host and in the VMs. test-vm: initramfs mode (ctest -L vm), the privileged
# suite on Debian's kernel under qemu; test-vm-systemd: systemd mode (ctest -L systemd), a
# debootstrapped Debian 12 booted with systemd (built once, as root; cached in $(BUILD)/vm).
test-vm: build
	tests/vm/run-labels.sh $(BUILD) vm

test-vm-systemd: build
	tests/vm/run-labels.sh $(BUILD) systemd

test-vm-all: build
	tests/vm/run-labels.sh $(BUILD) vm systemd

test-asan:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DSPACELET_WERROR=ON -DSPACELET_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target unit-tests
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -L unit

format:
	git ls-files '*.h' '*.cc' | xargs clang-format -i

# The Debian package ($(BUILD)/spacelet_<version>_<arch>.deb, CPack) and lintian over it.
.PHONY: lintian
package: build
	cmake --build $(BUILD) --target package

lintian: package
	cmake --build $(BUILD) --target lintian

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
