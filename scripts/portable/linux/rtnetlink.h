#error "<linux/rtnetlink.h> is Linux-only: guard it with __linux__ or move it to a -linux.c file"
