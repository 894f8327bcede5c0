#ifndef COLLECTORS_FINGERPRINT_H
#define COLLECTORS_FINGERPRINT_H

#include <stddef.h>

#include "common/sha256.h"

struct json_t;
struct strbuf;

/*
 * The host fingerprint: what a host's setup is, not what it is doing.
 * A merge once flipped which CPU-frequency driver attached and the CPU
 * silently ran slower; a fingerprint stored with every run and diffed
 * between a good and a bad run shows such a cause before any bisection.
 *
 * A fingerprint is one JSON object, version FINGERPRINT_VERSION, with
 * these sections (each null when the host cannot tell at all):
 *
 *   os           name (os-release), type, machine
 *   kernel       release, version, cmdline (FreeBSD: ident for cmdline)
 *   cpu          model, vendor, family, model_id, stepping, microcode,
 *                smt_active, smt_control, online, numa_nodes
 *   cpufreq      driver, governor, epp, intel_pstate_status,
 *                intel_pstate_no_turbo, amd_pstate_status, boost, levels,
 *                policies: identical cpufreq policies grouped under their
 *                numbers ("0-3,8") with governor, epp and limits in kHz
 *   cpuidle      driver, governor, states (FreeBSD: cx_supported)
 *   clocksource  current, available
 *   mitigations  one string per /sys/devices/system/cpu/vulnerabilities file
 *   tcp          congestion_control, available_congestion_control (sorted);
 *                FreeBSD also stack, available_stacks
 *   sysctl       a chosen list of sysctls that move network performance,
 *                values as text with whitespace squeezed
 *   nics         per interface but lo: driver, driver_version, firmware,
 *                bus, virtual, mtu, queues, rings, speed, offloads
 *   modules      loaded module names, sorted
 *   devices      "bus/device" -> driver name (null: none bound); four or
 *                more devices named PREFIX<number> with one driver are
 *                summarized as "bus/PREFIX*" -> { driver: count }
 *
 * Everything that cannot be read is null, never "" or 0. Nothing
 * volatile (counters, current frequencies, uptime, host name) goes in,
 * so two boots of one setup give equal fingerprints and equal hashes.
 */
#define FINGERPRINT_VERSION 1
#define FINGERPRINT_FILE "fingerprint.json"

/* This host's fingerprint. New reference; never NULL. */
struct json_t *fingerprint_take(void);
/*
 * The same, reading /proc, /sys and /etc under root (tests build a fake
 * tree there; "" is this host). Under a root the NIC ioctls are skipped
 * and only sysfs is read.
 */
struct json_t *fingerprint_take_at(const char *root);
/*
 * Take this host's fingerprint and write it with its hash to
 * DIR/fingerprint.json atomically; an existing file is an error and is
 * left alone.
 */
int fingerprint_write(const char *dir);
/*
 * The fingerprint's hash: sha256 of its canonical JSON (compact, keys
 * sorted, the "sha256" member left out), 64 hex digits.
 */
void fingerprint_hash(const struct json_t *fp, char out[SHA256_HEX]);

/*
 * Read a fingerprint from a JSON file, or from a run directory's
 * fingerprint.json. Bad input (missing, not JSON, the wrong shape) is an
 * error naming the file; returns NULL then.
 */
struct json_t *fingerprint_load(const char *path);
/* The same on text in memory; name is used in messages. */
struct json_t *fingerprint_parse(const char *text, size_t len, const char *name);
/*
 * Check the shape of a parsed document: an object of this version whose
 * known sections have the types above. Unknown members are allowed (a
 * newer perflab may add some). Returns 0, or -1 with an error naming
 * name and the offending member.
 */
int fingerprint_check(const struct json_t *fp, const char *name);

/*
 * Fill cpu with what /proc/cpuinfo text says: model, vendor, family,
 * model_id, stepping and microcode (several values joined by ", " when
 * CPUs disagree). Missing fields stay as they are.
 */
void fingerprint_cpuinfo(struct json_t *cpu, const char *text);
/*
 * Format a sorted list of non-negative numbers as ranges: {0,1,2,5} is
 * "0-2,5". Appends to out (a struct strbuf).
 */
void fingerprint_ranges(struct strbuf *out, const int *v, size_t n);

#endif
