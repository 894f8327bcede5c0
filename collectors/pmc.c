/*
 * Events for counting mode: libpfm4's tables and encoder. This file and
 * pmccount.c are the only ones that see libpfm4 and perf_event types.
 */
#ifdef __linux__	/* FreeBSD: pmc-freebsd.c, through libpmc */
#include "collectors/pmc.h"
#include "collectors/pmcname.h"
#include "common/parse.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <linux/perf_event.h>	/* before libpfm4's copy, which then steps aside */
#include <perfmon/pfmlib_perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const pmc_role_names[PMC_NROLES] = {
	"none", "cycles", "instructions", "stall_cycles", "llc_misses", "llc_references",
	"task_clock", "td_not_delivered", "td_issued", "td_retired", "td_recovery"
};

static int pfm_ready;		/* 1 once pfm_initialize succeeded */
static char default_pmu[64];

int pmc_setup(void)
{
	int had = getenv("LIBPFM_ENCODE_INACTIVE") != NULL, ret;

	if (pfm_ready)
		return 0;
	/*
	 * Encoding for PMUs this host lacks (`perflab events --pmu snb`)
	 * needs this when the library starts; it must not leak into the
	 * commands perflab runs.
	 */
	if (!had)
		setenv("LIBPFM_ENCODE_INACTIVE", "1", 1);
	ret = pfm_initialize();
	if (!had)
		unsetenv("LIBPFM_ENCODE_INACTIVE");
	if (ret != PFM_SUCCESS)
		return error("cannot initialize libpfm4: %s", pfm_strerror(ret));
	pfm_ready = 1;
	return 0;
}

static int pmu_info(pfm_pmu_t p, pfm_pmu_info_t *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return pfm_get_pmu_info(p, info) == PFM_SUCCESS && info->name ? 0 : -1;
}

/* The present core PMU, libpfm4's default one first. */
const char *pmc_default_pmu(void)
{
	pfm_pmu_info_t info;
	pfm_pmu_t p;

	if (default_pmu[0] || pmc_setup())
		return default_pmu[0] ? default_pmu : "perf";
	snprintf(default_pmu, sizeof(default_pmu), "perf");
	for (int pass = 0; pass < 2; pass++) {
		pfm_for_all_pmus(p) {
			if (pmu_info(p, &info) || !info.is_present || info.type != PFM_PMU_TYPE_CORE)
				continue;
			if (pass == 1 || info.is_dfl) {
				snprintf(default_pmu, sizeof(default_pmu), "%s", info.name);
				return default_pmu;
			}
		}
	}
	return default_pmu;
}

static int find_pmu(const char *name, pfm_pmu_info_t *info)
{
	pfm_pmu_t p;

	pfm_for_all_pmus(p)
		if (!pmu_info(p, info) && !strcasecmp(info->name, name))
			return 0;
	return -1;
}

static void from_attr(struct pmc_event *e, const struct perf_event_attr *a)
{
	e->type = a->type;
	e->config = a->config;
	e->config1 = a->config1;
	e->config2 = a->config2;
	e->excl = (a->exclude_user ? PMC_EXCL_USER : 0) | (a->exclude_kernel ? PMC_EXCL_KERNEL : 0) |
		  (a->exclude_hv ? PMC_EXCL_HV : 0) | (a->exclude_host ? PMC_EXCL_HOST : 0) |
		  (a->exclude_guest ? PMC_EXCL_GUEST : 0);
	e->software = a->type == PERF_TYPE_SOFTWARE;
}

/* Fill e from libpfm4's encoding of one spelling; PFM_* error otherwise. */
static int encode_one(struct pmc_event *e, const char *str)
{
	struct perf_event_attr attr;
	pfm_perf_encode_arg_t arg;
	pfm_event_info_t einfo;
	pfm_pmu_info_t pinfo;
	char *fstr = NULL;
	int ret;

	memset(&attr, 0, sizeof(attr));
	memset(&arg, 0, sizeof(arg));
	arg.size = sizeof(arg);
	arg.attr = &attr;
	arg.fstr = &fstr;
	ret = pfm_get_os_event_encoding(str, PFM_PLM0 | PFM_PLM3, PFM_OS_PERF_EVENT_EXT, &arg);
	if (ret != PFM_SUCCESS)
		return ret;
	memset(&einfo, 0, sizeof(einfo));
	einfo.size = sizeof(einfo);
	if (pfm_get_event_info(arg.idx, PFM_OS_PERF_EVENT_EXT, &einfo) != PFM_SUCCESS ||
	    pmu_info(einfo.pmu, &pinfo)) {
		free(fstr);
		return PFM_ERR_NOTFOUND;
	}
	e->pfm = fstr;
	e->pmu = xstrdup(pinfo.name);
	from_attr(e, &attr);
	return PFM_SUCCESS;
}

