# toe - live TCP connection offload between Linux and a TOE NIC.
#
# The kernel build reads ./Kbuild (make -C $KDIR M=$PWD); this Makefile is
# for people. Every target installs what it needs (scripts/install-deps.sh,
# apt-get, as root) and caches builds in $(TOE_CACHE), outside the checkout.
#
#   make check     every test, host and VM; ends with "N passed, N failed"
#   make soak      the same tests at their long sizes (256 MiB transfers,
#                  1000 moves, 10 minutes of fuzzing); about an hour
#   make demo      the main job: boot the VM, traffic through the NIC, live
#   make bench     netperf through the NIC; writes a results table
#   make bench-offload  time of a move, and a connection on the NIC against
#                  the kernel's (Documentation/benchmarks.rst)
#   make modules   build toe.ko and toe_kunit.ko for FLAVOUR (base|debug)
#   make vm        boot the VM with a shell command: make vm CMD='ip a'
#   make clean     drop this checkout's build products (not the cache)

TOE_CACHE ?= /var/cache/toe
FLAVOUR ?= base
CMD ?= ip addr; ethtool -S $$(ls /sys/bus/pci/drivers/toe/*/net/)
export TOE_CACHE

all: modules

deps:
	bash scripts/install-deps.sh

modules: deps
	bash scripts/build-module.sh $(FLAVOUR)

qemu: deps
	bash scripts/build-qemu.sh

check: deps
	bash scripts/check.sh

soak: deps
	bash scripts/check.sh --soak

demo: deps
	bash scripts/demo.sh

bench: deps
	bash scripts/bench.sh

bench-engine: deps
	bash scripts/bench-engine.sh

bench-offload: deps
	bash scripts/bench-offload.sh

bench-policy: deps
	bash scripts/bench-policy.sh

fuzz-engine: deps
	ENGINE_FUZZ_SECONDS=$${ENGINE_FUZZ_SECONDS:-600} bash scripts/tests/engine-fuzz.sh

vm: deps
	bash scripts/vm-run.sh --flavour $(FLAVOUR) --live -- '$(CMD)'

clean:
	rm -f tools/toe-xfer tools/toectl tools/toe-preload.so
	find . -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '.*.cmd' \
		-o -name modules.order -o -name Module.symvers | xargs rm -f

.PHONY: all deps modules qemu check soak demo bench bench-engine bench-offload bench-policy \
	fuzz-engine vm clean
