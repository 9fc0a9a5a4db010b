/* demo.c - what `make run` shows: three processes sharing the CPU, taking
 * turns by the timer, a child that faults and is killed, and their parent
 * reaping them all. */
#include "ulib.h"

static void worker(int id)
{
	for (int round = 0; round < 3; round++) {
		printf("  worker %d (pid %d): round %d at tick %u\n", id, getpid(), round, uptime());
		sleep((uint32_t)(hz() / 10 * (id + 1)));
	}
	exit(10 + id);
}

int main(void)
{
	printf("demo: pid %d starting 3 workers and 1 faulty child\n", getpid());
	for (int id = 0; id < 3; id++)
		if (fork() == 0)
			worker(id);
	if (fork() == 0) {
		static volatile uintptr_t unmapped = 0x10;
		*(volatile int *)unmapped = 1;             /* not mapped: the kernel kills this child */
	}
	for (int i = 0; i < 4; i++) {
		int status;
		struct faultinfo fi;
		int pid = wait(&status, &fi);
		if (WSTAT_KIND(status) == WSTAT_FAULT)
			printf("demo: child %d was killed by vector %u at address 0x%x\n", pid,
			       fi.vector, fi.cr2);
		else
			printf("demo: child %d exited with status %d\n", pid, WSTAT_CODE(status));
	}
	return 0;
}
