/* FreeBSD's <pmc.h> (libpmc, hwpmc(4)), the part perflab uses: a stub for make check-portable. */
#ifndef PORTABLE_PMC_H
#define PORTABLE_PMC_H
#include <stdint.h>
#include <sys/types.h>
typedef uint32_t pmc_id_t;
typedef uint64_t pmc_value_t;
enum pmc_mode { PMC_MODE_SS, PMC_MODE_SC, PMC_MODE_TS, PMC_MODE_TC };
#define PMC_CPU_ANY (~0)
int pmc_init(void);
int pmc_allocate(const char *ctrspec, enum pmc_mode mode, uint32_t flags, int cpu,
		 pmc_id_t *pmcid, uint64_t count);
int pmc_attach(pmc_id_t pmcid, pid_t pid);
int pmc_start(pmc_id_t pmcid);
int pmc_stop(pmc_id_t pmcid);
int pmc_read(pmc_id_t pmcid, pmc_value_t *value);
int pmc_release(pmc_id_t pmcid);
int pmc_ncpu(void);
const char *pmc_name_of_cputype(int cputype);
#endif
