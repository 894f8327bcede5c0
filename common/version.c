#include "common/version.h"
#include "build/version.h"

const char *perflab_version(void)
{
	return PERFLAB_VERSION;
}

const char *perflab_libexecdir(void)
{
	return PERFLAB_LIBEXECDIR;
}
