#ifndef COMMON_SHA256_H
#define COMMON_SHA256_H

#include <stddef.h>
#include <stdint.h>

/*
 * SHA-256 (FIPS 180-4), for content-addressed keys such as the image
 * cache's. Not for secrets: nothing here is constant-time.
 */
#define SHA256_BYTES 32
#define SHA256_HEX (2 * SHA256_BYTES + 1)	/* hex digits plus the NUL */

struct sha256 {
	uint32_t h[8];		/* the chaining state */
	uint64_t len;		/* bytes hashed so far */
	unsigned char buf[64];	/* a partial block */
	size_t used;		/* bytes in buf */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
/* The digest; c must be initialized again before reuse. */
void sha256_final(struct sha256 *c, unsigned char out[SHA256_BYTES]);
/* The digest of c as lowercase hex into out (SHA256_HEX bytes). */
void sha256_final_hex(struct sha256 *c, char out[SHA256_HEX]);
/* One-shot: the hex digest of len bytes of data. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX]);
/* The hex digest of a file's content; -1 (reported) if unreadable. */
int sha256_file_hex(const char *path, char out[SHA256_HEX]);

#endif
