#if defined(__linux__)
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#endif
#include <errno.h>

#include "apus_kernels.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void apus_release_free_memory(void) {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

int apus_memfd_create(const char *name, size_t size) {
#if defined(__linux__) && defined(MFD_CLOEXEC) && defined(MFD_ALLOW_SEALING)
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return -1;
    if (ftruncate(fd, (off_t)size) != 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
#else
    (void)name;
    (void)size;
    errno = ENOSYS;
    return -1;
#endif
}
