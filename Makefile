# perflab - performance-regression and bisection lab harness
#
# make            build ./perflab
# make check      install missing Debian packages, build, run every test
# make demo       install missing packages, build, run the demo story
# make bench      benchmarks against peers (iperf3, perf stat, git)
# make fuzz       build the libFuzzer targets into build/fuzz/
# make install    perflab, the agent, man pages, bash completion, examples
#                 (PREFIX=/usr/local, DESTDIR for staging; make uninstall)
# make man        the manual pages into build/man/ (generated, never edited)
# make check-portable  compile the agent's sources as for FreeBSD, on stubs
#
# V=1 shows the commands; DEVELOPER=1 turns warnings into errors.
#
# The ranks rule: each folder is one job, and a file includes headers of
# its own rank or lower only; lab/ and reports/ never include each other.
#
#   0 common        strings, JSON, statistics, spawning, options
#   1 collectors    samplers on a host      1 workloads   traffic roles
#   2 store         run directories, summaries, the metric catalog, history
#   3 verdict       compare, calibrate      3 bisect      revisions, engine
#   4 lab           hosts, builds, runs     4 reports     plots, HTML
#   5 harness       the commands only
#
# `make check-layers` (part of `make check`) fails on a crossing, and
# `make check-headers` compiles every header alone.

PKG_CONFIG ?= pkg-config
PKGS = hwloc jansson libgit2 sqlite3 inih
CC = cc
FUZZ_CC = clang
CFLAGS ?= -O2 -g
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/perflab
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/perflab
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL ?= install

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

BASIC_CFLAGS = -std=gnu11 -D_GNU_SOURCE -I. $(PKG_CFLAGS) \
	-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
ifdef DEVELOPER
BASIC_CFLAGS += -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wvla -Wformat=2
endif
LIBS = $(PKG_LIBS) -lpfm -ldw -lelf -ldl -lpthread -lm

# float-cast-overflow: GCC leaves it out of "undefined" (clang has it);
# every target halts on the first undefined behaviour, fuzzers included.
SAN_FLAGS = -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
FUZZ_FLAGS = -fsanitize=fuzzer-no-link,address,undefined,float-cast-overflow \
	-fno-sanitize-recover=all -g -O1

