//go:build cgo && linux && !corl_nowasmtime

package highs

/*
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// corl_cap_arenas runs when the program is loaded, before any thread
// exists: glibc fixes its arena limit when it first needs a new arena.
__attribute__((constructor)) static void corl_cap_arenas(void) {
#if defined(__GLIBC__) && defined(M_ARENA_MAX)
	if (getenv("MALLOC_ARENA_MAX") != NULL) {
		return;
	}
	// The processors this process may run on, as Go's runtime.NumCPU.
	long n = 0;
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0) {
		n = CPU_COUNT(&set);
	}
	if (n < 1) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
	}
	mallopt(M_ARENA_MAX, n < 1 ? 1 : (int)n);
#endif
}

static void *corl_arena_touch(void *arg) {
	(void)arg;
	void *p = malloc(4096);
	memset(p, 1, 4096);
	return p;
}

// corl_arena_count starts threads threads that each allocate, frees what
// they allocated, and returns the arenas glibc holds (-1: not glibc).
static int corl_arena_count(int threads) {
#if defined(__GLIBC__)
	pthread_t t[64];
	void *p[64];
	if (threads > 64) {
		threads = 64;
	}
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&t[i], NULL, corl_arena_touch, NULL) != 0) {
			threads = i;
			break;
		}
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], &p[i]);
		free(p[i]);
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL) {
		return -1;
	}
	malloc_info(0, f);
	fclose(f);
	int n = 0;
	for (char *s = buf; (s = strstr(s, "<heap nr=")) != NULL; s++) {
		n++;
	}
	free(buf);
	return n;
#else
	(void)threads;
	return -1;
#endif
}
*/
import "C"

// The C constructor above caps glibc's malloc arenas at the number of
// processors the process may use (runtime.NumCPU), unless MALLOC_ARENA_MAX is set (the user's choice wins).
// wasmtime allocates natively on whichever Go thread calls into it, and
// glibc gives such threads arenas of their own (up to eight per core),
// which it seldom returns: a long branch-and-bound grew by about half a
// kilobyte per node that way. No more threads than there are processors
// run at once, so no more arenas are needed to keep them from contending
// (RATIONALE, "Malloc arenas under wasmtime").

// mallocArenas starts threads native threads that each allocate and
// returns how many arenas glibc then holds, or -1 where the C library is
// not glibc's.
func mallocArenas(threads int) int { return int(C.corl_arena_count(C.int(threads))) }
