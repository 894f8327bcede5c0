#ifndef COMMON_RAND_H
#define COMMON_RAND_H

#include <stddef.h>
#include <stdint.h>

/*
 * A seeded, reproducible generator for permutation tests and
 * simulations: xoshiro256** (Blackman and Vigna, 2018), its state
 * filled from the seed by splitmix64 as its authors recommend. The
 * same seed gives the same stream on every host and build, so a
 * permutation p-value or a simulated table can be reproduced exactly.
 * Not for anything secret.
 */
struct rng {
	uint64_t s[4];		/* xoshiro256** state; never all zero */
};

/* Seed the state from one 64-bit number (any value, 0 included). */
void rng_seed(struct rng *r, uint64_t seed);
/* splitmix64: advance *state and return the next output. */
uint64_t splitmix64(uint64_t *state);
/* The next 64 random bits. */
uint64_t rng_next(struct rng *r);
/* Uniform on [0, 1), 53 bits of resolution. */
double rng_uniform(struct rng *r);
/* Uniform integer in [0, n), without modulo bias; 0 when n is 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Standard normal deviate (Marsaglia's polar method). */
double rng_normal(struct rng *r);
/* Shuffle v[0..n) in place (Fisher-Yates). */
void rng_shuffle(struct rng *r, double *v, size_t n);

#endif