/* spec with the PMU prefix pmu:: unless it has one (which must agree). */
static int with_prefix(struct strbuf *out, const char *spec, const char *pmu)
{
	struct strbuf have = STRBUF_INIT;
	int ret = 0;

	if (pmcname_prefix(spec, &have)) {
		if (pmu && strcasecmp(have.buf, pmu))
			ret = error("event '%s' names PMU '%s', not '%s'", spec, have.buf, pmu);
		else
			strbuf_addstr(out, spec);
	} else if (pmu) {
		strbuf_addf(out, "%s::%s", pmu, spec);
	} else {
		strbuf_addstr(out, spec);
	}
	strbuf_release(&have);
	return ret;
}

#define SPELLING_MALFORMED 1	/* not a PFM_* code: reported already */

/*
 * The spellings to try, in order: as written (libpfm4's own), pmcstat's
 * dotted form, then the alias table. Native names win, so an alias
 * never hides an event libpfm4 itself calls that way.
 */
static int encode_spellings(struct pmc_event *e, const char *full)
{
	int first, ret;

	memset(e, 0, sizeof(*e));
	first = encode_one(e, full);
	if (first == PFM_SUCCESS)
		return first;
	for (int alias = 0; alias < 2; alias++) {
		struct strbuf sb = STRBUF_INIT;
		int t = pmcname_translate(full, alias, &sb);

		ret = t || !strcmp(sb.buf, full) ? PFM_ERR_NOTFOUND : encode_one(e, sb.buf);
		strbuf_release(&sb);
		if (t == -1)
			return SPELLING_MALFORMED;
		if (ret == PFM_SUCCESS)
			return ret;
	}
	return first;
}

int pmc_encode(struct pmc_event *out, const char *spec, const char *pmu)
{
	struct strbuf full = STRBUF_INIT;
	pfm_pmu_info_t info;
	int ret;

	memset(out, 0, sizeof(*out));
	if (pmc_setup())
		return -1;
	if (pmu && find_pmu(pmu, &info))
		return error("unknown PMU '%s' (perflab events --list-pmus shows them)", pmu);
	if (with_prefix(&full, spec, pmu)) {
		strbuf_release(&full);
		return -1;
	}
	ret = encode_spellings(out, full.buf);
	strbuf_release(&full);
	if (ret == SPELLING_MALFORMED)
		return -1;
	if (ret != PFM_SUCCESS && pmu)
		return error("cannot encode event '%s' for PMU '%s': %s", spec, pmu,
			     pfm_strerror(ret));
	if (ret != PFM_SUCCESS)
		return error("cannot encode event '%s' for this host (PMU '%s'): %s", spec,
			     pmc_default_pmu(), pfm_strerror(ret));
	out->name = xstrdup(spec);
	return 0;
}

void pmc_event_release(struct pmc_event *e)
{
	if (!e)
		return;
	free(e->name);
	free(e->pfm);
	free(e->pmu);
	memset(e, 0, sizeof(*e));
}

/*
 * Which encodings stand for which role. An event takes a role when it
 * encodes exactly like one of these on its own PMU, whatever the user
 * called it: RESOURCE_STALLS.ANY, snb::RESOURCE_STALLS:ANY and raw
 * 0x1a2 are one event.
 */
static const char *const role_spellings[PMC_NROLES][5] = {
	[PMC_ROLE_CYCLES] = { "cycles", "UNHALTED_CORE_CYCLES", "CPU_CLK_UNHALTED:THREAD_P",
			      "CYCLES_NOT_IN_HALT" },
	[PMC_ROLE_INSTRUCTIONS] = { "instructions", "INSTRUCTION_RETIRED", "INST_RETIRED:ANY_P",
				    "RETIRED_INSTRUCTIONS" },
	[PMC_ROLE_STALL_CYCLES] = { "RESOURCE_STALLS:ANY", "CYCLE_ACTIVITY:STALLS_TOTAL",
				    "stalled-cycles-backend" },
	/* the kernel maps the generic cache events to the LLC on Intel */
	[PMC_ROLE_LLC_MISSES] = { "cache-misses", "LLC_MISSES" },
	[PMC_ROLE_LLC_REFERENCES] = { "cache-references", "LLC_REFERENCES" },
	[PMC_ROLE_TASK_CLOCK] = { "task-clock" },
	[PMC_ROLE_TD_NOT_DELIVERED] = { "IDQ_UOPS_NOT_DELIVERED:CORE" },
	[PMC_ROLE_TD_ISSUED] = { "UOPS_ISSUED:ANY" },
	[PMC_ROLE_TD_RETIRED] = { "UOPS_RETIRED:RETIRE_SLOTS" },
	[PMC_ROLE_TD_RECOVERY] = { "INT_MISC:RECOVERY_CYCLES" },
};

