#error "<linux/inet_diag.h> is Linux-only: guard it with __linux__ or move it to a -linux.c file"