# The tree is mostly a list of sources: every .c in an engine folder goes
# into the library; the driver's main and the tests are listed apart.
LIB_DIRS = common collectors workloads store verdict bisect lab reports harness
MAIN_SRC = harness/perflab.c
AGENT_SRC = harness/agent.c
LIB_SRCS = $(filter-out $(MAIN_SRC) $(AGENT_SRC),$(sort $(wildcard $(addsuffix /*.c,$(LIB_DIRS)))))
UNIT_SRCS = $(sort $(wildcard tests/unit/*.c))
FUZZ_SRCS = $(sort $(wildcard tests/fuzz/fuzz-*.c))
HEADERS = $(sort $(wildcard $(addsuffix /*.h,$(LIB_DIRS))))

OPT_OBJS = $(LIB_SRCS:%.c=build/opt/%.o)
SAN_OBJS = $(LIB_SRCS:%.c=build/san/%.o)
FUZZ_OBJS = $(LIB_SRCS:%.c=build/fuzz/%.o)
FUZZ_BINS = $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)

ifndef V
QUIET_CC   = @echo '   ' CC $@;
QUIET_LINK = @echo '   ' LINK $@;
QUIET_AR   = @echo '   ' AR $@;
QUIET_GEN  = @echo '   ' GEN $@;
endif

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

all: perflab perflab-agent

perflab: build/opt/$(MAIN_SRC:.c=.o) build/opt/libperflab.a
	$(QUIET_LINK)$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

# The agent: the verbs a lab host runs, linked statically so that it needs
# nothing on the host but the kernel (libc, jansson, hwloc, libpfm4 inside;
# no libgit2, SQLite, libinih, libelf).
AGENT_LIBS = -ljansson -lhwloc -lpfm -lpthread -lm
perflab-agent: build/opt/$(AGENT_SRC:.c=.o) build/opt/libperflab.a
	$(QUIET_LINK)$(CC) $(CFLAGS) -static -o $@ $^ $(AGENT_LIBS) 2>build/agent-link.log || \
		{ cat build/agent-link.log; exit 1; }

build/opt/libperflab.a: $(OPT_OBJS)
	$(QUIET_AR)rm -f $@ && ar rcs $@ $^

build/san/libperflab.a: $(SAN_OBJS)
	$(QUIET_AR)rm -f $@ && ar rcs $@ $^

build/fuzz/libperflab.a: $(FUZZ_OBJS)
	$(QUIET_AR)rm -f $@ && ar rcs $@ $^

build/opt/%.o: %.c
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(CFLAGS) $(BASIC_CFLAGS) -MMD -MP -c -o $@ $<

build/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) -O1 -g $(SAN_FLAGS) $(BASIC_CFLAGS) -MMD -MP -c -o $@ $<

build/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(FUZZ_CC) $(FUZZ_FLAGS) $(BASIC_CFLAGS) -Wno-unknown-warning-option -MMD -MP -c -o $@ $<

# The version string is generated so every build says what it was built from.
build/opt/harness/version.o build/san/harness/version.o build/fuzz/harness/version.o \
	build/opt/common/version.o build/san/common/version.o build/fuzz/common/version.o: build/version.h
build/version.h: FORCE
	@mkdir -p build
	@{ echo '#define PERFLAB_VERSION "$(VERSION)"'; \
	   echo '#define INIH_VERSION "$(shell $(PKG_CONFIG) --modversion inih 2>/dev/null)"'; \
	   echo '#define PERFLAB_LIBEXECDIR "$(LIBEXECDIR)"'; } > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

build/unit-tests: $(UNIT_SRCS:%.c=build/san/%.o) build/san/libperflab.a
	$(QUIET_LINK)$(CC) $(SAN_FLAGS) -o $@ $^ $(LIBS)

build/fuzz/%: build/fuzz/tests/fuzz/%.o build/fuzz/libperflab.a
	$(QUIET_LINK)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined,float-cast-overflow \
		-fno-sanitize-recover=all -o $@ $^ $(LIBS)

fuzz: $(FUZZ_BINS)

# The manual pages and the completion are printed by perflab itself from
# its option tables (harness/manpage.c): they cannot drift from --help.
man: build/man/.stamp build/perflab.bash

build/man/.stamp: perflab
	@rm -rf build/man && mkdir -p build/man
	$(QUIET_GEN)for p in $$(./perflab help --man-list); do \
		./perflab help --man $$p >build/man/$$p.1 || exit 1; done; touch $@

build/perflab.bash: perflab
	$(QUIET_GEN)./perflab help --completion >$@.tmp && mv $@.tmp $@

# LIBEXECDIR is compiled in (build/version.h): `make install PREFIX=/usr`
# rebuilds what it changes before installing.
install: all man
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 755 perflab $(DESTDIR)$(BINDIR)/perflab
	$(INSTALL) -m 755 perflab-agent $(DESTDIR)$(LIBEXECDIR)/perflab-agent
	$(INSTALL) -m 644 build/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 644 build/perflab.bash $(DESTDIR)$(BASHCOMPDIR)/perflab
	$(INSTALL) -m 644 hosts.example job.example README.md $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/perflab $(DESTDIR)$(LIBEXECDIR)/perflab-agent \
		$(DESTDIR)$(MANDIR)/man1/perflab.1 $(DESTDIR)$(MANDIR)/man1/perflab-*.1 \
		$(DESTDIR)$(BASHCOMPDIR)/perflab $(DESTDIR)$(DOCDIR)/hosts.example \
		$(DESTDIR)$(DOCDIR)/job.example $(DESTDIR)$(DOCDIR)/README.md
	-rmdir $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DOCDIR) 2>/dev/null

deps:
	@scripts/deps.sh

check: deps
	@$(MAKE) --no-print-directory all build/unit-tests fuzz check-layers check-headers \
		check-portable
	@tests/run-tests.sh

check-layers:
	@scripts/check-layers.sh

# A real kernel bisection on a QEMU DUT (linux-source-6.1, about 15-30 min
# here, the first kernel build included); not part of `make check`.
check-kernel:
	@scripts/deps.sh kernel
	@$(MAKE) --no-print-directory all
	@mkdir -p build/test-logs
	@sh tests/kernel/t9100-kernel-bisect.sh 2>&1 | tee build/test-logs/t9100-kernel-bisect.out; \
	 p=$$(grep -c '^ok ' build/test-logs/t9100-kernel-bisect.out); \
	 f=$$(grep -c '^not ok ' build/test-logs/t9100-kernel-bisect.out); \
	 echo "$$p passed, $$f failed"; [ "$$f" = 0 ]

# Bisections under a CPU hog that comes and goes (issue 12): the planted
# commit or INCONCLUSIVE, never another; one per seed in PERFLAB_LOAD_SEEDS
# (default "1 2 3 4 5"), about 3 min each; not part of `make check`.
check-load: all
	@mkdir -p build/test-logs
	@rm -f build/test-logs/t9200-table
	@sh tests/load/t9200-bisect-load.sh 2>&1 | tee build/test-logs/t9200-bisect-load.out; \
	 cat build/test-logs/t9200-table 2>/dev/null; \
	 p=$$(grep -c '^ok ' build/test-logs/t9200-bisect-load.out); \
	 f=$$(grep -c '^not ok ' build/test-logs/t9200-bisect-load.out); \
	 echo "$$p passed, $$f failed"; [ "$$f" = 0 ]

# Compile each engine header alone: headers must not lean on what a .c
# happened to include before them.
check-headers:
	@for h in $(HEADERS); do \
		echo "#include \"$$h\"" | $(CC) $(BASIC_CFLAGS) -fsyntax-only -xc - \
			|| { echo "header '$$h' does not compile alone"; exit 1; }; \
	done; echo "$(words $(HEADERS)) headers compile alone"

# The agent's sources compiled as for FreeBSD (-D__FreeBSD__, no __linux__)
# against stand-ins for FreeBSD's headers and poisoned Linux-only ones.
check-portable: build/version.h
	@scripts/check-portable.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all build/bench/stats-power build/bench/collect-cost
	@bench/run.sh

build/bench/%: bench/%.c build/opt/libperflab.a
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(CFLAGS) $(BASIC_CFLAGS) -o $@ $^ $(LIBS)

clean:
	rm -rf build perflab perflab-agent

.PHONY: all check check-headers check-layers check-kernel check-load check-portable deps demo bench \
	fuzz clean install uninstall man FORCE
.SECONDARY:

-include $(shell find build -name '*.d' 2>/dev/null)