static int same_encoding(const struct pmc_event *a, const struct pmc_event *b)
{
	return a->type == b->type && a->config == b->config && a->config1 == b->config1 &&
	       a->config2 == b->config2 && a->excl == b->excl;
}

/* Does spelling (tried bare, then on e's PMU) encode like e? */
static int spelling_matches(const struct pmc_event *e, const char *spelling)
{
	struct pmc_event c = { 0 };
	char *prefixed = xasprintf("%s::%s", e->pmu, spelling);
	int ret = encode_one(&c, spelling) == PFM_SUCCESS && same_encoding(&c, e);

	pmc_event_release(&c);
	if (!ret && encode_one(&c, prefixed) == PFM_SUCCESS)
		ret = same_encoding(&c, e);
	pmc_event_release(&c);
	free(prefixed);
	return ret;
}

static enum pmc_role find_role(const struct pmc_event *e)
{
	for (int r = 1; r < PMC_NROLES; r++)
		for (int k = 0; k < 5 && role_spellings[r][k]; k++)
			if (spelling_matches(e, role_spellings[r][k]))
				return (enum pmc_role)r;
	return PMC_ROLE_NONE;
}

int pmc_events_role(const struct pmc_events *s, enum pmc_role role)
{
	for (int i = 0; i < s->nr; i++)
		if (s->v[i].role == role)
			return i;
	return -1;
}

int pmc_events_add(struct pmc_events *s, const char *spec)
{
	struct pmc_event e;
	int td;

	for (int i = 0; i < s->nr; i++)
		if (!strcmp(s->v[i].name, spec))
			return 0;	/* named twice: count it once */
	if (pmc_encode(&e, spec, NULL))
		return -1;
	e.role = find_role(&e);
	if (pmc_events_role(s, e.role) >= 0)
		e.role = PMC_ROLE_NONE;	/* the first event with a role keeps it */
	if (!e.software && strcmp(e.pmu, "perf") && (!s->family || !strcmp(s->family, "generic"))) {
		s->family = pmc_family(e.pmu, &td);
		s->td_width = td;
	}
	ALLOC_GROW(s->v, s->nr + 1, s->alloc);
	s->v[s->nr++] = e;
	return 0;
}

int pmc_events_parse(struct pmc_events *s, const char *list)
{
	char **v;
	int n = pmcname_split(list, &v), ret = 0;

	if (n < 0)
		return -1;
	for (int i = 0; i < n && !ret; i++)
		ret = pmc_events_add(s, v[i]);
	argv_free(v);
	return ret;
}

void pmc_events_release(struct pmc_events *s)
{
	for (int i = 0; i < s->nr; i++)
		pmc_event_release(&s->v[i]);
	free(s->v);
	*s = (struct pmc_events)PMC_EVENTS_INIT;
}

/*
 * Default event sets. Sandy Bridge to Skylake carry the four events of
 * top-down level 1 with a 4-wide issue; later Intel cores (5- and
 * 6-wide, with PERF_METRICS) and other vendors get the basic set.
 */
static const char *const intel_tma4_pmus[] = {
	"snb", "snb_ep", "ivb", "ivb_ep", "hsw", "hsw_ep", "bdw", "bdw_ep", "skl", "skx", "clx",
	NULL
};
static const char *const intel_tma4_events[] = {
	"cycles", "instructions", "RESOURCE_STALLS:ANY", "LLC_REFERENCES", "LLC_MISSES",
	"IDQ_UOPS_NOT_DELIVERED:CORE", "UOPS_ISSUED:ANY", "UOPS_RETIRED:RETIRE_SLOTS",
	"INT_MISC:RECOVERY_CYCLES", NULL
};
static const char *const intel_events[] = {
	"cycles", "instructions", "RESOURCE_STALLS:ANY", "CYCLE_ACTIVITY:STALLS_TOTAL",
	"LLC_REFERENCES", "LLC_MISSES", "branch-misses", NULL
};
static const char *const amd_events[] = {
	"cycles", "instructions", "branch-misses", NULL
};
static const char *const generic_events[] = {
	"cycles", "instructions", "cache-references", "cache-misses", "branch-misses", NULL
};
static const char *const software_events[] = {
	"task-clock", "context-switches", "cpu-migrations", "page-faults", NULL
};

