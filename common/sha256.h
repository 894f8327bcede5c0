#ifndef COMMON_SHA256_H
#define COMMON_SHA256_H

#include <stddef.h>
#include <stdint.h>

/*
 * SHA-256 (FIPS 180-4), small and dependency-free: perflab hashes a
 * few kilobytes of canonical JSON per run to tell equal hosts apart
 * quickly, which does not justify linking a crypto library.
 */
#define SHA256_LEN 32		/* bytes of a digest */
#define SHA256_HEX_LEN 65	/* hex digits plus the NUL */

struct sha256 {
	uint32_t h[8];		/* the running state */
	uint64_t len;		/* bytes hashed so far */
	unsigned char buf[64];	/* a partial block */
	size_t used;		/* bytes in buf */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
void sha256_final(struct sha256 *c, unsigned char out[SHA256_LEN]);
/* The digest of data as 64 lowercase hex digits. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN]);

#endif
