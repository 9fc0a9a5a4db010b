/* churn.c - 200 rounds of fork, exit and wait, each child touching memory
 * (a COW break and a demand-zero page) so every kind of frame is freed. */
#include "ulib.h"

static volatile int data = 1;

int main(void)
{
	volatile char *heap = sbrk(4096);
	for (int i = 0; i < 200; i++) {
		int pid = fork();
		if (pid == 0) {
			data = i;
			heap[0] = (char)i;
			volatile char *more = sbrk(8192);
			more[5000] = 1;
			exit(0);
		}
		int status = -1;
		if (pid < 0 || wait(&status, NULL) != pid || status != 0)
			return 1;
	}
	return 0;
}