static int in_list(const char *const *list, const char *name)
{
	for (int i = 0; list[i]; i++)
		if (!strcmp(list[i], name))
			return 1;
	return 0;
}

const char *pmc_family(const char *pmu, int *td_width)
{
	pfm_pmu_info_t info;

	*td_width = 0;
	if (in_list(intel_tma4_pmus, pmu)) {
		*td_width = 4;
		return "intel-snb-skl";
	}
	if (pmc_setup() || find_pmu(pmu, &info) || info.type != PFM_PMU_TYPE_CORE)
		return "generic";
	if (!strncmp(info.desc, "Intel", 5))
		return "intel";
	if (!strncmp(info.desc, "AMD64 Fam1", 10))
		return "amd-zen";
	return "generic";
}

static const char *const *family_events(const char *family)
{
	if (!strcmp(family, "intel-snb-skl"))
		return intel_tma4_events;
	if (!strcmp(family, "intel"))
		return intel_events;
	if (!strcmp(family, "amd-zen"))
		return amd_events;
	return generic_events;
}

/* Add spec if the PMU has it; the defaults name events some models lack. */
static void add_if_known(struct pmc_events *s, const char *spec)
{
	struct pmc_event probe;

	if (encode_spellings(&probe, spec) != PFM_SUCCESS)
		return;
	pmc_event_release(&probe);
	if (pmc_events_add(s, spec))
		warning("default event '%s' left out", spec);
}

int pmc_events_default(struct pmc_events *s)
{
	const char *pmu = pmc_default_pmu();
	const char *const *hw;
	int td;

	s->family = pmc_family(pmu, &td);
	s->td_width = td;
	hw = family_events(s->family);
	for (int i = 0; hw[i]; i++)
		add_if_known(s, hw[i]);
	for (int i = 0; software_events[i]; i++)
		add_if_known(s, software_events[i]);
	return s->nr ? 0 : error("no event of the default set can be encoded here");
}

/* Call fn for each libpfm4 PMU. */
int pmc_for_each_pmu(pmc_pmu_fn fn, void *data)
{
	pfm_pmu_info_t info;
	pfm_pmu_t p;

	if (pmc_setup())
		return -1;
	pfm_for_all_pmus(p) {
		struct pmc_pmu_desc d;
		int ret;

		if (pmu_info(p, &info))
			continue;
		d = (struct pmc_pmu_desc){ info.name, info.desc ? info.desc : "", info.is_present,
					   info.type == PFM_PMU_TYPE_CORE, info.nevents,
					   info.num_cntrs, info.num_fixed_cntrs };
		ret = fn(&d, data);
		if (ret)
			return ret;
	}
	return 0;
}

/* The unit masks of event idx, into an array the caller frees. */
static int event_umasks(int idx, int nattrs, struct pmc_umask_desc **out)
{
	struct pmc_umask_desc *u = xcalloc((size_t)nattrs + 1, sizeof(*u));
	int n = 0;

	for (int a = 0; a < nattrs; a++) {
		pfm_event_attr_info_t ai;

		memset(&ai, 0, sizeof(ai));
		ai.size = sizeof(ai);
		if (pfm_get_event_attr_info(idx, a, PFM_OS_PERF_EVENT_EXT, &ai) != PFM_SUCCESS ||
		    ai.type != PFM_ATTR_UMASK)
			continue;
		u[n++] = (struct pmc_umask_desc){ ai.name, ai.desc ? ai.desc : "", ai.code,
						  ai.is_dfl };
	}
	*out = u;
	return n;
}

int pmc_for_each_event(const char *pmu, pmc_event_fn fn, void *data)
{
	pfm_pmu_info_t info;
	int ret = 0;

	if (pmc_setup())
		return -1;
	if (find_pmu(pmu, &info)) {
		error("unknown PMU '%s' (perflab events --list-pmus shows them)", pmu);
		return PERFLAB_ENOTFOUND;
	}
	for (int i = info.first_event; i != -1 && !ret; i = pfm_get_event_next(i)) {
		pfm_event_info_t ei;
		struct pmc_umask_desc *u;
		struct pmc_event_desc d;

		memset(&ei, 0, sizeof(ei));
		ei.size = sizeof(ei);
		if (pfm_get_event_info(i, PFM_OS_PERF_EVENT_EXT, &ei) != PFM_SUCCESS)
			continue;
		d = (struct pmc_event_desc){ info.name, ei.name, ei.desc ? ei.desc : "", ei.equiv,
					     ei.code, 0, NULL };
		d.numasks = event_umasks(i, ei.nattrs, &u);
		d.umasks = u;
		ret = fn(&d, data);
		free(u);
	}
	return ret;
}

#endif /* __linux__ */
